// The writers the CLI's `--format` picks from: one per format, each pure (result in, text out). A format
// may write several files (md: report.md and one file per finding); `auditFiles` lists them all, so the
// caller writes every file of every format as one set (src/run/output.ts). A writer may render
// asynchronously (html draws its charts with vega, whose View.toSVG() is async): the set is still
// rendered whole before anything is written.

import { renderAuditHtml, renderDiagnoseHtml } from './html/index.ts';
import { renderAuditJson, renderDiagnoseJson } from './json/index.ts';
import type { AnalysisResult, DiagnoseResult } from './json/schema.ts';
import {
  findingFilePath,
  renderAuditMarkdown,
  renderDiagnoseMarkdown,
  renderFindingMarkdown,
} from './markdown/index.ts';
import { renderAuditPrometheusRules, renderDiagnosePrometheusRules } from './prometheus-rules/index.ts';

/** One file of a report: where it goes under `--out DIR` (forward slashes) and how it renders. */
export interface AuditFile<Content extends string | Promise<string> = string | Promise<string>> {
  path: string;
  render: (result: AnalysisResult) => Content;
}

export interface ReportWriter {
  /** The format's main file: what `--out DIR` holds at the top and what `--out -` prints. */
  fileName: string;
  renderAudit: (result: AnalysisResult) => string | Promise<string>;
  /** Every file this format writes for a run, the main file first. */
  auditFiles: (result: AnalysisResult) => AuditFile[];
  renderDiagnose: (result: DiagnoseResult) => string | Promise<string>;
}

export type ReportFormat = 'md' | 'json' | 'html' | 'prometheus-rules';

const markdownFiles = (result: AnalysisResult): AuditFile<string>[] => [
  { path: 'report.md', render: (run) => renderAuditMarkdown(run) },
  ...result.findings.map((finding) => ({
    path: findingFilePath(finding.id),
    render: (run: AnalysisResult) => renderFindingMarkdown(run, finding.id),
  })),
];

export const reportWriters = {
  md: {
    fileName: 'report.md',
    renderAudit: (result) => renderAuditMarkdown(result),
    auditFiles: markdownFiles,
    renderDiagnose: renderDiagnoseMarkdown,
  },
  json: {
    fileName: 'report.json',
    renderAudit: renderAuditJson,
    auditFiles: (_result: AnalysisResult): AuditFile<string>[] => [
      { path: 'report.json', render: renderAuditJson },
    ],
    renderDiagnose: renderDiagnoseJson,
  },
  html: {
    fileName: 'report.html',
    renderAudit: (result) => renderAuditHtml(result),
    auditFiles: (_result: AnalysisResult) => [
      { path: 'report.html', render: (run: AnalysisResult) => renderAuditHtml(run) },
    ],
    renderDiagnose: renderDiagnoseHtml,
  },
  'prometheus-rules': {
    fileName: 'alerts.rules.yml',
    renderAudit: renderAuditPrometheusRules,
    auditFiles: (_result: AnalysisResult) => [
      { path: 'alerts.rules.yml', render: renderAuditPrometheusRules },
    ],
    renderDiagnose: renderDiagnosePrometheusRules,
  },
} as const satisfies Record<ReportFormat, ReportWriter>;

export function isReportFormat(format: string): format is ReportFormat {
  return Object.hasOwn(reportWriters, format);
}

/** A rendered file of a run. */
export interface RenderedFile {
  path: string;
  content: string;
}

/**
 * Every file of every asked format, rendered: all or nothing, so a writer that throws (a result that
 * fails its own schema) leaves no half-written set behind. Two formats never claim the same path.
 */
export async function renderAuditFiles(
  result: AnalysisResult,
  formats: readonly ReportFormat[],
  onFormat?: (format: ReportFormat, state: 'running' | 'done') => void,
): Promise<RenderedFile[]> {
  const files: RenderedFile[] = [];
  const seen = new Set<string>();
  for (const format of formats) {
    onFormat?.(format, 'running');
    for (const file of reportWriters[format].auditFiles(result)) {
      const key = file.path.toLowerCase();
      if (seen.has(key)) throw new Error(`two report files share the path ${file.path}`);
      seen.add(key);
      files.push({ path: file.path, content: await file.render(result) });
    }
    onFormat?.(format, 'done');
  }
  return files;
}

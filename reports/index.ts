// The writers the CLI's `--format` picks from: one per format, each pure (result in, text out).

import { renderAuditJson, renderDiagnoseJson } from './json/index.ts';
import type { AnalysisResult, DiagnoseResult } from './json/schema.ts';
import { renderAuditMarkdown, renderDiagnoseMarkdown } from './markdown/index.ts';

export interface ReportWriter {
  /** The file `audit --out DIR` writes. */
  fileName: string;
  renderAudit: (result: AnalysisResult) => string;
  renderDiagnose: (result: DiagnoseResult) => string;
}

export type ReportFormat = 'md' | 'json';

export const reportWriters = {
  md: {
    fileName: 'report.md',
    renderAudit: (result) => renderAuditMarkdown(result),
    renderDiagnose: renderDiagnoseMarkdown,
  },
  json: {
    fileName: 'report.json',
    renderAudit: renderAuditJson,
    renderDiagnose: renderDiagnoseJson,
  },
} as const satisfies Record<ReportFormat, ReportWriter>;

export function isReportFormat(format: string): format is ReportFormat {
  return Object.hasOwn(reportWriters, format);
}

import { describe, expect, it } from 'vitest';
import { isReportFormat, renderAuditFiles, reportWriters } from '../../reports/index.ts';
import { findingFilePath } from '../../reports/markdown/index.ts';
import { buildAnalysisResult, buildDiagnoseResult } from '../helpers/result-builder.ts';

describe('reportWriters', () => {
  it('offers md, json, html and prometheus-rules for --format, each with the main file audit --out writes', () => {
    expect(Object.keys(reportWriters)).toEqual(['md', 'json', 'html', 'prometheus-rules']);
    expect(reportWriters['prometheus-rules'].fileName).toBe('alerts.rules.yml');
    expect(reportWriters.md.fileName).toBe('report.md');
    expect(reportWriters.json.fileName).toBe('report.json');
    expect(reportWriters.html.fileName).toBe('report.html');
    expect(isReportFormat('md')).toBe(true);
    expect(isReportFormat('html')).toBe(true);
    expect(isReportFormat('pdf')).toBe(false);
    expect(isReportFormat('toString')).toBe(false);
  });

  it('renders the html page of an audit and of a diagnosis, charts drawn inline', async () => {
    const audit = buildAnalysisResult();
    const page = await reportWriters.html.renderAudit(audit);
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<svg role="img"');
    expect(reportWriters.html.auditFiles(audit).map((file) => file.path)).toEqual(['report.html']);
    expect(await reportWriters.html.renderDiagnose(buildDiagnoseResult())).toContain(
      '<h1>fleetlens diagnose</h1>',
    );
  });

  it('renders audits and diagnoses in both formats', () => {
    const audit = buildAnalysisResult();
    const diagnose = buildDiagnoseResult();
    expect(reportWriters.md.renderAudit(audit)).toMatch(/^# fleetlens audit 2025-05-14\n/);
    expect(reportWriters.md.renderDiagnose(diagnose)).toMatch(/^# fleetlens diagnose\n/);
    expect(JSON.parse(reportWriters.json.renderAudit(audit))).toEqual(audit);
    expect(JSON.parse(reportWriters.json.renderDiagnose(diagnose))).toEqual(diagnose);
  });

  it('lists every file of a format: report.md first, then one file per finding', () => {
    const audit = buildAnalysisResult();
    const md = reportWriters.md.auditFiles(audit);
    expect(md.map((file) => file.path)).toEqual([
      'report.md',
      ...audit.findings.map((finding) => findingFilePath(finding.id)),
    ]);
    expect(md[0]?.render(audit)).toBe(reportWriters.md.renderAudit(audit));
    expect(reportWriters.json.auditFiles(audit).map((file) => file.path)).toEqual(['report.json']);
  });
});

describe('renderAuditFiles', () => {
  it('renders every file of every asked format as one set, saying when each format starts and ends', async () => {
    const audit = buildAnalysisResult();
    const events: string[] = [];
    const files = await renderAuditFiles(audit, ['md', 'json', 'html'], (format, state) =>
      events.push(`${format}:${state}`),
    );
    expect(files.map((file) => file.path)).toEqual([
      'report.md',
      ...audit.findings.map((finding) => findingFilePath(finding.id)),
      'report.json',
      'report.html',
    ]);
    expect(files.every((file) => file.content.endsWith('\n'))).toBe(true);
    expect(events).toEqual([
      'md:running',
      'md:done',
      'json:running',
      'json:done',
      'html:running',
      'html:done',
    ]);
  });

  it('renders nothing when one writer fails, so no partial set can be written', async () => {
    const broken = { ...buildAnalysisResult(), schemaVersion: 2 } as unknown as ReturnType<
      typeof buildAnalysisResult
    >;
    await expect(renderAuditFiles(broken, ['md', 'json'])).rejects.toThrow(
      'report.json does not match its schema',
    );
  });
});

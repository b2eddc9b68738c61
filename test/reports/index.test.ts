import { describe, expect, it } from 'vitest';
import { isReportFormat, reportWriters } from '../../reports/index.ts';
import { buildAnalysisResult, buildDiagnoseResult } from '../helpers/result-builder.ts';

describe('reportWriters', () => {
  it('offers md and json for --format, each with the file audit --out writes', () => {
    expect(Object.keys(reportWriters)).toEqual(['md', 'json']);
    expect(reportWriters.md.fileName).toBe('report.md');
    expect(reportWriters.json.fileName).toBe('report.json');
    expect(isReportFormat('md')).toBe(true);
    expect(isReportFormat('html')).toBe(false);
    expect(isReportFormat('toString')).toBe(false);
  });

  it('renders audits and diagnoses in both formats', () => {
    const audit = buildAnalysisResult();
    const diagnose = buildDiagnoseResult();
    expect(reportWriters.md.renderAudit(audit)).toMatch(/^# fleetlens audit 2025-05-14\n/);
    expect(reportWriters.md.renderDiagnose(diagnose)).toMatch(/^# fleetlens diagnose\n/);
    expect(JSON.parse(reportWriters.json.renderAudit(audit))).toEqual(audit);
    expect(JSON.parse(reportWriters.json.renderDiagnose(diagnose))).toEqual(diagnose);
  });
});

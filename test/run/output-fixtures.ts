// Two successive runs for the atomic-write tests: B drops one of A's findings, adds one and changes
// every file, so a mix of the two is always visible. Shared by the test and its child process.
import type { AnalysisResult } from '../../reports/json/schema.ts';
import { buildAnalysisResult, buildFinding } from '../helpers/result-builder.ts';

export function runA(): AnalysisResult {
  return buildAnalysisResult();
}

export function runB(): AnalysisResult {
  const a = buildAnalysisResult();
  const findings = [
    ...a.findings
      .filter((finding) => finding.id !== 'f-nofile-web2')
      .map((finding) => ({ ...finding, message: `${finding.message} (second run)` })),
    buildFinding({
      id: 'f-new-in-b',
      severity: 'high',
      subject: { provider: 'aws', kind: 'host', id: 'i-0a1b2c3d4e5f60002', name: 'web-2' },
      title: 'Found only in the second run',
    }),
  ];
  const b = buildAnalysisResult({ findings });
  return { ...b, run: { ...b.run, id: 'run-20250515T060000Z-77aa' } };
}

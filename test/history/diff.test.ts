// `fleetlens diff` between two runs, in markdown for a ticket and in JSON for a script.
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/history/compare.ts';
import {
  diffFromComparison,
  diffRuns,
  renderDiffJson,
  renderDiffMarkdown,
  renderSinceLastRun,
  statusText,
} from '../../src/history/diff.ts';
import { toRunRecord } from '../../src/history/record.ts';
import { defaultFindingSpecs, type FindingSpec, fleetResult } from '../helpers/history-builder.ts';

const base = defaultFindingSpecs(6);
// One fixed (host 0), one new (host 6), one worse (host 3 high → critical); host 2's saving grows $102 → $152.
const next: FindingSpec[] = [
  ...base
    .slice(1)
    .map((s) =>
      s.host === 3 ? { ...s, severity: 'critical' as const } : s.host === 2 ? { ...s, deltaUsd: -152 } : s,
    ),
  { host: 6, rule: 0 },
];
const from = compareRuns(null, toRunRecord(fleetResult({ runId: 'run-a', week: 0, findings: base }))).run;
const toResult = fleetResult({
  runId: 'run-b',
  week: 1,
  findings: next,
  hostNames: { 6: 'web|6 <b>*x*</b>' },
});
const to = compareRuns(from, toRunRecord(toResult)).run;

describe('diff of two runs', () => {
  const diff = diffRuns(from, to);

  it('lists new, resolved, worse and better, and the change in the known monthly cost delta', () => {
    expect(diff.new.map((f) => f.subject.id)).toEqual(['linode-0006']);
    expect(diff.resolved.map((f) => f.subject.id)).toEqual(['aws-0000']);
    expect(diff.worse.map((w) => [w.finding.subject.id, w.previous.severity, w.finding.severity])).toEqual([
      ['ovh-0003', 'high', 'critical'],
      ['linode-0002', 'medium', 'medium'],
    ]);
    expect(diff.better).toEqual([]);
    expect(diff.open).toBe(3);
    expect(diff.costDeltaChangeUsd).toBe(
      Math.round((toResult.run.summary.monthlyCostDeltaUsd - from.summary.monthlyCostDeltaUsd) * 100) / 100,
    );
    expect(diff.costDeltaChangeUsd).toBe(-50);
  });

  it('is the same diff the audit computed when it recorded the later run', () => {
    const atAudit = diffFromComparison(from, compareRuns(from, toRunRecord(toResult)));
    expect(renderDiffJson(atAudit)).toBe(renderDiffJson(diff));
  });

  it('renders markdown with one section per change and escapes names from the cloud', () => {
    const text = renderDiffMarkdown(diff);
    expect(text).toContain('## New (1)');
    expect(text).toContain('## Resolved (1)');
    expect(text).toContain('## Worse (2)');
    expect(text).toContain('## Better (0)\n\nNone.');
    expect(text).toContain('high → critical');
    expect(text).toContain('web\\|6 &lt;b>\\*x\\*&lt;/b>');
    expect(text).not.toContain('<b>');
    const hostile = text.split('\n').find((line) => line.includes('web\\|6'))!;
    // Four columns: five unescaped pipes, whatever the name holds.
    expect(hostile.match(/(?<!\\)\|/g)).toHaveLength(5);
    expect(renderSinceLastRun(diff)).toMatch(/1 new, 1 resolved, 2 worse, 0 better, 3 still open/);
    expect(renderSinceLastRun(diff)).toContain('(-$50.00/mo)');
  });

  it('renders JSON with counts, lists and the cost change', () => {
    const body = JSON.parse(renderDiffJson(diff));
    expect(body.counts).toEqual({ new: 1, resolved: 1, worse: 2, better: 0, open: 3, unseen: 0 });
    expect(body.monthlyCostDeltaUsd.change).toBe(-50);
    expect(body.worse[0]).toMatchObject({ severity: 'critical', before: { severity: 'high' } });
    expect(body.from).toEqual({ runId: 'run-a', startedAt: new Date(from.startedAtMs).toISOString() });
  });

  it('words a status for the report: new, open since the first day, worse with what moved', () => {
    const open = to.findings.find((f) => f.status === 'open')!;
    expect(statusText(open, null)).toBe(
      `open since ${new Date(from.startedAtMs).toISOString().slice(0, 10)}, for 2 runs`,
    );
    const worse = diff.worse[0]!;
    expect(statusText(worse.finding, worse.previous)).toMatch(
      /^worse \(high → critical\), since \d{4}-\d{2}-\d{2}, for 2 runs$/,
    );
  });
});

// Statuses a weekly audit prints: new, open (since, for N runs), worse, better, resolved, and never
// "resolved" for a finding the run could not see.
import { describe, expect, it } from 'vitest';
import { compareRuns, headlineMove } from '../../src/history/compare.ts';
import { type RunRecord, toRunRecord } from '../../src/history/record.ts';
import {
  defaultFindingSpecs,
  FIRST_RUN_MS,
  type FindingSpec,
  fleetResult,
  WEEK_MS,
} from '../helpers/history-builder.ts';

const record = (runId: string, week: number, findings?: FindingSpec[], extra = {}) =>
  toRunRecord(fleetResult({ runId, week, ...(findings ? { findings } : {}), ...extra }));

/** Runs each record against the one before, as the store does, and returns the last comparison. */
function chain(...runs: RunRecord[]) {
  let previous: RunRecord | null = null;
  let last = compareRuns(null, runs[0]!);
  for (const run of runs) {
    last = compareRuns(previous, run);
    previous = last.run;
  }
  return last;
}

const statusOf = (comparison: ReturnType<typeof compareRuns>, host: number) =>
  comparison.changes.find((c) => c.finding.subject.id.endsWith(String(host).padStart(4, '0')))?.finding;

describe('statuses against the previous run', () => {
  it('calls everything new on the first run', () => {
    const first = compareRuns(null, record('a', 0));
    expect(first.changes.map((c) => c.finding.status)).toEqual(Array(30).fill('new'));
    expect(first.resolved).toEqual([]);
  });

  it('says new, open since the first day for N runs, worse, better and resolved, each for the right finding', () => {
    const base = defaultFindingSpecs(10);
    // Week 2: host 0 fixed, host 10 new, host 1 high → critical, host 3 (fd-limit) 53 % → 80 %,
    // host 4 listen-queue low → info, host 5 57 → 60 (inside the tolerance).
    const changed: FindingSpec[] = [
      ...base
        .slice(1)
        .map((spec) =>
          spec.host === 1
            ? { ...spec, severity: 'critical' as const }
            : spec.host === 3
              ? { ...spec, value: 80 }
              : spec.host === 4
                ? { ...spec, severity: 'info' as const }
                : spec.host === 5
                  ? { ...spec, value: 60 }
                  : spec,
        ),
      { host: 10, rule: 0 },
    ];
    const result = chain(record('a', 0, base), record('b', 1, base), record('c', 2, changed));
    expect(statusOf(result, 10)).toMatchObject({
      status: 'new',
      runCount: 1,
      firstSeenMs: FIRST_RUN_MS + 2 * WEEK_MS,
    });
    expect(statusOf(result, 1)).toMatchObject({ status: 'worse', runCount: 3 });
    expect(statusOf(result, 3)).toMatchObject({ status: 'worse' });
    expect(statusOf(result, 4)).toMatchObject({ status: 'better' });
    expect(statusOf(result, 5)).toMatchObject({ status: 'open', runCount: 3, firstSeenMs: FIRST_RUN_MS });
    expect(result.resolved.map((f) => f.subject.id)).toEqual(['aws-0000']);
    expect(result.unseen).toEqual([]);
  });

  it('compares cost findings on their monthly saving, so a bigger saving is worse', () => {
    // Rule 1 (cpu-over-provisioned) is a cost finding: -$101/mo → -$300/mo.
    const before = record('a', 0, [{ host: 1, rule: 1 }]);
    const after = record('b', 1, [{ host: 1, rule: 1, deltaUsd: -300 }]);
    expect(compareRuns(before, after).changes[0]!.finding).toMatchObject({
      status: 'worse',
      headline: { label: 'monthly saving', value: 300, unit: 'usd-per-month' },
    });
  });

  it('ignores headline moves inside the tolerance (10 % and 2 points of percent)', () => {
    const at = (value: number) => ({ label: 'p95 CPU', value, unit: 'percent' as const });
    expect(headlineMove(at(50), at(54.9))).toBe(0);
    expect(headlineMove(at(50), at(55.1))).toBe(1);
    expect(headlineMove(at(0.4), at(0.9))).toBe(0);
    expect(headlineMove(at(80), at(60))).toBe(-1);
  });

  it('keeps a finding stored under an older id (message id in the fingerprint) as the same finding', () => {
    const stored = record('a', 0, [{ host: 2, rule: 2 }]);
    const before = { ...stored, findings: [{ ...stored.findings[0]!, id: '0123456789abcdef' }] };
    const after = record('b', 1, [{ host: 2, rule: 2, messageId: 'other-wording' }]);
    const comparison = compareRuns(before, after);
    expect(comparison.changes[0]!.finding).toMatchObject({
      status: 'open',
      runCount: 2,
      previousId: before.findings[0]!.id,
    });
    expect(comparison.resolved).toEqual([]);
  });
});

describe('findings the run could not see', () => {
  const base = defaultFindingSpecs(8);

  it('does not resolve findings in a failed region: they are unseen, carried, and continue when it is back', () => {
    const failed = { aws: [{ scope: 'eu-west-1', reason: 'UnauthorizedOperation' }] };
    const first = compareRuns(null, record('a', 0, base));
    // aws hosts are 0 and 4 (us-east-1, index 0..3 → scope 0) ... host 4 is aws eu-west-1.
    const blind = compareRuns(first.run, record('b', 1, base, { failedScopes: failed }));
    expect(blind.resolved).toEqual([]);
    expect(blind.unseen.map((u) => [u.finding.subject.id, u.reason])).toEqual([
      ['aws-0004', 'aws eu-west-1 failed: UnauthorizedOperation'],
    ]);
    expect(blind.run.findings.filter((f) => f.status === 'unseen').map((f) => f.subject.id)).toEqual([
      'aws-0004',
    ]);
    const back = compareRuns(blind.run, record('c', 2, base));
    expect(statusOf(back, 4)).toMatchObject({ status: 'open', runCount: 2, firstSeenMs: FIRST_RUN_MS });
    const fixed = compareRuns(
      blind.run,
      record(
        'c',
        2,
        base.filter((s) => s.host !== 4),
      ),
    );
    expect(fixed.resolved.map((f) => f.subject.id)).toEqual(['aws-0004']);
  });

  it('treats a failed scope that names no known region (a token) as the whole cloud unseen', () => {
    const first = compareRuns(null, record('a', 0, base));
    const blind = compareRuns(
      first.run,
      record(
        'b',
        1,
        base.filter((s) => s.host % 4 !== 2),
        {
          failedScopes: { linode: [{ scope: 'token', reason: 'invalid token' }] },
        },
      ),
    );
    expect(blind.resolved).toEqual([]);
    expect(blind.unseen.map((u) => u.finding.subject.id).sort()).toEqual(['linode-0002', 'linode-0006']);
  });

  it('does not resolve the findings of a rule that was skipped, nor of a cloud this run did not audit', () => {
    const first = compareRuns(null, record('a', 0, base));
    const skipped = compareRuns(
      first.run,
      record(
        'b',
        1,
        base.filter((s) => s.rule !== 0),
        { ruleStatus: { 'cpu-saturated': 'skipped' } },
      ),
    );
    expect(skipped.resolved).toEqual([]);
    expect(skipped.unseen.map((u) => u.reason)).toEqual([
      'rule cpu-saturated: skipped',
      'rule cpu-saturated: skipped',
    ]);
    const awsOnly = compareRuns(first.run, record('c', 1, base, { clouds: ['aws'] }));
    expect(awsOnly.resolved).toEqual([]);
    expect(awsOnly.unseen).toHaveLength(6);
    // Not carried: another account's audit follows its own line.
    expect(awsOnly.run.findings.filter((f) => f.status === 'unseen')).toEqual([]);
  });
});

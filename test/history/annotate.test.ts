// What a recorded run shows a reader (issue 10 points 4, 6, 7): statuses, stable and flipped
// recommendations, `--only-stable`, mutes with reason and expiry, stale mutes, and `--fail-on`
// leaving muted findings out. Runs come from the history builder and a real DuckDB store.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisResult } from '../../reports/json/schema.ts';
import { renderAuditMarkdown, renderFindingMarkdown } from '../../reports/markdown/index.ts';
import { type LocatedMute, withMutes } from '../../src/history/annotate.ts';
import { silentLogger } from '../../src/log.ts';
import { auditExitStatus, parseFailOnCategories } from '../../src/run/exit-status.ts';
import { recordAuditRun } from '../../src/run/record-run.ts';
import { DEFAULT_KEEP_MS } from '../../src/store/index.ts';
import { defaultFindingSpecs, type FindingSpec, fleetResult } from '../helpers/history-builder.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-annotate-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const options = (store: string, extra: { onlyStable?: boolean } = {}) => ({
  store,
  keepMs: DEFAULT_KEEP_MS,
  stableRuns: 3,
  onlyStable: extra.onlyStable ?? false,
  log: silentLogger,
});

/** Four weekly runs of 6 findings; host 1's target flips in week 2, so it is not stable at week 3. */
async function fourWeeks(store: string, onlyStable = false): Promise<AnalysisResult[]> {
  const runs: AnalysisResult[] = [];
  for (let week = 0; week < 4; week += 1) {
    const specs: FindingSpec[] = defaultFindingSpecs(6).map((spec) =>
      spec.host === 1 && week === 2 ? { ...spec, recommended: 'm6i.8xlarge' } : spec,
    );
    runs.push(
      await recordAuditRun(
        fleetResult({ runId: `run-${week}`, week, findings: specs }),
        options(store, { onlyStable: onlyStable && week === 3 }),
      ),
    );
  }
  return runs;
}

describe('stable recommendations (--stable-runs 3)', () => {
  let runs: AnalysisResult[];
  beforeAll(async () => {
    runs = await fourWeeks(join(dir, 'stable.duckdb'), true);
  });

  it('marks a target seen in 3 consecutive runs stable, and one that flipped as flipped', () => {
    const last = runs[3]!;
    const steady = last.recommendations.find((r) => r.subject.id === 'aws-0000')!;
    expect(steady.stability).toEqual({ runs: 3, requiredRuns: 3, stable: true, flipped: null });
    const flipped = last.recommendations.find((r) => r.subject.id === 'gcp-0001')!;
    expect(flipped.stability).toMatchObject({ runs: 1, stable: false });
    expect(flipped.stability!.flipped).toEqual(['m6i.large', 'm6i.8xlarge', 'm6i.large']);
    expect(runs[1]!.recommendations[0]!.stability).toMatchObject({ runs: 2, stable: false });
  });

  it('says so in the finding file, and --only-stable keeps the flipped one out of the top actions', () => {
    const last = runs[3]!;
    expect(last.history?.onlyStable).toBe(true);
    const flipped = last.findings.find((f) => f.subject.id === 'gcp-0001')!;
    expect(renderFindingMarkdown(last, flipped.id)).toContain(
      'Over the runs: flipped over the last 3 runs: m6i.large → m6i.8xlarge → m6i.large',
    );
    const md = renderAuditMarkdown(last);
    const top = md.slice(md.indexOf('### Top actions'), md.indexOf('###', md.indexOf('### Top actions') + 5));
    expect(top).toContain('stable recommendations only');
    expect(top).toContain('aws-0000');
    expect(top).not.toContain('gcp-0001');
    // Without --only-stable the flipped one is an action like any other, marked as flipped.
    const all = renderAuditMarkdown({ ...last, history: { ...last.history!, onlyStable: false } });
    expect(all).toMatch(/gcp-0001.*flipped over the last 3 runs/);
  });

  it('says "open since DATE, for N runs" in report.md', () => {
    expect(renderAuditMarkdown(runs[3]!)).toContain('open since 2025-01-06, for 4 runs');
    expect(AnalysisResult.parse(runs[3]).findings[0]).toMatchObject({ status: 'open', runs: 4 });
  });
});

describe('mutes', () => {
  const result = fleetResult({ runId: 'run-m', week: 0, findings: defaultFindingSpecs(6) });
  const [first, second] = result.findings;
  const mutes: LocatedMute[] = [
    { finding: first!.id, reason: 'vendor fix due', until: '2025-01-31', file: 'fleetlens.yaml', line: 3 },
    {
      rule: second!.ruleId,
      subject: `${second!.subject.name!.slice(0, 3)}*`,
      reason: 'known since the migration',
      until: '2025-01-05',
      file: 'fleetlens.mute.yaml',
      line: 2,
    },
    {
      rule: 'idle-instance',
      subject: 'nothing-*',
      reason: 'old',
      until: '2025-02-01',
      file: 'fleetlens.yaml',
      line: 7,
    },
  ];
  const muted = withMutes(result, mutes);

  it('marks a muted finding with its reason and expiry, and an expired one "mute expired on DATE"', () => {
    expect(muted.findings[0]!.mute).toEqual({
      reason: 'vendor fix due',
      until: '2025-01-31',
      expired: false,
      text: 'muted until 2025-01-31: vendor fix due',
    });
    const expired = muted.findings.find((f) => f.ruleId === second!.ruleId && f.mute?.expired)!;
    expect(expired.mute!.text).toBe('mute expired on 2025-01-05');
    const md = renderAuditMarkdown(muted);
    expect(md).toContain('muted until 2025-01-31 (vendor fix due)');
    expect(md).toContain('**mute expired on 2025-01-05**');
    expect(renderFindingMarkdown(muted, first!.id)).toContain(
      'Status: muted until 2025-01-31: vendor fix due',
    );
  });

  it('reports a mute that matched nothing, with its file and line', () => {
    expect(muted.mutes).toMatchObject({
      muted: 1,
      stale: [{ rule: 'idle-instance', file: 'fleetlens.yaml', line: 7 }],
    });
    expect(renderAuditMarkdown(muted)).toMatch(
      /rule idle-instance on nothing-\\\* \(fleetlens\.yaml:7, until 2025-02-01\) matched nothing/,
    );
    expect(() => AnalysisResult.parse(muted)).not.toThrow();
  });

  it('does not count a muted finding for --fail-on; an expired mute counts again', () => {
    const onlyFirst = { ...muted, findings: [muted.findings[0]!] };
    const policy = { failOn: 'info' as const, categories: parseFailOnCategories('cost') };
    expect(auditExitStatus(onlyFirst, policy).code).toBe(0);
    expect(auditExitStatus({ ...result, findings: [result.findings[0]!] }, policy).code).toBe(3);
    const expired = muted.findings.filter((f) => f.mute?.expired);
    expect(expired.length).toBeGreaterThan(0);
    expect(auditExitStatus({ ...muted, findings: expired }, policy).code).toBe(3);
  });
});

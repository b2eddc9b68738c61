// Issue 10 point 3: a finding keeps its id across runs when the problem is the same, whatever its
// numbers do, and a host renamed by tag keeps its findings (subjects key on the cloud id). Two
// demo audits: the second with another random seed and analytics-1 renamed.
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledScenarioPath, loadScenario } from '../../mocks/scenarios/schema.ts';
import type { AnalysisResult } from '../../reports/json/schema.ts';
import { fingerprint } from '../../src/analysis/engine.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { compareRuns } from '../../src/history/compare.ts';
import { headlineOf, toRunRecord } from '../../src/history/record.ts';
import { silentLogger } from '../../src/log.ts';
import { packagePath } from '../../src/paths.ts';
import { runAudit } from '../../src/run/audit.ts';
import { withMocks } from '../../src/run/demo.ts';

const ANALYTICS = 'i-0a00000000000a005';

async function demoAudit(seed: string | undefined, rename?: Record<string, string>): Promise<AnalysisResult> {
  const scenario = loadScenario(bundledScenarioPath('demo'));
  if (seed !== undefined) scenario.seed = seed;
  for (const fleet of Object.values(scenario.aws.regions)) {
    for (const instance of fleet.instances) {
      const name = rename?.[instance.id];
      if (name) instance.name = name;
    }
  }
  const loaded = await loadConfigFile(packagePath('mocks', 'scenarios', 'demo.fleetlens.yaml'));
  return withMocks(scenario, loaded, silentLogger, (demo) =>
    runAudit({ ...demo, mode: 'demo', log: silentLogger }),
  );
}

let first: AnalysisResult;
let second: AnalysisResult;
beforeAll(async () => {
  first = await demoAudit(undefined);
  second = await demoAudit('another-week', { [ANALYTICS]: 'analytics-primary' });
}, 900_000);

describe('fingerprints across demo runs', () => {
  it('keeps every id when only the numbers changed', () => {
    const before = new Map(first.findings.map((f) => [f.id, headlineOf(f, first)?.value]));
    const moved = second.findings.filter(
      (f) => before.has(f.id) && before.get(f.id) !== headlineOf(f, second)?.value,
    );
    // The seed really changed the numbers...
    expect(moved.length).toBeGreaterThan(5);
    // ...and every problem found in both runs (same rule, same subject) kept its id. A borderline
    // finding may come or go with the numbers (idle 97 % of the time or not): that is new/resolved.
    const problem = (f: Pick<AnalysisResult['findings'][number], 'ruleId' | 'subject'>) =>
      `${f.ruleId} ${f.subject.provider}/${f.subject.id}`;
    const idsBefore = new Map(first.findings.map((f) => [problem(f), f.id]));
    const both = second.findings.filter((f) => idsBefore.has(problem(f)));
    expect(both.length).toBeGreaterThan(20);
    expect(both.map((f) => [problem(f), f.id])).toEqual(
      both.map((f) => [problem(f), idsBefore.get(problem(f))]),
    );
    const comparison = compareRuns(toRunRecord(first), toRunRecord(second));
    const fresh = comparison.changes.filter((c) => c.finding.status === 'new').map((c) => problem(c.finding));
    expect(fresh.every((p) => !idsBefore.has(p))).toBe(true);
    expect(comparison.changes.length - fresh.length).toBe(both.length);
  });

  it('keeps the findings of a host renamed by tag, under its new name', () => {
    const before = first.findings.filter((f) => f.subject.id === ANALYTICS);
    const after = second.findings.filter((f) => f.subject.id === ANALYTICS);
    expect(before.length).toBeGreaterThan(0);
    expect(after.map((f) => f.id)).toEqual(before.map((f) => f.id));
    expect(before.map((f) => f.subject.name)).toEqual(before.map(() => 'analytics-1'));
    expect(after.map((f) => f.subject.name)).toEqual(after.map(() => 'analytics-primary'));
  });

  it('gives a different problem on the same host a different id', () => {
    // shop-api-3: over-provisioned by the cloud's numbers, held because its thread pool starves.
    const api = first.findings.filter((f) => f.subject.name === 'shop-api-3');
    expect(api.map((f) => f.ruleId).sort()).toEqual(['cpu-over-provisioned', 'threadpool-starvation']);
    expect(new Set(api.map((f) => f.id)).size).toBe(2);
    // NOTE: the message id is part of the fingerprint, so one problem told another way (cloud only
    // vs cloud and host) changes id; history pairs such a finding by rule and subject (compare.ts).
    const subject = { provider: 'aws' as const, kind: 'host' as const, id: 'i-0a00000000000a007' };
    expect(fingerprint('cpu-saturated', 'cloud', subject)).not.toBe(
      fingerprint('cpu-saturated', 'both', subject),
    );
  });
});

// One cloud failing never costs the others: bad credentials on Linode, an expired OVH consumer key
// and a 503 storm on Cloud Monitoring each become that cloud's gap with a one-line reason, while
// AWS comes out complete, with its call count at its minimum.
import { beforeAll, describe, expect, it } from 'vitest';
import { bundledScenarioPath, loadScenario } from '../../mocks/scenarios/schema.ts';
import type { AnalysisResult } from '../../reports/json/schema.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { packagePath } from '../../src/paths.ts';
import { runAudit } from '../../src/run/audit.ts';
import { withDemo, withMocks } from '../../src/run/demo.ts';

let healthy: AnalysisResult;
let broken: AnalysisResult;

beforeAll(async () => {
  healthy = await withDemo(silentLogger, (demo) => runAudit({ ...demo, mode: 'demo', log: silentLogger }));
  const scenario = loadScenario(bundledScenarioPath('demo'));
  scenario.linode!.faults.push({ kind: 'bad-token', operation: 'instances', nth: 1, times: 'always' });
  scenario.ovh!.faults.push({ kind: 'expired-credentials', route: 'projects', nth: 1, times: 'always' });
  scenario.gcp!.faults.push({ kind: 'server-error', method: 'timeSeries.list', nth: 1, times: 'always' });
  const loaded = await loadConfigFile(packagePath('mocks', 'scenarios', 'demo.fleetlens.yaml'));
  broken = await withMocks(scenario, loaded, silentLogger, (demo) =>
    runAudit({ ...demo, mode: 'demo', log: silentLogger }),
  );
}, 120_000);

const hostsOf = (result: AnalysisResult, provider: string) =>
  result.hosts.filter((h) => h.provider === provider);

describe('a four-cloud audit with three clouds failing', () => {
  it('covers all four clouds when nothing fails, each at its minimum call count', () => {
    expect(healthy.run.providers.slice().sort()).toEqual(['aws', 'gcp', 'linode', 'ovh']);
    expect(healthy.hosts.length).toBeGreaterThanOrEqual(30);
    for (const [provider, calls] of Object.entries(healthy.run.apiCalls)) {
      expect(calls?.made, provider).toBe(calls?.minimum);
    }
  });

  it('keeps AWS whole: every host, every series, made = minimum', () => {
    expect(hostsOf(broken, 'aws').length).toBe(hostsOf(healthy, 'aws').length);
    expect(broken.run.apiCalls.aws?.made).toBe(broken.run.apiCalls.aws?.minimum);
    expect(
      broken.findings
        .filter((f) => f.subject.provider === 'aws')
        .map((f) => f.id)
        .sort(),
    ).toEqual(
      healthy.findings
        .filter((f) => f.subject.provider === 'aws')
        .map((f) => f.id)
        .sort(),
    );
  });

  it('lists each failing cloud as its own gap with a one-line reason', () => {
    const gapOf = (provider: string) => broken.gaps.filter((g) => g.provider === provider);
    expect(gapOf('linode').map((g) => g.kind)).toContain('auth');
    expect(gapOf('ovh').map((g) => g.kind)).toContain('auth');
    expect(gapOf('gcp').map((g) => g.kind)).toContain('unavailable');
    for (const gap of broken.gaps) expect(gap.message, gap.provider).not.toMatch(/\n/);
  });

  it('keeps what the failing clouds did give: GCP inventory without its metrics', () => {
    expect(hostsOf(broken, 'gcp').length).toBe(hostsOf(healthy, 'gcp').length);
    expect(hostsOf(broken, 'linode')).toEqual([]);
  });

  it('never prints a credential', () => {
    const text = JSON.stringify(broken);
    for (const secret of [
      'demo-linode-token-not-a-real-one',
      'demo-application-secret-not-real',
      'demo-consumer-key-not-real-00001',
      'fleetlens-demo-token-not-real',
      'demo-secret-not-a-real-key',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});

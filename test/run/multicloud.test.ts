// The four-cloud demo, collected on a virtual clock (no wait costs real time; counts are exact on
// any machine). Fault-free, every cloud is complete at its minimum call count with no retry at all
// (the mocks keep sockets alive longer than the clients pool them), and lists its stopped hosts and
// its volumes attached to nothing. With three clouds failing (bad Linode token, expired OVH consumer
// key, a Cloud Monitoring 503 storm), each failure is one line per cloud, call and scope, the run is
// incomplete exactly where a listing failed, and AWS loses nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledScenarioPath, loadScenario, type Scenario } from '../../mocks/scenarios/schema.ts';
import type { AnalysisResult } from '../../reports/json/schema.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { virtualClock } from '../../src/net/clock.ts';
import { packagePath } from '../../src/paths.ts';
import { type Artifacts, loadArtifacts } from '../../src/run/artifacts.ts';
import { runAudit } from '../../src/run/audit.ts';
import { withMocks } from '../../src/run/demo.ts';

let healthy: AnalysisResult;
let collected: Artifacts;
let broken: AnalysisResult;
let dir: string;

/** The demo scenario without the faults it carries for the demo's sake. */
function faultFree(): Scenario {
  const scenario = loadScenario(bundledScenarioPath('demo'));
  scenario.aws.faults = [];
  scenario.gcp!.faults = [];
  scenario.linode!.faults = [];
  scenario.ovh!.faults = [];
  return scenario;
}

// Both audits read the same window of the same data: the mocks' fleets are anchored to NOW too, so
// one audit taken minutes after the other (a loaded machine) cannot see points shifted against the
// 5-minute grid.
const NOW = Date.now();

async function audit(scenario: Scenario, saveArtifactsDir?: string): Promise<AnalysisResult> {
  const loaded = await loadConfigFile(packagePath('mocks', 'scenarios', 'demo.fleetlens.yaml'));
  const clock = virtualClock(NOW);
  // Two days keep the mocks' work small; the calls are the same kinds as for fourteen.
  return withMocks(
    scenario,
    loaded,
    silentLogger,
    (demo) =>
      runAudit({
        ...demo,
        mode: 'demo',
        log: silentLogger,
        now: () => NOW,
        since: '2d',
        ...(saveArtifactsDir ? { saveArtifactsDir } : {}),
      }),
    { net: { clock }, now: () => NOW },
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-multicloud-'));
  healthy = await audit(faultFree(), dir);
  collected = await loadArtifacts(dir);
  const scenario = faultFree();
  scenario.linode!.faults.push({ kind: 'bad-token', operation: 'instances', nth: 1, times: 'always' });
  scenario.ovh!.faults.push({ kind: 'expired-credentials', route: 'projects', nth: 1, times: 'always' });
  scenario.gcp!.faults.push({ kind: 'server-error', method: 'timeSeries.list', nth: 1, times: 'always' });
  broken = await audit(scenario);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const hostsOf = (result: AnalysisResult, provider: string) =>
  result.hosts.filter((h) => h.provider === provider);

describe('the four-cloud demo with nothing failing', () => {
  it('covers all four clouds completely, each at its minimum call count, with no retry', () => {
    expect(healthy.run.providers.slice().sort()).toEqual(['aws', 'gcp', 'linode', 'ovh']);
    expect(healthy.hosts.length).toBeGreaterThanOrEqual(30);
    expect(healthy.run.complete).toBe(true);
    for (const [provider, calls] of Object.entries(healthy.run.apiCalls)) {
      expect(calls?.made, provider).toBe(calls?.minimum);
      // No spurious ECONNRESET retry: the mocks keep sockets alive longer than the clients pool them.
      expect([calls?.retries, calls?.failed], provider).toEqual([0, 0]);
    }
    for (const [provider, coverage] of Object.entries(healthy.run.coverage)) {
      expect(coverage?.complete, provider).toBe(true);
      expect(coverage?.failedScopes, provider).toEqual([]);
      expect(coverage?.seriesExpected, provider).toBeGreaterThan(0);
    }
    expect(healthy.run.coverage.aws?.scopes).toEqual(['us-east-1', 'eu-west-1']);
    expect(healthy.run.coverage.linode?.scopes).toEqual(['account']);
    expect(healthy.gaps).toEqual([]);
  });

  it('lists stopped instances with their volumes, and volumes attached to nothing, without asking their metrics', () => {
    const stopped = healthy.hosts.filter((h) => h.state === 'stopped').map((h) => `${h.provider} ${h.name}`);
    expect(stopped.sort()).toEqual(['aws promo-builder', 'linode media-staging', 'ovh eu-old-build']);
    const builder = healthy.hosts.find((h) => h.name === 'promo-builder')!;
    expect(builder.volumes).toEqual([
      expect.objectContaining({ id: 'vol-0a00000000000b00b', type: 'gp3', sizeGiB: 300 }),
    ]);
    expect(builder.stats).toEqual([]);
    // Unattached volumes reach the rules through the collected inventory (report.json lists volumes per host).
    const loose = (provider: string) =>
      collected.providers
        .flatMap((p) => p.volumes)
        .filter((v) => v.provider === provider && v.attachedTo.length === 0);
    expect(loose('aws')).toEqual([expect.objectContaining({ id: 'vol-0a00000000000c001', type: 'gp3' })]);
    expect(loose('gcp')).toEqual([
      expect.objectContaining({ id: 'storefront-gcp-prod/us-central1-b/render-cache-old', type: 'pd-ssd' }),
    ]);
  });
});

describe('the four-cloud demo with three clouds failing', () => {
  it('keeps AWS whole: every host, every series, made = minimum', () => {
    expect(hostsOf(broken, 'aws').length).toBe(hostsOf(healthy, 'aws').length);
    expect(broken.run.apiCalls.aws?.made).toBe(broken.run.apiCalls.aws?.minimum);
    expect(broken.run.coverage.aws?.complete).toBe(true);
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

  it('is incomplete exactly where a listing failed: the Linode and OVH accounts', () => {
    expect(broken.run.complete).toBe(false);
    expect(broken.run.coverage.linode).toMatchObject({
      complete: false,
      failedScopes: [{ scope: 'account', reason: 'auth: HTTP 401: Invalid Token' }],
      hostsListed: 0,
    });
    expect(broken.run.coverage.ovh?.complete).toBe(false);
    expect(broken.run.coverage.ovh?.failedScopes).toEqual([
      { scope: 'account', reason: expect.stringMatching(/^auth: HTTP 403: This credential is not valid/) },
    ]);
    // GCP listed everything; only its metrics failed: complete, with what it expected and got.
    expect(broken.run.coverage.gcp).toMatchObject({ complete: true, failedScopes: [], seriesReceived: 0 });
    expect(broken.run.coverage.gcp?.seriesExpected).toBe(healthy.run.coverage.gcp?.seriesExpected);
  });

  it('lists each failure once per cloud, call and scope, in one line', () => {
    const rows = broken.gaps.map((g) => [g.provider, g.kind, g.operation, g.scope]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['linode', 'auth', 'linode.getLinodes', 'account'],
        ['ovh', 'auth', 'cloud.projects', 'account'],
        ['gcp', 'unavailable', 'monitoring.timeSeries.list', 'storefront-gcp-prod'],
        ['gcp', 'unavailable', 'monitoring.timeSeries.list', 'analytics-gcp-prod'],
      ]),
    );
    // Fifteen metric streams failed in each project: one row each that says so, not thirty rows.
    expect(broken.gaps).toHaveLength(4);
    expect(broken.gaps.find((g) => g.provider === 'gcp')!.message).toMatch(
      /\(15 monitoring\.timeSeries\.list calls failed alike\)$/,
    );
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

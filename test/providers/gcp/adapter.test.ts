import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GcpMock, startGcpMock } from '../../../mocks/servers/gcp.ts';
import { createGcpAdapter } from '../../../providers/gcp/index.ts';
import type { MetricWindow } from '../../../providers/types.ts';
import { silentLogger } from '../../../src/log.ts';
import { pointsFromColumns } from '../../../src/model/series-columns.ts';
import { virtualClock } from '../../../src/net/clock.ts';
import { collectProvider } from '../../../src/run/collect.ts';
import { dayMs, gcpScenario, nowMs, OTHER, PROJECT, TOKEN } from './fixtures.ts';

// Two days at 5 minutes keeps the decoded pages small; the failure tests use one day.
const window: MetricWindow = { fromMs: nowMs - 2 * dayMs, toMs: nowMs, stepSec: 300 };
const oneDay: MetricWindow = { fromMs: nowMs - dayMs, toMs: nowMs, stepSec: 300 };
let mock: GcpMock | undefined;

afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

async function run(
  extra: Record<string, unknown> = {},
  token = TOKEN,
  projects = [PROJECT, OTHER],
  within = oneDay,
) {
  // Backoff and Retry-After are waited on a virtual clock, which the mock's rate limits follow too.
  const clock = virtualClock(nowMs);
  mock = await startGcpMock({ scenario: gcpScenario(extra), now: () => nowMs, limitsClockMs: clock.now });
  const adapter = createGcpAdapter({ accessToken: token });
  const config = { projects, endpoint: mock.endpoint, labels: {} };
  return collectProvider(adapter, config, within, silentLogger, undefined, { clock });
}

const seriesOf = (a: Awaited<ReturnType<typeof run>>, name: string, metric: string) => {
  const host = a.hosts.find((h) => h.name === name)!;
  return a.series.find((s) => s.subjectId === host.id && s.metric === metric);
};
const mean = (points: [number, number][]) => points.reduce((sum, [, v]) => sum + v, 0) / points.length;

describe('gcp adapter on a normal run, through the real clients', () => {
  let a: Awaited<ReturnType<typeof run>>;
  let normal: GcpMock;
  beforeAll(async () => {
    normal = await startGcpMock({ scenario: gcpScenario(), now: () => nowMs });
    const adapter = createGcpAdapter({ accessToken: TOKEN });
    a = await collectProvider(
      adapter,
      { projects: [PROJECT, OTHER], endpoint: normal.endpoint, labels: {} },
      window,
      silentLogger,
    );
  });
  afterAll(() => normal.close());

  it('lists instances with project, region, zone, type, state, labels and the MIG with its autoscaler', async () => {
    expect(a.hosts.map((h) => h.name).sort()).toEqual([
      'batch-hot',
      'db-1',
      'idle-box',
      'stopped-one',
      'web-1',
      'web-2',
      'web-3',
    ]);
    // A TERMINATED VM is GCP's stopped one: listed (its disk bills), never asked for metrics.
    const stopped = a.hosts.find((h) => h.name === 'stopped-one')!;
    expect(stopped).toMatchObject({ state: 'stopped', tags: { 'gcp:status': 'TERMINATED' } });
    expect(a.series.some((s) => s.subjectId === stopped.id)).toBe(false);
    const web1 = a.hosts.find((h) => h.name === 'web-1')!;
    expect(web1).toMatchObject({
      provider: 'gcp',
      region: 'us-central1',
      zone: 'us-central1-a',
      instanceType: 'e2-standard-4',
      state: 'running',
      vcpu: 4,
      memoryMiB: 16384,
      tags: { role: 'web', 'gcp:project': PROJECT },
    });
    expect(web1.id).toMatch(/^\d{19}$/);
    expect(a.groups).toHaveLength(1);
    expect(a.groups[0]).toMatchObject({
      name: 'web',
      region: 'us-central1',
      minSize: 2,
      maxSize: 8,
      desiredCapacity: 3,
    });
    expect(a.groups[0]!.memberIds.sort()).toEqual(
      a.hosts
        .filter((h) => h.name.startsWith('web-'))
        .map((h) => h.id)
        .sort(),
    );
    expect(web1.groupId).toBe(a.groups[0]!.id);
    expect(a.volumes.find((v) => v.attachedTo[0]?.hostId === web1.id)).toMatchObject({
      sizeGiB: 20,
      zone: 'us-central1-a',
      type: 'pd-balanced',
    });
    const db = a.hosts.find((h) => h.name === 'db-1')!;
    expect(db.volumeIds).toEqual([`${OTHER}/europe-west1-b/db-1`, `${OTHER}/europe-west1-b/db-data`]);
    expect(a.volumes.find((v) => v.id === `${OTHER}/europe-west1-b/db-data`)).toMatchObject({
      type: 'hyperdisk-balanced',
      sizeGiB: 500,
      iops: 10000,
      throughputMiBps: 280,
      attachedTo: [{ hostId: db.id, device: 'db-data' }],
    });
    expect(a.gaps).toEqual([]);
  });

  it('takes machine types from the API for the zones in use, priced from the bundled catalog', async () => {
    const e2 = a.instanceTypes.find((t) => t.name === 'e2-standard-4')!;
    expect(e2).toMatchObject({ provider: 'gcp', vcpu: 4, memoryMiB: 16384, source: 'api' });
    expect(e2.priceUsdPerHour).toBeGreaterThan(0.1);
    // The stopped VM's type too: its specs are shown beside it.
    expect(a.instanceTypes.map((t) => t.name).sort()).toEqual(
      ['c3-standard-4', 'e2-medium', 'e2-standard-4', 'n2-highmem-4', 'n2-standard-8'].sort(),
    );
    const calls = normal.requests.filter((r) => r.method === 'machineTypes.list');
    expect(calls).toHaveLength(3); // us-central1-a, us-central1-b, europe-west1-b
  });

  it('maps metrics to our names and units', async () => {
    const cpu = seriesOf(a, 'web-1', 'cpu.util')!;
    expect(cpu.unit).toBe('percent');
    expect(pointsFromColumns(cpu)).toHaveLength(576);
    expect(mean(pointsFromColumns(cpu))).toBeCloseTo(30, 0);
    expect(mean(pointsFromColumns(seriesOf(a, 'batch-hot', 'cpu.util.max')!))).toBeGreaterThan(95);
    expect(mean(pointsFromColumns(seriesOf(a, 'idle-box', 'cpu.util')!))).toBeLessThan(1.5);
    // 120 read IOPS, 3 MiB/s, summed over the VM's disks; ALIGN_RATE gives per second.
    expect(mean(pointsFromColumns(seriesOf(a, 'web-1', 'disk.read.ops')!))).toBeCloseTo(120, 0);
    expect(mean(pointsFromColumns(seriesOf(a, 'web-1', 'disk.read.bytes')!)) / 1048576).toBeCloseTo(3, 1);
    expect(mean(pointsFromColumns(seriesOf(a, 'web-1', 'net.out.packets')!))).toBeCloseTo(
      (4 * 1048576) / 1024,
      -1,
    );
    expect(mean(pointsFromColumns(seriesOf(a, 'web-1', 'disk.queue')!))).toBeCloseTo(2, 1);
    expect(seriesOf(a, 'web-1', 'disk.latency')).toMatchObject({ unit: 'milliseconds' });
    expect(mean(pointsFromColumns(seriesOf(a, 'web-1', 'disk.latency')!))).toBeCloseTo(4, 1);
    // Ops Agent: iowait and memory; steal from the agent wins over scheduler_wait_time.
    expect(mean(pointsFromColumns(seriesOf(a, 'db-1', 'cpu.iowait')!))).toBeCloseTo(6, 0);
    expect(mean(pointsFromColumns(seriesOf(a, 'db-1', 'mem.used')!))).toBeCloseTo(80, 0);
    expect(seriesOf(a, 'batch-hot', 'cpu.steal')!.source).toContain('agent.googleapis.com');
    // The hypervisor's stream comes after the agent's and drops what the agent gave: one steal.
    const hot = a.hosts.find((h) => h.name === 'batch-hot')!;
    expect(a.series.filter((s) => s.subjectId === hot.id && s.metric === 'cpu.steal')).toHaveLength(1);
    // E2 without an agent: steal from the hypervisor's scheduler wait (percent of the instance).
    const steal = seriesOf(a, 'web-1', 'cpu.steal')!;
    expect(steal.source).toContain('scheduler_wait_time');
    expect(mean(pointsFromColumns(steal))).toBeLessThan(0.5);
    expect(seriesOf(a, 'idle-box', 'cpu.steal')).toBeUndefined();
  });

  it('names its blind spots: memory/iowait/steal without the agent, never a burst balance', async () => {
    const id = (name: string) => a.hosts.find((h) => h.name === name)!.id;
    expect(a.blindSpots[id('idle-box')]).toEqual([
      'memory',
      'iowait',
      'steal',
      'disk-queue',
      'burst-balance',
    ]);
    expect(a.blindSpots[id('web-1')]).toEqual(['memory', 'iowait', 'burst-balance']);
    expect(a.blindSpots[id('db-1')]).toEqual(['disk-queue', 'burst-balance']);
  });

  it('makes exactly the minimum number of calls on a normal run, one filter per metric type and project', async () => {
    expect(a.apiCalls.made).toBe(a.apiCalls.minimum);
    expect(a.apiCalls.retries).toBe(0);
    const series = normal.requests.filter((r) => r.method === 'timeSeries.list');
    expect(series).toHaveLength(2 * 15);
    expect(new Set(series.map((r) => `${r.project} ${r.metricType}`)).size).toBe(2 * 14);
    expect(a.apiCalls.byOperation['compute.instances.aggregatedList']).toMatchObject({ made: 2, minimum: 2 });
    expect(normal.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });
});

describe('gcp adapter when things go wrong', () => {
  it('follows pages, a series continuing on the next page, until nextPageToken is empty', async () => {
    // The mock's page cap lowered to 1,000 points (the real one is 100,000, which §6's minimum assumes).
    mock = await startGcpMock({ scenario: gcpScenario(), now: () => nowMs, pagePoints: 1000 });
    const adapter = createGcpAdapter({ accessToken: TOKEN });
    const a = await collectProvider(
      adapter,
      { projects: [PROJECT], endpoint: mock.endpoint, labels: {} },
      oneDay,
      silentLogger,
    );
    const cpuPages = mock.requests.filter(
      (r) => r.metricType === 'compute.googleapis.com/instance/cpu/utilization' && r.status === 200,
    );
    // 5 running VMs × 288 points = 1,440 points per aligner: 2 pages each.
    expect(cpuPages).toHaveLength(4);
    expect(cpuPages.map((r) => r.points).sort((x, y) => y! - x!)).toEqual([1000, 1000, 440, 440]);
    for (const name of ['web-1', 'web-2', 'web-3', 'idle-box', 'batch-hot']) {
      const cpu = seriesOf(a, name, 'cpu.util')!;
      expect(pointsFromColumns(cpu)).toHaveLength(288);
      expect(new Set(pointsFromColumns(cpu).map(([t]) => t)).size).toBe(288);
    }
    expect(a.gaps).toEqual([]);
  });

  it('retries a 429 once it is told to (Retry-After), and counts it', async () => {
    const a = await run({
      faults: [
        {
          kind: 'throttle',
          method: 'timeSeries.list',
          project: PROJECT,
          metricType: 'compute.googleapis.com/instance/cpu/utilization',
          nth: 1,
        },
      ],
    });
    expect(a.gaps).toEqual([]);
    expect(a.apiCalls.retries).toBe(1);
    expect(a.apiCalls.made).toBe(a.apiCalls.minimum);
    expect(mock!.requests.filter((r) => r.status === 429)).toHaveLength(1);
  });

  it("retries Compute's 403 rateLimitExceeded as throttling, with no bearer token (PassThroughClient)", async () => {
    const clock = virtualClock(nowMs);
    mock = await startGcpMock({
      scenario: gcpScenario({
        accessToken: undefined,
        faults: [{ kind: 'throttle', method: 'instances.aggregatedList', project: OTHER }],
      }),
      now: () => nowMs,
      limitsClockMs: clock.now,
    });
    const a = await collectProvider(
      createGcpAdapter(),
      { projects: [PROJECT, OTHER], endpoint: mock.endpoint, labels: {} },
      oneDay,
      silentLogger,
      undefined,
      { clock },
    );
    expect(a.gaps).toEqual([]);
    expect(a.hosts).toHaveLength(7);
    expect(a.apiCalls.byOperation['compute.instances.aggregatedList']).toMatchObject({
      made: 2,
      minimum: 2,
      retries: 1,
    });
    expect(mock.requests.filter((r) => r.status === 403)).toHaveLength(1);
    expect(mock.requests.some((r) => r.authorization)).toBe(false);
  });

  it('a 503 storm on one metric becomes a one-line gap naming the provider; the rest is complete', async () => {
    const a = await run({
      faults: [
        {
          kind: 'server-error',
          method: 'timeSeries.list',
          metricType: 'compute.googleapis.com/instance/network/sent_bytes_count',
          times: 'always',
        },
      ],
    });
    expect(a.gaps.length).toBe(2);
    for (const gap of a.gaps) {
      expect(gap).toMatchObject({ provider: 'gcp', kind: 'unavailable' });
      expect(gap.message).toMatch(
        /^gcp monitoring\.timeSeries\.list network\.sent_bytes_count \(\S+\): unavailable: HTTP 503 UNAVAILABLE/,
      );
      expect(gap.message).not.toContain('\n');
    }
    expect(seriesOf(a, 'web-1', 'cpu.util')).toBeDefined();
    expect(seriesOf(a, 'web-1', 'net.out.bytes')).toBeUndefined();
    // One retry layer: call()'s four attempts per project, gax's own retry off.
    expect(mock!.requests.filter((r) => r.status === 503 && r.project === PROJECT)).toHaveLength(4);
  });

  it('bad credentials: an auth gap per project, no token in the message', async () => {
    const a = await run({}, 'wrong-secret-token-value');
    expect(a.hosts).toEqual([]);
    expect(a.gaps.map((g) => g.kind)).toEqual(['auth', 'auth']);
    expect(a.gaps[0]!.message).toMatch(
      /^gcp compute\.instances\.aggregatedList \(\S+\): auth: HTTP 401 UNAUTHENTICATED: Request had invalid/,
    );
    expect(JSON.stringify(a)).not.toContain('wrong-secret-token-value');
  });

  it('an unknown project is a not-found gap; the other project is complete', async () => {
    const a = await run({}, TOKEN, [PROJECT, 'no-such-project']);
    expect(a.gaps).toHaveLength(1);
    expect(a.gaps[0]).toMatchObject({
      provider: 'gcp',
      kind: 'not-found',
      what: 'instances in no-such-project',
    });
    expect(a.hosts).toHaveLength(6);
    // The failed listing is one call more than the minimum of what was found.
    expect(a.apiCalls.made).toBe(a.apiCalls.minimum + 1);
  });

  it('a malformed instances page is a bad-response gap', async () => {
    const a = await run({
      faults: [{ kind: 'malformed', method: 'instances.aggregatedList', project: OTHER }],
    });
    expect(a.gaps).toHaveLength(1);
    expect(a.gaps[0]).toMatchObject({ provider: 'gcp', kind: 'bad-response', what: `instances in ${OTHER}` });
    expect(a.hosts).toHaveLength(6);
  });

  it('a disks listing of the wrong shape is a gap; the instances and the project stay complete', async () => {
    const a = await run({
      faults: [{ kind: 'malformed', method: 'disks.aggregatedList', body: 'wrong-shape', times: 'always' }],
    });
    expect(a.gaps.map((g) => [g.operation, g.scope, g.kind])).toEqual([
      ['compute.disks.aggregatedList', PROJECT, 'bad-response'],
      ['compute.disks.aggregatedList', OTHER, 'bad-response'],
    ]);
    expect(a.gaps[0]!.message).toContain('not by zone or region: not an aggregated list');
    expect(a.hosts).toHaveLength(7);
    expect(a.coverage).toMatchObject({ scopes: [PROJECT, OTHER], failedScopes: [] });
  });

  it('lists a disk no instance uses, and stops an aggregated list whose page token repeats', async () => {
    const clock = virtualClock(nowMs);
    const scenario = gcpScenario({
      faults: [{ kind: 'loop', method: 'instances.aggregatedList', project: OTHER, times: 'always' }],
    });
    scenario.gcp!.projects[PROJECT]!.disks.push({
      name: 'orphan-cache',
      zone: 'us-central1-b',
      sizeGb: 300,
      type: 'pd-ssd',
      labels: {},
    });
    mock = await startGcpMock({ scenario, now: () => nowMs, limitsClockMs: clock.now });
    const config = { projects: [PROJECT, OTHER], endpoint: mock.endpoint, labels: {} };
    const a = await collectProvider(
      createGcpAdapter({ accessToken: TOKEN }),
      config,
      oneDay,
      silentLogger,
      undefined,
      {
        clock,
      },
    );
    expect(a.volumes.find((v) => v.id === `${PROJECT}/us-central1-b/orphan-cache`)).toMatchObject({
      type: 'pd-ssd',
      sizeGiB: 300,
      attachedTo: [],
    });
    expect(a.gaps).toEqual([
      expect.objectContaining({
        kind: 'bad-response',
        scope: OTHER,
        message: `gcp compute.instances.aggregatedList (${OTHER}): bad-response: page 2 gave the same next-page token as page 1; stopped instead of looping`,
      }),
    ]);
    expect(a.coverage!.failedScopes.map((f) => f.scope)).toEqual([OTHER]);
  });

  it('a machineTypes failure falls back to the bundled catalog with a gap', async () => {
    const a = await run({
      faults: [{ kind: 'permission-denied', method: 'machineTypes.list', project: OTHER }],
    });
    expect(a.gaps).toHaveLength(1);
    expect(a.gaps[0]!.message).toContain('sizing used the bundled catalog');
    expect(a.hosts.find((h) => h.name === 'db-1')!.vcpu).toBe(4);
  });
});

// The fleet reader against the REAL Prometheus (Debian's package) serving a TSDB built by promtool
// from the public captures' series relabelled as 26 instances of a fleet; a refusing Prometheus is
// the same server with a tiny --query.max-samples, and a loopback fake that answers 503.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Placement } from '../../mocks/servers/prometheus/captures.ts';
import { PrometheusOnHost } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import type { Host } from '../../src/model/index.ts';
import { virtualClock } from '../../src/net/clock.ts';
import { FINE_QUERIES } from '../../src/onhost-prometheus/queries.ts';
import { readPrometheusFleet } from '../../src/onhost-prometheus/read-fleet.ts';
import { analyzeOnHostDir } from '../../src/run/onhost.ts';
import { readOnHostPrometheus } from '../../src/run/onhost-prometheus.ts';
import { fakePrometheus, labelOf, type RunningPrometheus, SHARED_SAMPLES } from '../helpers/prometheus.ts';
import { startFleetPrometheus } from '../helpers/prometheus-fleet.ts';

const DAY_MS = 86_400_000;
const TO_MS = Date.UTC(2026, 10, 30, 0, 0, 0);
const WINDOW = { fromMs: TO_MS - 14 * DAY_MS, toMs: TO_MS };
const CAPTURES = ['cpu-saturation', 'disk-saturation', 'healthy', 'threadpool-starvation'] as const;
// Each capture's copies peak together (a fleet's daily peak), on different days.
const START_MS = CAPTURES.map((_, i) => TO_MS - (10 - 3 * i) * DAY_MS + 14 * 3_600_000 + 20 * 60_000);
type How = 'instance-id' | 'ip' | 'name';

interface FleetHost {
  host: Host;
  capture: (typeof CAPTURES)[number];
  how: How;
}

function host(id: string, name: string, privateIp: string | null): Host {
  return {
    provider: 'aws',
    id,
    name,
    region: 'us-east-1',
    zone: null,
    instanceType: 'm6i.xlarge',
    state: 'running',
    vcpu: 4,
    memoryMiB: 16384,
    launchedAtMs: null,
    groupId: null,
    volumeIds: [],
    tags: { Name: name },
    privateIp,
  };
}

// 24 hosts with series: 8 matched by instance_id, 8 by private IP, 8 by hostname; 2 with none.
const FLEET: FleetHost[] = Array.from({ length: 24 }, (_, i) => {
  const how = (['instance-id', 'ip', 'name'] as const)[i % 3]!;
  const id = `i-0f${String(i).padStart(15, '0')}`;
  return { host: host(id, `web-${i}`, `10.0.${i}.7`), capture: CAPTURES[i % 4]!, how };
});
const SILENT_HOSTS = [
  host('i-0e000000000000001', 'cold-1', '10.1.0.1'),
  host('i-0e000000000000002', 'cold-2', null),
];
const HOSTS = [...FLEET.map((f) => f.host), ...SILENT_HOSTS];

function placementOf(f: FleetHost, i: number): Placement {
  const ip = f.host.privateIp!;
  const startMs = START_MS[CAPTURES.indexOf(f.capture)]!;
  if (f.how === 'instance-id')
    return {
      capture: f.capture,
      nodeInstance: `node-${i}.internal:9100`,
      startMs,
      labels: { instance_id: f.host.id },
    };
  if (f.how === 'ip') return { capture: f.capture, nodeInstance: `${ip}:9100`, startMs };
  return {
    capture: f.capture,
    nodeInstance: `node-${i}.internal:9100`,
    startMs,
    labels: { nodename: `${f.host.name}.internal` },
  };
}
// A stale target that belongs to no listed host.
const STALE: Placement = { capture: 'healthy', nodeInstance: '10.9.9.9:9100', startMs: START_MS[2]! };
const PLACEMENTS = [...FLEET.map(placementOf), STALE];

const config = (url: string, extra: Record<string, unknown> = {}) =>
  PrometheusOnHost.parse({ url, ...extra });

let prom: RunningPrometheus | undefined;
let refusing: RunningPrometheus | undefined;
let startError: unknown;
beforeAll(async () => {
  try {
    prom = await startFleetPrometheus(PLACEMENTS);
    refusing = await startFleetPrometheus(PLACEMENTS, { flags: ['--query.max-samples=2000'] });
  } catch (error) {
    startError = error;
  }
});
afterAll(async () => {
  await prom?.stop();
  await refusing?.stop();
});
function urlOf(p: RunningPrometheus | undefined): string {
  if (startError) throw startError;
  return p!.url;
}

let shared: Promise<Awaited<ReturnType<typeof readPrometheusFleet>>> | undefined;
/** The default read, once: several tests look at it. */
function defaultRead() {
  shared ??= readPrometheusFleet(config(urlOf(prom)), HOSTS, WINDOW, {
    log: silentLogger,
    clock: virtualClock(TO_MS),
  });
  return shared;
}

describe('readPrometheusFleet against a real Prometheus', () => {
  it('matches series to hosts by instance id, private IP and hostname, and lists what matches nothing', async () => {
    const read = await defaultRead();
    const by = Object.fromEntries(read.match.matched.map((m) => [m.host.id, m.by]));
    expect(by).toEqual(Object.fromEntries(FLEET.map((f) => [f.host.id, f.how])));
    expect(read.match.unmatchedHosts.map((h) => h.id)).toEqual(SILENT_HOSTS.map((h) => h.id));
    expect(read.match.unmatchedSeries.map((u) => u.machine.address)).toEqual(['10.9.9.9']);
    expect(read.gaps).toEqual([]);
  });

  it('reads coarse then fine: one query per signal, one set per busiest window, and makes exactly the minimum', async () => {
    const read = await defaultRead();
    // 14 days fit one query per signal at 120 s; the four capture days are four busiest windows.
    expect(read.plan).toMatchObject({ coarseStepSec: 120, splits: 1, windows: 4, coarse: 4 });
    expect(read.calls.made).toBe(read.calls.minimum);
    expect(read.calls.byOperation['coarse.query_range']).toMatchObject({ made: 4, minimum: 4 });
    expect(read.calls.byOperation['fine.scrape-interval']).toMatchObject({ made: 4, minimum: 4 });
    const fine = read.calls.byOperation['fine.query_range']!;
    expect(fine.made).toBe(fine.minimum);
    expect(fine.made).toBeLessThanOrEqual(4 * FINE_QUERIES.length);
    // Each host's fine window is 3 h around its capture.
    for (const h of read.hosts) {
      const start = START_MS[CAPTURES.indexOf(FLEET.find((f) => f.host.id === h.host.id)!.capture)]!;
      expect(h.window!.toMs - h.window!.fromMs).toBe(3 * 3_600_000);
      expect(h.window!.fromMs).toBeLessThanOrEqual(start);
      expect(h.window!.toMs).toBeGreaterThan(start + 120_000);
    }
  });

  it('splits the whole-window queries by time only where a series would pass 11,000 points, under the qps cap', async () => {
    const clock = virtualClock(TO_MS);
    const read = await readPrometheusFleet(
      config(urlOf(prom), { coarseStepSec: 60, queriesPerSec: 2, concurrency: 1 }),
      HOSTS,
      WINDOW,
      { log: silentLogger, clock },
    );
    // 14 days at 60 s is 20,161 points: two pieces per signal.
    expect(read.plan).toMatchObject({ coarseStepSec: 60, splits: 2, coarse: 8 });
    expect(read.calls.made).toBe(read.calls.minimum);
    expect(read.match.matched).toHaveLength(24);
    // At 2 a second, n queries take at least (n - 2) / 2 s of the clock: the first second holds 2.
    expect(clock.now() - TO_MS).toBeGreaterThanOrEqual(((read.calls.made - 2) / 2) * 1000);
  });

  it('a Prometheus that refuses queries (too many samples) gives prometheus gaps and the run goes on', async () => {
    const read = await readPrometheusFleet(config(urlOf(refusing)), HOSTS, WINDOW, {
      log: silentLogger,
      clock: virtualClock(TO_MS),
    });
    expect(read.gaps.length).toBeGreaterThan(0);
    expect(read.gaps.every((g) => g.provider === 'prometheus' && g.kind === 'bad-response')).toBe(true);
    expect(read.gaps.some((g) => /too many samples/.test(g.message))).toBe(true);
    expect(read.match.matched).toHaveLength(24);
    expect(read.calls.made).toBe(read.calls.minimum);
  });

  it('a Prometheus answering 503 gives unavailable gaps after its retries, on the injected clock', async () => {
    const fake = await fakePrometheus((path) =>
      path.endsWith('/values')
        ? { status: 200, body: JSON.stringify({ status: 'success', data: ['node_load1', 'up'] }) }
        : path.endsWith('/series')
          ? {
              status: 200,
              body: JSON.stringify({
                status: 'success',
                data: [{ __name__: 'up', job: 'node', instance: '10.0.1.7:9100' }],
              }),
            }
          : { status: 503, body: 'overloaded' },
    );
    try {
      const clock = virtualClock(TO_MS);
      const read = await readPrometheusFleet(config(fake.url), HOSTS, WINDOW, { log: silentLogger, clock });
      expect(read.gaps.map((g) => [g.what, g.kind])).toEqual([
        ['prometheus load for the fleet', 'unavailable'],
      ]);
      expect(read.calls.byOperation['coarse.query_range']).toMatchObject({ made: 1, retries: 1, failed: 1 });
      expect(read.match.matched.map((m) => m.host.id)).toEqual([FLEET[1]!.host.id]);
    } finally {
      await fake.close();
    }
  });
});

let judgedShared: ReturnType<typeof readOnHostPrometheus> | undefined;
/** The default verdicts, once: two tests look at them. */
function defaultVerdicts() {
  judgedShared ??= readOnHostPrometheus([config(urlOf(prom))], HOSTS, WINDOW, new Set(), [], {
    log: silentLogger,
    clock: virtualClock(TO_MS),
  });
  return judgedShared;
}

describe('the same verdicts from Prometheus as from the folders', () => {
  it('gives each host the primary class its capture folder gives, and says it came from Prometheus', async () => {
    const { judged, reads } = await defaultVerdicts();
    expect(judged).toHaveLength(24);
    const folderClass = new Map<string, string>();
    for (const capture of CAPTURES) {
      const folder = await analyzeOnHostDir(join(SHARED_SAMPLES, capture));
      folderClass.set(capture, folder.classification.primary);
      expect(folder.classification.primary).toBe((await labelOf(capture)).primary);
    }
    for (const j of judged) {
      const capture = FLEET.find((f) => f.host.id === j.host.id)!.capture;
      expect([j.host.id, j.result.classification.primary]).toEqual([j.host.id, folderClass.get(capture)]);
      expect(j.result.source).toContain(urlOf(prom));
    }
    expect(reads[0]!.hostsJudged).toBe(24);
    expect(reads[0]!.apiCalls.made).toBe(reads[0]!.apiCalls.minimum);
  });

  it('without the app job the verdict says so and its confidence drops; folder hosts are not fetched', async () => {
    const url = urlOf(prom);
    const withApp = await defaultVerdicts();
    const skip = new Set([FLEET[0]!.host.id]);
    const noApp = await readOnHostPrometheus([config(url, { appJob: 'absent' })], HOSTS, WINDOW, skip, [], {
      log: silentLogger,
      clock: virtualClock(TO_MS),
    });
    expect(noApp.judged.map((j) => j.host.id)).not.toContain(FLEET[0]!.host.id);
    expect(noApp.reads[0]!.unmatchedHosts).not.toContain(FLEET[0]!.host.id);
    const healthy = FLEET.find((f) => f.capture === 'cpu-saturation' && f.host.id !== FLEET[0]!.host.id)!.host
      .id;
    const before = withApp.judged.find((j) => j.host.id === healthy)!;
    const after = noApp.judged.find((j) => j.host.id === healthy)!;
    expect(after.missing).toEqual(['no absent job: no pool or loop signal']);
    expect(after.result.classification.confidenceReasons).toContain('no absent job: no pool or loop signal');
    expect(after.result.classification.confidence).toBeLessThan(before.result.classification.confidence);
  });
});

// The demo's Prometheus mock answers the fleet reader as the REAL Prometheus does: the same
// placements served by both (promtool-built TSDB vs the mock), the same plan, series and verdicts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Placement, placedSeries } from '../../mocks/servers/prometheus/captures.ts';
import { loadScenarioPlacements } from '../../mocks/servers/prometheus/targets.ts';
import { startPrometheusMock } from '../../mocks/servers/prometheus.ts';
import { PrometheusOnHost } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import type { Host } from '../../src/model/index.ts';
import { virtualClock } from '../../src/net/clock.ts';
import { readPrometheusFleet } from '../../src/onhost-prometheus/read-fleet.ts';
import { readOnHostPrometheus } from '../../src/run/onhost-prometheus.ts';
import type { RunningPrometheus } from '../helpers/prometheus.ts';
import { startFleetPrometheus } from '../helpers/prometheus-fleet.ts';

const DAY_MS = 86_400_000;
const TO_MS = Date.UTC(2026, 10, 30);
const WINDOW = { fromMs: TO_MS - 14 * DAY_MS, toMs: TO_MS };
const CAPTURES = ['cpu-saturation', 'disk-saturation', 'healthy', 'threadpool-starvation'] as const;
const PLACEMENTS: Placement[] = CAPTURES.flatMap((capture, c) =>
  [0, 1].map((n) => ({
    capture,
    nodeInstance: `10.0.${c}.${n + 1}:9100`,
    startMs: TO_MS - (2 + 3 * c) * DAY_MS + 13 * 3_600_000,
    labels: { instance_id: `i-${c}${n}` },
    withoutApp: n === 1 && capture === 'healthy',
  })),
);
const HOSTS: Host[] = PLACEMENTS.map((p) => ({
  provider: 'aws',
  id: p.labels!.instance_id!,
  name: p.labels!.instance_id!,
  region: 'r',
  zone: null,
  instanceType: 'm6i.large',
  state: 'running',
  vcpu: 2,
  memoryMiB: 8192,
  launchedAtMs: null,
  groupId: null,
  volumeIds: [],
  tags: {},
}));

let real: RunningPrometheus | undefined;
let mock: Awaited<ReturnType<typeof startPrometheusMock>> | undefined;
beforeAll(async () => {
  mock = await startPrometheusMock(placedSeries(PLACEMENTS));
  real = await startFleetPrometheus(PLACEMENTS);
});
afterAll(async () => {
  await real?.stop();
  await mock?.close();
});

const read = (url: string) =>
  readPrometheusFleet(PrometheusOnHost.parse({ url }), HOSTS, WINDOW, {
    log: silentLogger,
    clock: virtualClock(TO_MS),
  });

describe('the Prometheus mock against the real Prometheus', () => {
  it('gives the same plan, windows and series, point for point', async () => {
    const [fromReal, fromMock] = await Promise.all([read(real!.url), read(mock!.endpoint)]);
    expect(fromMock.plan).toEqual(fromReal.plan);
    expect(fromMock.calls.made).toBe(fromReal.calls.made);
    expect(fromMock.samples).toBe(fromReal.samples);
    expect(fromMock.match.matched.map((m) => [m.host.id, m.by])).toEqual(
      fromReal.match.matched.map((m) => [m.host.id, m.by]),
    );
    for (const [i, host] of fromReal.hosts.entries()) {
      const other = fromMock.hosts[i]!;
      expect(other.window).toEqual(host.window);
      expect(Object.keys(other.samples.prometheus!).sort()).toEqual(
        Object.keys(host.samples.prometheus!).sort(),
      );
      for (const [key, entry] of Object.entries(host.samples.prometheus!)) {
        const theirs = other.samples.prometheus![key]!;
        expect(theirs.series.map((s) => s.labels)).toEqual(entry.series.map((s) => s.labels));
        entry.series.forEach((s, j) => {
          expect(theirs.series[j]!.timesMs).toEqual(s.timesMs);
          for (const [k, v] of theirs.series[j]!.values.entries()) expect(v).toBeCloseTo(s.values[k]!, 6);
        });
      }
    }
  });

  it('gives the same verdicts', async () => {
    const judge = (url: string) =>
      readOnHostPrometheus([PrometheusOnHost.parse({ url })], HOSTS, WINDOW, new Set(), [], {
        log: silentLogger,
        clock: virtualClock(TO_MS),
      });
    const [fromReal, fromMock] = await Promise.all([judge(real!.url), judge(mock!.endpoint)]);
    const verdicts = (r: typeof fromReal) =>
      r.judged.map((j) => [j.host.id, j.result.classification.primary, j.result.classification.confidence]);
    expect(verdicts(fromMock)).toEqual(verdicts(fromReal));
  });

  it("answers as the real one does where the reader asks too much: Prometheus' 11,000 points", async () => {
    const params = new URLSearchParams({ query: 'node_load1', start: '0', end: '11001', step: '1s' });
    const answers = await Promise.all(
      [real!.url, mock!.endpoint].map(async (url) => {
        const response = await fetch(`${url}/api/v1/query_range?${params}`);
        return { status: response.status, body: await response.json() };
      }),
    );
    expect(answers[1]).toEqual(answers[0]);
  });

  it('places the demo scenario inside the last 14 days of any run', () => {
    const nowMs = Date.UTC(2027, 0, 1, 3, 0);
    const placements = loadScenarioPlacements('demo', nowMs)!;
    expect(placements.length).toBeGreaterThanOrEqual(20);
    for (const p of placements) {
      expect(p.startMs).toBeGreaterThan(nowMs - 14 * DAY_MS);
      expect(p.startMs + 300_000).toBeLessThan(nowMs);
    }
  });
});

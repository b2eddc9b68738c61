// Issue 12 point 3.1: the GCP minimum is computed from the inventory, and the calls made equal it at
// every size: the planning arithmetic at 200 VMs × 14 days × 5 min (pages of 100,000 points, page
// boundaries crossed), and end to end through the real client against the mock at 200 VMs with
// the page cap lowered so each stream crosses page boundaries, with and without failing calls.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario } from '../../../mocks/scenarios/schema.ts';
import { type GcpMock, startGcpMock } from '../../../mocks/servers/gcp.ts';
import { createGcpAdapter, minimumGcpCalls } from '../../../providers/gcp/index.ts';
import { QUERIES, seriesPerHostOf } from '../../../providers/gcp/metrics.ts';
import { chunkHosts, hostsPerRequest, pointsPerSeries, requestsFor } from '../../../providers/gcp/plan.ts';
import type { MetricWindow } from '../../../providers/types.ts';
import { silentLogger } from '../../../src/log.ts';
import { virtualClock } from '../../../src/net/clock.ts';
import { collectProvider } from '../../../src/run/collect.ts';
import { dayMs, nowMs, TOKEN } from './fixtures.ts';

const PROJECT = 'scale-gcp-test';
const fourteenDays: MetricWindow = { fromMs: nowMs - 14 * dayMs, toMs: nowMs, stepSec: 300 };

const timeSeriesCalls = (calls: Record<string, number>) =>
  Object.entries(calls)
    .filter(([op]) => op.startsWith('monitoring.timeSeries.list'))
    .reduce((sum, [, n]) => sum + n, 0);

describe('the timeSeries.list plan', () => {
  it('at 200 VMs × 14 days × 5 min: 9 one-page requests per stream (18 for the agent CPU states), §6 pages', () => {
    const calls = minimumGcpCalls(fourteenDays, {
      instances: { [PROJECT]: 200 },
      'metric-instances': { [PROJECT]: 200 },
    });
    // 200 × 4,032 = 806,400 points per one-series stream: ⌈/100,000⌉ = 9 pages, as providers.md §6 says.
    expect(calls['monitoring.timeSeries.list cpu.utilization.mean']).toBe(9);
    expect(calls['monitoring.timeSeries.list agent.cpu.utilization']).toBe(17);
    expect(timeSeriesCalls(calls)).toBe(14 * 9 + 17);
    for (const query of QUERIES) {
      const chunks = chunkHosts(
        Array.from({ length: 200 }, (_, i) => i),
        seriesPerHostOf(query),
        fourteenDays,
      );
      expect(chunks).toHaveLength(calls[`monitoring.timeSeries.list ${query.key}`]!);
      // Every request's answer fits one page, so no request needs a second call.
      for (const chunk of chunks)
        expect(chunk.length * seriesPerHostOf(query) * pointsPerSeries(fourteenDays)).toBeLessThanOrEqual(
          100_000,
        );
    }
  });

  it('covers every VM once, each request within one page, for any fleet and window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(60, 300, 3600),
        (hosts, seriesPerHost, days, stepSec) => {
          const window = { fromMs: nowMs - days * dayMs, toMs: nowMs, stepSec };
          const ids = Array.from({ length: hosts }, (_, i) => i);
          const chunks = chunkHosts(ids, seriesPerHost, window);
          expect(chunks.flat()).toEqual(ids);
          expect(chunks).toHaveLength(requestsFor(hosts, seriesPerHost, window));
          const perHost = seriesPerHost * pointsPerSeries(window);
          // One VM whose series alone exceed a page is the only case a request pages.
          if (perHost <= 100_000)
            for (const c of chunks) expect(c.length * perHost).toBeLessThanOrEqual(100_000);
          expect(hostsPerRequest(seriesPerHost, window)).toBeGreaterThanOrEqual(1);
        },
      ),
    );
  });
});

/** `count` running VMs in one project: every third an E2 (scheduler wait), every fifth with the Ops Agent. */
function scaleScenario(count: number, faults: unknown[] = []) {
  return parseScenario({
    name: 'gcp-scale',
    gcp: {
      accessToken: TOKEN,
      projects: {
        [PROJECT]: {
          instances: Array.from({ length: count }, (_, n) => ({
            name: `vm-${n}`,
            zone: 'us-central1-a',
            machineType: n % 3 === 0 ? 'e2-standard-4' : 'n2-standard-4',
            cpu: 20 + (n % 50),
            ...(n % 5 === 0 ? { agent: { memUsedPct: 60, iowaitPct: 2, stealPct: 0 } } : {}),
          })),
        },
      },
      faults,
    },
  });
}

describe('200 VMs through the real client, pages crossed', () => {
  let mock: GcpMock | undefined;
  afterEach(async () => {
    await mock?.close();
    mock = undefined;
  });

  // One day of hourly points, 1,000-point pages (mock and adapter alike): 25 planned points per
  // series, 40 VMs a request, so 200 VMs take 5 requests per stream, where one page would not hold them.
  const day: MetricWindow = { fromMs: nowMs - dayMs, toMs: nowMs, stepSec: 3600 };
  async function run(faults: unknown[] = []) {
    const clock = virtualClock(nowMs);
    mock = await startGcpMock({
      scenario: scaleScenario(200, faults),
      now: () => nowMs,
      limitsClockMs: clock.now,
      pagePoints: 1000,
    });
    const adapter = createGcpAdapter({ accessToken: TOKEN, pagePoints: 1000 });
    return collectProvider(
      adapter,
      { projects: [PROJECT], endpoint: mock.endpoint, labels: {} },
      day,
      silentLogger,
      undefined,
      {
        clock,
      },
    );
  }

  it('makes exactly the minimum, which the plan knew before the first call', async () => {
    const a = await run();
    expect(a.gaps).toEqual([]);
    expect(a.hosts).toHaveLength(200);
    const ops = a.apiCalls.byOperation;
    expect(ops['monitoring.timeSeries.list cpu.utilization.mean']).toMatchObject({ made: 5, minimum: 5 });
    // Only every fifth VM has the agent: its streams still cost what the plan said (5 and 10).
    expect(ops['monitoring.timeSeries.list agent.memory.percent_used']).toMatchObject({
      made: 5,
      minimum: 5,
    });
    expect(ops['monitoring.timeSeries.list agent.cpu.utilization']).toMatchObject({ made: 10, minimum: 10 });
    expect(a.apiCalls.made).toBe(a.apiCalls.minimum);
    expect(a.apiCalls.retries).toBe(0);
    const served = mock!.requests.filter((r) => r.method === 'timeSeries.list');
    expect(served).toHaveLength(14 * 5 + 10);
    // Each request fit one page: none was cut.
    expect(served.every((r) => (r.points ?? 0) <= 1000)).toBe(true);
    const host = a.hosts.find((h) => h.name === 'vm-199')!;
    const cpu = a.series.find((s) => s.subjectId === host.id && s.metric === 'cpu.util')!;
    expect(cpu.values.filter((v) => !Number.isNaN(v))).toHaveLength(24);
  });

  it('a stream that always fails keeps the minimum: made = minimum, one gap naming the VMs it lost', async () => {
    const a = await run([
      {
        kind: 'server-error',
        method: 'timeSeries.list',
        metricType: 'compute.googleapis.com/instance/network/sent_bytes_count',
        times: 'always',
      },
    ]);
    const op = a.apiCalls.byOperation['monitoring.timeSeries.list network.sent_bytes_count']!;
    expect(op).toMatchObject({ made: 5, minimum: 5, failed: 5, retries: 15 });
    expect(a.apiCalls.made).toBe(a.apiCalls.minimum);
    expect(a.gaps).toHaveLength(1);
    expect(a.gaps[0]!.message).toContain('no network.sent_bytes_count data for 200 instances');
  });
});

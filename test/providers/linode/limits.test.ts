// Rates and retries: the real client paced by call() at the declared limit against the mock's
// token buckets, a 429 waited out, and two adapters at once. Both sides run on one virtual clock
// (harness.ts): the windows and Retry-Afters below cost no real time, on any machine.
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../mocks/scenarios/schema.ts';
import { startLinodeMock } from '../../../mocks/servers/linode.ts';
import { createLinodeAdapter } from '../../../providers/linode/index.ts';
import { silentLogger } from '../../../src/log.ts';
import { collectProvider } from '../../../src/run/collect.ts';
import { collect, currentClock, fastRetries, fleet, nowMs, start, TOKEN, window } from './harness.ts';

describe('linode adapter under rate limits', () => {
  it('retries a 429 after its Retry-After and counts it', async () => {
    const m = await start({ ...fleet, faults: [{ kind: 'throttle', operation: 'stats', nth: 2 }] });
    const result = await collect();
    expect(m.requests.filter((r) => r.status === 429)).toHaveLength(1);
    const stats = result.apiCalls.byOperation['linode.getLinodeStatsByDate']!;
    expect(stats).toMatchObject({ made: 6, retries: 1, failed: 0, minimum: 6 });
    expect(result.gaps).toEqual([]);
  });

  it('keeps to a lowered stats limit when declaring the same rate, so the mock never answers 429', async () => {
    // The published 50 a minute scaled down to 5 per 250 ms: 24 stats calls cross four windows.
    const nodes = Array.from({ length: 12 }, (_, i) => ({
      id: 42000000 + i,
      label: `node-${i}`,
      type: 'g6-nanode-1',
      region: i % 2 ? 'us-east' : 'eu-central',
    }));
    const m = await start({ instances: nodes }, { rateLimits: { stats: 5, windowSec: 0.25 } });
    const started = currentClock().now();
    const result = await collect({}, TOKEN, (adapter) => ({
      ...fastRetries(adapter),
      limits: {
        ...adapter.limits,
        'linode.stats': { ...adapter.limits['linode.stats']!, requestsPerInterval: 5, intervalMs: 250 },
      },
    }));
    expect(result.apiCalls.byOperation['linode.getLinodeStatsByDate']).toMatchObject({
      made: 24,
      retries: 0,
    });
    // 5 per window: the 21st to 24th calls start in the fifth window, 1 s of the clock after the first.
    expect(currentClock().now() - started).toBeGreaterThanOrEqual(4 * 250);
    expect(m.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
  });

  it('waits out the mock’s 429 when the mock allows fewer calls than declared', async () => {
    const m = await start(fleet, { rateLimits: { stats: 3, windowSec: 1 } });
    const result = await collect();
    const throttled = m.requests.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    const stats = result.apiCalls.byOperation['linode.getLinodeStatsByDate']!;
    expect(stats).toMatchObject({ made: 6, failed: 0, minimum: 6 });
    expect(stats.retries).toBe(throttled.length);
    expect(result.gaps).toEqual([]);
  });

  it('keeps two adapters with different tokens and endpoints apart, at the same time', async () => {
    const small = { instances: [fleet.instances[1]!] };
    const [a, b] = await Promise.all([
      startLinodeMock({
        scenario: parseScenario({ name: 'a', linode: { ...small, token: 'token-a' } }),
        now: () => nowMs,
      }),
      startLinodeMock({
        scenario: parseScenario({ name: 'b', linode: { ...fleet, token: 'token-b' } }),
        now: () => nowMs,
      }),
    ]);
    try {
      const [ra, rb] = await Promise.all([
        collectProvider(
          createLinodeAdapter({ token: 'token-a' }),
          { tags: [], endpoint: a.endpoint },
          window,
          silentLogger,
        ),
        collectProvider(
          createLinodeAdapter({ token: 'token-b' }),
          { tags: [], endpoint: b.endpoint },
          window,
          silentLogger,
        ),
      ]);
      expect([ra.hosts.length, rb.hosts.length]).toEqual([1, 4]);
      expect([...ra.gaps, ...rb.gaps]).toEqual([]);
      expect([...a.requests, ...b.requests].every((r) => r.status === 200)).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

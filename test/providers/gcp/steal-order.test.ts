// GCP hands each request's series on as soon as it is read, yet keeps one steal per VM: the agent's
// (the guest's own view) where there is one, else the hypervisor's scheduler wait. That holds
// whichever answer comes back first, because the hypervisor's stream is asked only once the
// agent's CPU stream is in: here the agent's answer waits for every other stream's.
import { describe, expect, it } from 'vitest';
import type { GcpClients } from '../../../providers/gcp/clients.ts';
import { fetchMetrics, QUERIES } from '../../../providers/gcp/metrics.ts';
import type { ProviderContext } from '../../../providers/types.ts';
import { GcpConfig } from '../../../src/config/schema.ts';
import { silentLogger } from '../../../src/log.ts';
import type { Host, MetricSeries } from '../../../src/model/index.ts';
import { realClock } from '../../../src/net/clock.ts';

const WINDOW = { fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 0, 1, 1), stepSec: 300 };
const PROJECT = 'shop-prod';

function host(id: string): Host {
  return {
    provider: 'gcp',
    id,
    name: `vm-${id}`,
    region: 'us-central1',
    zone: 'us-central1-a',
    instanceType: 'e2-standard-4',
    state: 'running',
    vcpu: 4,
    memoryMiB: 16_384,
    launchedAtMs: 0,
    groupId: null,
    volumeIds: [],
    tags: { 'gcp:project': PROJECT },
  };
}

/** A page of one series per asked VM and label set, twelve 5-minute points of `value`. */
function page(ids: readonly string[], labels: Record<string, string>, value: number) {
  return {
    timeSeries: ids.map((id) => ({
      metric: { labels },
      resource: { labels: { instance_id: id } },
      points: Array.from({ length: 12 }, (_, i) => ({
        interval: { endTime: new Date(WINDOW.fromMs + (i + 1) * 300_000).toISOString() },
        value: { doubleValue: value },
      })),
    })),
  };
}

describe('GCP steal, series handed on per request', () => {
  it("keeps the agent's steal where both report it, the hypervisor's where only it does", async () => {
    const withAgent = '1001';
    const withoutAgent = '1002';
    const order: string[] = [];
    // The agent's answer waits until every other stream (the hypervisor's aside) has answered.
    let others = 0;
    let othersIn!: () => void;
    const allOthersIn = new Promise<void>((resolve) => {
      othersIn = resolve;
    });
    const clients = {
      monitoringJson: async (path: string) => {
        const filter = new URLSearchParams(path.split('?')[1]).get('filter')!;
        const ids = [...filter.matchAll(/"(\d+)"/g)].map((m) => m[1]!);
        if (filter.includes('agent.googleapis.com/cpu/utilization')) {
          // The slowest answer of the run: every stream that can be in is in before it.
          await allOthersIn;
          order.push('agent');
          return page(
            ids.filter((id) => id === withAgent),
            { cpu_state: 'steal' },
            2,
          );
        }
        if (filter.includes('scheduler_wait_time')) {
          order.push('hypervisor');
          // 0.8 vCPU-seconds of wait a second over 4 vCPUs: 20 %.
          return page(ids, {}, 0.8);
        }
        if (++others === QUERIES.length - 2) othersIn();
        return {};
      },
    } as unknown as GcpClients;
    const emitted: MetricSeries[] = [];
    const ctx: ProviderContext<GcpConfig> = {
      config: GcpConfig.parse({ projects: [PROJECT] }),
      // Straight through: no limits or retries to wait on, the answers' order is the fake's.
      call: Object.assign(
        <T>(_request: unknown, fn: (signal: AbortSignal) => Promise<T>) => fn(new AbortController().signal),
        { stats: () => ({}) },
      ),
      log: silentLogger,
      window: WINDOW,
      clock: realClock,
      observe: () => undefined,
      scope: () => undefined,
      expectSeries: () => undefined,
      emitSeries: (series) => emitted.push(...series),
    };

    const gaps = await fetchMetrics(ctx, clients, {
      hosts: [host(withAgent), host(withoutAgent)],
      volumes: [],
      groups: [],
    });

    expect(gaps).toEqual([]);
    expect(order).toEqual(['agent', 'hypervisor']);
    const steal = (id: string) => emitted.filter((s) => s.subjectId === id && s.metric === 'cpu.steal');
    expect(steal(withAgent)).toHaveLength(1);
    expect(steal(withAgent)[0]!.source).toMatch(/^agent\.googleapis\.com/);
    expect([...steal(withAgent)[0]!.values]).toEqual(Array(12).fill(2));
    expect(steal(withoutAgent)).toHaveLength(1);
    expect(steal(withoutAgent)[0]!.source).toMatch(/scheduler_wait_time/);
    expect([...steal(withoutAgent)[0]!.values]).toEqual(Array(12).fill(20));
  });
});

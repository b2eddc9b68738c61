// What a managed instance group scales on, from its autoscaler's policy, read by the real
// @google-cloud/compute client from the mock's autoscalers.aggregatedList: no call of its own.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario } from '../../../mocks/scenarios/schema.ts';
import { type GcpMock, startGcpMock } from '../../../mocks/servers/gcp.ts';
import { scalingOf } from '../../../providers/gcp/autoscaling.ts';
import { createGcpAdapter } from '../../../providers/gcp/index.ts';
import { Autoscaler } from '../../../providers/gcp/schema.ts';
import { silentLogger } from '../../../src/log.ts';
import { virtualClock } from '../../../src/net/clock.ts';
import { collectProvider } from '../../../src/run/collect.ts';
import { dayMs, nowMs, PROJECT, TOKEN } from './fixtures.ts';

let mock: GcpMock | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

const member = (name: string, group: string) => ({
  name,
  zone: 'us-central1-a',
  machineType: 'e2-standard-4',
  group,
  cpu: 30,
});

async function collect(faults: unknown[] = []) {
  const scenario = parseScenario({
    name: 'gcp-autoscaling',
    gcp: {
      accessToken: TOKEN,
      faults,
      projects: {
        [PROJECT]: {
          instanceGroups: [
            {
              name: 'web',
              zone: 'us-central1-a',
              targetSize: 1,
              autoscaler: { min: 1, max: 8, cpuTarget: 0.5 },
            },
            {
              name: 'api',
              zone: 'us-central1-a',
              targetSize: 1,
              autoscaler: {
                min: 1,
                max: 4,
                cpuTarget: null,
                loadBalancingTarget: 0.8,
                customMetrics: [
                  { metric: 'pubsub.googleapis.com/subscription/num_undelivered_messages', target: 50 },
                ],
              },
            },
            { name: 'fixed', zone: 'us-central1-a', targetSize: 1 },
          ],
          instances: [member('web-1', 'web'), member('api-1', 'api'), member('fixed-1', 'fixed')],
        },
      },
    },
  });
  const clock = virtualClock(nowMs);
  mock = await startGcpMock({ scenario, now: () => nowMs, limitsClockMs: clock.now });
  const config = { projects: [PROJECT], endpoint: mock.endpoint, labels: {} };
  const window = { fromMs: nowMs - dayMs, toMs: nowMs, stepSec: 3600 };
  return collectProvider(createGcpAdapter({ accessToken: TOKEN }), config, window, silentLogger, undefined, {
    clock,
  });
}

describe('gcp autoscaler policies', () => {
  it('reads CPU, load-balancing and custom-metric signals from the autoscalers already listed, with no extra call', async () => {
    const result = await collect();
    const scaling = Object.fromEntries(result.groups.map((g) => [g.name, g.scaling]));
    expect(scaling.web).toEqual({
      min: 1,
      max: 8,
      signals: [{ kind: 'cpu', target: 50, metric: 'cpuUtilization', policy: 'web-autoscaler (autoscaler)' }],
    });
    expect(scaling.api!.signals.map((s) => [s.kind, s.target])).toEqual([
      ['requests', 80],
      ['queue', 50],
    ]);
    // A MIG without an autoscaler holds its target size: known, and no signal.
    expect(scaling.fixed).toEqual({ min: 1, max: 1, signals: [] });
    expect(result.apiCalls.byOperation['compute.autoscalers.aggregatedList']).toMatchObject({
      made: 1,
      minimum: 1,
    });
    expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
  });

  it('leaves scaling unknown when the autoscalers cannot be listed', async () => {
    const result = await collect([
      { kind: 'permission-denied', method: 'autoscalers.aggregatedList', times: 'always' },
    ]);
    expect(result.groups.map((g) => g.scaling)).toEqual([undefined, undefined, undefined]);
    expect(result.gaps.some((g) => g.what.startsWith('autoscalers in'))).toBe(true);
  });

  it('never throws on any autoscaler the API could send, and keeps targets in percent (property)', () => {
    const fraction = fc.double({ min: 0.01, max: 1, noNaN: true });
    fc.assert(
      fc.property(
        fc.record({
          name: fc.string(),
          target: fc.string(),
          autoscalingPolicy: fc.record(
            {
              mode: fc.constantFrom('ON', 'OFF', 'ONLY_SCALE_OUT', 3),
              cpuUtilization: fc.record({ utilizationTarget: fraction }),
              loadBalancingUtilization: fc.oneof(fc.record({ utilizationTarget: fraction }), fc.string()),
              customMetricUtilizations: fc.oneof(
                fc.array(fc.record({ metric: fc.string(), utilizationTarget: fc.double({ noNaN: true }) })),
                fc.array(fc.anything()),
              ),
              minNumReplicas: fc.nat(10),
              maxNumReplicas: fc.nat(100),
            },
            { requiredKeys: [] },
          ),
        }),
        (raw) => {
          const scaling = scalingOf(Autoscaler.parse(raw), { min: 0, max: 0 });
          for (const s of scaling.signals) {
            if (s.kind === 'cpu' && s.target !== null) expect(s.target).toBeGreaterThan(0.5);
            if (s.kind === 'cpu' && s.target !== null) expect(s.target).toBeLessThanOrEqual(100);
          }
          if (Autoscaler.parse(raw).autoscalingPolicy.mode === 'OFF') expect(scaling.signals).toEqual([]);
        },
      ),
    );
  });
});

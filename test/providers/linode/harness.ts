// Shared by the Linode adapter tests: a fixed clock and window, a small fleet, the mock started
// per test, and the collection path the audit uses (collectProvider). Waits run on a virtual clock
// that the mock's rate limits refill on too: a Retry-After or a rate window costs no real time, and
// every count is the same on any machine.
import { afterEach } from 'vitest';
import { parseScenario } from '../../../mocks/scenarios/schema.ts';
import { type LinodeMock, type LinodeMockOptions, startLinodeMock } from '../../../mocks/servers/linode.ts';
import { createLinodeAdapter } from '../../../providers/linode/index.ts';
import type { MetricWindow, ProviderAdapter } from '../../../providers/types.ts';
import type { LinodeConfig } from '../../../src/config/schema.ts';
import { silentLogger } from '../../../src/log.ts';
import { type Clock, virtualClock } from '../../../src/net/clock.ts';
import { collectProvider } from '../../../src/run/collect.ts';

export const nowMs = Date.parse('2025-03-10T00:00:00Z');
// 14 days back: 24 February to 10 March, so two months per Linode.
export const window: MetricWindow = { fromMs: nowMs - 14 * 86_400_000, toMs: nowMs, stepSec: 300 };
export const TOKEN = 'c0ffee0ddba11deadbeefc0ffee0ddba11deadbeefc0ffee0ddba11deadbeef0';

export const fleet = {
  instances: [
    {
      id: 41000001,
      label: 'web-1',
      type: 'g6-standard-2',
      region: 'us-east',
      tags: ['web', 'prod'],
      cpu: 50,
      io: 40,
      network: { inMbps: 8, outMbps: 16, privateInMbps: 4, privateOutMbps: 0 },
      volumes: [{ id: 900001, label: 'web-data', sizeGiB: 100 }],
    },
    { id: 41000002, label: 'idle-1', type: 'g6-nanode-1', region: 'us-east', tags: ['prod'] },
    { id: 41000003, label: 'batch-1', type: 'g6-dedicated-4', region: 'eu-central', cpu: 97 },
    { id: 41000004, label: 'old-1', type: 'g6-standard-1', region: 'eu-central', status: 'offline' },
  ],
};

let mock: LinodeMock | undefined;
let clock: Clock = virtualClock(nowMs);
export const current = () => mock!;
export const currentClock = () => clock;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

export async function start(linode: object = fleet, options: Partial<LinodeMockOptions> = {}) {
  clock = virtualClock(nowMs);
  mock = await startLinodeMock({
    scenario: parseScenario({ name: 'linode-adapter', linode }),
    now: () => nowMs,
    limitsClockMs: clock.now,
    ...options,
  });
  return mock;
}

export function fastRetries<C>(adapter: ProviderAdapter<C>): ProviderAdapter<C> {
  return { ...adapter, retry: { minDelayMs: 5, maxDelayMs: 20 } };
}

export async function collect(
  config: Partial<LinodeConfig> = {},
  token: string | null = TOKEN,
  tweak: (a: ProviderAdapter<LinodeConfig>) => ProviderAdapter<LinodeConfig> = fastRetries,
  log = silentLogger,
) {
  const adapter = tweak(createLinodeAdapter(token === null ? {} : { token }));
  return collectProvider(adapter, { tags: [], endpoint: mock!.endpoint, ...config }, window, log, undefined, {
    clock,
  });
}

// The OVHcloud adapter: Public Cloud projects, instances and flavors, prices from the public order
// catalog, and instance monitoring (cpu, memory, network), through the real `ovh` client
// (README.md beside this file).
import type { OvhConfig as OvhConfigType } from '../../src/config/schema.ts';
import { OvhConfig } from '../../src/config/schema.ts';
import { ProviderError } from '../../src/errors.ts';
import type { MetricName } from '../../src/model/index.ts';
import type { BlindSpot, NetOptions, ObservedCounts, ProviderAdapter, ProviderContext } from '../types.ts';
import { listInstanceTypes } from './catalog.ts';
import { createOvhClient, type OvhClientHandle, type OvhClientOptions } from './clients.ts';
import { toProviderError } from './errors.ts';
import { ACCOUNT, listInventory, type OvhInventoryState, toGap } from './inventory.ts';
import { fetchMetrics, minimumMetricCalls } from './metrics.ts';

// No OVH API reports these for a Public Cloud instance (providers.md §0.7 and §4.1).
const NEVER_REPORTED: BlindSpot[] = ['iowait', 'steal', 'disk-iops', 'disk-queue', 'network-packets'];

const retry = {
  // NOTE: ovh@2.0.3 hands over only the status and the body's message, never Retry-After; a
  // throttled call waits at least one token of the ~1/s fair-use rate before it is tried again.
  minDelayMs: 1_000,
};

export function createOvhAdapter(
  options: OvhClientOptions = {},
  net?: NetOptions,
): ProviderAdapter<OvhConfigType> {
  let handle: OvhClientHandle | undefined;
  const state: OvhInventoryState = { flavors: new Map(), projectOf: new Map(), apiOffsetMs: 0 };
  const clientFor = (config: OvhConfigType) => (handle ??= createOvhClient(config, options));

  return {
    id: 'ovh',
    configSchema: OvhConfig,
    limits: {
      // OVH publishes no API rate. A maintainer: "fair-use … if you are not over 60 req/min by
      // consumer key, you should be ok" (https://github.com/ovh/python-ovh/issues/81); 50 a minute
      // stays under it, four at a time. Throttled calls answer 429.
      ovh: {
        concurrency: 4,
        requestsPerInterval: 50,
        intervalMs: 60_000,
        source: 'https://github.com/ovh/python-ovh/issues/81',
      },
    },
    retry,
    ...(net ? { net } : {}),
    toProviderError,
    inventory: async (ctx) => {
      const client = withClient(ctx, clientFor);
      if ('gap' in client) return { value: { hosts: [], volumes: [], groups: [] }, gaps: [client.gap] };
      return listInventory(ctx, client.handle, state);
    },
    catalog: (ctx, inventory) =>
      handle ? listInstanceTypes(ctx, handle, state, inventory) : Promise.resolve({ value: [], gaps: [] }),
    metrics: (ctx, inventory) => (handle ? fetchMetrics(ctx, handle, state, inventory) : Promise.resolve([])),
    minimumCalls: (_window, observed) => minimumOvhCalls(observed),
    blindSpots: (_host, metrics) => ovhBlindSpots(metrics),
    dispose: () => {
      handle?.dispose();
      handle = undefined;
    },
  };
}

function withClient(
  ctx: ProviderContext<OvhConfigType>,
  clientFor: (config: OvhConfigType) => OvhClientHandle,
): { handle: OvhClientHandle } | { gap: ReturnType<typeof toGap> } {
  try {
    return { handle: clientFor(ctx.config) };
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    // No client (no keys, a bad endpoint): nothing of the account could be listed.
    for (const project of ctx.config.projects ?? [ACCOUNT]) ctx.scope(project, error);
    return { gap: toGap(error, 'client', ACCOUNT) };
  }
}

/**
 * providers.md §6 for OVH: 1 /auth/time + 1 project list (none when the config names the projects)
 * + per project its instances, flavors and volumes + 1 catalog + 6 monitoring calls per running
 * instance. (§6 lists no volume call: OVH has no volume metrics, but the inventory shows them.)
 */
export function minimumOvhCalls(observed: ObservedCounts): Record<string, number> {
  const projects = observed.projects?.['*'] ?? 0;
  const listed = observed['project-list']?.['*'] ?? 0;
  const active = Object.values(observed['active-instances'] ?? {}).reduce((a, b) => a + b, 0);
  const authed = observed.auth?.['*'] ?? 0;
  return {
    'auth.time': authed,
    'cloud.projects': listed,
    'cloud.instances': projects,
    'cloud.flavors': projects,
    'cloud.volumes': projects,
    'order.catalog': observed.catalog?.['*'] ?? 0,
    'cloud.monitoring': minimumMetricCalls(active),
  };
}

function ovhBlindSpots(present: ReadonlySet<MetricName>): BlindSpot[] {
  return present.has('mem.used') ? NEVER_REPORTED : ['memory', ...NEVER_REPORTED];
}

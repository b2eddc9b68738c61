// The Linode (Akamai Cloud) adapter: Linodes and Block Storage volumes, plan types with prices, and
// the per-instance /stats series, through the real @linode/api-v4 client (README.md beside this file).
import type { LinodeConfig as LinodeConfigType } from '../../src/config/schema.ts';
import { LinodeConfig } from '../../src/config/schema.ts';
import type { Host, MetricName } from '../../src/model/index.ts';
import type { BlindSpot, MetricWindow, NetOptions, ObservedCounts, ProviderAdapter } from '../types.ts';
import { listTypes } from './catalog.ts';
import type { LinodeClient, LinodeClientOptions } from './clients.ts';
import { toProviderError } from './errors.ts';
import { ACCOUNT, listInventory, PAGE_SIZE } from './inventory.ts';
import { fetchMetrics, minimumStatsCalls } from './metrics.ts';

const RATE_LIMITS = 'https://techdocs.akamai.com/linode-api/reference/rate-limits';

/** What /stats never has, whatever the Linode (providers.md §3.1). */
const NEVER_REPORTED: BlindSpot[] = ['memory', 'iowait', 'steal', 'disk-queue', 'network-packets'];

export function createLinodeAdapter(
  options: LinodeClientOptions = {},
  net?: NetOptions,
): ProviderAdapter<LinodeConfigType> {
  // @linode/api-v4 loads only when a Linode account is collected (issue 12).
  let client: Promise<LinodeClient> | undefined;
  const clientFor = (config: LinodeConfigType) =>
    (client ??= import('./clients.ts').then((m) => m.createLinodeClient(config.endpoint, options)));

  return {
    id: 'linode',
    configSchema: LinodeConfig,
    // Per user token (providers.md §3.3, from the rate-limits page): paginated collection GETs
    // 200/min, /stats 50/min, every other operation 1,600/min (none of ours is one). Throttling
    // answers 429 with Retry-After; the client itself never retries.
    limits: {
      'linode.collections': {
        concurrency: 4,
        requestsPerInterval: 200,
        intervalMs: 60_000,
        source: RATE_LIMITS,
      },
      'linode.stats': {
        concurrency: 4,
        requestsPerInterval: 50,
        intervalMs: 60_000,
        source: RATE_LIMITS,
      },
    },
    ...(net ? { net } : {}),
    toProviderError,
    inventory: async (ctx) => listInventory(ctx, await clientFor(ctx.config)),
    catalog: async (ctx, inventory) => listTypes(ctx, await clientFor(ctx.config), inventory),
    metrics: async (ctx, inventory) => fetchMetrics(ctx, await clientFor(ctx.config), inventory),
    minimumCalls: minimumLinodeCalls,
    blindSpots: linodeBlindSpots,
    dispose: () => {
      client = undefined;
    },
  };
}

/** providers.md §6: ⌈M/500⌉ instance pages, ⌈V/500⌉ volume pages, 1 types page, Σ running Linodes × months touched. */
export function minimumLinodeCalls(window: MetricWindow, observed: ObservedCounts): Record<string, number> {
  const count = (what: string) => observed[what]?.[ACCOUNT];
  const pages = (items: number | undefined) => Math.max(1, Math.ceil((items ?? 0) / PAGE_SIZE));
  const listed = count('instances');
  return {
    'linode.getLinodes': pages(listed),
    // Volumes are listed once the Linodes are; plan types only when there is a Linode to size.
    'linode.getVolumes': listed === undefined ? 0 : pages(count('volumes')),
    'linode.getLinodeTypes': listed ? pages(count('instance-types')) : 0,
    'linode.getLinodeStatsByDate': minimumStatsCalls(count('metric-instances') ?? 0, window),
  };
}

export function linodeBlindSpots(_host: Host, present: ReadonlySet<MetricName>): BlindSpot[] {
  // io.io is the only disk figure; without it (no stats returned) disk demand is unknown too.
  return present.has('disk.write.ops') ? NEVER_REPORTED : [...NEVER_REPORTED, 'disk-iops'];
}

// The Google Cloud adapter: Compute Engine inventory (instances, managed instance groups and their
// autoscalers), machine types for the zones and types in use over the bundled catalog, and Cloud
// Monitoring metrics, through the real @google-cloud/compute and @google-cloud/monitoring clients
// (README.md beside this file).
import type { GcpConfig as GcpConfigType } from '../../src/config/schema.ts';
import { GcpConfig } from '../../src/config/schema.ts';
import type { MetricName } from '../../src/model/index.ts';
import type { BlindSpot, NetOptions, ObservedCounts, ProviderAdapter } from '../types.ts';
import { listMachineTypes, TYPES_PER_PAGE } from './catalog.ts';
import type { GcpClientOptions, GcpClients } from './clients.ts';
import { toProviderError } from './errors.ts';
import { listInventory, PAGE_SIZE } from './inventory.ts';
import { fetchMetrics, QUERIES, seriesPerHostOf } from './metrics.ts';
import { POINTS_PER_PAGE, requestsFor } from './plan.ts';

/** What each blind spot needs: any one of these series for the host. */
const NEEDS: [BlindSpot, MetricName[]][] = [
  ['memory', ['mem.used']],
  ['iowait', ['cpu.iowait']],
  ['steal', ['cpu.steal']],
  ['disk-queue', ['disk.queue']],
];

export function createGcpAdapter(
  options: GcpClientOptions = {},
  net?: NetOptions,
): ProviderAdapter<GcpConfigType> {
  // The SDKs (1 s and ~270 MiB for @google-cloud/compute) load only when a GCP project is collected.
  let clients: Promise<GcpClients> | undefined;
  const clientsFor = (config: GcpConfigType) =>
    (clients ??= import('./clients.ts').then((m) => m.createClients(config, options)));
  const pagePoints = options.pagePoints ?? POINTS_PER_PAGE;

  return {
    id: 'gcp',
    configSchema: GcpConfig,
    limits: {
      // Cloud Monitoring API: 6,000 time-series read requests per minute per project (default quota).
      // https://cloud.google.com/monitoring/quotas
      monitoring: {
        concurrency: 8,
        requestsPerInterval: 100,
        intervalMs: 1_000,
        source: 'https://cloud.google.com/monitoring/quotas',
      },
      // Compute Engine API read requests (*.get, *.list, *.aggregatedList): 1,500 per minute per
      // project (ReadRequestsPerMinutePerProject); exceeding it answers 403 rateLimitExceeded.
      // https://cloud.google.com/compute/docs/api-rate-limits
      compute: {
        concurrency: 4,
        requestsPerInterval: 25,
        intervalMs: 1_000,
        source: 'https://cloud.google.com/compute/docs/api-rate-limits',
      },
    },
    ...(net ? { net } : {}),
    toProviderError,
    inventory: async (ctx) => listInventory(ctx, await clientsFor(ctx.config)),
    catalog: async (ctx, inventory) => listMachineTypes(ctx, await clientsFor(ctx.config), inventory),
    metrics: async (ctx, inventory) => fetchMetrics(ctx, await clientsFor(ctx.config), inventory, pagePoints),
    minimumCalls: (window, observed) => minimumGcpCalls(window, observed, pagePoints),
    blindSpots: (_host, metrics) => gcpBlindSpots(metrics),
    dispose: () => {
      const opened = clients;
      clients = undefined;
      void opened?.then(
        async (c) => (await import('./clients.ts')).closeClients(c),
        () => {},
      );
    },
  };
}

/**
 * providers.md §6, per operation. Per project: ⌈M/500⌉ instances.aggregatedList pages,
 * ⌈n/500⌉ for disks, instanceGroupManagers and autoscalers, one machineTypes.list per zone in use
 * (⌈types/500⌉), and per metric stream the requests plan.ts splits the project's M running VMs
 * into (as many VMs as fit in one 100,000-point page). M comes from the inventory, never from the
 * answers: a failed call or a VM without the agent changes neither the plan nor this count.
 */
export function minimumGcpCalls(
  window: Parameters<ProviderAdapter['minimumCalls']>[0],
  observed: ObservedCounts,
  pagePoints = POINTS_PER_PAGE,
): Record<string, number> {
  const projects = Object.keys(observed.instances ?? {});
  const count = (what: string, key: string) => observed[what]?.[key] ?? 0;
  const pages = (items: number, size: number) => Math.max(1, Math.ceil(items / size));
  const sum = (over: string[], f: (key: string) => number) => over.reduce((total, key) => total + f(key), 0);
  const listed = (what: string) => Object.keys(observed[what] ?? {});
  const calls: Record<string, number> = {
    'compute.instances.aggregatedList': sum(projects, (p) => pages(count('instances', p), PAGE_SIZE)),
    'compute.disks.aggregatedList': sum(listed('disks'), (p) => pages(count('disks', p), PAGE_SIZE)),
    'compute.instanceGroupManagers.aggregatedList': sum(listed('groups'), (p) =>
      pages(count('groups', p), PAGE_SIZE),
    ),
    'compute.autoscalers.aggregatedList': sum(listed('autoscalers'), (p) =>
      pages(count('autoscalers', p), PAGE_SIZE),
    ),
    'compute.machineTypes.list': sum(listed('zone-types'), (z) =>
      pages(count('zone-types', z), TYPES_PER_PAGE),
    ),
  };
  for (const query of QUERIES) {
    calls[`monitoring.timeSeries.list ${query.key}`] = sum(listed('metric-instances'), (p) =>
      requestsFor(count('metric-instances', p), seriesPerHostOf(query), window, pagePoints),
    );
  }
  return calls;
}

/** GCP has no burst or credit balance at all; memory, iowait and steal need the Ops Agent (steal: or an E2). */
export function gcpBlindSpots(present: ReadonlySet<MetricName>): BlindSpot[] {
  return [
    ...NEEDS.flatMap(([spot, metrics]) => (metrics.some((m) => present.has(m)) ? [] : [spot])),
    'burst-balance',
  ];
}

// The Google Cloud adapter: Compute Engine inventory (instances, managed instance groups and their
// autoscalers), machine types for the zones and types in use over the bundled catalog, and Cloud
// Monitoring metrics, through the real @google-cloud/compute and @google-cloud/monitoring clients
// (README.md beside this file).
import type { GcpConfig as GcpConfigType } from '../../src/config/schema.ts';
import { GcpConfig } from '../../src/config/schema.ts';
import type { MetricName, MetricSeries } from '../../src/model/index.ts';
import type { BlindSpot, NetOptions, ObservedCounts, ProviderAdapter } from '../types.ts';
import { listMachineTypes, TYPES_PER_PAGE } from './catalog.ts';
import { closeClients, createClients, type GcpClientOptions, type GcpClients } from './clients.ts';
import { toProviderError } from './errors.ts';
import { listInventory, PAGE_SIZE } from './inventory.ts';
import { fetchMetrics, minimumPages, QUERIES } from './metrics.ts';

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
  let clients: GcpClients | undefined;
  const clientsFor = (config: GcpConfigType) => (clients ??= createClients(config, options));

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
    inventory: (ctx) => listInventory(ctx, clientsFor(ctx.config)),
    catalog: (ctx, inventory) => listMachineTypes(ctx, clientsFor(ctx.config), inventory),
    metrics: (ctx, inventory) => fetchMetrics(ctx, clientsFor(ctx.config), inventory),
    minimumCalls: minimumGcpCalls,
    blindSpots: (host, series) => gcpBlindSpots(host.id, series),
    dispose: () => {
      if (clients) void closeClients(clients);
      clients = undefined;
    },
  };
}

/**
 * providers.md §6, per operation. Per project: ⌈M/500⌉ instances.aggregatedList pages,
 * ⌈n/500⌉ for disks, instanceGroupManagers and autoscalers, one machineTypes.list per zone in use
 * (⌈types/500⌉), and per metric stream ⌈points/100,000⌉ timeSeries.list pages, at least one.
 * With every VM reporting, points = M·(window/step) (× 2 for the agent's wait and steal), which is
 * §6's Σ ⌈M·points/100,000⌉; counting the points the API returned also covers VMs launched inside
 * the window and metrics only some VMs have (scheduler_wait_time: E2 only; the Ops Agent's).
 */
export function minimumGcpCalls(
  _window: Parameters<ProviderAdapter['minimumCalls']>[0],
  observed: ObservedCounts,
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
    const what = `points ${query.key}`;
    calls[`monitoring.timeSeries.list ${query.key}`] = sum(listed(what), (p) => minimumPages(count(what, p)));
  }
  return calls;
}

/** GCP has no burst or credit balance at all; memory, iowait and steal need the Ops Agent (steal: or an E2). */
export function gcpBlindSpots(hostId: string, series: readonly MetricSeries[]): BlindSpot[] {
  const present = new Set(series.filter((s) => s.subjectId === hostId).map((s) => s.metric));
  return [
    ...NEEDS.flatMap(([spot, metrics]) => (metrics.some((m) => present.has(m)) ? [] : [spot])),
    'burst-balance',
  ];
}

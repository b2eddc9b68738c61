// Cloud Monitoring metrics for the window through projects.timeSeries.list over REST, read as JSON:
// ONE filter per metric type naming as many of a project's VMs as fit in one page (plan.ts;
// resource.type = gce_instance, never one call per VM), the aligner its kind needs (GAUGE: mean or
// max; DELTA and CUMULATIVE: rate, per second), alignmentPeriod = the window step, pageSize =
// 100,000 points (the maximum with view FULL), every page followed. Metric list and units: providers.md §2.1,
// https://cloud.google.com/monitoring/api/metrics_gcp_c and .../metrics_opsagent.
import type { GcpConfig } from '../../src/config/schema.ts';
import type { Gap, Host, MetricName, MetricSeries, Unit } from '../../src/model/index.ts';
import { columnsFromTimes, mapColumns, timeOrdered } from '../../src/model/series-columns.ts';
import { operationLabel } from '../../src/net/call.ts';
import { followPages } from '../../src/net/pages.ts';
import type { Inventory, MetricWindow, ProviderContext } from '../types.ts';
import type { GcpClients } from './clients.ts';
import { toGap } from './inventory.ts';
import { chunkHosts, POINTS_PER_PAGE, pointsPerSeries } from './plan.ts';
import { decodeTimeSeriesPage } from './time-series-json.ts';

type Aligner = 'ALIGN_MEAN' | 'ALIGN_MAX' | 'ALIGN_RATE';
type Reducer = 'REDUCE_NONE' | 'REDUCE_SUM' | 'REDUCE_MEAN';
/**
 * - ratio-percent: utilization is a 0..1 fraction (unit `10^2.%`), × 100.
 * - as-is: rates come per second from ALIGN_RATE; the agent's percents are percents.
 * - wait-percent: scheduler_wait_time is vCPU-seconds of wait summed over the VM's vCPUs, so its
 *   rate is "vCPUs' worth of waiting"; ÷ vCPUs × 100 gives the share of the instance's CPU time,
 *   the same basis as the agent's (and the AWS CloudWatch agent's) cpu-total steal percent.
 * - us-to-ms: average_io_latency is in microseconds.
 */
type Conversion = 'ratio-percent' | 'as-is' | 'wait-percent' | 'us-to-ms';

export interface MetricQuery {
  /** One request stream (a metric type and aligner); names the minimum-call bucket too. */
  key: string;
  type: string;
  /** Extra filter clauses: the agent's cpu_state and memory state labels. */
  labelFilter?: string;
  aligner: Aligner;
  reducer: Reducer;
  groupBy: string[];
  unit: Unit;
  convert: Conversion;
  /** Our metric name for a returned series (by its labels), or undefined to drop it. */
  metricFor(labels: Record<string, string>): MetricName | undefined;
}

const COMPUTE = 'compute.googleapis.com/instance';
const AGENT = 'agent.googleapis.com';
const BY_INSTANCE = ['resource.label.instance_id'];

const perInstance = (
  key: string,
  type: string,
  metric: MetricName,
  aligner: Aligner,
  unit: Unit,
  convert: Conversion = 'as-is',
  reducer: Reducer = 'REDUCE_SUM',
): MetricQuery => ({
  key,
  type,
  aligner,
  reducer,
  groupBy: reducer === 'REDUCE_NONE' ? [] : BY_INSTANCE,
  unit,
  convert,
  metricFor: () => metric,
});

export const QUERIES: MetricQuery[] = [
  // GAUGE DOUBLE, one series per VM: mean for idle/trend rules, max for sizing (Compute Optimizer's way).
  perInstance(
    'cpu.utilization.mean',
    `${COMPUTE}/cpu/utilization`,
    'cpu.util',
    'ALIGN_MEAN',
    'percent',
    'ratio-percent',
    'REDUCE_NONE',
  ),
  perInstance(
    'cpu.utilization.max',
    `${COMPUTE}/cpu/utilization`,
    'cpu.util.max',
    'ALIGN_MAX',
    'percent',
    'ratio-percent',
    'REDUCE_NONE',
  ),
  // DELTA DOUBLE, E2 and overcommitted sole-tenant VMs only: the hypervisor's steal, no agent needed.
  perInstance(
    'cpu.scheduler_wait_time',
    `${COMPUTE}/cpu/scheduler_wait_time`,
    'cpu.steal',
    'ALIGN_RATE',
    'percent',
    'wait-percent',
    'REDUCE_NONE',
  ),
  // DELTA INT64 per device (device_name, storage_type labels): summed over the VM's disks.
  perInstance(
    'disk.read_ops_count',
    `${COMPUTE}/disk/read_ops_count`,
    'disk.read.ops',
    'ALIGN_RATE',
    'ops-per-second',
  ),
  perInstance(
    'disk.write_ops_count',
    `${COMPUTE}/disk/write_ops_count`,
    'disk.write.ops',
    'ALIGN_RATE',
    'ops-per-second',
  ),
  perInstance(
    'disk.read_bytes_count',
    `${COMPUTE}/disk/read_bytes_count`,
    'disk.read.bytes',
    'ALIGN_RATE',
    'bytes-per-second',
  ),
  perInstance(
    'disk.write_bytes_count',
    `${COMPUTE}/disk/write_bytes_count`,
    'disk.write.bytes',
    'ALIGN_RATE',
    'bytes-per-second',
  ),
  // GAUGE per device, where the disk type reports them: queue depths add up, latency is averaged.
  perInstance(
    'disk.average_io_queue_depth',
    `${COMPUTE}/disk/average_io_queue_depth`,
    'disk.queue',
    'ALIGN_MEAN',
    'count',
  ),
  perInstance(
    'disk.average_io_latency',
    `${COMPUTE}/disk/average_io_latency`,
    'disk.latency',
    'ALIGN_MEAN',
    'milliseconds',
    'us-to-ms',
    'REDUCE_MEAN',
  ),
  // DELTA INT64 (loadBalanced label): summed.
  perInstance(
    'network.received_bytes_count',
    `${COMPUTE}/network/received_bytes_count`,
    'net.in.bytes',
    'ALIGN_RATE',
    'bytes-per-second',
  ),
  perInstance(
    'network.sent_bytes_count',
    `${COMPUTE}/network/sent_bytes_count`,
    'net.out.bytes',
    'ALIGN_RATE',
    'bytes-per-second',
  ),
  perInstance(
    'network.received_packets_count',
    `${COMPUTE}/network/received_packets_count`,
    'net.in.packets',
    'ALIGN_RATE',
    'packets-per-second',
  ),
  perInstance(
    'network.sent_packets_count',
    `${COMPUTE}/network/sent_packets_count`,
    'net.out.packets',
    'ALIGN_RATE',
    'packets-per-second',
  ),
  // Ops Agent, GAUGE percent per CPU (cpu_number) and state: mean over CPUs, wait and steal only
  // (8 states per CPU otherwise). No series: the agent is not installed; blindSpots says so.
  {
    key: 'agent.cpu.utilization',
    type: `${AGENT}/cpu/utilization`,
    labelFilter: 'metric.label.cpu_state = one_of("wait", "steal")',
    aligner: 'ALIGN_MEAN',
    reducer: 'REDUCE_MEAN',
    groupBy: [...BY_INSTANCE, 'metric.label.cpu_state'],
    unit: 'percent',
    convert: 'as-is',
    metricFor: (labels) =>
      labels.cpu_state === 'wait' ? 'cpu.iowait' : labels.cpu_state === 'steal' ? 'cpu.steal' : undefined,
  },
  {
    ...perInstance(
      'agent.memory.percent_used',
      `${AGENT}/memory/percent_used`,
      'mem.used',
      'ALIGN_MAX',
      'percent',
      'as-is',
      'REDUCE_NONE',
    ),
    labelFilter: 'metric.label.state = "used"',
  },
];

const queryOf = (key: string) => QUERIES.find((q) => q.key === key)!;
/** The agent's CPU states (iowait, steal) and the hypervisor's steal, which the agent's replaces. */
const AGENT_CPU = queryOf('agent.cpu.utilization');
const HYPERVISOR_STEAL = queryOf('cpu.scheduler_wait_time');

/** Our metric names a stream can give a host (the agent's CPU stream gives iowait and steal). */
function metricsOf(query: MetricQuery): MetricName[] {
  return query.key === 'agent.cpu.utilization' ? ['cpu.iowait', 'cpu.steal'] : [query.metricFor({})!];
}

/** Distinct (host, metric) series the metrics step asks Cloud Monitoring for, per running VM. */
export const SERIES_PER_HOST = new Set(QUERIES.flatMap(metricsOf)).size;

/**
 * The most series one stream returns per VM: one per VM for most, two for the agent's CPU states;
 * eight leaves room for label sets the reducer does not fold. Bounds a request's pages.
 */
const MAX_SERIES_PER_HOST = 8;

/** Series one stream gives each VM (two for the agent's CPU stream): what a request's page must hold. */
export function seriesPerHostOf(query: MetricQuery): number {
  return metricsOf(query).length;
}

export function filterFor(query: MetricQuery, config: GcpConfig, instanceIds?: readonly string[]): string {
  const labels = Object.entries(config.labels).map(
    ([key, value]) => `metadata.user_labels."${key}" = "${value}"`,
  );
  return [
    `metric.type = "${query.type}"`,
    'resource.type = "gce_instance"',
    ...(query.labelFilter ? [query.labelFilter] : []),
    ...(instanceIds
      ? [`resource.labels.instance_id = one_of(${instanceIds.map((id) => `"${id}"`).join(', ')})`]
      : []),
    ...labels,
  ].join(' AND ');
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** The REST path and query of one timeSeries.list page (providers.md §5.2: enums by name, period as "300s"). */
export function requestPath(
  project: string,
  query: MetricQuery,
  config: GcpConfig,
  window: MetricWindow,
  instanceIds: readonly string[],
  pagePoints: number,
  pageToken?: string,
): string {
  const params = new URLSearchParams({
    filter: filterFor(query, config, instanceIds),
    'interval.startTime': rfc3339(Math.floor(window.fromMs / 1000) * 1000),
    'interval.endTime': rfc3339(Math.floor(window.toMs / 1000) * 1000),
    'aggregation.alignmentPeriod': `${window.stepSec}s`,
    'aggregation.perSeriesAligner': query.aligner,
    'aggregation.crossSeriesReducer': query.reducer,
    view: 'FULL',
    pageSize: String(pagePoints),
  });
  for (const field of query.groupBy) params.append('aggregation.groupByFields', field);
  if (pageToken) params.set('pageToken', pageToken);
  return `/v3/projects/${encodeURIComponent(project)}/timeSeries?${params}`;
}

export async function fetchMetrics(
  ctx: ProviderContext<GcpConfig>,
  clients: GcpClients,
  inventory: Inventory,
  pagePoints = POINTS_PER_PAGE,
): Promise<Gap[]> {
  const projects = [
    ...new Set(inventory.hosts.map((h) => h.tags['gcp:project']).filter((p): p is string => !!p)),
  ];
  const gaps = await Promise.all(
    projects.map((project) => fetchProject(ctx, clients, inventory, project, pagePoints)),
  );
  return gaps.flat();
}

/**
 * A series' points gathered across one request's pages, keyed by VM and labels, as two arrays of
 * doubles: a [t, v] pair a point held 250 VMs' fourteen days in about 770 MB until the last page
 * came (most of a 1,000-host audit's peak); two packed arrays hold them in 16 bytes a point.
 */
type RawSeries = Map<
  string,
  { labels: Record<string, string>; instanceId: string; timesMs: number[]; values: number[] }
>;

async function fetchProject(
  ctx: ProviderContext<GcpConfig>,
  clients: GcpClients,
  inventory: Inventory,
  project: string,
  pagePoints: number,
): Promise<Gap[]> {
  const hosts = new Map(
    inventory.hosts
      .filter((h) => h.tags['gcp:project'] === project && h.state === 'running')
      .map((h) => [h.id, h]),
  );
  // The minimum's input, from the inventory before any call (plan.ts): never from the answers.
  ctx.observe('metric-instances', project, hosts.size);
  if (hosts.size === 0) return [];
  ctx.expectSeries(hosts.size * SERIES_PER_HOST);
  const gaps: Gap[] = [];
  // The agent's steal, where there is one, is the guest's own view; the hypervisor's is the fallback.
  // So the hypervisor's stream waits for the agent's CPU stream, and each chunk's series are handed
  // on as soon as its request is read, without holding any stream until the others are in.
  const agentSteal = new Set<string>();
  const runQuery = async (query: MetricQuery) => {
    const chunks = chunkHosts([...hosts.keys()], seriesPerHostOf(query), ctx.window, pagePoints);
    let missing = 0;
    let firstError: unknown;
    await Promise.all(
      chunks.map(async (instanceIds) => {
        const raw: RawSeries = new Map();
        try {
          await listChunk(ctx, clients, project, query, instanceIds, pagePoints, raw);
        } catch (error) {
          missing += instanceIds.length;
          firstError ??= error;
        }
        // What a failed request's earlier pages gave is kept, as it was when streams were joined.
        const series = toSeries(raw, query, hosts, ctx.window, new Set(instanceIds));
        for (const s of series) if (s.metric === 'cpu.steal' && isAgent(s)) agentSteal.add(s.subjectId);
        ctx.emitSeries(
          series.filter((s) => !(s.metric === 'cpu.steal' && !isAgent(s) && agentSteal.has(s.subjectId))),
        );
      }),
    );
    // One gap per stream and project, however many of its requests failed.
    if (missing > 0) {
      const gap = toGap(firstError, `${query.type} (${query.aligner}) in ${project}`, project);
      const share = missing === hosts.size ? `${missing}` : `${missing} of ${hosts.size}`;
      gaps.push({ ...gap, message: `${gap.message}; no ${query.key} data for ${share} instances` });
    }
  };
  const agentCpu = runQuery(AGENT_CPU);
  await Promise.all(
    QUERIES.map((query) =>
      query === AGENT_CPU
        ? agentCpu
        : query === HYPERVISOR_STEAL
          ? agentCpu.then(() => runQuery(query))
          : runQuery(query),
    ),
  );
  return gaps;
}

const isAgent = (s: MetricSeries) => s.source.startsWith(AGENT);

/** One request (its VMs fit one page; further pages are followed if the server cuts shorter). */
async function listChunk(
  ctx: ProviderContext<GcpConfig>,
  clients: GcpClients,
  project: string,
  query: MetricQuery,
  instanceIds: readonly string[],
  pagePoints: number,
  raw: RawSeries,
): Promise<void> {
  const { window } = ctx;
  const operation = `monitoring.timeSeries.list ${query.key}`;
  const maxPages =
    Math.ceil((instanceIds.length * MAX_SERIES_PER_HOST * pointsPerSeries(window)) / pagePoints) + 1;
  await followPages('gcp', operationLabel({ operation, region: project }), maxPages, async (pageToken) => {
    const path = requestPath(project, query, ctx.config, window, instanceIds, pagePoints, pageToken);
    const body = await ctx.call({ bucket: 'monitoring', operation, region: project }, (signal) =>
      clients.monitoringJson(path, signal),
    );
    const page = decodeTimeSeriesPage(body);
    if (page.malformed > 0)
      ctx.log.warn(
        { provider: 'gcp', operation, dropped: page.malformed },
        'dropped points that did not parse',
      );
    for (const series of page.series) {
      const key = `${series.instanceId}|${JSON.stringify(series.metricLabels)}`;
      const entry = raw.get(key) ?? {
        labels: series.metricLabels,
        instanceId: series.instanceId,
        timesMs: [],
        values: [],
      };
      raw.set(key, entry);
      // Aligned points end at the period's end; ours are stamped at its start, as CloudWatch's are.
      for (const [endMs, value] of series.points) {
        entry.timesMs.push(endMs - window.stepSec * 1000);
        entry.values.push(value);
      }
    }
    return { items: [], next: page.nextPageToken };
  });
}

/**
 * One request's points as our series (per VM and metric, oldest first, converted to our units),
 * for the VMs it asked about only: another request's VM answered here would be that VM twice.
 */
function toSeries(
  raw: RawSeries,
  query: MetricQuery,
  hosts: ReadonlyMap<string, Host>,
  window: MetricWindow,
  asked: ReadonlySet<string>,
): MetricSeries[] {
  return [...raw.values()].flatMap((entry) => {
    const host = hosts.get(entry.instanceId);
    const metric = query.metricFor(entry.labels);
    if (!host || !asked.has(host.id) || !metric || entry.timesMs.length === 0) return [];
    if (query.convert === 'wait-percent' && !host.vcpu) return [];
    const { timesMs, values } = timeOrdered(entry.timesMs, entry.values);
    return [
      {
        subjectKind: 'host' as const,
        subjectId: host.id,
        metric,
        unit: query.unit,
        ...mapColumns(columnsFromTimes(timesMs, values, window.stepSec), (v) =>
          convert(v, query.convert, host.vcpu ?? 1),
        ),
        source: `${query.type}${entry.labels.cpu_state ? ` cpu_state=${entry.labels.cpu_state}` : ''} ${query.aligner} (${window.stepSec} s)`,
      } satisfies MetricSeries,
    ];
  });
}

function convert(value: number, how: Conversion, vcpu: number): number {
  switch (how) {
    case 'ratio-percent':
      return value * 100;
    case 'wait-percent':
      return Math.min(100, (value / vcpu) * 100);
    case 'us-to-ms':
      return value / 1000;
    case 'as-is':
      return value;
  }
}

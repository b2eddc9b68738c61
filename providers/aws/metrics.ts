// CloudWatch metrics for the window: one query per (subject, metric), packed into as few
// GetMetricData calls as the limits allow (≤ 500 queries and ≤ 100,800 datapoints per call;
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html),
// so the call count equals the fleet's minimum (providers.md §6).

import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { AwsConfig } from '../../src/config/schema.ts';
import { ProviderError } from '../../src/errors.ts';
import type {
  Gap,
  Host,
  InstanceType,
  MetricName,
  MetricSeries,
  SubjectKind,
  Unit,
  Volume,
} from '../../src/model/index.ts';
import { columnsFromTimes, mapColumns, timeOrdered } from '../../src/model/series-columns.ts';
import { operationLabel } from '../../src/net/call.ts';
import { followPages } from '../../src/net/pages.ts';
import type { Inventory, MetricWindow, ProviderContext } from '../types.ts';
import type { AwsClientFactory } from './clients.ts';
import { parseList, toGap } from './inventory.ts';
import { takeMetricDataResults, timestampMs } from './metric-data-body.ts';
import { ListedMetric, MetricDataResult } from './schema.ts';

export const MAX_QUERIES_PER_CALL = 500;
export const MAX_DATAPOINTS_PER_CALL = 100_800;
/** ListMetrics returns up to 500 metrics a page (API reference). */
export const LIST_METRICS_PAGE = 500;
/**
 * CloudWatch documents no maximum number of metrics; a CWAgent namespace of a million metrics in one
 * region (2,000 pages) is an assumption above any account we know of, and bounds the listing.
 */
const LIST_METRICS_MAX_PAGES = 2_000;

type Stat = 'Average' | 'Maximum' | 'Minimum' | 'Sum';
/** How a CloudWatch value becomes ours: as is, a per-period Sum to per-second, idle seconds to busy %. */
type Conversion = 'as-is' | 'per-second' | 'busy-percent';

interface MetricSpec {
  metric: MetricName;
  namespace: string;
  name: string;
  stat: Stat;
  unit: Unit;
  convert: Conversion;
}

export interface PlannedQuery extends MetricSpec {
  subjectKind: SubjectKind;
  subjectId: string;
  dimensions: { Name: string; Value: string }[];
}

/** A spec builder per namespace: `ec2('cpu.util', 'CPUUtilization', 'Average', 'percent')`. */
const specsOf =
  (namespace: string) =>
  (metric: MetricName, name: string, stat: Stat, unit: Unit, convert: Conversion = 'as-is'): MetricSpec => ({
    metric,
    namespace,
    name,
    stat,
    unit,
    convert,
  });
const ec2 = specsOf('AWS/EC2');
const ebs = specsOf('AWS/EBS');
const asg = specsOf('AWS/AutoScaling');
const agent = specsOf('CWAgent');

// Compute Optimizer sizes on the per-5-minute Maximum of CPU; the Average serves idle and trend rules.
const INSTANCE_METRICS: MetricSpec[] = [
  ec2('cpu.util', 'CPUUtilization', 'Average', 'percent'),
  ec2('cpu.util.max', 'CPUUtilization', 'Maximum', 'percent'),
  ec2('disk.read.ops', 'EBSReadOps', 'Sum', 'ops-per-second', 'per-second'),
  ec2('disk.write.ops', 'EBSWriteOps', 'Sum', 'ops-per-second', 'per-second'),
  ec2('disk.read.bytes', 'EBSReadBytes', 'Sum', 'bytes-per-second', 'per-second'),
  ec2('disk.write.bytes', 'EBSWriteBytes', 'Sum', 'bytes-per-second', 'per-second'),
  ec2('net.in.bytes', 'NetworkIn', 'Sum', 'bytes-per-second', 'per-second'),
  ec2('net.out.bytes', 'NetworkOut', 'Sum', 'bytes-per-second', 'per-second'),
  ec2('net.in.packets', 'NetworkPacketsIn', 'Sum', 'packets-per-second', 'per-second'),
  ec2('net.out.packets', 'NetworkPacketsOut', 'Sum', 'packets-per-second', 'per-second'),
];
// Credit metrics exist for burstable (T) types only, at 5-minute resolution.
const CREDIT_METRICS: MetricSpec[] = [
  ec2('cpu.credit.balance', 'CPUCreditBalance', 'Minimum', 'credits'),
  ec2('cpu.credit.usage', 'CPUCreditUsage', 'Sum', 'credits'),
  ec2('cpu.credit.surplus', 'CPUSurplusCreditBalance', 'Maximum', 'credits'),
];
const VOLUME_METRICS: MetricSpec[] = [
  ebs('disk.read.ops', 'VolumeReadOps', 'Sum', 'ops-per-second', 'per-second'),
  ebs('disk.write.ops', 'VolumeWriteOps', 'Sum', 'ops-per-second', 'per-second'),
  ebs('disk.read.bytes', 'VolumeReadBytes', 'Sum', 'bytes-per-second', 'per-second'),
  ebs('disk.write.bytes', 'VolumeWriteBytes', 'Sum', 'bytes-per-second', 'per-second'),
  ebs('disk.queue', 'VolumeQueueLength', 'Average', 'count'),
  ebs('disk.busy', 'VolumeIdleTime', 'Sum', 'percent', 'busy-percent'),
];
// BurstBalance is reported for gp2, st1 and sc1 only (EBS CloudWatch metrics page).
// t2, t3, t3a, t4g: burstable even when the catalog lacks the exact size (not trn1, a Trainium type).
const BURSTABLE_FAMILY = /^t\d[a-z]*\./;
const BURST_VOLUME_TYPES = new Set(['gp2', 'st1', 'sc1']);
const BURST_METRIC = ebs('disk.burst.balance', 'BurstBalance', 'Minimum', 'percent');
const GROUP_METRICS = new Map<string, MetricSpec>(
  Object.entries({
    GroupDesiredCapacity: asg('group.desired', 'GroupDesiredCapacity', 'Maximum', 'instances'),
    GroupInServiceInstances: asg('group.in-service', 'GroupInServiceInstances', 'Average', 'instances'),
  }),
);
// The CloudWatch agent's names (metrics-collected-by-CloudWatch-agent.html); found by ListMetrics.
const AGENT_METRICS: Record<string, MetricSpec> = {
  mem_used_percent: agent('mem.used', 'mem_used_percent', 'Maximum', 'percent'),
  cpu_usage_iowait: agent('cpu.iowait', 'cpu_usage_iowait', 'Average', 'percent'),
  cpu_usage_steal: agent('cpu.steal', 'cpu_usage_steal', 'Average', 'percent'),
};

export function pointsPerSeries(window: MetricWindow): number {
  return Math.ceil((window.toMs - window.fromMs) / (window.stepSec * 1000));
}

/** Queries one call can carry: as many whole series as fit the datapoint cap, at most 500. */
export function queriesPerCall(window: MetricWindow): number {
  return Math.max(
    1,
    Math.min(MAX_QUERIES_PER_CALL, Math.floor(MAX_DATAPOINTS_PER_CALL / pointsPerSeries(window))),
  );
}

/** providers.md §6: calls ≥ max(⌈S/500⌉, ⌈S·points/100,800⌉). */
export function minimumMetricCalls(series: number, window: MetricWindow): number {
  if (series === 0) return 0;
  return Math.max(
    Math.ceil(series / MAX_QUERIES_PER_CALL),
    Math.ceil((series * pointsPerSeries(window)) / MAX_DATAPOINTS_PER_CALL),
  );
}

export async function fetchMetrics(
  ctx: ProviderContext<AwsConfig>,
  clients: AwsClientFactory,
  inventory: Inventory,
  catalog: readonly InstanceType[],
): Promise<Gap[]> {
  // Only running instances publish metrics; a region with none of them costs no call.
  const regions = [...new Set(inventory.hosts.filter((h) => h.state === 'running').map((h) => h.region))];
  const gaps = await Promise.all(
    regions.map((region) => fetchRegion(ctx, clients, inventory, catalog, region)),
  );
  return gaps.flat();
}

async function fetchRegion(
  ctx: ProviderContext<AwsConfig>,
  clients: AwsClientFactory,
  inventory: Inventory,
  catalog: readonly InstanceType[],
  region: string,
): Promise<Gap[]> {
  const gaps: Gap[] = [];
  const { cloudwatch } = clients.forRegion(region);
  const hosts = inventory.hosts.filter((host) => host.region === region && host.state === 'running');
  const agentMetrics = await listAgentMetrics(ctx, cloudwatch, region).catch((error: unknown) => {
    gaps.push(toGap(error, `CloudWatch agent metrics (memory, iowait, steal) in ${region}`, region));
    return [];
  });
  const queries = planQueries(
    hosts,
    inventory.volumes.filter((v) => v.region === region),
    inventory.groups.filter((g) => g.region === region),
    catalog,
    agentMetrics,
  );
  ctx.observe('series', region, queries.length);
  ctx.expectSeries(queries.length);

  const perCall = queriesPerCall(ctx.window);
  const batches: PlannedQuery[][] = [];
  for (let start = 0; start < queries.length; start += perCall)
    batches.push(queries.slice(start, start + perCall));
  // Each batch's series are handed on as its answer is read: at most `concurrency` batches are held.
  await Promise.all(
    batches.map(async (batch, index) => {
      try {
        const result = await getMetricData(ctx, cloudwatch, region, batch);
        if (result.problems.length > 0) {
          gaps.push({
            provider: 'aws',
            what: `metrics in ${region}, batch ${index + 1} of ${batches.length}`,
            kind: 'bad-response',
            operation: 'cloudwatch.GetMetricData',
            scope: region,
            message: `aws cloudwatch.GetMetricData (${region}): some queries returned no data: ${result.problems.slice(0, 5).join('; ')}${result.problems.length > 5 ? ` and ${result.problems.length - 5} more` : ''}`,
          });
        }
        ctx.emitSeries(result.series);
      } catch (error) {
        const subjects = [...new Set(batch.map((q) => q.subjectId))];
        const gap = toGap(error, `metrics in ${region}, batch ${index + 1} of ${batches.length}`, region);
        gaps.push({
          ...gap,
          message: `${gap.message}; no data for ${subjects.length} subjects: ${subjects.join(', ')}`,
        });
      }
    }),
  );
  return gaps;
}

async function listAgentMetrics(
  ctx: ProviderContext<AwsConfig>,
  cloudwatch: ReturnType<AwsClientFactory['forRegion']>['cloudwatch'],
  region: string,
): Promise<ListedMetric[]> {
  const operation = 'cloudwatch.ListMetrics';
  const { ListMetricsCommand } = await import('@aws-sdk/client-cloudwatch');
  // No RecentlyActive filter: PT3H would miss an agent that stopped reporting hours ago.
  const listed = await followPages(
    'aws',
    operationLabel({ operation, region }),
    LIST_METRICS_MAX_PAGES,
    async (token) => {
      const page = await ctx.call({ bucket: 'cloudwatch', operation, region }, (signal) =>
        cloudwatch.send(new ListMetricsCommand({ Namespace: 'CWAgent', NextToken: token }), {
          abortSignal: signal,
        }),
      );
      return {
        items: parseList(ctx, ListedMetric, page.Metrics ?? [], 'listed metrics'),
        next: page.NextToken,
      };
    },
  );
  ctx.observe('agent-metrics', region, listed.length);
  return listed;
}

export function planQueries(
  hosts: readonly Host[],
  volumes: readonly Volume[],
  groups: readonly Inventory['groups'][number][],
  catalog: readonly InstanceType[],
  agentMetrics: readonly ListedMetric[],
): PlannedQuery[] {
  const burstable = new Set(catalog.filter((t) => t.burstable).map((t) => t.name));
  const hostIds = new Set(hosts.map((h) => h.id));
  const queries: PlannedQuery[] = [];
  for (const host of hosts) {
    const dimensions = [{ Name: 'InstanceId', Value: host.id }];
    const specs =
      burstable.has(host.instanceType) || BURSTABLE_FAMILY.test(host.instanceType)
        ? [...INSTANCE_METRICS, ...CREDIT_METRICS]
        : INSTANCE_METRICS;
    for (const spec of specs) queries.push({ ...spec, subjectKind: 'host', subjectId: host.id, dimensions });
    for (const [name, spec] of Object.entries(AGENT_METRICS)) {
      const found = agentDimensions(agentMetrics, name, host.id);
      if (found) queries.push({ ...spec, subjectKind: 'host', subjectId: host.id, dimensions: found });
    }
  }
  for (const volume of volumes) {
    if (!volume.attachedTo.some((a) => hostIds.has(a.hostId))) continue;
    const dimensions = [{ Name: 'VolumeId', Value: volume.id }];
    const specs = BURST_VOLUME_TYPES.has(volume.type) ? [...VOLUME_METRICS, BURST_METRIC] : VOLUME_METRICS;
    for (const spec of specs)
      queries.push({ ...spec, subjectKind: 'volume', subjectId: volume.id, dimensions });
  }
  for (const group of groups) {
    const dimensions = [{ Name: 'AutoScalingGroupName', Value: group.name }];
    for (const enabled of group.enabledMetrics) {
      const spec = GROUP_METRICS.get(enabled);
      if (spec) queries.push({ ...spec, subjectKind: 'group', subjectId: group.id, dimensions });
    }
  }
  return queries;
}

/** The agent publishes one metric under several dimension sets; take the host's narrowest one. */
function agentDimensions(listed: readonly ListedMetric[], name: string, hostId: string) {
  const candidates = listed
    .filter(
      (m) => m.MetricName === name && m.Dimensions.some((d) => d.Name === 'InstanceId' && d.Value === hostId),
    )
    // cpu_usage_* is per CPU and for `cpu-total`; only the total describes the host.
    .filter((m) => !m.Dimensions.some((d) => d.Name === 'cpu' && d.Value !== 'cpu-total'))
    .sort((a, b) => a.Dimensions.length - b.Dimensions.length);
  return candidates[0]?.Dimensions;
}

/** One batch's series, and the queries CloudWatch answered with something other than data. */
interface BatchResult {
  series: MetricSeries[];
  /** `subject metric: StatusCode` for each query answered Forbidden or InternalError, and API messages. */
  problems: string[];
}

async function getMetricData(
  ctx: ProviderContext<AwsConfig>,
  cloudwatch: ReturnType<AwsClientFactory['forRegion']>['cloudwatch'],
  region: string,
  batch: readonly PlannedQuery[],
): Promise<BatchResult> {
  const { window } = ctx;
  const { GetMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
  const byId = new Map(batch.map((query, index) => [`q${index}`, query]));
  const raw = new Map<string, { times: number[]; values: number[] }>();
  const problems = new Set<string>();
  const queries: MetricDataQuery[] = [...byId].map(([id, q]) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: q.namespace, MetricName: q.name, Dimensions: q.dimensions },
      Period: window.stepSec,
      Stat: q.stat,
    },
    ReturnData: true,
  }));
  const operation = 'cloudwatch.GetMetricData';
  const points = batch.length * pointsPerSeries(window);
  // A batch is sized to fit one page; CloudWatch pages past 100,800 datapoints, so twice that is plenty.
  const maxPages = 2 * Math.ceil(points / MAX_DATAPOINTS_PER_CALL) + 1;
  await followPages('aws', operationLabel({ operation, region }), maxPages, async (token) => {
    const out = await ctx.call(
      {
        bucket: 'cloudwatch.GetMetricData',
        operation,
        region,
        units: Math.min(MAX_DATAPOINTS_PER_CALL, points),
      },
      async (signal) => {
        const command = new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(window.fromMs),
          EndTime: new Date(window.toMs),
          ScanBy: 'TimestampAscending',
          NextToken: token,
        });
        const taken = takeMetricDataResults(command);
        const answer = await cloudwatch.send(command, { abortSignal: signal });
        return { ...answer, MetricDataResults: taken() };
      },
    );
    if (!Array.isArray(out.MetricDataResults)) {
      throw new ProviderError(
        'aws',
        'bad-response',
        operationLabel({ operation, region }),
        'answered 200 without MetricDataResults: not a GetMetricData response',
      );
    }
    for (const message of out.Messages ?? [])
      problems.add(`${message.Code ?? 'message'}: ${message.Value ?? ''}`.trim());
    for (const result of parseList(ctx, MetricDataResult, out.MetricDataResults, 'metric results')) {
      const query = byId.get(result.Id);
      if (!query) continue;
      // PartialData means "more on the next page"; Forbidden and InternalError mean no data for it.
      if (result.StatusCode === 'Forbidden' || result.StatusCode === 'InternalError') {
        problems.add(`${query.subjectId} ${query.namespace} ${query.name}: ${result.StatusCode}`);
      }
      const into = raw.get(result.Id) ?? { times: [], values: [] };
      raw.set(result.Id, into);
      // Two flat arrays, not a pair per point: a fleet's pages are tens of millions of points.
      const { Timestamps: times, Values: values } = result;
      const bad = readDatapoints(times, values, into);
      if (bad !== undefined) {
        throw new ProviderError(
          'aws',
          'bad-response',
          operationLabel({ operation, region }),
          `answered a datapoint that is not a time and a number (${result.Id} #${bad}: ${JSON.stringify([times[bad], values[bad]]).slice(0, 80)})`,
        );
      }
    }
    return { items: [], next: out.NextToken };
  });

  const series = [...byId].flatMap(([id, query]) => {
    const got = raw.get(id);
    if (!got || got.times.length === 0) return [];
    // `ScanBy: TimestampAscending` pages come in order already: timeOrdered only checks them.
    const { timesMs: times, values } = timeOrdered(got.times, got.values);
    const stepSec = effectiveStepSec(times, window.stepSec);
    return [
      {
        subjectKind: query.subjectKind,
        subjectId: query.subjectId,
        metric: query.metric,
        unit: query.unit,
        ...mapColumns(columnsFromTimes(times, values, stepSec), (v) => convert(v, query.convert, stepSec)),
        source: `${query.namespace} ${query.name} ${query.stat} (${stepSec} s)`,
      } satisfies MetricSeries,
    ];
  });
  return { series, problems: [...problems] };
}

/**
 * The period a series' datapoints really cover. Asked for 60 s, an instance on basic monitoring
 * still answers one Sum per 5 minutes; dividing that Sum by 60 would read 5× too high.
 */
export function effectiveStepSec(timesMs: readonly number[], requestedSec: number): number {
  if (timesMs.length < 3) return requestedSec;
  const gaps = new Float64Array(timesMs.length - 1);
  for (let i = 1; i < timesMs.length; i++) gaps[i - 1] = (timesMs[i]! - timesMs[i - 1]!) / 1000;
  gaps.sort();
  const median = gaps[Math.floor(gaps.length / 2)]!;
  return median > requestedSec * 1.5 ? Math.round(median / 60) * 60 : requestedSec;
}

/**
 * Appends a result's datapoints to `into`, skipping the non-finite values a JSON answer can spell
 * ("NaN", "Infinity"); returns the index of the first datapoint that is no time and number at all
 * (a malformed answer), or undefined.
 */
function readDatapoints(
  times: readonly unknown[],
  values: readonly unknown[],
  into: { times: number[]; values: number[] },
): number | undefined {
  if (times.length !== values.length) return Math.min(times.length, values.length);
  for (let i = 0; i < times.length; i++) {
    const timeMs = timestampMs(times[i]);
    const value = values[i];
    if (!Number.isFinite(timeMs)) return i;
    if (typeof value === 'number') {
      into.times.push(timeMs);
      into.values.push(value);
    } else if (!(typeof value === 'string' && NON_FINITE.has(value))) {
      return i;
    }
  }
  return undefined;
}

/** How the JSON protocol spells a double JSON has no number for. */
const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);

function convert(value: number, how: Conversion, periodSec: number): number {
  if (how === 'per-second') return value / periodSec;
  if (how === 'busy-percent') return Math.min(100, Math.max(0, (1 - value / periodSec) * 100));
  return value;
}

// The AWS adapter: EC2 and Auto Scaling inventory, DescribeInstanceTypes specs over the bundled
// catalog, and CloudWatch metrics, through the real SDK v3 clients (README.md beside this file).
import type { AwsConfig as AwsConfigType } from '../../src/config/schema.ts';
import { AwsConfig } from '../../src/config/schema.ts';
import type { MetricName } from '../../src/model/index.ts';
import type { BlindSpot, NetOptions, ObservedCounts, ProviderAdapter } from '../types.ts';
import { listInstanceTypes, TYPES_PER_CALL } from './catalog.ts';
import type { AwsClientFactory, AwsClientOptions } from './clients.ts';
import { toProviderError } from './errors.ts';
import { listInventory, PAGE_SIZE } from './inventory.ts';
import { fetchMetrics, LIST_METRICS_PAGE, minimumMetricCalls } from './metrics.ts';
import { minimumPolicyCalls } from './policies.ts';

const AGENT_DIMENSIONS: Record<string, BlindSpot> = {
  'mem.used': 'memory',
  'cpu.iowait': 'iowait',
  'cpu.steal': 'steal',
};

export function createAwsAdapter(
  options: AwsClientOptions = {},
  net?: NetOptions,
): ProviderAdapter<AwsConfigType> {
  // The SDK clients load only when an AWS account is collected (issue 12: a run loads its clouds only).
  let clients: Promise<AwsClientFactory> | undefined;
  const clientsFor = (config: AwsConfigType) =>
    (clients ??= import('./clients.ts').then((m) => m.createClientFactory(config, options)));

  return {
    id: 'aws',
    configSchema: AwsConfig,
    limits: {
      // EC2 non-mutating actions: token bucket of 100, refilled at 20 per second, per account and region.
      // https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
      ec2: {
        concurrency: 10,
        requestsPerInterval: 20,
        intervalMs: 1_000,
        source: 'https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html',
      },
      // GetMetricData: 50 transactions per second per account and region.
      // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html
      'cloudwatch.GetMetricData': {
        concurrency: 10,
        requestsPerInterval: 50,
        intervalMs: 1_000,
        // And 396,000 datapoints per second when StartTime is older than 3 hours (same quotas page):
        // about four full calls a second, the binding limit for any fleet of real size.
        unitsPerInterval: 396_000,
        // Two full calls at once, not four: CloudWatch's bucket holds a second's worth, so calls that
        // reach it bunched (one held up on the way, the next not) still find their datapoints there.
        unitsBurst: 2 * 100_800,
        source: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html',
      },
      // ListMetrics: 25 transactions per second (same quotas page).
      cloudwatch: {
        concurrency: 5,
        requestsPerInterval: 25,
        intervalMs: 1_000,
        source: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html',
      },
      // DescribeAlarms: 9 transactions per second per account and region (same quotas page).
      'cloudwatch.DescribeAlarms': {
        concurrency: 2,
        requestsPerInterval: 9,
        intervalMs: 1_000,
        source: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html',
      },
      // Auto Scaling publishes no per-action rate for Describe calls; a few calls per region, one at a time,
      // with throttling errors retried. https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-quotas.html
      autoscaling: {
        concurrency: 2,
        source: 'https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-quotas.html',
      },
    },
    ...(net ? { net } : {}),
    toProviderError,
    inventory: async (ctx) => listInventory(ctx, await clientsFor(ctx.config)),
    catalog: async (ctx, inventory) => listInstanceTypes(ctx, await clientsFor(ctx.config), inventory),
    metrics: async (ctx, inventory, catalog) =>
      fetchMetrics(ctx, await clientsFor(ctx.config), inventory, catalog),
    minimumCalls: minimumAwsCalls,
    blindSpots: (_host, metrics) => agentBlindSpots(metrics),
    dispose: () => {
      const opened = clients;
      clients = undefined;
      void opened?.then(
        (c) => c.destroy(),
        () => {},
      );
    },
  };
}

/** providers.md §6, per operation, from what the listings returned in each region. */
export function minimumAwsCalls(
  window: Parameters<ProviderAdapter['minimumCalls']>[0],
  observed: ObservedCounts,
) {
  const regions = Object.keys(observed.instances ?? {});
  const sum = (f: (region: string) => number, over = regions) =>
    over.reduce((total, region) => total + f(region), 0);
  const count = (what: string, region: string) => observed[what]?.[region] ?? 0;
  const pages = (items: number, pageSize: number) => Math.max(1, Math.ceil(items / pageSize));
  const metricRegions = Object.keys(observed.series ?? {});
  return {
    'ec2.DescribeInstances': sum((r) => pages(count('instances', r), PAGE_SIZE.instances)),
    'ec2.DescribeVolumes': sum((r) => pages(count('volumes', r), PAGE_SIZE.volumes)),
    'autoscaling.DescribeAutoScalingGroups': sum((r) => pages(count('groups', r), PAGE_SIZE.groups)),
    'ec2.DescribeInstanceTypes': sum(
      (r) => Math.ceil(count('instance-types', r) / TYPES_PER_CALL),
      Object.keys(observed['instance-types'] ?? {}),
    ),
    'cloudwatch.ListMetrics': sum((r) => pages(count('agent-metrics', r), LIST_METRICS_PAGE), metricRegions),
    'cloudwatch.GetMetricData': sum((r) => minimumMetricCalls(count('series', r), window), metricRegions),
    ...minimumPolicyCalls(observed),
  };
}

function agentBlindSpots(present: ReadonlySet<MetricName>): BlindSpot[] {
  return Object.entries(AGENT_DIMENSIONS).flatMap(([metric, spot]) =>
    present.has(metric as MetricName) ? [] : [spot],
  );
}

import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  paginateDescribeAutoScalingGroups,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  GetMetricDataCommand,
  type GetMetricDataCommandOutput,
  ListMetricsCommand,
  type MetricDataQuery,
  type MetricDataResult,
  PutMetricDataCommand,
  paginateGetMetricData,
  paginateListMetrics,
} from '@aws-sdk/client-cloudwatch';
import {
  type _InstanceType,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeVolumesCommand,
  EC2Client,
  paginateDescribeInstances,
  paginateDescribeInstanceTypes,
  paginateDescribeVolumes,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
// NOTE: the SDK's own protocol classes (a dependency of every client) force the protocols a future
// client might switch to, so the refusal is tested through a real client, not a hand-made request.
import { AwsQueryProtocol, AwsSmithyRpcV2CborProtocol } from '@aws-sdk/core/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bundledScenarioPath,
  loadScenario,
  parseScenario,
  type Scenario,
} from '../../mocks/scenarios/schema.ts';
import { type AwsMock, startAwsMock } from '../../mocks/servers/aws.ts';

const nowMs = Date.parse('2025-01-15T00:00:00Z');
const now = () => nowMs;
const dayMs = 86_400_000;
const fourteenDays = { StartTime: new Date(nowMs - 14 * dayMs), EndTime: new Date(nowMs) };
const testFleet = loadScenario(bundledScenarioPath('test-fleet'));

const ids = {
  web1: 'i-0a1b2c3d4e5f60001',
  db: 'i-0a1b2c3d4e5f60004',
  bastion: 'i-0a1b2c3d4e5f60005',
  stopped: 'i-0a1b2c3d4e5f60007',
  dbRoot: 'vol-0a1b2c3d4e5f61004',
  dbData: 'vol-0a1b2c3d4e5f61005',
  webRoot: 'vol-0a1b2c3d4e5f61001',
};

function clientsFor(mock: AwsMock, region = 'eu-west-1', accessKeyId = 'test') {
  const config = {
    region,
    endpoint: mock.endpoint,
    credentials: { accessKeyId, secretAccessKey: 'test' },
    maxAttempts: 1,
  };
  return { cw: new CloudWatchClient(config), ec2: new EC2Client(config), asg: new AutoScalingClient(config) };
}

interface SdkError {
  name: string;
  message: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

async function failure(call: Promise<unknown>): Promise<SdkError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected the call to fail');
}

/** Drains a paginator; more than `maxPages` pages fails, so a token loop cannot spin forever. */
async function allPages<T>(pages: AsyncIterable<T>, maxPages = 50): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) {
    out.push(page);
    if (out.length > maxPages) throw new Error(`more than ${maxPages} pages`);
  }
  return out;
}

function query(
  id: string,
  namespace: string,
  metricName: string,
  dimensions: Record<string, string>,
  stat = 'Average',
  periodSec = 300,
): MetricDataQuery {
  const Dimensions = Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }));
  return {
    Id: id,
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: metricName, Dimensions },
      Period: periodSec,
      Stat: stat,
    },
  };
}

function resultOf(output: GetMetricDataCommandOutput, id: string): MetricDataResult {
  const result = output.MetricDataResults?.find((entry) => entry.Id === id);
  if (!result) throw new Error(`no result ${id}`);
  return result;
}

function valuesOf(output: GetMetricDataCommandOutput, id: string): number[] {
  return resultOf(output, id).Values ?? [];
}

/** A fleet of `count` m5.large hosts with one gp3 volume each, spread over `groups` groups. */
function generatedFleet(count: number, groups: number): Scenario {
  const hex = (n: number) => n.toString(16).padStart(16, '0');
  const instances = Array.from({ length: count }, (_, index) => ({
    id: `i-1${hex(index)}`,
    type: 'm5.large',
    az: 'eu-west-1a',
    group: `group-${index % groups}`,
    cpu: { shape: 'diurnal', base: 10, peak: 40 },
    volumes: [{ id: `vol-1${hex(index)}`, device: '/dev/xvda', type: 'gp3', sizeGiB: 20 }],
  }));
  const autoScalingGroups = Array.from({ length: groups }, (_, index) => ({
    name: `group-${index}`,
    minSize: 0,
    maxSize: count,
    desiredCapacity: instances.filter((instance) => instance.group === `group-${index}`).length,
  }));
  return parseScenario({
    name: 'generated',
    aws: { regions: { 'eu-west-1': { instances, autoScalingGroups } } },
  });
}

let mock: AwsMock;
let eu: ReturnType<typeof clientsFor>;

beforeAll(async () => {
  mock = await startAwsMock({ scenario: testFleet, now });
  eu = clientsFor(mock);
});

afterAll(async () => {
  await mock.close();
});

describe('EC2 inventory', () => {
  it('decodes instances with type, zone, state, launch time, tags and their EBS volumes', async () => {
    const output = await eu.ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['running'] }] }),
    );
    const instances = output.Reservations?.flatMap((reservation) => reservation.Instances ?? []) ?? [];
    expect(instances).toHaveLength(6);
    const db = instances.find((instance) => instance.InstanceId === ids.db);
    expect(db?.InstanceType).toBe('r5.xlarge');
    expect(db?.Placement?.AvailabilityZone).toBe('eu-west-1a');
    expect(db?.State).toEqual({ Code: 16, Name: 'running' });
    expect(db?.LaunchTime).toEqual(new Date(nowMs - 120 * dayMs));
    expect(db?.Monitoring?.State).toBe('enabled');
    expect(db?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'Name', Value: 'db-1' },
        { Key: 'role', Value: 'database' },
      ]),
    );
    expect(db?.BlockDeviceMappings?.map((mapping) => [mapping.DeviceName, mapping.Ebs?.VolumeId])).toEqual([
      ['/dev/xvda', ids.dbRoot],
      ['/dev/sdf', ids.dbData],
    ]);
    const web = instances.find((instance) => instance.InstanceId === ids.web1);
    expect(web?.Tags).toContainEqual({ Key: 'aws:autoscaling:groupName', Value: 'web-asg' });
  });

  it('pages DescribeInstances with MaxResults and NextToken', async () => {
    const pages = await allPages(paginateDescribeInstances({ client: eu.ec2, pageSize: 5 }, {}));
    expect(pages.map((page) => page.Reservations?.length)).toEqual([5, 2]);
    const all = pages.flatMap(
      (page) => page.Reservations?.flatMap((r) => r.Instances?.map((i) => i.InstanceId)) ?? [],
    );
    expect(new Set(all).size).toBe(7);
    const stopped = await eu.ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids.stopped] }));
    expect(stopped.Reservations?.[0]?.Instances?.[0]?.State).toEqual({ Code: 80, Name: 'stopped' });
  });

  it('rejects MaxResults with InstanceIds, out-of-range MaxResults and unknown instances as EC2 does', async () => {
    const combined = await failure(
      eu.ec2.send(new DescribeInstancesCommand({ InstanceIds: [ids.db], MaxResults: 5 })),
    );
    expect(combined.name).toBe('InvalidParameterCombination');
    const tooSmall = await failure(eu.ec2.send(new DescribeInstancesCommand({ MaxResults: 4 })));
    expect(tooSmall.name).toBe('InvalidParameterValue');
    const missing = await failure(
      eu.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0fffffffffffffff0'] })),
    );
    expect(missing.name).toBe('InvalidInstanceID.NotFound');
    expect(missing.$metadata?.httpStatusCode).toBe(400);
    const badFilter = await failure(
      eu.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })),
    );
    expect(badFilter.name).toBe('InvalidParameterValue');
  });

  it('describes volumes with type, size, IOPS, throughput and attachment, and pages them', async () => {
    const db = await eu.ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [ids.db] }] }),
    );
    const byId = new Map(db.Volumes?.map((volume) => [volume.VolumeId, volume]));
    expect(byId.get(ids.dbRoot)).toMatchObject({ VolumeType: 'gp2', Size: 100, Iops: 300, State: 'in-use' });
    expect(byId.get(ids.dbRoot)?.Throughput).toBeUndefined();
    expect(byId.get(ids.dbData)).toMatchObject({
      VolumeType: 'io1',
      Size: 500,
      Iops: 4000,
      Tags: [{ Key: 'purpose', Value: 'data' }],
    });
    expect(byId.get(ids.dbData)?.Attachments).toEqual([
      expect.objectContaining({ InstanceId: ids.db, Device: '/dev/sdf', State: 'attached' }),
    ]);
    const web = await eu.ec2.send(new DescribeVolumesCommand({ VolumeIds: [ids.webRoot] }));
    expect(web.Volumes?.[0]).toMatchObject({
      VolumeType: 'gp3',
      Iops: 3000,
      Throughput: 125,
      AvailabilityZone: 'eu-west-1a',
    });
    const pages = await allPages(paginateDescribeVolumes({ client: eu.ec2, pageSize: 5 }, {}));
    expect(pages.map((page) => page.Volumes?.length)).toEqual([5, 3]);
  });

  it('answers DescribeInstanceTypes from the bundled catalog, 100 at a time', async () => {
    const output = await eu.ec2.send(
      new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.medium', 'm5.large'] }),
    );
    const t3 = output.InstanceTypes?.find((type) => type.InstanceType === 't3.medium');
    expect(t3?.VCpuInfo?.DefaultVCpus).toBe(2);
    expect(t3?.MemoryInfo?.SizeInMiB).toBe(4096);
    expect(t3?.BurstablePerformanceSupported).toBe(true);
    expect(t3?.ProcessorInfo?.SupportedArchitectures).toEqual(['x86_64']);
    expect(t3?.NetworkInfo?.NetworkPerformance).toBe('Up to 5 Gigabit');
    expect(t3?.NetworkInfo?.NetworkCards?.[0]).toMatchObject({
      BaselineBandwidthInGbps: 0.256,
      PeakBandwidthInGbps: 5,
    });
    expect(t3?.EbsInfo?.EbsOptimizedInfo).toMatchObject({
      BaselineIops: 2000,
      MaximumIops: 11800,
      MaximumBandwidthInMbps: 2085,
    });
    const pages = await allPages(paginateDescribeInstanceTypes({ client: eu.ec2 }, {}));
    expect(pages.map((page) => page.InstanceTypes?.length)).toEqual([100, 46]);
    const unknown = await failure(
      // NOTE: a name outside the SDK's enum, sent the way an old catalog or a typo would send it.
      eu.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.galactic' as _InstanceType] })),
    );
    expect(unknown.name).toBe('InvalidInstanceType');
    expect(unknown.message).toContain('t3.galactic');
  });
});

describe('Auto Scaling', () => {
  it('describes the group: sizes, members, enabled metrics at 1Minute, tags', async () => {
    const output = await eu.asg.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-asg', 'nope'] }),
    );
    expect(output.AutoScalingGroups).toHaveLength(1);
    const group = output.AutoScalingGroups?.[0];
    expect(group).toMatchObject({
      AutoScalingGroupName: 'web-asg',
      MinSize: 2,
      MaxSize: 6,
      DesiredCapacity: 3,
    });
    expect(
      group?.Instances?.map((instance) => [
        instance.InstanceId,
        instance.LifecycleState,
        instance.HealthStatus,
      ]),
    ).toEqual([
      [ids.web1, 'InService', 'Healthy'],
      ['i-0a1b2c3d4e5f60002', 'InService', 'Healthy'],
      ['i-0a1b2c3d4e5f60003', 'InService', 'Healthy'],
    ]);
    expect(group?.Instances?.[0]).toMatchObject({ AvailabilityZone: 'eu-west-1a', InstanceType: 'm5.large' });
    expect(group?.EnabledMetrics).toContainEqual({ Metric: 'GroupDesiredCapacity', Granularity: '1Minute' });
    expect(group?.Tags).toContainEqual(expect.objectContaining({ Key: 'team', Value: 'web' }));
    const tooMany = await failure(eu.asg.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 101 })));
    expect(tooMany.name).toBe('ValidationError');
  });

  it('pages groups with MaxRecords and NextToken', async () => {
    const generated = await startAwsMock({ scenario: generatedFleet(12, 5), now });
    try {
      const { asg } = clientsFor(generated);
      const pages = await allPages(paginateDescribeAutoScalingGroups({ client: asg, pageSize: 2 }, {}));
      expect(pages.map((page) => page.AutoScalingGroups?.length)).toEqual([2, 2, 1]);
      expect(
        pages.flatMap((page) => page.AutoScalingGroups?.map((group) => group.Instances?.length)),
      ).toEqual([3, 3, 2, 2, 2]);
    } finally {
      await generated.close();
    }
  });
});

describe('CloudWatch GetMetricData', () => {
  it('returns 4,032 points for 14 days at 300 s, aligned to the period, newest first', async () => {
    const output = await eu.cw.send(
      new GetMetricDataCommand({
        ...fourteenDays,
        MetricDataQueries: [query('cpu', 'AWS/EC2', 'CPUUtilization', { InstanceId: ids.web1 })],
      }),
    );
    const result = resultOf(output, 'cpu');
    expect(result.StatusCode).toBe('Complete');
    expect(result.Timestamps).toHaveLength(4032);
    expect(result.Timestamps?.[0]).toEqual(new Date(nowMs - 300_000));
    expect(result.Timestamps?.at(-1)).toEqual(fourteenDays.StartTime);
    expect(result.Timestamps?.every((t) => t.getTime() % 300_000 === 0)).toBe(true);
    // diurnal 12..38 % with the default 3 % noise
    expect(Math.min(...(result.Values ?? []))).toBeGreaterThan(10);
    expect(Math.max(...(result.Values ?? []))).toBeLessThan(40);
    expect(output.NextToken).toBeUndefined();
    const ascending = await eu.cw.send(
      new GetMetricDataCommand({
        ...fourteenDays,
        ScanBy: 'TimestampAscending',
        MetricDataQueries: [query('cpu', 'AWS/EC2', 'CPUUtilization', { InstanceId: ids.web1 })],
      }),
    );
    expect(resultOf(ascending, 'cpu').Timestamps?.[0]).toEqual(fourteenDays.StartTime);
    expect(valuesOf(ascending, 'cpu')).toEqual([...(result.Values ?? [])].reverse());
  });

  it('follows CloudWatch statistics: Sum = Average x SampleCount, coarser periods pool the samples', async () => {
    const volume = { VolumeId: ids.dbData };
    const output = await eu.cw.send(
      new GetMetricDataCommand({
        ...fourteenDays,
        MetricDataQueries: [
          query('sum', 'AWS/EBS', 'VolumeReadOps', volume, 'Sum'),
          query('avg', 'AWS/EBS', 'VolumeReadOps', volume, 'Average'),
          query('count', 'AWS/EBS', 'VolumeReadOps', volume, 'SampleCount'),
          query('max', 'AWS/EBS', 'VolumeReadOps', volume, 'Maximum'),
          query('cpu', 'AWS/EC2', 'CPUUtilization', { InstanceId: ids.web1 }, 'SampleCount'),
          query('cpuhour', 'AWS/EC2', 'CPUUtilization', { InstanceId: ids.web1 }, 'SampleCount', 3600),
        ],
      }),
    );
    const sum = valuesOf(output, 'sum');
    const avg = valuesOf(output, 'avg');
    expect(sum).toHaveLength(4032);
    // EBS volumes publish 1-minute data: 5 samples per 5-minute bucket.
    expect(new Set(valuesOf(output, 'count'))).toEqual(new Set([5]));
    sum.forEach((value, index) => {
      expect(value).toBeCloseTo((avg[index] ?? 0) * 5, 6);
    });
    valuesOf(output, 'max').forEach((value, index) => {
      expect(value).toBeGreaterThanOrEqual(avg[index] ?? 0);
    });
    // Basic monitoring: one 5-minute sample per bucket, 12 an hour.
    expect(new Set(valuesOf(output, 'cpu'))).toEqual(new Set([1]));
    expect(new Set(valuesOf(output, 'cpuhour'))).toEqual(new Set([12]));
    // Reads per second stay around the diurnal 800..3,200 IOPS the scenario asks for.
    const iops = sum.map((value) => value / 300);
    expect(Math.min(...iops)).toBeGreaterThan(700);
    expect(Math.max(...iops)).toBeLessThan(3300);
  });

  it('reports instance EBS metrics as the sum over the attached volumes', async () => {
    const output = await eu.cw.send(
      new GetMetricDataCommand({
        ...fourteenDays,
        MetricDataQueries: [
          query('instance', 'AWS/EC2', 'EBSReadOps', { InstanceId: ids.db }, 'Sum'),
          query('root', 'AWS/EBS', 'VolumeReadOps', { VolumeId: ids.dbRoot }, 'Sum'),
          query('data', 'AWS/EBS', 'VolumeReadOps', { VolumeId: ids.dbData }, 'Sum'),
        ],
      }),
    );
    const root = valuesOf(output, 'root');
    const data = valuesOf(output, 'data');
    valuesOf(output, 'instance').forEach((value, index) => {
      expect(value).toBeCloseTo((root[index] ?? 0) + (data[index] ?? 0), 3);
    });
  });

  it('simulates the t3 credit balance within its 24-hour cap, spending what the CPU used', async () => {
    const bastion = { InstanceId: ids.bastion };
    const output = await eu.cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(nowMs - 7 * dayMs),
        EndTime: new Date(nowMs),
        MetricDataQueries: [
          query('balance', 'AWS/EC2', 'CPUCreditBalance', bastion),
          query('usage', 'AWS/EC2', 'CPUCreditUsage', bastion, 'Sum'),
          query('cpu', 'AWS/EC2', 'CPUUtilization', bastion),
        ],
      }),
    );
    const balance = valuesOf(output, 'balance');
    expect(balance).toHaveLength(2016);
    expect(Math.min(...balance)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...balance)).toBeLessThanOrEqual(576);
    const cpu = valuesOf(output, 'cpu');
    // One credit = one vCPU-minute at 100 %: usage over 5 min = CPU% x 2 vCPUs x 5 / 100.
    valuesOf(output, 'usage').forEach((usage, index) => {
      expect(usage).toBeCloseTo(((cpu[index] ?? 0) * 2 * 5) / 100, 6);
    });
  });

  it('pages with NextToken when a call would return more than 100,800 datapoints', async () => {
    const names = [
      'CPUUtilization',
      'NetworkIn',
      'NetworkOut',
      'EBSReadOps',
      'EBSWriteOps',
      'NetworkPacketsIn',
    ];
    const hosts = [
      'i-0a1b2c3d4e5f60001',
      'i-0a1b2c3d4e5f60002',
      'i-0a1b2c3d4e5f60003',
      ids.db,
      'i-0a1b2c3d4e5f60006',
    ];
    const queries = hosts.flatMap((host, h) =>
      names.map((name, n) => query(`q${h}_${n}`, 'AWS/EC2', name, { InstanceId: host })),
    );
    expect(queries).toHaveLength(30); // 30 x 4,032 = 120,960 points
    const before = mock.requests.length;
    const pages = await allPages(
      paginateGetMetricData({ client: eu.cw }, { ...fourteenDays, MetricDataQueries: queries }),
    );
    expect(pages).toHaveLength(2);
    expect(pages[0]?.NextToken).toBeDefined();
    expect(pages[0]?.MetricDataResults?.some((result) => result.StatusCode === 'PartialData')).toBe(true);
    const pointsPerId = new Map<string, number>();
    for (const result of pages.flatMap((page) => page.MetricDataResults ?? [])) {
      pointsPerId.set(
        result.Id ?? '',
        (pointsPerId.get(result.Id ?? '') ?? 0) + (result.Values?.length ?? 0),
      );
    }
    expect([...pointsPerId.values()]).toEqual(new Array(30).fill(4032));
    const logged = mock.requests.slice(before).filter((record) => record.action === 'GetMetricData');
    expect(logged.map((record) => [record.queries, record.datapoints])).toEqual([
      [30, 100_800],
      [30, 20_160],
    ]);
  });

  it('honours a smaller MaxDatapoints', async () => {
    const input = {
      ...fourteenDays,
      MaxDatapoints: 1000,
      MetricDataQueries: [query('cpu', 'AWS/EC2', 'CPUUtilization', { InstanceId: ids.db })],
    };
    const pages = await allPages(paginateGetMetricData({ client: eu.cw }, input));
    expect(pages.map((page) => page.MetricDataResults?.[0]?.Values?.length)).toEqual([
      1000, 1000, 1000, 1000, 32,
    ]);
  });

  it('rejects 501 queries and bad query ids with the ValidationError shape', async () => {
    const queries = Array.from({ length: 501 }, (_, index) =>
      query(`q${index}`, 'AWS/EC2', 'CPUUtilization', { InstanceId: ids.db }),
    );
    const tooMany = await failure(
      eu.cw.send(new GetMetricDataCommand({ ...fourteenDays, MetricDataQueries: queries })),
    );
    expect(tooMany.Code).toBe('ValidationError');
    expect(tooMany.$metadata?.httpStatusCode).toBe(400);
    expect(tooMany.message).toContain('500');
    const badId = await failure(
      eu.cw.send(
        new GetMetricDataCommand({
          ...fourteenDays,
          MetricDataQueries: [query('Cpu-1', 'AWS/EC2', 'CPUUtilization', {})],
        }),
      ),
    );
    expect(badId.Code).toBe('ValidationError');
    expect(badId.message).toContain('Cpu-1');
  });

  it('returns empty Timestamps and Values for metrics without data', async () => {
    const output = await eu.cw.send(
      new GetMetricDataCommand({
        ...fourteenDays,
        MetricDataQueries: [
          query('stopped', 'AWS/EC2', 'CPUUtilization', { InstanceId: ids.stopped }),
          query('gp3burst', 'AWS/EBS', 'BurstBalance', { VolumeId: ids.webRoot }),
          query('partial', 'AWS/EC2', 'CPUUtilization', { InstanceId: ids.db, ImageId: 'ami-0' }),
        ],
      }),
    );
    for (const id of ['stopped', 'gp3burst', 'partial']) {
      expect(resultOf(output, id)).toMatchObject({ Timestamps: [], Values: [], StatusCode: 'Complete' });
    }
  });

  it('publishes AWS/AutoScaling metrics only for the enabled ones, at whole instances', async () => {
    const list = await eu.cw.send(new ListMetricsCommand({ Namespace: 'AWS/AutoScaling' }));
    expect(list.Metrics?.map((metric) => metric.MetricName).sort()).toEqual([
      'GroupDesiredCapacity',
      'GroupInServiceInstances',
      'GroupMaxSize',
    ]);
    const output = await eu.cw.send(
      new GetMetricDataCommand({
        ...fourteenDays,
        MetricDataQueries: [
          query(
            'desired',
            'AWS/AutoScaling',
            'GroupDesiredCapacity',
            { AutoScalingGroupName: 'web-asg' },
            'Maximum',
            60,
          ),
        ],
      }),
    );
    const desired = valuesOf(output, 'desired');
    expect(desired).toHaveLength(20_160);
    expect(desired.every((value) => Number.isInteger(value) && value >= 2 && value <= 6)).toBe(true);
  });
});

describe('CloudWatch ListMetrics', () => {
  it('lists CWAgent metrics only for the agent host, with the agent dimensions', async () => {
    const output = await eu.cw.send(new ListMetricsCommand({ Namespace: 'CWAgent' }));
    const metrics = output.Metrics ?? [];
    expect(metrics.map((metric) => metric.MetricName).sort()).toEqual([
      'cpu_usage_iowait',
      'cpu_usage_steal',
      'mem_used_percent',
    ]);
    for (const metric of metrics) {
      expect(metric.Dimensions).toContainEqual({ Name: 'InstanceId', Value: ids.db });
      expect(metric.Dimensions).toContainEqual({ Name: 'InstanceType', Value: 'r5.xlarge' });
    }
    const iowait = metrics.find((metric) => metric.MetricName === 'cpu_usage_iowait');
    expect(iowait?.Dimensions).toContainEqual({ Name: 'cpu', Value: 'cpu-total' });
    const mem = metrics.find((metric) => metric.MetricName === 'mem_used_percent');
    expect(mem?.Dimensions?.map((d) => d.Name)).not.toContain('cpu');
    const byInstance = await eu.cw.send(
      new ListMetricsCommand({ Dimensions: [{ Name: 'InstanceId', Value: ids.web1 }] }),
    );
    expect(byInstance.Metrics?.some((metric) => metric.Namespace === 'CWAgent')).toBe(false);
    expect(byInstance.Metrics?.map((metric) => metric.MetricName)).toContain('CPUUtilization');
    const data = await eu.cw.send(
      new GetMetricDataCommand({
        ...fourteenDays,
        MetricDataQueries: [{ Id: 'iowait', MetricStat: { Metric: iowait, Period: 300, Stat: 'Maximum' } }],
      }),
    );
    expect(Math.max(...valuesOf(data, 'iowait'))).toBeLessThanOrEqual(35);
    expect(valuesOf(data, 'iowait')).toHaveLength(4032);
  });

  it('pages at 500 metrics with NextToken', async () => {
    const generated = await startAwsMock({ scenario: generatedFleet(24, 2), now });
    try {
      const { cw } = clientsFor(generated);
      const pages = await allPages(paginateListMetrics({ client: cw }, {}));
      expect(pages.length).toBeGreaterThan(1);
      expect(pages[0]?.Metrics).toHaveLength(500);
      const keys = pages.flatMap((page) => page.Metrics?.map((metric) => JSON.stringify(metric)) ?? []);
      expect(new Set(keys).size).toBe(keys.length);
    } finally {
      await generated.close();
    }
  });
});

describe('faults', () => {
  let faulty: AwsMock;

  beforeAll(async () => {
    const scenario = parseScenario({
      ...testFleet,
      aws: {
        ...testFleet.aws,
        faults: [
          { kind: 'throttle', action: 'GetMetricData', region: 'eu-west-1' },
          { kind: 'throttle', action: 'DescribeInstances', region: 'eu-west-1', nth: 2, times: 2 },
          { kind: 'throttle', action: 'DescribeAutoScalingGroups', region: 'eu-west-1' },
          { kind: 'server-error', action: 'DescribeVolumes', region: 'eu-west-1' },
          { kind: 'server-error', action: 'ListMetrics', region: 'eu-west-1' },
          { kind: 'server-error', action: 'DescribeAutoScalingGroups', region: 'us-east-1' },
          { kind: 'access-denied', action: 'DescribeInstanceTypes', region: 'eu-west-1' },
          { kind: 'access-denied', action: 'ListMetrics', region: 'us-east-1' },
          { kind: 'expired-credentials', action: 'DescribeVolumes', region: 'us-east-1' },
          {
            kind: 'malformed',
            action: 'GetMetricData',
            region: 'us-east-1',
            match: { metricName: 'NetworkIn' },
          },
          {
            kind: 'malformed',
            action: 'DescribeInstances',
            region: 'us-east-1',
            body: 'wrong-types',
            times: 'always',
          },
        ],
      },
    });
    faulty = await startAwsMock({ scenario, now });
  });

  afterAll(async () => {
    await faulty.close();
  });

  it('throttles with each service real error and status', async () => {
    const { cw, ec2, asg } = clientsFor(faulty);
    const cpu = {
      ...fourteenDays,
      MetricDataQueries: [query('cpu', 'AWS/EC2', 'CPUUtilization', { InstanceId: ids.db })],
    };
    const cwThrottle = await failure(cw.send(new GetMetricDataCommand(cpu)));
    expect([cwThrottle.name, cwThrottle.$metadata?.httpStatusCode]).toEqual(['Throttling', 400]);
    await expect(cw.send(new GetMetricDataCommand(cpu))).resolves.toBeDefined(); // times: 1
    const asgThrottle = await failure(asg.send(new DescribeAutoScalingGroupsCommand({})));
    expect([asgThrottle.name, asgThrottle.$metadata?.httpStatusCode]).toEqual(['Throttling', 400]);
    // nth: 2, times: 2 -> calls 2 and 3 fail
    const outcomes = [];
    for (let call = 1; call <= 4; call += 1) {
      outcomes.push(
        await ec2.send(new DescribeInstancesCommand({})).then(
          () => 'ok',
          (error: SdkError) => `${error.name} ${error.$metadata?.httpStatusCode}`,
        ),
      );
    }
    expect(outcomes).toEqual(['ok', 'RequestLimitExceeded 503', 'RequestLimitExceeded 503', 'ok']);
  });

  it('answers server errors, access denied and expired credentials in each protocol', async () => {
    const euClients = clientsFor(faulty);
    const us = clientsFor(faulty, 'us-east-1');
    const cases: [() => Promise<unknown>, string, number][] = [
      [() => euClients.ec2.send(new DescribeVolumesCommand({})), 'InternalError', 500],
      [() => euClients.cw.send(new ListMetricsCommand({})), 'InternalServiceFault', 500],
      [() => us.asg.send(new DescribeAutoScalingGroupsCommand({})), 'InternalFailure', 500],
      [() => euClients.ec2.send(new DescribeInstanceTypesCommand({})), 'UnauthorizedOperation', 403],
      [() => us.cw.send(new ListMetricsCommand({})), 'AccessDenied', 403],
      [() => us.ec2.send(new DescribeVolumesCommand({})), 'RequestExpired', 400],
    ];
    for (const [call, name, status] of cases) {
      const error = await failure(call());
      expect([error.name, error.$metadata?.httpStatusCode]).toEqual([name, status]);
    }
  });

  it('treats the access key EXPIRED as expired credentials on every service', async () => {
    const expired = clientsFor(faulty, 'eu-west-1', 'EXPIRED');
    const cw = await failure(expired.cw.send(new ListMetricsCommand({})));
    expect([cw.name, cw.$metadata?.httpStatusCode]).toEqual(['ExpiredToken', 403]);
    const ec2 = await failure(expired.ec2.send(new DescribeInstanceTypesCommand({})));
    expect([ec2.name, ec2.$metadata?.httpStatusCode]).toEqual(['RequestExpired', 400]);
    const asg = await failure(expired.asg.send(new DescribeAutoScalingGroupsCommand({})));
    expect([asg.name, asg.$metadata?.httpStatusCode]).toEqual(['ExpiredToken', 403]);
  });

  it('sends 200 bodies the SDK cannot decode, only for the matching query', async () => {
    const us = clientsFor(faulty, 'us-east-1');
    const host = { InstanceId: 'i-0b1b2c3d4e5f60001' };
    const cpu = { ...fourteenDays, MetricDataQueries: [query('cpu', 'AWS/EC2', 'CPUUtilization', host)] };
    await expect(us.cw.send(new GetMetricDataCommand(cpu))).resolves.toBeDefined();
    const network = {
      ...fourteenDays,
      MetricDataQueries: [query('net', 'AWS/EC2', 'NetworkIn', host, 'Sum')],
    };
    const truncated = await failure(us.cw.send(new GetMetricDataCommand(network)));
    expect(truncated.message).toContain('Deserialization error');
    expect(truncated.$metadata?.httpStatusCode).toBe(200);
    const wrongTypes = await failure(us.ec2.send(new DescribeInstancesCommand({})));
    expect(wrongTypes.message).toContain('Deserialization error');
    expect(
      faulty.requests.filter((record) => record.fault === 'malformed').map((record) => record.status),
    ).toEqual([200, 200]);
  });
});

describe('rate limits', () => {
  it('throttles a burst above the published ListMetrics rate, and not when disabled', async () => {
    const burst = async (target: AwsMock) => {
      const { cw } = clientsFor(target);
      const calls = Array.from({ length: 60 }, () =>
        cw.send(new ListMetricsCommand({ Namespace: 'CWAgent' })).then(
          () => 'ok',
          (error: SdkError) => error.name,
        ),
      );
      return Promise.all(calls);
    };
    // The bucket refills on a clock that stands still: exactly its 25 go through, however slow the machine.
    const limited = await startAwsMock({ scenario: testFleet, now, limitsClockMs: () => 0 });
    const unlimited = await startAwsMock({ scenario: testFleet, now, rateLimits: false });
    try {
      const limitedOutcomes = await burst(limited);
      expect(limitedOutcomes.filter((outcome) => outcome === 'Throttling')).toHaveLength(35);
      expect(limitedOutcomes.filter((outcome) => outcome === 'ok')).toHaveLength(25);
      expect(new Set(await burst(unlimited))).toEqual(new Set(['ok']));
    } finally {
      await Promise.all([limited.close(), unlimited.close()]);
    }
  });
});

describe('GetMetricData datapoint rate', () => {
  it('throttles past 396,000 datapoints a second, counted by the points a page returns', async () => {
    // 25 queries × 4,032 five-minute points = one full page of 100,800 datapoints.
    const fullPage = new GetMetricDataCommand({
      MetricDataQueries: ['Average', 'Maximum', 'Minimum', 'Sum', 'SampleCount'].flatMap((stat, s) =>
        Array.from({ length: 5 }, (_, k) =>
          query(`q${s}_${k}`, 'AWS/EC2', 'CPUUtilization', { InstanceId: ids.web1 }, stat),
        ),
      ),
      StartTime: new Date(nowMs - 14 * 86_400_000),
      EndTime: new Date(nowMs),
    });
    const fourPages = async (target: AwsMock) => {
      const { cw } = clientsFor(target);
      const outcomes: string[] = [];
      for (let k = 0; k < 4; k += 1)
        outcomes.push(
          await cw.send(fullPage).then(
            (out) => `${out.MetricDataResults?.length}`,
            (e: SdkError) => e.name,
          ),
        );
      return outcomes;
    };
    // A clock that stands still: the bucket holds one second's 396,000 and never refills.
    const limited = await startAwsMock({ scenario: testFleet, now, limitsClockMs: () => 0 });
    const unlimited = await startAwsMock({ scenario: testFleet, now, rateLimits: false });
    try {
      expect(await fourPages(limited)).toEqual(['25', '25', '25', 'Throttling']);
      expect(
        limited.requests.filter((r) => r.action === 'GetMetricData').map((r) => r.datapoints ?? 0),
      ).toEqual([100_800, 100_800, 100_800, 0]);
      expect(await fourPages(unlimited)).toEqual(['25', '25', '25', '25']);
    } finally {
      await Promise.all([limited.close(), unlimited.close()]);
    }
  });
});

describe('refusals', () => {
  it('refuses mutating actions, saying the mock is read-only', async () => {
    const terminate = await failure(eu.ec2.send(new TerminateInstancesCommand({ InstanceIds: [ids.db] })));
    expect([terminate.name, terminate.$metadata?.httpStatusCode]).toEqual(['UnauthorizedOperation', 403]);
    expect(terminate.message).toMatch(/refuses the mutating action TerminateInstances.*read-only/);
    const put = await failure(
      eu.cw.send(
        new PutMetricDataCommand({ Namespace: 'Custom', MetricData: [{ MetricName: 'x', Value: 1 }] }),
      ),
    );
    expect([put.name, put.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
    expect(put.message).toContain('PutMetricData');
    const update = await failure(
      eu.asg.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: 'web-asg', MaxSize: 99 })),
    );
    expect([update.name, update.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 403]);
  });

  it('says which read actions it does not implement', async () => {
    const images = await failure(eu.ec2.send(new DescribeImagesCommand({})));
    expect(images.name).toBe('NotImplemented');
    expect(images.message).toContain('DescribeImages is not implemented');
    // DescribeAlarms is implemented (step scaling policies name their alarms); its history is not.
    const alarms = await failure(eu.cw.send(new DescribeAlarmHistoryCommand({})));
    expect(alarms.name).toBe('NotImplemented');
  });

  it('refuses CloudWatch over CBOR and over awsQuery with a message naming the protocol', async () => {
    const config = {
      region: 'eu-west-1',
      endpoint: mock.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    };
    const input = {
      ...fourteenDays,
      MetricDataQueries: [query('cpu', 'AWS/EC2', 'CPUUtilization', { InstanceId: ids.db })],
    };
    const cbor = await failure(
      new CloudWatchClient({ ...config, protocol: AwsSmithyRpcV2CborProtocol }).send(
        new GetMetricDataCommand(input),
      ),
    );
    expect([cbor.name, cbor.$metadata?.httpStatusCode]).toEqual(['UnsupportedProtocol', 400]);
    expect(cbor.message).toContain('Smithy RPC v2 CBOR is not implemented');
    const awsQuery = await failure(
      new CloudWatchClient({ ...config, protocol: AwsQueryProtocol }).send(new GetMetricDataCommand(input)),
    );
    expect(awsQuery.name).toBe('UnsupportedProtocol');
    expect(awsQuery.message).toContain('awsQuery protocol');
    const raw = await fetch(
      `${mock.endpoint}/service/GraniteServiceVersion20100801/operation/GetMetricData`,
      {
        method: 'POST',
        headers: { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' },
        body: new Uint8Array([0xa0]),
      },
    );
    expect([raw.status, raw.headers.get('content-type')]).toEqual([400, 'application/cbor']);
    expect(Buffer.from(await raw.arrayBuffer()).toString('latin1')).toContain('CBOR is not implemented');
  });
});

describe('determinism, regions and the request log', () => {
  it('gives the same series from two mocks of the same scenario', async () => {
    const other = await startAwsMock({ scenario: testFleet, now });
    try {
      const input = {
        ...fourteenDays,
        MetricDataQueries: [
          query('cpu', 'AWS/EC2', 'CPUUtilization', { InstanceId: 'i-0a1b2c3d4e5f60003' }),
          query('credits', 'AWS/EC2', 'CPUCreditBalance', { InstanceId: ids.bastion }),
          query('burst', 'AWS/EBS', 'BurstBalance', { VolumeId: 'vol-0a1b2c3d4e5f61006' }, 'Minimum'),
          query('queue', 'AWS/EBS', 'VolumeQueueLength', { VolumeId: ids.dbData }),
        ],
      };
      const first = await eu.cw.send(new GetMetricDataCommand(input));
      const second = await clientsFor(other).cw.send(new GetMetricDataCommand(input));
      expect(second.MetricDataResults).toEqual(first.MetricDataResults);
      expect(valuesOf(first, 'cpu')).toHaveLength(4032);
    } finally {
      await other.close();
    }
  });

  it('shows each region its own fleet, and an unknown region an empty one', async () => {
    const idsIn = async (region: string) => {
      const output = await clientsFor(mock, region).ec2.send(new DescribeInstancesCommand({}));
      return output.Reservations?.flatMap((r) => r.Instances?.map((i) => i.InstanceId) ?? []) ?? [];
    };
    const euIds = await idsIn('eu-west-1');
    const usIds = await idsIn('us-east-1');
    expect(usIds).toEqual(['i-0b1b2c3d4e5f60001', 'i-0b1b2c3d4e5f60002']);
    expect(euIds.filter((id) => usIds.includes(id))).toEqual([]);
    expect(await idsIn('ap-south-1')).toEqual([]);
    const usGroups = await clientsFor(mock, 'us-east-1').asg.send(new DescribeAutoScalingGroupsCommand({}));
    expect(usGroups.AutoScalingGroups).toEqual([]);
  });

  it('logs every request with service, region, action and status', async () => {
    const before = mock.requests.length;
    await clientsFor(mock, 'us-east-1').cw.send(
      new GetMetricDataCommand({
        ...fourteenDays,
        MetricDataQueries: [query('cpu', 'AWS/EC2', 'CPUUtilization', { InstanceId: 'i-0b1b2c3d4e5f60002' })],
      }),
    );
    await failure(eu.ec2.send(new DescribeInstancesCommand({ MaxResults: 1 })));
    expect(mock.requests.slice(before)).toEqual([
      expect.objectContaining({
        service: 'cloudwatch',
        region: 'us-east-1',
        action: 'GetMetricData',
        status: 200,
        queries: 1,
        datapoints: 4032,
      }),
      expect.objectContaining({
        service: 'ec2',
        region: 'eu-west-1',
        action: 'DescribeInstances',
        status: 400,
        errorCode: 'InvalidParameterValue',
      }),
    ]);
  });
});

// Valid AnalysisResult / DiagnoseResult objects with realistic content: five AWS hosts in two regions,
// findings of every severity carrying every evidence kind, recommendations with and without a known
// price, collection gaps and rules that could not run. Deterministic: no clock, no Math.random.

import type {
  AnalysisResult,
  DiagnoseResult,
  Diagnosis,
  ReportHost,
  RuleRun,
} from '../../reports/json/schema.ts';
import type { Evidence, Finding, Gap, Group, Recommendation, SeriesEvidence } from '../../src/model/index.ts';

const DAY_MS = 86_400_000;

export const RUN_STARTED_MS = Date.parse('2025-05-14T06:00:00.000Z');
export const WINDOW_TO_MS = RUN_STARTED_MS;
export const WINDOW_FROM_MS = WINDOW_TO_MS - 14 * DAY_MS;
export const STEP_SEC = 300;
/** 14 days at 5 minutes. */
export const FULL_WINDOW_POINTS = 4032;

const iso = (epochMs: number) => new Date(epochMs).toISOString();

export interface SeriesShape {
  count: number;
  stepSec?: number;
  startMs?: number;
  /** Daily cycle around `base` with this amplitude, plus bounded deterministic noise. */
  base: number;
  amplitude?: number;
  noise?: number;
  floor?: number;
  ceiling?: number;
  spikes?: readonly { index: number; value: number }[];
  missing?: readonly number[];
}

/** A deterministic series: daily cycle, noise from a fixed-seed LCG, optional spikes and holes. */
export function seriesPoints(shape: SeriesShape): [number, number | null][] {
  const stepSec = shape.stepSec ?? STEP_SEC;
  const startMs = shape.startMs ?? WINDOW_FROM_MS;
  let seed = 42;
  const noise = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648 - 0.5;
  };
  const spikes = new Map((shape.spikes ?? []).map((spike) => [spike.index, spike.value]));
  const missing = new Set(shape.missing ?? []);
  return Array.from({ length: shape.count }, (_, index) => {
    const epochMs = startMs + index * stepSec * 1000;
    const daily = Math.sin(((epochMs % DAY_MS) / DAY_MS) * 2 * Math.PI);
    const raw = shape.base + (shape.amplitude ?? 0) * daily + (shape.noise ?? 0) * noise();
    const bounded = Math.min(shape.ceiling ?? Number.POSITIVE_INFINITY, Math.max(shape.floor ?? 0, raw));
    const value = spikes.get(index) ?? Math.round(bounded * 10) / 10;
    return [epochMs, missing.has(index) ? null : value];
  });
}

export function buildHost(overrides: Partial<ReportHost> & Pick<ReportHost, 'id' | 'name'>): ReportHost {
  return {
    provider: 'aws',
    region: 'us-east-1',
    zone: 'us-east-1a',
    instanceType: 'm5.2xlarge',
    state: 'running',
    vcpu: 8,
    memoryMiB: 32_768,
    launchedAtMs: Date.parse('2024-11-02T09:14:00.000Z'),
    groupId: null,
    volumeIds: [],
    tags: { Name: overrides.name },
    volumes: [],
    priceUsdPerHour: 0.384,
    stats: [],
    onHost: null,
    blindSpots: [],
    ...overrides,
  };
}

const averageOf = (value: number) => Math.round(value * 9) / 10;

/** CPU figures of a host from its per-period maxima; the per-period averages (`cpu.util`) run at 90 % of them. */
function cpuStats(p50: number, p95: number, p99_5: number, max: number): ReportHost['stats'] {
  return [
    {
      metric: 'cpu.util',
      unit: 'percent',
      p50: averageOf(p50),
      p95: averageOf(p95),
      p99_5: averageOf(p99_5),
      max: averageOf(max),
      points: FULL_WINDOW_POINTS,
    },
    { metric: 'cpu.util.max', unit: 'percent', p50, p95, p99_5, max, points: FULL_WINDOW_POINTS },
    {
      metric: 'disk.read.ops',
      unit: 'ops-per-second',
      p50: 120,
      p95: 640,
      p99_5: 910,
      max: 1200,
      points: FULL_WINDOW_POINTS,
    },
  ];
}

export const HOST_IDS = {
  web1: 'i-0a1b2c3d4e5f60001',
  web2: 'i-0a1b2c3d4e5f60002',
  db1: 'i-0a1b2c3d4e5f60003',
  batch1: 'i-0b7c8d9e0f1a20004',
  cache1: 'i-0b7c8d9e0f1a20005',
} as const;

const WEB_ASG =
  'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:5d1e:autoScalingGroupName/web-asg';
const DB_VOLUME = 'vol-0db1a2b3c4d5e6f70';

export function defaultHosts(): ReportHost[] {
  return [
    buildHost({
      id: HOST_IDS.web1,
      name: 'web-1',
      groupId: WEB_ASG,
      stats: cpuStats(38.2, 71.4, 89.6, 99.1),
      onHost: {
        sampleDir: 'samples/web-1',
        primary: 'listen-queue-overflow',
        confidence: 0.81,
        window: { from: '2025-05-13T14:00:00.000Z', to: '2025-05-13T14:02:00.000Z' },
      },
      blindSpots: [{ dimension: 'mem.used', filledByOnHost: true }],
    }),
    buildHost({
      id: HOST_IDS.web2,
      name: 'web-2',
      zone: 'us-east-1b',
      groupId: WEB_ASG,
      stats: cpuStats(36.9, 68.0, 84.3, 88.7),
      blindSpots: [{ dimension: 'mem.used', filledByOnHost: false }],
    }),
    buildHost({
      id: HOST_IDS.db1,
      name: 'db-1',
      instanceType: 'r5.xlarge',
      vcpu: 4,
      memoryMiB: 32_768,
      volumeIds: [DB_VOLUME],
      priceUsdPerHour: 0.252,
      volumes: [
        {
          provider: 'aws',
          id: DB_VOLUME,
          region: 'us-east-1',
          zone: 'us-east-1a',
          type: 'gp2',
          sizeGiB: 1000,
          iops: null,
          throughputMiBps: null,
          attachedTo: [{ hostId: HOST_IDS.db1, device: '/dev/xvdf' }],
          tags: { Name: 'db-1 data' },
        },
      ],
      stats: cpuStats(22.4, 41.0, 55.2, 61.8),
      blindSpots: [{ dimension: 'mem.used', filledByOnHost: false }],
    }),
    buildHost({
      id: HOST_IDS.batch1,
      name: 'batch-1',
      region: 'eu-west-1',
      zone: 'eu-west-1a',
      priceUsdPerHour: 0.428,
      stats: cpuStats(6.1, 12.9, 17.8, 23.4),
    }),
    buildHost({
      id: HOST_IDS.cache1,
      name: 'cache-1',
      region: 'eu-west-1',
      zone: 'eu-west-1b',
      instanceType: 't3.large',
      vcpu: 2,
      memoryMiB: 8192,
      priceUsdPerHour: 0.0912,
      stats: [],
      blindSpots: [
        { dimension: 'mem.used', filledByOnHost: false },
        { dimension: 'cpu.util.max', filledByOnHost: false },
      ],
    }),
  ];
}

export function defaultGroups(): Group[] {
  return [
    {
      provider: 'aws',
      id: WEB_ASG,
      name: 'web-asg',
      region: 'us-east-1',
      minSize: 2,
      maxSize: 6,
      desiredCapacity: 2,
      memberIds: [HOST_IDS.web1, HOST_IDS.web2],
      instanceTypes: ['m5.2xlarge'],
      enabledMetrics: [],
    },
  ];
}

const hostSubject = (id: string, name: string) => ({
  provider: 'aws' as const,
  kind: 'host' as const,
  id,
  name,
});

/** The CPU series of web-1: 14 days at 5 min, one 5-minute spike to 99.1 % on day 10. */
export function webCpuSeries(): SeriesEvidence {
  return {
    kind: 'series',
    label: 'CPU utilisation, 5-minute maximum',
    unit: 'percent',
    stepSec: STEP_SEC,
    points: seriesPoints({
      count: FULL_WINDOW_POINTS,
      base: 45,
      amplitude: 25,
      noise: 12,
      ceiling: 88,
      spikes: [{ index: 2903, value: 99.1 }],
      missing: [1200, 1201, 1202],
    }),
    source: 'AWS/EC2 CPUUtilization (Maximum)',
    reference: { label: 'sizing ceiling (P99.5 + 20 % headroom)', value: 80 },
  };
}

export function buildFinding(overrides: Partial<Finding> & Pick<Finding, 'id' | 'subject'>): Finding {
  return {
    ruleId: 'cpu-headroom',
    messageId: 'near-saturation',
    severity: 'medium',
    category: 'performance',
    title: 'CPU close to saturation',
    message: 'CPU reached its ceiling during the window.',
    evidence: [],
    rationale: 'A host that runs at its ceiling queues work instead of serving it.',
    remediation: 'Add capacity or spread the load.',
    sources: [],
    recommendationIds: [],
    ...overrides,
  };
}

export function buildRecommendation(
  overrides: Partial<Recommendation> & Pick<Recommendation, 'id' | 'findingId' | 'subject'>,
): Recommendation {
  return {
    kind: 'instance-type',
    current: 'm5.2xlarge',
    recommended: 'm5.xlarge',
    rationale: 'The observed peak fits the smaller type with headroom.',
    evidence: [],
    monthlyCostDeltaUsd: null,
    risk: 1,
    supersededBy: null,
    ...overrides,
  };
}

const gp2Arithmetic: Evidence = {
  kind: 'arithmetic',
  label: 'gp2 to gp3 at the observed peaks',
  steps: [
    { label: 'gp2 baseline', formula: '3 IOPS/GiB × 1000 GiB', result: '3,000 IOPS' },
    { label: 'Observed P99.5', formula: 'p99.5(disk.read.ops + disk.write.ops)', result: '4,620 IOPS' },
    { label: 'gp3 IOPS to provision', formula: 'ceil(4,620 × 1.2 / 500) × 500', result: '5,500 IOPS' },
    { label: 'gp3 throughput', formula: 'max(125, p99.5 throughput 148 MiB/s × 1.2)', result: '178 MiB/s' },
    {
      label: 'Monthly price',
      formula: '1000 × $0.08 + (5,500 − 3,000) × $0.005 + (178 − 125) × $0.04',
      result: '$94.62 (gp2: $100.00)',
    },
  ],
};

const sizingArithmetic: Evidence = {
  kind: 'arithmetic',
  label: 'Right-sizing batch-1 (Compute Optimizer defaults)',
  steps: [
    { label: 'CPU need', formula: 'P99.5 17.8 % × 8 vCPU × 1.2 headroom', result: '1.71 vCPU' },
    { label: 'Memory need', formula: 'max 5.1 GiB × 1.2 headroom', result: '6.1 GiB' },
    {
      label: 'Cheapest fit in m5, m6i, c6i',
      formula: '≥ 1.71 vCPU and ≥ 6.1 GiB',
      result: 'm5.large (2 vCPU, 8 GiB)',
    },
    { label: 'Price delta', formula: '($0.107 − $0.428)/h × 730 h', result: '-$234.33/mo' },
  ],
};

function defaultFindings(): Finding[] {
  const db = { provider: 'aws' as const, kind: 'volume' as const, id: DB_VOLUME, name: 'db-1 data' };
  return [
    buildFinding({
      id: 'f-gp2-burst-db1',
      ruleId: 'gp2-burst-balance',
      messageId: 'exhausted',
      severity: 'critical',
      subject: db,
      title: 'gp2 burst balance runs out',
      message:
        'The gp2 volume of db-1 emptied its burst bucket 6 times in 14 days; IOPS then fell to the 3,000 baseline.',
      evidence: [
        {
          kind: 'series',
          label: 'Burst balance',
          unit: 'percent',
          stepSec: STEP_SEC,
          points: seriesPoints({
            count: FULL_WINDOW_POINTS,
            base: 86,
            amplitude: 10,
            noise: 8,
            ceiling: 100,
            spikes: [410, 1010, 1690, 2300, 2910, 3620].map((index) => ({ index, value: 0 })),
          }),
          source: 'AWS/EBS BurstBalance (Minimum)',
          reference: { label: 'alert threshold', value: 20, bad: 'below' },
        },
        {
          kind: 'stat',
          label: 'IOPS at P99.5',
          value: 4620,
          unit: 'ops-per-second',
          method: 'P99.5 of 5-minute sums',
        },
        {
          kind: 'stat',
          label: 'gp2 baseline',
          value: 3000,
          unit: 'ops-per-second',
          method: '3 IOPS/GiB × 1000 GiB',
        },
        { kind: 'stat', label: 'Read throughput at P99.5', value: 155_189_248, unit: 'bytes-per-second' },
      ],
      rationale:
        'gp2 credits refill at the baseline rate; once the bucket is empty the volume is held to its baseline.',
      remediation: 'Move the volume to gp3 with provisioned IOPS and throughput above the observed peaks.',
      sources: ['https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html'],
      recommendationIds: ['r-gp3-db1'],
    }),
    buildFinding({
      id: 'f-listen-web1',
      ruleId: 'listen-queue-overflow',
      messageId: 'overflows',
      severity: 'high',
      subject: hostSubject(HOST_IDS.web1, 'web-1'),
      title: 'Listen queue overflows',
      message: 'The kernel dropped 18,412 connections on web-1 because the accept queue of :8000 was full.',
      evidence: [
        {
          kind: 'excerpt',
          label: 'Listen queue counters',
          source: 'samples/web-1/nstat.txt',
          lines: [
            'TcpExtListenOverflows           18412              0.0',
            'TcpExtListenDrops               18412              0.0',
          ],
        },
        {
          kind: 'table',
          label: 'Listening sockets',
          columns: [
            { key: 'local', label: 'Local address' },
            { key: 'recvQ', label: 'Recv-Q', unit: 'connections' },
            { key: 'sendQ', label: 'Backlog', unit: 'connections' },
          ],
          rows: [
            { local: '0.0.0.0:8000', recvQ: 129, sendQ: 128 },
            { local: '127.0.0.1:9100', recvQ: 0, sendQ: 4096 },
          ],
        },
        { kind: 'stat', label: 'net.core.somaxconn', value: 4096, unit: 'connections', method: 'sysctl -a' },
      ],
      rationale: 'The accept queue is the smaller of the app backlog and net.core.somaxconn.',
      remediation: 'Raise the gunicorn backlog; somaxconn already allows it.',
      sources: [
        'https://man7.org/linux/man-pages/man2/listen.2.html',
        'knowledge/sysctl.json#net.core.somaxconn',
      ],
      recommendationIds: ['r-backlog-web1', 'r-somaxconn-web1'],
    }),
    buildFinding({
      id: 'f-cpu-web1',
      ruleId: 'cpu-headroom',
      messageId: 'near-saturation',
      severity: 'high',
      subject: hostSubject(HOST_IDS.web1, 'web-1'),
      title: 'CPU close to saturation',
      message: 'CPU of web-1 peaked at 99.1 % and stayed above 80 % for 3 h 10 min in 14 days.',
      evidence: [webCpuSeries(), { kind: 'stat', label: 'CPU P99.5', value: 89.6, unit: 'percent' }],
      sources: ['https://docs.aws.amazon.com/compute-optimizer/latest/ug/rightsizing-preferences.html'],
      recommendationIds: ['r-type-web1'],
    }),
    buildFinding({
      id: 'f-oversized-batch1',
      ruleId: 'instance-oversized',
      messageId: 'oversized',
      severity: 'medium',
      subject: hostSubject(HOST_IDS.batch1, 'batch-1'),
      title: 'Instance larger than its peak needs',
      message: 'batch-1 used at most 23.4 % of 8 vCPU and 5.1 GiB of 32 GiB over 14 days.',
      evidence: [
        {
          kind: 'stat',
          label: 'CPU P99.5',
          value: 17.8,
          unit: 'percent',
          method: 'P99.5 of 5-minute maxima',
        },
        { kind: 'stat', label: 'Memory max', value: 5222, unit: 'mib', method: 'on-host sar -r' },
      ],
      rationale: 'Compute Optimizer sizes on P99.5 CPU plus 20 % headroom and memory max plus 20 %.',
      remediation: 'Change the instance type at the next maintenance window.',
      recommendationIds: ['r-type-batch1'],
    }),
    buildFinding({
      id: 'f-scaling-web-asg',
      ruleId: 'scaling-signal',
      messageId: 'cpu-while-queue-bound',
      severity: 'medium',
      subject: { provider: 'aws', kind: 'group', id: WEB_ASG, name: 'web-asg' },
      title: 'Group scales on CPU while the bottleneck is the listen queue',
      message: 'web-asg never scaled out in 14 days although its members dropped connections.',
      evidence: [
        {
          kind: 'table',
          label: 'Group size',
          columns: [
            { key: 'metric', label: 'Metric' },
            { key: 'min', label: 'Min', unit: 'instances' },
            { key: 'max', label: 'Max', unit: 'instances' },
          ],
          rows: [
            { metric: 'desired', min: 2, max: 2 },
            { metric: 'in service', min: 2, max: 2 },
          ],
        },
      ],
      rationale: 'A target on CPU cannot see a queue that fills while CPU idles.',
      remediation: 'Scale on request count per target, or on the queue itself.',
      recommendationIds: ['r-scaling-web-asg'],
    }),
    buildFinding({
      id: 'f-credits-cache1',
      ruleId: 'burst-credits',
      messageId: 'draining',
      severity: 'low',
      subject: hostSubject(HOST_IDS.cache1, 'cache-1'),
      title: 'CPU credit balance drains',
      message: 'cache-1 spent its CPU credits to zero twice in 7 days.',
      evidence: [
        {
          kind: 'series',
          label: 'CPU credit balance',
          unit: 'credits',
          stepSec: STEP_SEC,
          points: seriesPoints({
            count: 2016,
            startMs: WINDOW_TO_MS - 7 * DAY_MS,
            base: 300,
            amplitude: 250,
            noise: 40,
            spikes: [{ index: 700, value: 0 }],
          }),
          source: 'AWS/EC2 CPUCreditBalance (Minimum)',
        },
      ],
      rationale: 'A t3 at zero credits runs at its 30 % baseline.',
      remediation: 'Move to a fixed-performance type or enable unlimited mode.',
      recommendationIds: ['r-type-cache1'],
    }),
    buildFinding({
      id: 'f-nofile-web2',
      ruleId: 'nofile-headroom',
      messageId: 'headroom',
      severity: 'info',
      subject: hostSubject(HOST_IDS.web2, 'web-2'),
      title: 'Open files well under the limit',
      message: 'web-2 used 812 of 65,536 file descriptors at most.',
      evidence: [
        { kind: 'stat', label: 'Open files, max', value: 812, unit: 'file-descriptors' },
        {
          kind: 'excerpt',
          label: 'Limits of the gunicorn master',
          source: 'samples/web-2/proc-limits.txt',
          lines: [
            'Limit                     Soft Limit           Hard Limit           Units',
            'Max open files            65536                65536                files',
          ],
          totalLines: 17,
        },
      ],
      rationale: 'Shown for completeness: no change needed.',
      remediation: 'None.',
    }),
  ];
}

function defaultRecommendations(): Recommendation[] {
  return [
    buildRecommendation({
      id: 'r-gp3-db1',
      findingId: 'f-gp2-burst-db1',
      kind: 'volume',
      subject: { provider: 'aws', kind: 'volume', id: DB_VOLUME, name: 'db-1 data' },
      current: 'gp2, 1000 GiB (3,000 IOPS baseline)',
      recommended: 'gp3, 1000 GiB, 5,500 IOPS, 178 MiB/s',
      rationale: 'gp3 holds the observed P99.5 with 20 % headroom and costs less than gp2.',
      evidence: [gp2Arithmetic],
      monthlyCostDeltaUsd: -5.38,
      risk: 1,
    }),
    buildRecommendation({
      id: 'r-backlog-web1',
      findingId: 'f-listen-web1',
      kind: 'runtime',
      subject: hostSubject(HOST_IDS.web1, 'web-1'),
      current: 'gunicorn --backlog 128',
      recommended: 'gunicorn --backlog 2048',
      rationale: 'Recv-Q reached 129 on a backlog of 128.',
      monthlyCostDeltaUsd: 0,
      risk: 0,
    }),
    buildRecommendation({
      id: 'r-somaxconn-web1',
      findingId: 'f-listen-web1',
      kind: 'sysctl',
      subject: hostSubject(HOST_IDS.web1, 'web-1'),
      current: 'net.core.somaxconn = 4096',
      recommended: 'net.core.somaxconn = 4096 (keep)',
      rationale: 'Already above the recommended backlog; listed so nobody lowers it.',
      monthlyCostDeltaUsd: 0,
      risk: 0,
    }),
    buildRecommendation({
      id: 'r-type-web1',
      findingId: 'f-cpu-web1',
      kind: 'instance-type',
      subject: hostSubject(HOST_IDS.web1, 'web-1'),
      current: 'm5.2xlarge',
      recommended: 'c6i.4xlarge',
      rationale: 'P99.5 CPU 89.6 % × 1.2 headroom needs 8.6 vCPU at m5 speed.',
      evidence: [
        {
          kind: 'arithmetic',
          label: 'CPU need',
          steps: [
            { label: 'Need', formula: '89.6 % × 8 vCPU × 1.2', result: '8.6 vCPU' },
            { label: 'Price delta', formula: '($0.680 − $0.384)/h × 730 h', result: '+$216.08/mo' },
          ],
        },
      ],
      monthlyCostDeltaUsd: 216.08,
      risk: 0,
    }),
    buildRecommendation({
      id: 'r-type-batch1',
      findingId: 'f-oversized-batch1',
      kind: 'instance-type',
      subject: hostSubject(HOST_IDS.batch1, 'batch-1'),
      current: 'm5.2xlarge',
      recommended: 'm5.large',
      rationale: 'The observed peaks fit m5.large with 20 % headroom on CPU and memory.',
      evidence: [sizingArithmetic],
      monthlyCostDeltaUsd: -234.33,
      risk: 1,
    }),
    buildRecommendation({
      id: 'r-scaling-web-asg',
      findingId: 'f-scaling-web-asg',
      kind: 'scaling',
      subject: { provider: 'aws', kind: 'group', id: WEB_ASG, name: 'web-asg' },
      current: 'target tracking: CPU 60 %',
      recommended: 'target tracking: ALBRequestCountPerTarget 900',
      rationale: 'Request count follows the accept queue; CPU does not.',
      monthlyCostDeltaUsd: null,
      risk: 2,
    }),
    buildRecommendation({
      id: 'r-type-cache1',
      findingId: 'f-credits-cache1',
      kind: 'instance-type',
      subject: hostSubject(HOST_IDS.cache1, 'cache-1'),
      current: 't3.large',
      recommended: 'm7i-flex.large',
      rationale: 'Fixed performance at the same size; no price in the bundled catalog for eu-west-1.',
      monthlyCostDeltaUsd: null,
      risk: 2,
    }),
  ];
}

function defaultGaps(): Gap[] {
  return [
    {
      provider: 'aws',
      what: 'GetMetricData us-east-1',
      kind: 'throttled',
      message: 'Rate exceeded after 3 retries; 12 of 480 queries have no data.',
    },
    {
      provider: 'aws',
      what: 'mem.used',
      kind: 'not-found',
      message: 'CWAgent mem_used_percent has no datapoints: the CloudWatch agent is not installed.',
      subject: hostSubject(HOST_IDS.web2, 'web-2'),
    },
    {
      provider: 'onhost',
      what: 'sysstat',
      kind: 'bad-sample',
      message: 'Truncated JSON: unexpected end of input.',
      file: 'samples/web-1/sadf-A.json.gz',
      line: 1432,
    },
  ];
}

export function defaultRules(): RuleRun[] {
  const rule = (ruleId: string, title: string, status: RuleRun['status'], findings = 0): RuleRun => ({
    ruleId,
    title,
    status,
    findings,
    reasons: [],
    durationMs: 3.2,
  });
  const noAgent = 'no mem.used series (CloudWatch agent not installed)';
  return [
    rule('cpu-headroom', 'CPU headroom', 'findings', 1),
    rule('instance-oversized', 'Instance larger than its peak needs', 'findings', 1),
    rule('gp2-burst-balance', 'gp2 burst balance', 'findings', 1),
    rule('listen-queue-overflow', 'Listen queue overflows', 'findings', 1),
    rule('scaling-signal', 'Scaling signal matches the bottleneck', 'findings', 1),
    rule('burst-credits', 'CPU credit balance', 'findings', 1),
    rule('nofile-headroom', 'Open files against the limit', 'findings', 1),
    rule('steal-time', 'CPU steal', 'pass'),
    {
      ...rule('memory-headroom', 'Memory headroom', 'skipped'),
      reasons: [
        { subject: HOST_IDS.web2, reason: noAgent },
        { subject: HOST_IDS.db1, reason: noAgent },
        { subject: HOST_IDS.cache1, reason: noAgent },
      ],
    },
    {
      ...rule('fd-limit-vs-threads', 'Threads and fds against limits', 'insufficient-data'),
      reasons: [{ subject: HOST_IDS.web1, reason: 'thread log covers 2 min; 10 min needed' }],
    },
    {
      ...rule('event-loop-blocking', 'Event loop blocked', 'not-applicable'),
      reasons: [{ subject: null, reason: 'no asyncio or gevent app logs in any sample folder' }],
    },
    {
      ...rule('disk-latency', 'Disk latency', 'error'),
      reasons: [
        { subject: null, reason: "TypeError: Cannot read properties of undefined (reading 'p99_5')" },
      ],
    },
  ];
}

export interface AnalysisParts {
  hosts?: ReportHost[];
  groups?: Group[];
  findings?: Finding[];
  recommendations?: Recommendation[];
  gaps?: Gap[];
  rules?: RuleRun[];
  eventMultiplier?: number | null;
  /** Fields of `run` to replace (coverage, complete, providers, apiCalls...); the summary still follows the lists. */
  run?: Partial<Omit<AnalysisResult['run'], 'summary'>>;
}

/** The run summary as the analyzer computes it from the lists; a superseded recommendation counts nowhere. */
export function summarize(result: Omit<AnalysisResult, 'run'>): AnalysisResult['run']['summary'] {
  const count = (severity: Finding['severity']) =>
    result.findings.filter((f) => f.severity === severity).length;
  const active = result.recommendations.filter((rec) => rec.supersededBy === null);
  const known = active.filter((rec) => rec.monthlyCostDeltaUsd !== null);
  return {
    hosts: result.hosts.length,
    findingsBySeverity: {
      info: count('info'),
      low: count('low'),
      medium: count('medium'),
      high: count('high'),
      critical: count('critical'),
    },
    recommendations: active.length,
    monthlyCostDeltaUsd:
      Math.round(known.reduce((sum, rec) => sum + (rec.monthlyCostDeltaUsd ?? 0), 0) * 100) / 100,
    recommendationsWithUnknownCost: active.length - known.length,
    gaps: result.gaps.length,
  };
}

/** A whole audit result; any list can be replaced and the summary follows it. */
export function buildAnalysisResult(parts: AnalysisParts = {}): AnalysisResult {
  const lists = {
    schemaVersion: 1 as const,
    hosts: parts.hosts ?? defaultHosts(),
    groups: parts.groups ?? defaultGroups(),
    findings: parts.findings ?? defaultFindings(),
    recommendations: parts.recommendations ?? defaultRecommendations(),
    gaps: parts.gaps ?? defaultGaps(),
  };
  const durationMs = 41_870;
  return {
    ...lists,
    run: {
      id: 'run-20250514T060000Z-3f9a',
      tool: { name: 'fleetlens', version: '0.1.0' },
      mode: 'live',
      startedAt: iso(RUN_STARTED_MS),
      finishedAt: iso(RUN_STARTED_MS + durationMs),
      durationMs,
      window: { from: iso(WINDOW_FROM_MS), to: iso(WINDOW_TO_MS), stepSec: STEP_SEC },
      providers: ['aws'],
      apiCalls: {
        aws: {
          made: 14,
          minimum: 11,
          retries: 3,
          failed: 1,
          byOperation: {
            DescribeInstances: { made: 1, minimum: 1, retries: 0, failed: 0 },
            DescribeVolumes: { made: 1, minimum: 1, retries: 0, failed: 0 },
            DescribeAutoScalingGroups: { made: 1, minimum: 1, retries: 0, failed: 0 },
            DescribeInstanceTypes: { made: 1, minimum: null, retries: 0, failed: 0 },
            GetMetricData: { made: 10, minimum: 8, retries: 3, failed: 1 },
          },
        },
      },
      eventMultiplier: parts.eventMultiplier ?? null,
      complete: true,
      coverage: {
        aws: {
          scopes: ['eu-west-1'],
          failedScopes: [],
          hostsListed: lists.hosts.length,
          seriesExpected: 5 * lists.hosts.length,
          seriesReceived: 5 * lists.hosts.length,
          hostsJudged: lists.hosts.length,
          judgedShare: lists.hosts.length > 0 ? 1 : null,
          complete: true,
        },
      },
      settings: {
        since: '14d',
        periodSec: STEP_SEC,
        providers: { aws: { regions: ['eu-west-1'] } },
        onHost: [],
        sizing: {},
        rules: {},
      },
      rules: parts.rules ?? defaultRules(),
      ...parts.run,
      summary: summarize(lists),
    },
  };
}

function gunicornDiagnosis(): Diagnosis {
  const subject = { provider: 'onhost' as const, kind: 'host' as const, id: 'samples/api-3', name: 'api-3' };
  return {
    source: 'samples/api-3',
    primary: 'gevent-loop-blocked',
    confidence: 0.86,
    window: { from: '2025-05-13T09:00:00.000Z', to: '2025-05-13T09:02:00.000Z' },
    scores: [
      {
        class: 'gevent-loop-blocked',
        score: 0.86,
        signals: [
          {
            signal: 'gevent monitor reports',
            weight: 0.5,
            observed: '37 "appears to be blocked" reports in 120 s',
          },
          { signal: 'CPU idle', weight: 0.2, observed: 'CPU 18 % while requests queued' },
          { signal: 'worker class', weight: 0.15, observed: 'gunicorn --worker-class gevent' },
          { signal: 'listen queue', weight: -0.05, observed: 'no overflows' },
        ],
      },
      {
        class: 'cpu-saturated',
        score: 0.12,
        signals: [{ signal: 'CPU busy', weight: -0.4, observed: 'P95 CPU 21 %' }],
      },
      { class: 'healthy', score: 0.02, signals: [] },
    ],
    findings: [
      buildFinding({
        id: 'f-gevent-api3',
        ruleId: 'gevent-loop-blocked',
        messageId: 'blocked',
        severity: 'high',
        subject,
        title: 'gevent hub blocked by a synchronous call',
        message: 'The gevent monitor thread reported the hub blocked 37 times, up to 1.8 s each.',
        evidence: [
          {
            kind: 'excerpt',
            label: 'gevent monitor reports',
            source: 'samples/api-3/gunicorn.log',
            lines: [
              '2025-05-13T09:00:41Z <Hub> appears to be blocked (1.8 s): psycopg2/extensions.py:117',
              '2025-05-13T09:01:12Z <Hub> appears to be blocked (1.2 s): psycopg2/extensions.py:117',
            ],
            totalLines: 37,
          },
          { kind: 'stat', label: 'Longest block', value: 1800, unit: 'milliseconds' },
        ],
        rationale: 'A C extension that does not yield stops every greenlet of the worker.',
        remediation: 'Use a gevent-aware driver (psycogreen) or switch the worker class to gthread.',
        recommendationIds: ['r-gthread-api3'],
      }),
    ],
    recommendations: [
      buildRecommendation({
        id: 'r-gthread-api3',
        findingId: 'f-gevent-api3',
        kind: 'runtime',
        subject,
        current: '--worker-class gevent --workers 4',
        recommended: '--worker-class gthread --workers 4 --threads 8',
        rationale: 'Threads keep serving while one blocks in psycopg2.',
        monthlyCostDeltaUsd: 0,
        risk: 2,
      }),
    ],
    inputs: [
      {
        file: 'sadf-A.json',
        kind: 'sysstat-json',
        records: 120,
        from: '2025-05-13T09:00:00.000Z',
        to: '2025-05-13T09:02:00.000Z',
      },
      {
        file: 'gunicorn.log',
        kind: 'app-log',
        records: 2210,
        from: '2025-05-13T08:58:03.000Z',
        to: '2025-05-13T09:02:00.000Z',
      },
    ],
    gaps: [{ file: 'pidstat.txt', kind: 'bad-sample', message: 'Truncated line.', line: 88 }],
    ignored: ['notes.md'],
  };
}

function healthyDiagnosis(): Diagnosis {
  return {
    source: 'samples/worker-1',
    primary: 'healthy',
    confidence: 0.74,
    window: { from: '2025-05-13T10:00:00.000Z', to: '2025-05-13T10:02:00.000Z' },
    scores: [
      {
        class: 'healthy',
        score: 0.74,
        signals: [{ signal: 'CPU busy', weight: 0.3, observed: 'P95 CPU 34 %' }],
      },
    ],
    findings: [],
    recommendations: [],
    inputs: [
      {
        file: 'iostat.json',
        kind: 'iostat-json',
        records: 120,
        from: '2025-05-13T10:00:00.000Z',
        to: '2025-05-13T10:02:00.000Z',
      },
    ],
    gaps: [{ file: 'weird.bin', kind: 'unrecognised', message: 'Not a known on-host format.' }],
    ignored: [],
  };
}

export function buildDiagnoseResult(
  diagnoses: Diagnosis[] = [gunicornDiagnosis(), healthyDiagnosis()],
): DiagnoseResult {
  return { schemaVersion: 1, diagnoses };
}

export interface LargeFleetShape {
  hosts: number;
  findings: number;
  /** Rows of the table evidence every finding carries. */
  tableRows?: number;
  /** Lines (each `lineChars` long) of the excerpt every finding carries. */
  excerptLines?: number;
  lineChars?: number;
  /** Replaces every name, tag, message and log line with this text (repeated to `lineChars`). */
  hostileText?: string;
}

const PROVIDERS = ['aws', 'gcp', 'linode', 'ovh'] as const;
const SEVERITY_CYCLE = ['critical', 'high', 'medium', 'low', 'info'] as const;
const CATEGORY_CYCLE = ['reliability', 'performance', 'cost'] as const;

/**
 * A generated fleet for the size limits: `hosts` hosts over four clouds, `findings` findings spread
 * over them, each with a 14-day series, a table, a log excerpt and arithmetic, every third with a
 * recommendation that supersedes another. Deterministic; the series is one shared array, so
 * thousands of findings stay light in memory.
 */
export function buildLargeFleet(shape: LargeFleetShape): AnalysisResult {
  const lineChars = shape.lineChars ?? 120;
  const text = (plain: string) =>
    shape.hostileText === undefined
      ? plain
      : shape.hostileText
          .repeat(Math.ceil(lineChars / Math.max(1, shape.hostileText.length)))
          .slice(0, lineChars);
  const hosts = Array.from({ length: shape.hosts }, (_, index) => {
    const provider = PROVIDERS[index % PROVIDERS.length] ?? 'aws';
    const load = (index * 37) % 100;
    return buildHost({
      provider,
      id: `${provider}-host-${String(index).padStart(6, '0')}`,
      name: text(`${provider}-web-${index}`),
      region: `${provider}-region-${index % 7}`,
      tags: { Name: text(`${provider}-web-${index}`), team: text('payments') },
      stats: cpuStats(load * 0.5, load * 0.8, load * 0.9, load),
      blindSpots: [{ dimension: 'memory', filledByOnHost: index % 3 === 0 }],
    });
  });
  const series: SeriesEvidence = {
    ...webCpuSeries(),
    label: text('CPU utilisation'),
    source: text('metrics'),
  };
  const findings: Finding[] = [];
  const recommendations: Recommendation[] = [];
  for (let index = 0; index < shape.findings; index += 1) {
    const host = hosts[index % Math.max(1, hosts.length)];
    const id = (0x1000_0000_0000 + index * 7919).toString(16).padStart(16, '0');
    const subject = {
      provider: host?.provider ?? ('aws' as const),
      kind: 'host' as const,
      id: host?.id ?? `i-${index}`,
      name: host?.name ?? '',
    };
    const recId = `${id}-1`;
    const stronger = `${id}-2`;
    const hasStronger = index % 3 === 0;
    findings.push(
      buildFinding({
        id,
        ruleId: `rule-${index % 9}`,
        severity: SEVERITY_CYCLE[index % SEVERITY_CYCLE.length] ?? 'info',
        category: CATEGORY_CYCLE[index % CATEGORY_CYCLE.length] ?? 'cost',
        subject,
        title: text(`Finding number ${index}`),
        message: text(`Host ${subject.name} crossed its threshold ${index} times.`),
        rationale: text('Why it matters.'),
        remediation: text('What to do about it.'),
        sources: [`https://example.com/rules/${index % 9}`, text('a book, page 12')],
        evidence: [
          series,
          { kind: 'stat', label: text('p95'), value: index, unit: 'percent', method: text('nearest rank') },
          {
            kind: 'table',
            label: text('Per-process view'),
            columns: [
              { key: 'name', label: text('Process') },
              { key: 'rate', label: 'Rate', unit: 'bytes-per-second' },
            ],
            rows: Array.from({ length: shape.tableRows ?? 20 }, (_, row) => ({
              name: text(`worker-${row}`),
              rate: row * 1_000_003,
            })),
          },
          {
            kind: 'excerpt',
            label: text('Log lines'),
            source: text('app.log'),
            lines: Array.from({ length: shape.excerptLines ?? 20 }, (_, line) =>
              text(`2025-05-14T06:00:${String(line % 60).padStart(2, '0')}Z ERROR worker ${line} stalled`),
            ),
          },
        ],
        recommendationIds: hasStronger ? [recId, stronger] : [recId],
      }),
    );
    recommendations.push(
      buildRecommendation({
        id: recId,
        findingId: id,
        subject,
        current: text('m5.2xlarge'),
        recommended: text('m5.xlarge'),
        rationale: text('The observed peak fits the smaller type.'),
        evidence: [sizingArithmetic],
        monthlyCostDeltaUsd: -(index % 50),
        supersededBy: hasStronger ? stronger : null,
      }),
    );
    if (hasStronger) {
      recommendations.push(
        buildRecommendation({
          id: stronger,
          findingId: id,
          subject,
          current: text('running'),
          recommended: text('terminate'),
          monthlyCostDeltaUsd: -100,
        }),
      );
    }
  }
  const gaps: Gap[] = Array.from({ length: Math.ceil(shape.findings / 10) }, (_, index) => ({
    provider: PROVIDERS[index % PROVIDERS.length] ?? 'aws',
    what: text(`metrics in region ${index}`),
    kind: 'throttled',
    message: text(`Rate exceeded for region ${index}`),
    operation: `op-${index}`,
    scope: text(`region-${index}`),
  }));
  return buildAnalysisResult({
    hosts,
    findings,
    recommendations,
    gaps,
    groups: [],
    rules: defaultRules().map((rule) => ({
      ...rule,
      reasons: hosts
        .slice(0, 500)
        .map((host, index) => ({ subject: host.id, reason: text(`reason ${index % 40}`) })),
    })),
    run: {
      providers: [...PROVIDERS],
      complete: false,
      coverage: Object.fromEntries(
        PROVIDERS.map((provider) => [
          provider,
          {
            scopes: Array.from({ length: 30 }, (_, index) => text(`${provider}-scope-${index}`)),
            failedScopes: Array.from({ length: 12 }, (_, index) => ({
              scope: text(`${provider}-scope-${index}`),
              reason: text('auth: the token expired'),
            })),
            hostsListed: shape.hosts,
            seriesExpected: shape.hosts * 5,
            seriesReceived: shape.hosts * 4,
            hostsJudged: shape.hosts,
            judgedShare: shape.hosts > 0 ? 1 : null,
            complete: false,
          },
        ]),
      ),
    },
  });
}

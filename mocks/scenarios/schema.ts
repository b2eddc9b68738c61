import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { packagePath } from '../../src/paths.ts';
import { gcpScenario } from './gcp.ts';
import { linodeScenario } from './linode.ts';
import { OvhScenario } from './ovh.ts';

// A scenario is the whole fake cloud one mock serves: the fleet per region, the shape of every
// series and the failures to inject. Numbers in a shape are in the unit its field name says.
// Smallest useful file (test-fleet.yaml has more):
//
//   name: demo
//   aws:
//     regions:
//       eu-west-1:
//         instances:
//           - id: i-0123456789abcdef0
//             name: web-1
//             type: m5.large                 # from providers/aws/data/aws-ec2-instance-types.json
//             az: eu-west-1a
//             cpu: { shape: diurnal, base: 12, peak: 38 }
//             volumes:
//               - { id: vol-0123456789abcdef0, device: /dev/xvda, type: gp3, sizeGiB: 50,
//                   io: { readIops: { shape: spiky, base: 40, peak: 900 }, writeIops: 60 } }
//     faults:
//       - { kind: throttle, action: GetMetricData, nth: 2 }

const shapeBase = {
  base: z.number().min(0).describe('Level the series rests at, in the unit of the field'),
  noise: z
    .number()
    .min(0)
    .optional()
    .describe(
      'Amplitude of the uniform jitter added to every sample (same unit); default a few % of the level',
    ),
};

const Steady = z
  .object({ shape: z.literal('steady'), ...shapeBase, peak: z.number().min(0).optional() })
  .strict()
  .describe('Flat at `base` plus noise');

const Diurnal = z
  .object({
    shape: z.literal('diurnal'),
    ...shapeBase,
    peak: z.number().min(0).describe('Level at the daily peak'),
    peakHourUtc: z
      .number()
      .min(0)
      .max(24)
      .default(15)
      .describe('Hour of the daily peak, UTC (afternoon by default)'),
  })
  .strict()
  .describe('Daily cosine between `base` (at night) and `peak` (at `peakHourUtc`)');

const Spiky = z
  .object({
    shape: z.literal('spiky'),
    ...shapeBase,
    peak: z
      .number()
      .min(0)
      .describe('Highest a spike reaches; spikes land between 60 % and 100 % of the way to it'),
    spikeChance: z
      .number()
      .min(0)
      .max(1)
      .default(0.03)
      .describe('Probability that a spike window holds a spike'),
    spikeMinutes: z.number().int().min(1).max(1440).default(10).describe('Length of one spike window'),
  })
  .strict()
  .describe('`base` with bounded random spikes up to `peak`');

const Saturated = z
  .object({
    shape: z.literal('saturated'),
    ...shapeBase,
    peak: z.number().min(0).describe('The ceiling the series is pinned against'),
  })
  .strict()
  .describe('Pinned just under `peak` (never below `base`)');

const Idle = z
  .object({
    shape: z.literal('idle'),
    base: z.number().min(0).default(0).describe('Floor'),
    peak: z.number().min(0).default(1).describe('Ceiling of the tiny noise'),
    noise: z.number().min(0).optional().describe('Ignored: idle noise spans base..peak'),
  })
  .strict()
  .describe('Near zero: uniform between `base` and `peak`');

const ShapeSpec = z.discriminatedUnion('shape', [Steady, Diurnal, Spiky, Saturated, Idle]);

/** A series shape, or a bare number meaning a constant (steady, no noise). */
export const Load = z
  .union([z.number().min(0), ShapeSpec])
  .transform((value) =>
    typeof value === 'number' ? { shape: 'steady' as const, base: value, noise: 0 } : value,
  )
  .superRefine((spec, ctx) => {
    if (spec.peak !== undefined && spec.peak < spec.base) {
      ctx.addIssue({ code: 'custom', message: `peak (${spec.peak}) is below base (${spec.base})` });
    }
  })
  .describe('A load profile: a number (constant) or { shape, base, peak, noise }');
export type Load = z.output<typeof Load>;

/** Relative times are resolved against the mock's clock: `now-14d`, `now-6h`, `now-90m`. */
const TimeRef = z
  .union([z.iso.datetime({ offset: true }), z.string().regex(/^now-\d+[smhd]$/)])
  .describe('ISO-8601 time, or relative to the mock clock: now-30d, now-6h, now-15m');

const VolumeType = z.enum(['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard']);
export type VolumeType = z.infer<typeof VolumeType>;

const VolumeIo = z
  .object({
    readIops: Load.optional().describe('Read operations per second'),
    writeIops: Load.optional().describe('Write operations per second'),
    readMiBps: Load.optional().describe('Read throughput, MiB/s'),
    writeMiBps: Load.optional().describe('Write throughput, MiB/s'),
    queue: Load.optional().describe('Average queue length (VolumeQueueLength); default from IOPS x latency'),
    busyPct: Load.optional().describe(
      'Percent of time the volume is busy (drives VolumeIdleTime); default from queue',
    ),
    readLatencyMs: Load.optional().describe('Average read latency; default queue / IOPS with a media floor'),
    writeLatencyMs: Load.optional().describe('Average write latency; default like readLatencyMs'),
  })
  .strict()
  .describe('Demand on the volume; delivered IOPS and throughput are capped at what the volume allows');

const Volume = z
  .object({
    id: z.string().regex(/^vol-[0-9a-f]{8,17}$/),
    device: z.string().describe('Device name, e.g. /dev/xvda (the first volume is the root device)'),
    type: VolumeType,
    sizeGiB: z.number().int().positive(),
    iops: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Provisioned IOPS: gp3 (default 3000), io1/io2 (required)'),
    throughputMiBps: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Provisioned throughput: gp3 only (default 125)'),
    encrypted: z.boolean().default(false),
    tags: z.record(z.string(), z.string()).default({}),
    io: VolumeIo.prefault({}),
  })
  .strict()
  .superRefine((volume, ctx) => {
    if ((volume.type === 'io1' || volume.type === 'io2') && volume.iops === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['iops'],
        message: `${volume.type} volumes need provisioned iops`,
      });
    }
    if (volume.throughputMiBps !== undefined && volume.type !== 'gp3') {
      ctx.addIssue({
        code: 'custom',
        path: ['throughputMiBps'],
        message: 'only gp3 has provisioned throughput',
      });
    }
  });
export type ScenarioVolume = z.output<typeof Volume>;

const Network = z
  .object({
    inMiBps: Load.prefault(0).describe('Bytes received, MiB/s (NetworkIn)'),
    outMiBps: Load.prefault(0).describe('Bytes sent, MiB/s (NetworkOut)'),
    avgPacketBytes: z.number().positive().default(1000).describe('Turns bytes into NetworkPackets*'),
  })
  .strict();

const CreditSimulation = z
  .object({
    mode: z
      .enum(['unlimited', 'standard'])
      .default('unlimited')
      .describe('T-instance credit mode (T3 default: unlimited)'),
    initialBalance: z
      .number()
      .min(0)
      .optional()
      .describe(
        'Credits at the start of the simulation; default 0 after launch, the full 24 h cap otherwise',
      ),
  })
  .strict()
  .describe('Simulate the credit balance from the CPU series and the type baseline from the catalog');

const CreditShapes = z
  .object({
    balance: Load.describe('CPUCreditBalance, credits'),
    usage: Load.optional().describe('CPUCreditUsage per 5 minutes; default from the CPU series'),
    surplus: Load.optional().describe('CPUSurplusCreditBalance; default 0'),
  })
  .strict()
  .describe('Explicit credit series instead of the simulation');

const AgentDimensions = z
  .enum(['append', 'instance-id', 'host'])
  .describe(
    'CloudWatch agent dimensions: append = append_dimensions ImageId, InstanceId, InstanceType (+AutoScalingGroupName); ' +
      'instance-id = InstanceId only; host = the agent default without append_dimensions (host = private DNS name)',
  );

const Agent = z
  .object({
    dimensions: AgentDimensions.default('append'),
    intervalSec: z.number().int().positive().default(60).describe('metrics_collection_interval'),
    memUsedPct: Load.optional().describe('mem_used_percent'),
    iowaitPct: Load.optional().describe('cpu_usage_iowait (cpu=cpu-total)'),
    stealPct: Load.optional().describe('cpu_usage_steal (cpu=cpu-total)'),
  })
  .strict()
  .describe('The CloudWatch agent runs on this host: its metrics exist in the CWAgent namespace');

const InstanceState = z.enum(['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped']);
export type InstanceState = z.infer<typeof InstanceState>;

const Instance = z
  .object({
    id: z.string().regex(/^i-[0-9a-f]{8,17}$/),
    name: z.string().optional().describe('The Name tag'),
    type: z.string().describe('Instance type; must be in the bundled catalog'),
    az: z.string().describe('Availability Zone, e.g. eu-west-1a; must be in the region'),
    state: InstanceState.default('running').describe('Only running instances publish metrics'),
    launchTime: TimeRef.default('now-30d'),
    imageId: z
      .string()
      .regex(/^ami-[0-9a-f]{8,17}$/)
      .optional(),
    privateIp: z.ipv4().optional().describe('Default derived from the id'),
    detailedMonitoring: z.boolean().default(false).describe('1-minute EC2 metrics instead of 5-minute'),
    group: z
      .string()
      .optional()
      .describe('Auto Scaling group name; also sets the aws:autoscaling:groupName tag'),
    tags: z.record(z.string(), z.string()).default({}),
    cpu: Load.prefault({ shape: 'idle' }).describe('CPUUtilization, percent of the whole instance'),
    network: Network.prefault({}),
    credits: z
      .union([CreditSimulation, CreditShapes])
      .optional()
      .describe('Burstable types only; default: simulated'),
    agent: Agent.optional(),
    volumes: z.array(Volume).default([]),
  })
  .strict();
export type ScenarioInstance = z.output<typeof Instance>;

export const groupMetricNames = [
  'GroupMinSize',
  'GroupMaxSize',
  'GroupDesiredCapacity',
  'GroupInServiceInstances',
  'GroupPendingInstances',
  'GroupStandbyInstances',
  'GroupTerminatingInstances',
  'GroupTotalInstances',
  'GroupInServiceCapacity',
  'GroupPendingCapacity',
  'GroupStandbyCapacity',
  'GroupTerminatingCapacity',
  'GroupTotalCapacity',
] as const;
export type GroupMetricName = (typeof groupMetricNames)[number];

/**
 * A scaling policy as DescribePolicies lists it: target tracking on a predefined or customized
 * metric, or step/simple scaling driven by a CloudWatch alarm (whose metric DescribeAlarms gives).
 */
const ScalingPolicySpec = z
  .object({
    name: z.string().min(1).max(255),
    type: z.enum(['TargetTrackingScaling', 'StepScaling', 'SimpleScaling']),
    predefined: z
      .enum([
        'ASGAverageCPUUtilization',
        'ASGAverageNetworkIn',
        'ASGAverageNetworkOut',
        'ALBRequestCountPerTarget',
      ])
      .optional()
      .describe('TargetTrackingScaling: the predefined metric'),
    customized: z
      .object({ namespace: z.string(), metricName: z.string(), statistic: z.string().default('Average') })
      .strict()
      .optional()
      .describe('TargetTrackingScaling: a customized metric'),
    target: z.number().positive().optional().describe('TargetTrackingScaling: TargetValue'),
    alarm: z
      .object({
        name: z.string().min(1).max(255),
        namespace: z.string().default('AWS/EC2'),
        metricName: z.string(),
        statistic: z.string().default('Average'),
        threshold: z.number(),
      })
      .strict()
      .optional()
      .describe('StepScaling / SimpleScaling: the alarm that triggers the policy (scale-out side)'),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const tracking = policy.type === 'TargetTrackingScaling';
    if (
      tracking &&
      (policy.target === undefined || (policy.predefined === undefined) === (policy.customized === undefined))
    )
      ctx.addIssue({
        code: 'custom',
        message: 'target tracking needs a target and one of predefined or customized',
      });
    if (!tracking && policy.alarm === undefined)
      ctx.addIssue({ code: 'custom', message: `${policy.type} needs the alarm that triggers it` });
  });
export type ScenarioScalingPolicy = z.output<typeof ScalingPolicySpec>;

const AutoScalingGroup = z
  .object({
    name: z.string().min(1).max(255),
    minSize: z.number().int().min(0),
    maxSize: z.number().int().min(0),
    desiredCapacity: z.number().int().min(0),
    instanceIds: z
      .array(z.string())
      .optional()
      .describe('Members; default every instance whose `group` names this group'),
    enabledMetrics: z
      .union([z.literal('all'), z.array(z.enum(groupMetricNames))])
      .default([])
      .describe('EnableMetricsCollection: which AWS/AutoScaling metrics exist (granularity 1Minute)'),
    capacity: Load.optional().describe(
      'Desired capacity over time (rounded, clamped to min..max); default constant',
    ),
    healthCheckType: z.enum(['EC2', 'ELB']).default('EC2'),
    createdTime: TimeRef.default('now-90d'),
    tags: z.record(z.string(), z.string()).default({}),
    policies: z
      .array(ScalingPolicySpec)
      .default([])
      .describe("DescribePolicies: the group's scaling policies"),
  })
  .strict()
  .superRefine((group, ctx) => {
    if (
      group.minSize > group.maxSize ||
      group.desiredCapacity < group.minSize ||
      group.desiredCapacity > group.maxSize
    ) {
      ctx.addIssue({ code: 'custom', message: 'needs minSize <= desiredCapacity <= maxSize' });
    }
  });
export type ScenarioGroup = z.output<typeof AutoScalingGroup>;

const DetachedVolume = z
  .object({
    id: z.string().regex(/^vol-[0-9a-f]{8,17}$/),
    az: z.string().describe('Availability Zone, e.g. eu-west-1a; must be in the region'),
    type: VolumeType,
    sizeGiB: z.number().int().positive(),
    iops: z.number().int().positive().optional(),
    throughputMiBps: z.number().int().positive().optional(),
    encrypted: z.boolean().default(false),
    tags: z.record(z.string(), z.string()).default({}),
    createdAt: TimeRef.default('now-120d'),
  })
  .strict()
  .describe('An EBS volume attached to nothing (status available): billed, never measured');
export type ScenarioDetachedVolume = z.output<typeof DetachedVolume>;

const Region = z
  .object({
    instances: z.array(Instance).default([]),
    autoScalingGroups: z.array(AutoScalingGroup).default([]),
    volumes: z.array(DetachedVolume).default([]).describe('Volumes attached to no instance'),
  })
  .strict();
export type ScenarioRegion = z.output<typeof Region>;

// stall: no answer at all; slow: the answer dribbled out over 1.5 s; cut: the connection dropped
// mid-body (mocks/servers/delivery.ts); loop: a listing whose next-page token repeats forever.
export const faultKinds = [
  'throttle',
  'server-error',
  'access-denied',
  'expired-credentials',
  'malformed',
  'stall',
  'slow',
  'cut',
  'loop',
] as const;
export type FaultKind = (typeof faultKinds)[number];

const Fault = z
  .object({
    kind: z.enum(faultKinds),
    action: z
      .string()
      .describe('API action, e.g. GetMetricData, DescribeInstances, DescribeAutoScalingGroups'),
    region: z.string().optional().describe('Only this region; default every region (counted per region)'),
    nth: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('The first matching call (1-based, per region) that fails'),
    times: z
      .union([z.number().int().min(1), z.literal('always')])
      .default(1)
      .describe('Consecutive calls that fail'),
    match: z
      .object({
        namespace: z.string().optional(),
        metricName: z.string().optional(),
        dimensionValue: z.string().optional().describe('e.g. an instance or volume id'),
      })
      .strict()
      .optional()
      .describe('GetMetricData / ListMetrics: only calls with a query (or filter) on this metric count'),
    body: z
      .enum(['truncated', 'wrong-types', 'wrong-shape'])
      .optional()
      .describe('malformed only: cut-off body (default), scalars of the wrong type, or the wrong structure'),
  })
  .strict()
  .superRefine((fault, ctx) => {
    if (fault.body !== undefined && fault.kind !== 'malformed') {
      ctx.addIssue({ code: 'custom', path: ['body'], message: 'body applies to kind malformed only' });
    }
  });
export type ScenarioFault = z.output<typeof Fault>;

export const Scenario = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    seed: z
      .string()
      .optional()
      .describe('Mixed into every series; default the name. Same seed, same numbers'),
    aws: z
      .object({
        accountId: z
          .string()
          .regex(/^\d{12}$/)
          .default('123456789012'),
        regions: z
          .record(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/), Region)
          .describe('Fleet per region name'),
        faults: z.array(Fault).default([]),
        clockSkewSec: z
          .number()
          .int()
          .default(0)
          .describe(
            "How far the mock's clock runs ahead (+) or behind (-) the client's: requests signed more than 15 minutes off are refused, as AWS does",
          ),
      })
      .strict()
      .default({ accountId: '123456789012', regions: {}, faults: [], clockSkewSec: 0 })
      .describe('The AWS part: none when the scenario has only other clouds'),
    gcp: gcpScenario(Load).optional().describe('The Google Cloud part (mocks/scenarios/gcp.ts)'),
    ovh: OvhScenario.optional().describe('The OVHcloud part (mocks/scenarios/ovh.ts)'),
    linode: linodeScenario(Load).optional(),
  })
  .strict()
  .superRefine(checkReferences);
export type Scenario = z.output<typeof Scenario>;

type RefinementContext = z.RefinementCtx;

/** Cross-field rules: unique ids, AZ inside its region, group members that exist. */
function checkReferences(
  scenario: { aws: { regions: Record<string, ScenarioRegion> } },
  ctx: RefinementContext,
): void {
  const seen = new Set<string>();
  for (const [region, fleet] of Object.entries(scenario.aws.regions)) {
    fleet.volumes.forEach((volume, index) => {
      const path = ['aws', 'regions', region, 'volumes', index];
      if (seen.has(volume.id)) ctx.addIssue({ code: 'custom', path, message: `duplicate id ${volume.id}` });
      seen.add(volume.id);
      if (!volume.az.startsWith(region))
        ctx.addIssue({ code: 'custom', path: [...path, 'az'], message: `${volume.az} is not in ${region}` });
    });
    const instanceIds = new Set(fleet.instances.map((instance) => instance.id));
    const groupNames = new Set(fleet.autoScalingGroups.map((group) => group.name));
    fleet.instances.forEach((instance, index) => {
      const path = ['aws', 'regions', region, 'instances', index];
      const ids = [instance.id, ...instance.volumes.map((volume) => volume.id)];
      for (const id of ids) {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path, message: `duplicate id ${id}` });
        seen.add(id);
      }
      if (!instance.az.startsWith(region)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'az'],
          message: `${instance.az} is not in ${region}`,
        });
      }
      if (instance.group !== undefined && !groupNames.has(instance.group)) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'group'],
          message: `no Auto Scaling group ${instance.group}`,
        });
      }
    });
    fleet.autoScalingGroups.forEach((group, index) => {
      for (const id of group.instanceIds ?? []) {
        if (!instanceIds.has(id)) {
          const path = ['aws', 'regions', region, 'autoScalingGroups', index, 'instanceIds'];
          ctx.addIssue({ code: 'custom', path, message: `instance ${id} is not in ${region}` });
        }
      }
    });
  }
}

/** Thrown for an unreadable or invalid scenario file; names the file and every bad key. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** Validates an already parsed scenario object (YAML or a test's literal). */
export function parseScenario(raw: unknown, file = '<inline>'): Scenario {
  const result = Scenario.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new ScenarioError(`invalid scenario\n  ${lines.join('\n  ')}`, file);
}

export function loadScenario(path: string): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'), { merge: true });
  } catch (error) {
    throw new ScenarioError(error instanceof Error ? error.message : String(error), path);
  }
  return parseScenario(raw, path);
}

/** Path of a scenario shipped in the package: `bundledScenarioPath('demo')`. */
export function bundledScenarioPath(name: string): string {
  return packagePath('mocks', 'scenarios', `${name}.yaml`);
}

const unitSec = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Resolves an ISO time or `now-<n><s|m|h|d>` to epoch seconds. */
export function resolveTimeSec(value: string, nowSec: number): number {
  const relative = /^now-(\d+)([smhd])$/.exec(value);
  if (relative) return nowSec - Number(relative[1]) * unitSec[relative[2] as keyof typeof unitSec];
  return Math.floor(Date.parse(value) / 1000);
}

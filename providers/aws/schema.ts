// Permissive zod at the boundary (Renovate's zod.md): list only the fields we use, tolerate
// oddities with .catch(), drop (and count) list elements that do not parse. SDK typings are not
// runtime checks: a mock, a proxy or a new API version can send anything.
import { z } from 'zod';

const Tags = z
  .array(z.object({ Key: z.string().optional(), Value: z.string().optional() }))
  .catch([])
  .transform((tags) =>
    Object.fromEntries(tags.filter((tag) => tag.Key !== undefined).map((tag) => [tag.Key!, tag.Value ?? ''])),
  );

const DateLike = z.union([z.date(), z.string(), z.number()]).transform((value) => new Date(value).getTime());

export const Ec2Instance = z.object({
  InstanceId: z.string(),
  InstanceType: z.string(),
  PrivateIpAddress: z.string().optional().catch(undefined),
  Placement: z.object({ AvailabilityZone: z.string().optional() }).catch({}),
  State: z.object({ Name: z.string().optional() }).catch({}),
  LaunchTime: DateLike.optional().catch(undefined),
  Tags,
  BlockDeviceMappings: z
    .array(
      z.object({ DeviceName: z.string().optional(), Ebs: z.object({ VolumeId: z.string() }).optional() }),
    )
    .catch([]),
});
export type Ec2Instance = z.infer<typeof Ec2Instance>;

export const Ec2Volume = z.object({
  VolumeId: z.string(),
  VolumeType: z.string().catch('unknown'),
  Size: z.number().nonnegative(),
  Iops: z.number().optional().catch(undefined),
  Throughput: z.number().optional().catch(undefined),
  AvailabilityZone: z.string().optional().catch(undefined),
  Attachments: z
    .array(z.object({ InstanceId: z.string().optional(), Device: z.string().optional() }))
    .catch([]),
  Tags,
});
export type Ec2Volume = z.infer<typeof Ec2Volume>;

export const AutoScalingGroup = z.object({
  AutoScalingGroupName: z.string(),
  MinSize: z.number().int().nonnegative(),
  MaxSize: z.number().int().nonnegative(),
  DesiredCapacity: z.number().int().nonnegative(),
  Instances: z.array(z.object({ InstanceId: z.string(), InstanceType: z.string().optional() })).catch([]),
  EnabledMetrics: z.array(z.object({ Metric: z.string().optional() })).catch([]),
});
export type AutoScalingGroup = z.infer<typeof AutoScalingGroup>;

export const Ec2InstanceType = z.object({
  InstanceType: z.string(),
  VCpuInfo: z.object({ DefaultVCpus: z.number().positive() }),
  MemoryInfo: z.object({ SizeInMiB: z.number().positive() }),
  BurstablePerformanceSupported: z.boolean().catch(false),
  ProcessorInfo: z
    .object({ SupportedArchitectures: z.array(z.string()).catch([]) })
    .catch({ SupportedArchitectures: [] }),
  NetworkInfo: z
    .object({
      NetworkCards: z
        .array(
          z.object({
            BaselineBandwidthInGbps: z.number().optional().catch(undefined),
            PeakBandwidthInGbps: z.number().optional().catch(undefined),
          }),
        )
        .catch([]),
    })
    .catch({ NetworkCards: [] }),
  EbsInfo: z
    .object({
      EbsOptimizedInfo: z
        .object({
          BaselineIops: z.number().optional(),
          MaximumIops: z.number().optional(),
          BaselineThroughputInMBps: z.number().optional(),
          MaximumThroughputInMBps: z.number().optional(),
        })
        .optional()
        .catch(undefined),
    })
    .catch({}),
});
export type Ec2InstanceType = z.infer<typeof Ec2InstanceType>;

// NOTE: a page holds up to 100,800 points; checking each with zod copied both arrays and was half of
// a GetMetricData's CPU. The arrays pass as they are; metrics.ts checks each point as it reads it.
const AnyArray = z.custom<unknown[]>((value) => Array.isArray(value)).catch([]);

export const MetricDataResult = z.object({
  Id: z.string(),
  StatusCode: z.string().optional(),
  Timestamps: AnyArray,
  Values: AnyArray,
});
export type MetricDataResult = z.infer<typeof MetricDataResult>;

export const ListedMetric = z.object({
  Namespace: z.string(),
  MetricName: z.string(),
  Dimensions: z.array(z.object({ Name: z.string(), Value: z.string() })).catch([]),
});
export type ListedMetric = z.infer<typeof ListedMetric>;

/** The bundled catalog's instance entries (../shared/catalogs/aws-ec2-instance-types.json). */
export const CatalogInstanceType = z.object({
  name: z.string(),
  family: z.string(),
  vcpu: z.number().positive(),
  memoryMiB: z.number().positive(),
  arch: z.string().nullable().catch(null),
  burstable: z.boolean().catch(false),
  baselineCpuPct: z.number().nullable().catch(null),
  networkBaselineGbps: z.number().nullable().catch(null),
  networkPeakGbps: z.number().nullable().catch(null),
  ebsBaselineIops: z.number().nullable().catch(null),
  ebsMaxIops: z.number().nullable().catch(null),
  ebsBaselineThroughputMBps: z.number().nullable().catch(null),
  ebsMaxThroughputMBps: z.number().nullable().catch(null),
  priceUsdPerHour: z.number().nullable().catch(null),
});

/** DescribePolicies: only what says which signal a policy scales on. */
export const ScalingPolicy = z.object({
  AutoScalingGroupName: z.string(),
  PolicyName: z.string().catch(''),
  PolicyType: z.string().catch('SimpleScaling'),
  Enabled: z.boolean().optional().catch(undefined),
  Alarms: z.array(z.object({ AlarmName: z.string().optional() })).catch([]),
  TargetTrackingConfiguration: z
    .object({
      TargetValue: z.number().optional().catch(undefined),
      PredefinedMetricSpecification: z
        .object({ PredefinedMetricType: z.string() })
        .optional()
        .catch(undefined),
      CustomizedMetricSpecification: z
        .object({ Namespace: z.string().optional(), MetricName: z.string().optional() })
        .optional()
        .catch(undefined),
    })
    .optional()
    .catch(undefined),
});
export type ScalingPolicy = z.infer<typeof ScalingPolicy>;

/** DescribeAlarms: the metric and threshold behind a step or simple policy. */
export const MetricAlarm = z.object({
  AlarmName: z.string(),
  Namespace: z.string().optional().catch(undefined),
  MetricName: z.string().optional().catch(undefined),
  Threshold: z.number().optional().catch(undefined),
});
export type MetricAlarm = z.infer<typeof MetricAlarm>;

import { z } from 'zod';
import { ProviderId } from './common.ts';

export const Volume = z.object({
  provider: ProviderId,
  id: z.string(),
  region: z.string(),
  zone: z.string().nullable(),
  /** The provider's own type name: gp2, gp3, io1, io2, st1, sc1, standard, pd-balanced, ... */
  type: z.string(),
  sizeGiB: z.number().nonnegative(),
  /** Provisioned IOPS (gp3, io1, io2), or null where the type derives it from size. */
  iops: z.number().nullable(),
  throughputMiBps: z.number().nullable(),
  attachedTo: z.array(z.object({ hostId: z.string(), device: z.string().nullable() })),
  tags: z.record(z.string(), z.string()),
});
export type Volume = z.infer<typeof Volume>;

export const Host = z.object({
  provider: ProviderId,
  id: z.string(),
  /** The Name tag or label; the id when there is none. Untrusted text from the cloud. */
  name: z.string(),
  region: z.string(),
  zone: z.string().nullable(),
  instanceType: z.string(),
  state: z.string(),
  vcpu: z.number().positive().nullable(),
  memoryMiB: z.number().positive().nullable(),
  launchedAtMs: z.number().nullable(),
  groupId: z.string().nullable(),
  volumeIds: z.array(z.string()),
  tags: z.record(z.string(), z.string()),
  /** The primary private IPv4 address, where the provider lists it (on-host series match on it). */
  privateIp: z.string().nullable().optional(),
});
export type Host = z.infer<typeof Host>;

/** The kind of signal a scaling policy follows: CPU, network bytes, requests per member, a queue, or another metric. */
export const ScalingSignalKind = z.enum(['cpu', 'network', 'requests', 'custom', 'queue']);
export type ScalingSignalKind = z.infer<typeof ScalingSignalKind>;

export const ScalingSignal = z.object({
  kind: ScalingSignalKind,
  /**
   * The value the policy holds or the alarm threshold that scales out, in the metric's own unit
   * (CPU and utilization in percent; requests per member; bytes); null where the policy gives none.
   */
  target: z.number().nullable(),
  /** The metric as the provider names it (ASGAverageCPUUtilization, AWS/EC2 CPUUtilization, a custom metric). Untrusted text. */
  metric: z.string(),
  /** The policy's name and type (TargetTrackingScaling, StepScaling, autoscaler). Untrusted text. */
  policy: z.string(),
});
export type ScalingSignal = z.infer<typeof ScalingSignal>;

export const GroupScaling = z.object({
  signals: z.array(ScalingSignal),
  min: z.number().int().nonnegative(),
  max: z.number().int().nonnegative(),
});
export type GroupScaling = z.infer<typeof GroupScaling>;

export const Group = z.object({
  provider: ProviderId,
  id: z.string(),
  name: z.string(),
  region: z.string(),
  minSize: z.number().int().nonnegative(),
  maxSize: z.number().int().nonnegative(),
  desiredCapacity: z.number().int().nonnegative(),
  memberIds: z.array(z.string()),
  instanceTypes: z.array(z.string()),
  /** Group metrics the provider collects (AWS EnabledMetrics); empty when none. */
  enabledMetrics: z.array(z.string()),
  /** What the group scales on (AWS scaling policies, the MIG autoscaler's policy); absent when unknown or none. */
  scaling: GroupScaling.optional(),
});
export type Group = z.infer<typeof Group>;

/** One instance type of a provider's catalog, in the units the sizing arithmetic uses. */
export const InstanceType = z.object({
  provider: ProviderId,
  name: z.string(),
  family: z.string(),
  vcpu: z.number().positive(),
  memoryMiB: z.number().positive(),
  arch: z.string().nullable(),
  burstable: z.boolean(),
  /** Per-vCPU baseline of a burstable type, in percent. */
  baselineCpuPct: z.number().nullable(),
  networkBaselineGbps: z.number().nullable(),
  networkPeakGbps: z.number().nullable(),
  ebsBaselineIops: z.number().nullable(),
  ebsMaxIops: z.number().nullable(),
  ebsBaselineThroughputMBps: z.number().nullable(),
  ebsMaxThroughputMBps: z.number().nullable(),
  priceUsdPerHour: z.number().nullable(),
  /** Where the entry came from: the provider's API in this run, or the bundled catalog. */
  source: z.enum(['api', 'bundled']),
});
export type InstanceType = z.infer<typeof InstanceType>;

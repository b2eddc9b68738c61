// Permissive zod at the boundary (Renovate's zod.md): only the fields we read, oddities tolerated
// with .catch(), list entries that do not parse dropped and counted. The decoded Compute objects
// also carry proto3 "virtual" keys (`_name: 'name'`): z.object strips them.
import { z } from 'zod';

/** int64 fields arrive as JSON strings (`"42"`); numbers are accepted too. */
const Int64 = z.union([z.string(), z.number()]).transform((value) => Number(value));

const Labels = z.record(z.string(), z.string()).catch({});

/** A list whose entries that do not parse are dropped (a policy's other signals still count). */
function LooseList<T extends z.ZodType>(item: T) {
  return z
    .array(z.unknown())
    .catch([])
    .transform((entries) =>
      entries.flatMap((entry) => {
        const parsed = item.safeParse(entry);
        return parsed.success ? [parsed.data as z.output<T>] : [];
      }),
    );
}

export const GceInstance = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  name: z.string(),
  zone: z.string().optional().catch(undefined),
  machineType: z.string(),
  status: z.string().catch('UNKNOWN'),
  creationTimestamp: z.string().optional().catch(undefined),
  labels: Labels,
  networkInterfaces: z.array(z.object({ networkIP: z.string().optional().catch(undefined) })).catch([]),
  metadata: z
    .object({
      items: z.array(z.object({ key: z.string(), value: z.string().nullish() })).catch([]),
    })
    .catch({ items: [] }),
  disks: z
    .array(
      z.object({
        deviceName: z.string().optional().catch(undefined),
        source: z.string().optional().catch(undefined),
        diskSizeGb: Int64.optional().catch(undefined),
        type: z.string().optional().catch(undefined),
        boot: z.boolean().optional().catch(undefined),
      }),
    )
    .catch([]),
});
export type GceInstance = z.infer<typeof GceInstance>;

export const GceDisk = z.object({
  name: z.string(),
  selfLink: z.string(),
  zone: z.string().optional().catch(undefined),
  /** The instances using the disk; none: attached to nothing. */
  users: z.array(z.string()).catch([]),
  type: z.string().catch('unknown'),
  sizeGb: Int64.catch(0),
  provisionedIops: Int64.optional().catch(undefined),
  provisionedThroughput: Int64.optional().catch(undefined),
  labels: Labels,
});
export type GceDisk = z.infer<typeof GceDisk>;

export const InstanceGroupManager = z.object({
  name: z.string(),
  zone: z.string().optional().catch(undefined),
  region: z.string().optional().catch(undefined),
  selfLink: z.string().optional().catch(undefined),
  targetSize: z.number().int().nonnegative().catch(0),
  status: z.object({ autoscaler: z.string().optional().catch(undefined) }).catch({}),
});
export type InstanceGroupManager = z.infer<typeof InstanceGroupManager>;

export const Autoscaler = z.object({
  name: z.string(),
  zone: z.string().optional().catch(undefined),
  region: z.string().optional().catch(undefined),
  target: z.string(),
  autoscalingPolicy: z
    .object({
      minNumReplicas: z.number().int().nonnegative().optional().catch(undefined),
      maxNumReplicas: z.number().int().nonnegative().optional().catch(undefined),
      mode: z.string().optional().catch(undefined),
      cpuUtilization: z
        .object({ utilizationTarget: z.number().optional().catch(undefined) })
        .optional()
        .catch(undefined),
      loadBalancingUtilization: z
        .object({ utilizationTarget: z.number().optional().catch(undefined) })
        .optional()
        .catch(undefined),
      customMetricUtilizations: LooseList(
        z.object({
          metric: z.string(),
          utilizationTarget: z.number().optional().catch(undefined),
        }),
      ),
    })
    .catch({ customMetricUtilizations: [] }),
  recommendedSize: z.number().int().nonnegative().optional().catch(undefined),
});
export type Autoscaler = z.infer<typeof Autoscaler>;

export const MachineType = z.object({
  name: z.string(),
  guestCpus: z.number().positive(),
  memoryMb: z.number().positive(),
  isSharedCpu: z.boolean().catch(false),
  architecture: z.string().optional().catch(undefined),
});
export type MachineType = z.infer<typeof MachineType>;

/** A decoded protobuf Timestamp (`{seconds: "1735689600", nanos: 0}`) or an RFC3339 string. */
const Timestamp = z
  .union([z.string(), z.object({ seconds: z.union([z.string(), z.number()]), nanos: z.number().nullish() })])
  .transform((value) =>
    typeof value === 'string' ? Date.parse(value) : Number(value.seconds) * 1000 + (value.nanos ?? 0) / 1e6,
  );

export const TimeSeries = z.object({
  metric: z.object({ type: z.string().catch(''), labels: Labels }).catch({ type: '', labels: {} }),
  resource: z.object({ type: z.string().catch(''), labels: Labels }).catch({ type: '', labels: {} }),
  points: z
    .array(
      z.object({
        interval: z.object({ endTime: Timestamp }),
        value: z.object({
          doubleValue: z.number().nullish(),
          int64Value: Int64.nullish(),
        }),
      }),
    )
    .catch([]),
});
export type TimeSeries = z.infer<typeof TimeSeries>;

/** The bundled catalog's entries (../shared/catalogs/gcp-machine-types.json). */
export const CatalogMachineType = z.object({
  name: z.string(),
  family: z.string(),
  vcpu: z.number().positive(),
  memoryMiB: z.number().positive(),
  sharedCore: z.boolean().catch(false),
  egressBandwidthGbpsDefault: z.number().nullable().catch(null),
  tier1EgressBandwidthGbps: z.number().nullable().catch(null),
  priceUsdPerHourUsCentral1: z.number().nullable().catch(null),
});
export type CatalogMachineType = z.infer<typeof CatalogMachineType>;

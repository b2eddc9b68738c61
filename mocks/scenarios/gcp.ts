import { z } from 'zod';
import type { Load as LoadSchema } from './schema.ts';

// The `gcp:` part of a scenario: projects with Compute Engine instances and managed instance
// groups (with or without an autoscaler), the shape of every series the mock's Cloud Monitoring
// serves, and the failures to inject. Built from the shared `Load` schema handed in by schema.ts
// (a function, so this module needs nothing from schema.ts at run time: no import cycle).
//
//   gcp:
//     projects:
//       shop-gcp-prod:
//         instances:
//           - { name: web-1, zone: us-central1-a, machineType: e2-standard-4, group: web,
//               cpu: { shape: diurnal, base: 10, peak: 40 }, agent: { memUsedPct: 55 } }
//         instanceGroups:
//           - { name: web, zone: us-central1-a, targetSize: 1, autoscaler: { min: 1, max: 5 } }
//     faults:
//       - { kind: throttle, method: timeSeries.list, nth: 2 }

const TimeRef = z
  .union([z.iso.datetime({ offset: true }), z.string().regex(/^now-\d+[smhd]$/)])
  .describe('ISO-8601 time, or relative to the mock clock: now-30d, now-6h');

export const gcpMethods = [
  'instances.aggregatedList',
  'disks.aggregatedList',
  'instanceGroupManagers.aggregatedList',
  'autoscalers.aggregatedList',
  'machineTypes.list',
  'machineTypes.get',
  'timeSeries.list',
] as const;
export type GcpMethod = (typeof gcpMethods)[number];

// stall, slow, cut: how the answer arrives (mocks/servers/delivery.ts); loop: a listing whose
// nextPageToken repeats forever.
export const gcpFaultKinds = [
  'throttle',
  'server-error',
  'bad-credentials',
  'permission-denied',
  'malformed',
  'stall',
  'slow',
  'cut',
  'loop',
] as const;

export function gcpScenario(Load: typeof LoadSchema) {
  const Disk = z
    .object({
      name: z.string().regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/),
      sizeGb: z.number().int().positive().default(20),
      type: z
        .string()
        .default('pd-balanced')
        .describe('pd-standard, pd-balanced, pd-ssd, hyperdisk-balanced, ...'),
    })
    .strict();

  const DiskIo = z
    .object({
      readIops: Load.prefault(0),
      writeIops: Load.prefault(0),
      readMiBps: Load.prefault(0),
      writeMiBps: Load.prefault(0),
      queue: Load.optional().describe('average_io_queue_depth; absent: the metric is not reported'),
      latencyMs: Load.optional().describe('average_io_latency in ms (served in µs); absent: not reported'),
    })
    .strict();

  const Instance = z
    .object({
      name: z.string().regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/),
      id: z
        .string()
        .regex(/^\d{6,20}$/)
        .optional()
        .describe('Numeric instance id; default derived from the project and name'),
      zone: z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/),
      machineType: z.string().describe('Must be in providers/gcp/data/gcp-machine-types.json'),
      status: z.enum(['RUNNING', 'STOPPED', 'TERMINATED', 'SUSPENDED', 'PROVISIONING']).default('RUNNING'),
      createdAt: TimeRef.default('now-30d'),
      labels: z.record(z.string(), z.string()).default({}),
      group: z.string().optional().describe('Managed instance group name (sets metadata created-by)'),
      cpu: Load.prefault({ shape: 'idle' }).describe('instance/cpu/utilization, percent'),
      schedulerWaitPct: Load.optional().describe(
        'instance/cpu/scheduler_wait_time as percent of the instance; default a trickle on E2, absent elsewhere',
      ),
      disks: z.array(Disk).optional().describe('Default: one 20 GB pd-balanced boot disk named after the VM'),
      diskIo: DiskIo.prefault({}),
      network: z
        .object({
          inMiBps: Load.prefault(0),
          outMiBps: Load.prefault(0),
          avgPacketBytes: z.number().positive().default(1000),
        })
        .strict()
        .prefault({}),
      agent: z
        .object({
          memUsedPct: Load.optional(),
          iowaitPct: Load.prefault(0),
          stealPct: Load.prefault(0),
        })
        .strict()
        .optional()
        .describe('The Ops Agent runs here: agent.googleapis.com cpu (per cpu_state) and memory exist'),
    })
    .strict();

  const InstanceGroup = z
    .object({
      name: z.string(),
      zone: z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/),
      targetSize: z.number().int().min(0),
      autoscaler: z
        .object({
          min: z.number().int().min(0),
          max: z.number().int().min(1),
          cpuTarget: z
            .number()
            .gt(0)
            .lte(1)
            .nullable()
            .default(0.6)
            .describe('cpuUtilization target; null: none'),
          loadBalancingTarget: z.number().gt(0).lte(1).optional().describe('loadBalancingUtilization target'),
          customMetrics: z
            .array(z.object({ metric: z.string(), target: z.number().positive() }).strict())
            .default([])
            .describe('customMetricUtilizations (GAUGE targets)'),
          mode: z.enum(['ON', 'OFF', 'ONLY_SCALE_OUT']).default('ON'),
        })
        .strict()
        .optional(),
    })
    .strict();

  const DetachedDisk = z
    .object({
      name: z.string().regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/),
      zone: z.string().regex(/^[a-z]+-[a-z]+\d+-[a-z]$/),
      sizeGb: z.number().int().positive(),
      type: z.string().default('pd-balanced'),
      labels: z.record(z.string(), z.string()).default({}),
    })
    .strict()
    .describe('A persistent disk no instance uses: billed, never measured');

  const Project = z
    .object({
      number: z
        .string()
        .regex(/^\d{6,15}$/)
        .optional()
        .describe('Project number (in created-by URLs); default derived from the id'),
      instances: z.array(Instance).default([]),
      instanceGroups: z.array(InstanceGroup).default([]),
      disks: z.array(DetachedDisk).default([]).describe('Disks attached to no instance'),
    })
    .strict();

  const Fault = z
    .object({
      kind: z.enum(gcpFaultKinds),
      method: z.enum(gcpMethods),
      project: z.string().optional(),
      metricType: z.string().optional().describe('timeSeries.list only: the filter names this metric type'),
      nth: z.number().int().min(1).default(1),
      times: z.union([z.number().int().min(1), z.literal('always')]).default(1),
      body: z.enum(['truncated', 'wrong-shape']).optional().describe('malformed only; default truncated'),
    })
    .strict();

  return z
    .object({
      accessToken: z
        .string()
        .optional()
        .describe('When set, every call must carry Authorization: Bearer <this>; otherwise any or none'),
      projects: z.record(z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/), Project).default({}),
      faults: z.array(Fault).default([]),
      clockSkewSec: z
        .number()
        .int()
        .default(0)
        .describe("How far the mock's clock (the end of every series) runs ahead (+) or behind (-)"),
    })
    .strict()
    .superRefine((gcp, ctx) => {
      for (const [project, fleet] of Object.entries(gcp.projects)) {
        const groups = new Set(fleet.instanceGroups.map((g) => `${g.zone}/${g.name}`));
        const names = new Set<string>();
        fleet.instances.forEach((instance, index) => {
          const path = ['gcp', 'projects', project, 'instances', index];
          if (names.has(`${instance.zone}/${instance.name}`))
            ctx.addIssue({ code: 'custom', path, message: `duplicate instance ${instance.name}` });
          names.add(`${instance.zone}/${instance.name}`);
          if (instance.group && !groups.has(`${instance.zone}/${instance.group}`))
            ctx.addIssue({
              code: 'custom',
              path,
              message: `no instance group ${instance.group} in ${instance.zone}`,
            });
        });
        fleet.instanceGroups.forEach((group, index) => {
          const a = group.autoscaler;
          if (a && (a.min > a.max || group.targetSize < a.min || group.targetSize > a.max))
            ctx.addIssue({
              code: 'custom',
              path: ['gcp', 'projects', project, 'instanceGroups', index],
              message: 'needs autoscaler.min <= targetSize <= autoscaler.max',
            });
        });
      }
    });
}

export type GcpScenario = z.output<ReturnType<typeof gcpScenario>>;
export type GcpScenarioInstance = GcpScenario['projects'][string]['instances'][number];
export type GcpScenarioGroup = GcpScenario['projects'][string]['instanceGroups'][number];
export type GcpFault = GcpScenario['faults'][number];

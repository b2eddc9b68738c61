import { z } from 'zod';
import { Load } from './schema.ts';

// The `ovh:` part of a scenario: Public Cloud projects with their instances, the keys the mock
// accepts, and failures to inject. Smallest useful part:
//
//   ovh:
//     projects:
//       5f1c0b8e2d4a4c7e9b3a6d1f0e2c4b6a:
//         instances:
//           - { id: 0b6f9c3e-2a1d-4e5f-8a7b-1c2d3e4f5a6b, name: web-1, flavor: b3-8, region: GRA11,
//               cpu: { shape: diurnal, base: 10, peak: 45 } }

// NOTE: schema.ts imports this file; Load is read lazily so the two modules can load in either order.
const LazyLoad = z.lazy(() => Load);

const TimeRef = z
  .union([z.iso.datetime({ offset: true }), z.string().regex(/^now-\d+[smhd]$/)])
  .describe('ISO-8601 time, or relative to the mock clock: now-30d, now-6h');

/** cloud.instance.InstanceStatusEnum (legacy 1.0 schema); only ACTIVE instances have monitoring. */
export const ovhInstanceStatuses = [
  'ACTIVE',
  'BUILD',
  'BUILDING',
  'DELETED',
  'DELETING',
  'ERROR',
  'HARD_REBOOT',
  'MIGRATING',
  'PASSWORD',
  'PAUSED',
  'REBOOT',
  'REBUILD',
  'RESCUE',
  'RESCUED',
  'RESCUING',
  'RESIZE',
  'RESIZED',
  'RESUMING',
  'REVERT_RESIZE',
  'SHELVED',
  'SHELVED_OFFLOADED',
  'SHELVING',
  'SHUTOFF',
  'SNAPSHOTTING',
  'SOFT_DELETED',
  'STOPPED',
  'SUSPENDED',
  'UNKNOWN',
  'UNRESCUING',
  'UNSHELVING',
  'VERIFY_RESIZE',
] as const;

const OvhVolume = z
  .object({
    id: z.uuid(),
    name: z.string().min(1),
    type: z.enum(['classic', 'high-speed', 'high-speed-gen2']).default('high-speed'),
    sizeGiB: z.number().int().positive(),
  })
  .strict()
  .describe('A Block Storage volume attached to the instance (cloud.volume.Volume)');

const OvhInstance = z
  .object({
    id: z.uuid().describe('The instance id (an OpenStack UUID)'),
    name: z.string().min(1),
    flavor: z.string().describe('Flavor name; must be in providers/ovh/data/ovh-flavors.json'),
    region: z
      .string()
      .regex(/^[A-Z]{2,4}\d*(-[A-Z0-9]+)*$/)
      .describe('OpenStack region, e.g. GRA11, SBG5, BHS5, DE1, UK1, WAW1'),
    status: z.enum(ovhInstanceStatuses).default('ACTIVE'),
    created: TimeRef.default('now-60d'),
    monthlyBilling: z.boolean().default(false).describe('Billed monthly (plan code .monthly.postpaid)'),
    cpu: LazyLoad.prefault({ shape: 'idle' }).describe('CPU used, percent of all the vCPUs'),
    memUsedPct: LazyLoad.prefault(35).describe('Memory used, percent of the flavor RAM'),
    network: z
      .object({
        inMiBps: LazyLoad.prefault(0).describe('Bytes received, MiB/s (net:rx)'),
        outMiBps: LazyLoad.prefault(0).describe('Bytes sent, MiB/s (net:tx)'),
      })
      .strict()
      .prefault({}),
    volumes: z.array(OvhVolume).default([]),
  })
  .strict();
export type OvhScenarioInstance = z.output<typeof OvhInstance>;

const DetachedVolume = OvhVolume.extend({
  region: z.string().regex(/^[A-Z]{2,4}\d*(-[A-Z0-9]+)*$/),
}).describe('A Block Storage volume attached to no instance: billed, never measured');

const OvhProject = z
  .object({
    description: z.string().optional(),
    instances: z.array(OvhInstance).default([]),
    volumes: z.array(DetachedVolume).default([]).describe('Volumes attached to no instance'),
  })
  .strict();
export type OvhScenarioProject = z.output<typeof OvhProject>;

export const ovhRoutes = [
  'auth.time',
  'projects',
  'instances',
  'flavors',
  'volumes',
  'monitoring',
  'catalog',
] as const;
export type OvhRoute = (typeof ovhRoutes)[number];

// stall, slow, cut: how the answer arrives (mocks/servers/delivery.ts); loop: a list that never
// ends (OVH lists are not paged: the one way a listing runs forever).
export const ovhFaultKinds = [
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

const OvhFault = z
  .object({
    kind: z.enum(ovhFaultKinds),
    route: z.enum(ovhRoutes).describe('Which call fails'),
    project: z.string().optional().describe('Only calls on this project'),
    instance: z.string().optional().describe('monitoring only: only this instance'),
    type: z.string().optional().describe('monitoring only: only this type, e.g. cpu:used'),
    nth: z.number().int().min(1).default(1).describe('The first matching call (1-based) that fails'),
    times: z
      .union([z.number().int().min(1), z.literal('always')])
      .default(1)
      .describe('Consecutive matching calls that fail'),
    body: z
      .enum(['truncated', 'wrong-shape'])
      .optional()
      .describe('malformed only: a cut-off JSON body (default) or JSON of the wrong structure'),
  })
  .strict();
export type OvhScenarioFault = z.output<typeof OvhFault>;

export const OvhScenario = z
  .object({
    credentials: z
      .object({
        applicationKey: z.string().min(1),
        applicationSecret: z.string().min(1),
        consumerKey: z.string().min(1),
      })
      .strict()
      .default({
        applicationKey: 'demoappkey000001',
        applicationSecret: 'demo-application-secret-not-real',
        consumerKey: 'demo-consumer-key-not-real-00001',
      })
      .describe('The one set of keys the mock accepts; the demo gives the same to the client'),
    projects: z.record(z.string().min(1), OvhProject).describe('Public Cloud projects by id (serviceName)'),
    faults: z.array(OvhFault).default([]),
    clockSkewSec: z
      .number()
      .int()
      .default(0)
      .describe(
        "How far the API's clock (/auth/time, the signature check, the series) runs ahead (+) or behind (-)",
      ),
  })
  .strict()
  .superRefine((part, ctx) => {
    const seen = new Set<string>();
    for (const [project, fleet] of Object.entries(part.projects)) {
      fleet.volumes.forEach((volume, index) => {
        if (seen.has(volume.id))
          ctx.addIssue({
            code: 'custom',
            path: ['projects', project, 'volumes', index, 'id'],
            message: `duplicate id ${volume.id}`,
          });
        seen.add(volume.id);
      });
      fleet.instances.forEach((instance, index) => {
        for (const id of [instance.id, ...instance.volumes.map((v) => v.id)]) {
          if (seen.has(id)) {
            ctx.addIssue({
              code: 'custom',
              path: ['projects', project, 'instances', index, 'id'],
              message: `duplicate id ${id}`,
            });
          }
          seen.add(id);
        }
      });
    }
  })
  .describe('The OVHcloud part: Public Cloud projects and their instances');
export type OvhScenario = z.output<typeof OvhScenario>;

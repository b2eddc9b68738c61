import { z } from 'zod';
import type { Load as LoadSchema } from './schema.ts';

// The `linode:` part of a scenario: the account's Linodes (any regions), their Block Storage
// volumes, the series /stats returns, and the failures to inject. A factory over the shared `Load`
// schema, so this file needs no runtime import from schema.ts (which imports it).
//
//   linode:
//     instances:
//       - id: 41000001
//         label: web-1
//         type: g6-standard-2            # from providers/linode/data/linode-types.json
//         region: us-east
//         cpu: { shape: diurnal, base: 12, peak: 38 }   # percent of the whole Linode
//         io: 40                         # blocks/s
//         network: { inMbps: 5, outMbps: 20 }
//         volumes: [{ id: 900001, label: data, sizeGiB: 100 }]
//     faults:
//       - { kind: throttle, operation: stats, nth: 2 }

export const linodeOperations = ['instances', 'volumes', 'types', 'stats'] as const;
export type LinodeOperation = (typeof linodeOperations)[number];
// stall, slow, cut: how the answer arrives (mocks/servers/delivery.ts); loop: a collection whose
// page count grows by one on every page it serves.
export const linodeFaultKinds = [
  'throttle',
  'server-error',
  'bad-token',
  'malformed',
  'stall',
  'slow',
  'cut',
  'loop',
] as const;

const TimeRef = z
  .union([z.iso.datetime({ offset: true }), z.string().regex(/^now-\d+[smhd]$/)])
  .describe('ISO-8601 time, or relative to the mock clock: now-30d, now-6h');

export function linodeScenario(Load: typeof LoadSchema) {
  const Network = z
    .object({
      inMbps: Load.prefault(0).describe('Public traffic received, megabits per second'),
      outMbps: Load.prefault(0).describe('Public traffic sent, megabits per second'),
      privateInMbps: Load.prefault(0).describe('Private-network traffic received, Mbit/s'),
      privateOutMbps: Load.prefault(0).describe('Private-network traffic sent, Mbit/s'),
      ipv6Share: z
        .number()
        .min(0)
        .max(1)
        .default(0.1)
        .describe('Part of the public traffic carried over IPv6'),
    })
    .strict();

  const Volume = z
    .object({
      id: z.number().int().positive(),
      label: z.string().regex(/^[a-zA-Z0-9_-]{1,32}$/),
      sizeGiB: z.number().int().min(10).max(16_384),
      hardware: z.enum(['nvme', 'hdd']).default('nvme'),
      tags: z.array(z.string()).default([]),
    })
    .strict();

  const DetachedVolume = Volume.extend({
    region: z.string().regex(/^[a-z]{2}-[a-z]+$/),
  }).describe('A Block Storage volume attached to no Linode: billed, never measured');

  const Instance = z
    .object({
      id: z.number().int().positive(),
      label: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{1,62}$/),
      type: z.string().describe('Plan id; must be in the bundled catalog'),
      region: z
        .string()
        .regex(/^[a-z]{2}-[a-z]+$/)
        .describe('e.g. us-east, eu-central'),
      status: z.enum(['running', 'offline', 'booting', 'stopped', 'provisioning']).default('running'),
      created: TimeRef.default('now-90d'),
      tags: z.array(z.string()).default([]),
      cpu: Load.prefault({ shape: 'idle' }).describe(
        'CPU, percent of the whole Linode (the mock reports 100 % per core)',
      ),
      io: Load.prefault(0).describe('Disk I/O, blocks/s'),
      swap: Load.prefault(0).describe('Swap I/O, blocks/s'),
      network: Network.prefault({}),
      volumes: z.array(Volume).default([]),
    })
    .strict();

  const Fault = z
    .object({
      kind: z.enum(linodeFaultKinds),
      operation: z.enum(linodeOperations),
      instanceId: z.number().int().optional().describe('stats only: just this Linode'),
      nth: z.number().int().min(1).default(1).describe('The first matching call (1-based) that fails'),
      times: z
        .union([z.number().int().min(1), z.literal('always')])
        .default(1)
        .describe('Consecutive calls that fail'),
      body: z.enum(['truncated', 'wrong-shape']).optional().describe('malformed only; default truncated'),
    })
    .strict();

  return z
    .object({
      token: z.string().optional().describe('The only bearer token accepted; default any'),
      instances: z.array(Instance).default([]),
      volumes: z.array(DetachedVolume).default([]).describe('Volumes attached to no Linode'),
      faults: z.array(Fault).default([]),
      clockSkewSec: z
        .number()
        .int()
        .default(0)
        .describe("How far the mock's clock (the end of every series) runs ahead (+) or behind (-)"),
    })
    .strict()
    .superRefine((part, ctx) => {
      const seen = new Set<string>();
      part.instances.forEach((instance, index) => {
        for (const id of [`linode ${instance.id}`, ...instance.volumes.map((v) => `volume ${v.id}`)]) {
          if (seen.has(id))
            ctx.addIssue({ code: 'custom', path: ['instances', index], message: `duplicate ${id}` });
          seen.add(id);
        }
      });
      part.volumes.forEach((volume, index) => {
        if (seen.has(`volume ${volume.id}`))
          ctx.addIssue({
            code: 'custom',
            path: ['volumes', index],
            message: `duplicate volume ${volume.id}`,
          });
        seen.add(`volume ${volume.id}`);
      });
    })
    .describe('The Linode part: the account, whatever the regions');
}

export type LinodeScenario = z.output<ReturnType<typeof linodeScenario>>;
export type LinodeScenarioInstance = LinodeScenario['instances'][number];
export type LinodeScenarioFault = LinodeScenario['faults'][number];

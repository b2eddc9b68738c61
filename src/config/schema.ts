// The zod schema of fleetlens.yaml: the one place defaults live. `.describe()` texts feed
// `fleetlens init` and the README, so the docs cannot drift from the code (krr's lesson, #297).
import { z } from 'zod';
import { durationProblem } from './duration.ts';

const Duration = z.string().superRefine((text, context) => {
  const problem = durationProblem(text);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

export const AwsConfig = z
  .object({
    regions: z
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as eu-west-1'))
      .min(1)
      .describe('Regions to audit.'),
    profile: z
      .string()
      .optional()
      .describe('Named profile from ~/.aws/config; default: the SDK default chain.'),
    endpoint: z
      .url()
      .optional()
      .describe('Send every AWS call here instead (a local stack or the mock); tests only.'),
    includeStopped: z
      .boolean()
      .default(false)
      .describe('Also list stopped instances (they have no metrics).'),
    tags: z.record(z.string(), z.string()).default({}).describe('Only instances carrying all these tags.'),
  })
  .strict();
export type AwsConfig = z.infer<typeof AwsConfig>;

export const GcpConfig = z
  .object({
    projects: z
      .array(
        z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'expected a GCP project id such as shop-prod-123'),
      )
      .min(1)
      .describe('Projects to audit; credentials come from Application Default Credentials.'),
    endpoint: z
      .url()
      .optional()
      .describe('Send every Google Cloud call here instead (the mock); tests only.'),
    labels: z
      .record(z.string(), z.string())
      .default({})
      .describe('Only instances carrying all these labels.'),
  })
  .strict();
export type GcpConfig = z.infer<typeof GcpConfig>;

export const LinodeConfig = z
  .object({
    endpoint: z
      .url()
      .optional()
      .describe('Send every Linode API call here instead (the mock); tests only. The token is LINODE_TOKEN.'),
    tags: z.array(z.string()).default([]).describe('Only Linodes carrying all these tags.'),
  })
  .strict();
export type LinodeConfig = z.infer<typeof LinodeConfig>;

export const OvhConfig = z
  .object({
    endpoint: z
      .string()
      .min(1)
      .default('ovh-eu')
      .describe(
        'ovh-eu, ovh-ca, ovh-us (or a URL: the mock, tests only); keys come from OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET, OVH_CONSUMER_KEY.',
      ),
    projects: z
      .array(z.string())
      .optional()
      .describe('Public Cloud project ids to audit; default: every project the keys can see.'),
  })
  .strict();
export type OvhConfig = z.infer<typeof OvhConfig>;

export const OnHostMapping = z
  .object({
    dir: z
      .string()
      .min(1)
      .describe('A folder of on-host files (sysstat, ss, /proc, logs), as `fleetlens sample` writes.'),
    host: z.string().min(1).describe('The instance id or Name the folder was captured on.'),
  })
  .strict();
export type OnHostMapping = z.infer<typeof OnHostMapping>;

export const SizingConfig = z
  .object({
    cpuPercentile: z
      .union([z.literal(90), z.literal(95), z.literal(99.5)])
      .default(99.5)
      .describe("Percentile of per-5-minute CPU maxima to size on (Compute Optimizer's P90 | P95 | P99.5)."),
    cpuHeadroomPct: z
      .union([z.literal(0), z.literal(20), z.literal(30)])
      .default(20)
      .describe('Headroom added to that CPU percentile (Compute Optimizer: 0 | 20 | 30).'),
    memoryHeadroomPct: z
      .union([z.literal(10), z.literal(20), z.literal(30)])
      .default(20)
      .describe('Headroom added to peak memory (Compute Optimizer: 10 | 20 | 30).'),
    minHours: z
      .number()
      .positive()
      .default(30)
      .describe('Data needed before any sizing (Compute Optimizer: 30 h).'),
    families: z
      .array(z.string())
      .optional()
      .describe(
        "Instance families a recommendation may pick; default: the current family's generation peers.",
      ),
    allowBurstable: z.boolean().default(false).describe('Let rightsizing pick burstable (T) types.'),
  })
  .strict();
export type SizingConfig = z.infer<typeof SizingConfig>;

export const EventConfig = z
  .object({
    multiplier: z
      .number()
      .positive()
      .optional()
      .describe("The event's peak as a multiple of today's (--event-multiplier overrides it)."),
    name: z.string().min(1).optional().describe('What the event is called in the report (a sale, a launch).'),
    date: z.iso.date().optional().describe('When it is (YYYY-MM-DD).'),
    groups: z
      .record(z.string(), z.number().positive())
      .default({})
      .describe(
        'Multipliers for the groups (or ungrouped hosts), by id or name, that take more of the surge.',
      ),
  })
  .strict();
export type EventConfig = z.infer<typeof EventConfig>;

export const Config = z
  .object({
    since: Duration.default('14d').describe(
      'How far back to read metrics (Compute Optimizer and krr: 14 days).',
    ),
    periodSec: z
      .union([z.literal(60), z.literal(300), z.literal(3600)])
      .default(300)
      .describe('Metric period: 300 s is free basic monitoring on EC2.'),
    providers: z
      .object({
        aws: AwsConfig.optional(),
        gcp: GcpConfig.optional(),
        linode: LinodeConfig.optional(),
        ovh: OvhConfig.optional(),
      })
      .strict()
      .default({})
      .describe('Clouds to audit; each block configures one.'),
    onHost: z
      .array(OnHostMapping)
      .default([])
      .describe('On-host sample folders and the host each belongs to.'),
    sizing: SizingConfig.default(SizingConfig.parse({})),
    rules: z
      .record(z.string(), z.union([z.literal(false), z.record(z.string(), z.unknown())]))
      .default({})
      .describe('Per-rule options by rule id, or false to switch a rule off.'),
    mutes: z
      .array(z.record(z.string(), z.unknown()))
      .default([])
      .describe(
        'Accepted findings, each until a date: { finding: ID } or { rule: RULE, subject: GLOB }, with reason and until (YYYY-MM-DD); checked by src/history/mute-config.ts.',
      ),
    event: EventConfig.optional().describe('A pre-event capacity review: every peak × the multiplier.'),
  })
  .strict();
export type Config = z.infer<typeof Config>;

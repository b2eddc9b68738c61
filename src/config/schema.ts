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
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected a name of letters, digits, dot, dash or underscore')
      .optional()
      .describe(
        "This token's name in shard keys (`--shard linode:NAME`), default `default`; the token itself is LINODE_TOKEN.",
      ),
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

export const PrometheusMatch = z.enum(['instance-id', 'ip', 'name']);
export type PrometheusMatch = z.infer<typeof PrometheusMatch>;

export const PrometheusOnHost = z
  .object({
    url: z
      .url({ protocol: /^https?$/ })
      .describe(
        'Prometheus (or Thanos, Mimir, VictoriaMetrics) base URL; user:password@ in it is sent as Basic auth, FLEETLENS_PROMETHEUS_TOKEN as a Bearer token. Never printed.',
      ),
    nodeJob: z.string().min(1).default('node').describe("node_exporter's job label."),
    appJob: z
      .string()
      .min(1)
      .default('app')
      .describe("The application's job label (its /metrics: pools, loop lag, threads, fds)."),
    match: z
      .array(PrometheusMatch)
      .min(1)
      .default(['instance-id', 'ip', 'name'])
      .describe(
        'How a series belongs to a cloud host, tried in this order: instance-id (the label `instanceIdLabel`), ip (private IP in `instance`), name (hostname label against the Name tag).',
      ),
    instanceIdLabel: z
      .string()
      .min(1)
      .default('instance_id')
      .describe('Target label carrying the cloud instance id (EC2 or GCE service discovery relabelled).'),
    hostnameLabel: z
      .string()
      .min(1)
      .default('nodename')
      .describe(
        'Label carrying the hostname (node_uname_info has `nodename`), matched against the Name tag.',
      ),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(2)
      .describe("Queries in flight at once (Prometheus' --query.max-concurrency defaults to 20)."),
    queriesPerSec: z.number().positive().max(100).default(5).describe('Queries sent per second at most.'),
    queryTimeoutSec: z
      .number()
      .positive()
      .default(120)
      .describe("One query's ceiling (Prometheus' own --query.timeout defaults to 2 min)."),
    busiestHours: z
      .number()
      .int()
      .min(1)
      .max(24)
      .default(3)
      .describe("Length of each host's busiest window, fetched at the scrape interval."),
    coarseStepSec: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Step of the whole-window queries; default: the smallest multiple of 60 s within 11,000 points. A smaller one splits them by time.',
      ),
  })
  .strict();
export type PrometheusOnHost = z.infer<typeof PrometheusOnHost>;

/** `onHost` as a map: folders, and Prometheus servers that hold on-host series for the fleet. */
export const OnHostSources = z
  .object({
    folders: z.array(OnHostMapping).default([]).describe('On-host sample folders and their hosts.'),
    prometheus: z
      .array(PrometheusOnHost)
      .default([])
      .describe('Prometheus servers to read on-host series from, for every host they match.'),
  })
  .strict();
export type OnHostSources = z.infer<typeof OnHostSources>;

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
      .union([z.array(OnHostMapping), OnHostSources])
      .default([])
      .describe(
        'On-host sample folders and the host each belongs to (a list), or a map of `folders` and `prometheus`.',
      ),
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

/** The folders of `onHost`, whichever form it was given in. */
export function onHostFolders(config: Pick<Config, 'onHost'>): OnHostMapping[] {
  return Array.isArray(config.onHost) ? config.onHost : config.onHost.folders;
}

/** The Prometheus servers of `onHost` (none in the list form). */
export function onHostPrometheus(config: Pick<Config, 'onHost'>): PrometheusOnHost[] {
  return Array.isArray(config.onHost) ? [] : config.onHost.prometheus;
}

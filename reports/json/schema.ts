// The contract of report.json (DESIGN.md "Commands"): outside tools read it, so a change here is a
// schemaVersion bump. `report.schema.json` beside this file is written from it by a test.
import { z } from 'zod';
import {
  EventReview,
  Finding,
  FindingCategory,
  Gap,
  Group,
  Headline,
  Host,
  IsoTime,
  ProviderId,
  Recommendation,
  Severity,
  Subject,
  Unit,
  Volume,
} from '../../src/model/index.ts';

export const SCHEMA_VERSION = 1;

export const ApiCalls = z.object({
  /** Distinct requests issued (a retried request counts once). */
  made: z.number().int().nonnegative(),
  /** The fewest calls this fleet needs at the provider's published batch and page limits. */
  minimum: z.number().int().nonnegative(),
  retries: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /**
   * Requests the servers received (HTTP requests sent on the wire, first attempts and retries);
   * made + retries unless a client sent more behind fleetlens' back. Absent in older reports.
   */
  attempts: z.number().int().nonnegative().optional(),
  byOperation: z.record(
    z.string(),
    z.object({
      made: z.number().int().nonnegative(),
      minimum: z.number().int().nonnegative().nullable(),
      retries: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      attempts: z.number().int().nonnegative().optional(),
    }),
  ),
});
export type ApiCalls = z.infer<typeof ApiCalls>;

export const RuleStatus = z.enum([
  'findings',
  'pass',
  'not-applicable',
  'insufficient-data',
  'skipped',
  'error',
]);
export type RuleStatus = z.infer<typeof RuleStatus>;

export const RuleRun = z.object({
  ruleId: z.string(),
  title: z.string(),
  status: RuleStatus,
  findings: z.number().int().nonnegative(),
  /** Why a rule was skipped, lacked data or did not apply, per subject where it matters. */
  reasons: z.array(z.object({ subject: z.string().nullable(), reason: z.string() })),
  durationMs: z.number().nonnegative(),
});
export type RuleRun = z.infer<typeof RuleRun>;

/**
 * How much of one cloud this run saw (DESIGN.md exit 4): a scope (region, project, account, token)
 * whose listing failed makes the run incomplete; series and judged hosts say how thin it was.
 */
export const ProviderCoverage = z.object({
  /** Regions, projects or accounts configured (or discovered) for this cloud. */
  scopes: z.array(z.string()),
  /** Scopes that listed nothing because of an error, each with its one-line reason. */
  failedScopes: z.array(z.object({ scope: z.string(), reason: z.string() })),
  hostsListed: z.number().int().nonnegative(),
  /** Series the metrics step asked for, from the inventory (never from what came back). */
  seriesExpected: z.number().int().nonnegative(),
  seriesReceived: z.number().int().nonnegative(),
  /** Hosts with enough cloud data (or an on-host verdict) for the rules to judge them. */
  hostsJudged: z.number().int().nonnegative(),
  /** hostsJudged / hostsListed; null with no hosts. */
  judgedShare: z.number().min(0).max(1).nullable(),
  complete: z.boolean(),
});
export type ProviderCoverage = z.infer<typeof ProviderCoverage>;

/** What the run was asked to do, never a secret: enough to replay saved artifacts without a config. */
export const RunSettings = z.object({
  since: z.string(),
  periodSec: z.number().positive(),
  /** Per configured cloud, its scopes: regions, projects, endpoint names; no keys, tokens or URLs with credentials. */
  providers: z.partialRecord(ProviderId, z.record(z.string(), z.unknown())),
  onHost: z.array(z.object({ dir: z.string(), host: z.string() })),
  sizing: z.record(z.string(), z.unknown()),
  rules: z.record(z.string(), z.unknown()),
});
export type RunSettings = z.infer<typeof RunSettings>;

/** One Prometheus read for the fleet's on-host evidence: its calls against the plan's minimum, and what matched. */
export const PrometheusRead = z.object({
  url: z.string(),
  apiCalls: ApiCalls,
  /** Points received in range-query answers. */
  samples: z.number().int().nonnegative(),
  plan: z.object({
    coarseStepSec: z.number().positive(),
    /** Time splits of each whole-window query (1 unless a series would pass 11,000 points). */
    splits: z.number().int().nonnegative(),
    /** Distinct busiest windows fetched at the scrape interval. */
    windows: z.number().int().nonnegative(),
  }),
  hostsJudged: z.number().int().nonnegative(),
  matched: z.array(z.object({ hostId: z.string(), by: z.string(), instances: z.array(z.string()) })),
  unmatchedHosts: z.array(z.string()),
  unmatchedSeries: z.array(z.object({ instances: z.array(z.string()), reason: z.string() })),
});
export type PrometheusRead = z.infer<typeof PrometheusRead>;

export const Run = z.object({
  id: z.string(),
  tool: z.object({ name: z.literal('fleetlens'), version: z.string() }),
  mode: z.enum(['live', 'demo', 'artifacts']),
  startedAt: IsoTime,
  finishedAt: IsoTime,
  durationMs: z.number().nonnegative(),
  window: z.object({ from: IsoTime, to: IsoTime, stepSec: z.number().positive() }),
  providers: z.array(ProviderId),
  apiCalls: z.partialRecord(ProviderId, ApiCalls),
  /** onHost.prometheus reads, in config order (absent without any). */
  prometheus: z.array(PrometheusRead).optional(),
  eventMultiplier: z.number().positive().nullable(),
  /** False when a configured scope listed nothing because of an error: the CLI exits 4 (unless --allow-partial). */
  complete: z.boolean(),
  coverage: z.partialRecord(ProviderId, ProviderCoverage),
  settings: RunSettings,
  rules: z.array(RuleRun),
  summary: z.object({
    hosts: z.number().int().nonnegative(),
    findingsBySeverity: z.record(Severity, z.number().int().nonnegative()),
    recommendations: z.number().int().nonnegative(),
    /** Sum of the known monthly deltas; recommendations with an unknown price are counted apart. */
    monthlyCostDeltaUsd: z.number(),
    recommendationsWithUnknownCost: z.number().int().nonnegative(),
    gaps: z.number().int().nonnegative(),
  }),
});
export type Run = z.infer<typeof Run>;

/** One headline figure per host and metric over the window, with how it was computed. */
export const HostStat = z.object({
  metric: z.string(),
  unit: Unit,
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99_5: z.number().nullable(),
  max: z.number().nullable(),
  points: z.number().int().nonnegative(),
});
export type HostStat = z.infer<typeof HostStat>;

export const OnHostVerdict = z.object({
  /** The folder read, or for a Prometheus its URL without credentials. */
  sampleDir: z.string(),
  primary: z.string(),
  confidence: z.number().min(0).max(1),
  window: z.object({ from: IsoTime.nullable(), to: IsoTime.nullable() }),
  /** Where the verdict's evidence came from (absent in reports written before Prometheus fleets). */
  source: z.enum(['folder', 'prometheus']).optional(),
  /** What the source lacked for some classes (`no app job: no pool or loop signal`); lowers confidence. */
  missing: z.array(z.string()).optional(),
});
export type OnHostVerdict = z.infer<typeof OnHostVerdict>;

export const ReportHost = Host.extend({
  volumes: z.array(Volume),
  priceUsdPerHour: z.number().nullable(),
  stats: z.array(HostStat),
  onHost: OnHostVerdict.nullable(),
  /** Dimensions the cloud could not give for this host, and whether on-host samples filled them. */
  blindSpots: z.array(z.object({ dimension: z.string(), filledByOnHost: z.boolean() })),
});
export type ReportHost = z.infer<typeof ReportHost>;

/**
 * A finding of the previous run that this run looked for and did not find. fleetlens fills every
 * field; only id, rule, title and subject are promised to a reader.
 */
export const ResolvedFinding = z.object({
  id: z.string(),
  ruleId: z.string(),
  title: z.string(),
  subject: Subject,
  severity: Severity.optional(),
  category: FindingCategory.optional(),
  headline: Headline.nullable().optional(),
  firstSeen: IsoTime.optional(),
  /** Start of the last run that saw it. */
  lastSeen: IsoTime.optional(),
  runs: z.number().int().positive().optional(),
});
export type ResolvedFinding = z.infer<typeof ResolvedFinding>;

/** What the store said about this run (issue 10): present when the run was recorded. */
export const RunHistory = z.object({
  /** The store's path, or its URL without a password. */
  store: z.string(),
  previousRunId: z.string().nullable(),
  previousStartedAt: IsoTime.nullable(),
  counts: z.object({
    new: z.number().int().nonnegative(),
    open: z.number().int().nonnegative(),
    worse: z.number().int().nonnegative(),
    better: z.number().int().nonnegative(),
    resolved: z.number().int().nonnegative(),
    /** Findings of the previous run out of this run's view (a failed scope, a rule that could not judge). */
    unseen: z.number().int().nonnegative(),
  }),
  /** The known monthly cost delta then and now (USD per month); null on a first run. */
  monthlyCostDeltaUsd: z.object({ previous: z.number(), now: z.number(), change: z.number() }).nullable(),
  unseen: z.array(
    z.object({ id: z.string(), ruleId: z.string(), subject: Subject, title: z.string(), reason: z.string() }),
  ),
  /** `--stable-runs` and `--only-stable` as the run used them. */
  stableRuns: z.number().int().positive(),
  onlyStable: z.boolean(),
  /** Runs pruned by `--keep` at the end of this audit. */
  runsPruned: z.number().int().nonnegative(),
});
export type RunHistory = z.infer<typeof RunHistory>;

/** `mutes:` of the config (and fleetlens.mute.yaml): what they covered, and the ones that matched nothing. */
export const MuteReport = z.object({
  muted: z.number().int().nonnegative(),
  expired: z.number().int().nonnegative(),
  stale: z.array(
    z.object({
      finding: z.string().optional(),
      rule: z.string().optional(),
      subject: z.string().optional(),
      reason: z.string(),
      until: z.string(),
      file: z.string(),
      line: z.number().int().positive().optional(),
    }),
  ),
});
export type MuteReport = z.infer<typeof MuteReport>;

export const AnalysisResult = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  run: Run,
  hosts: z.array(ReportHost),
  groups: z.array(Group),
  findings: z.array(Finding),
  recommendations: z.array(Recommendation),
  gaps: z.array(Gap),
  history: RunHistory.optional(),
  resolved: z.array(ResolvedFinding).optional(),
  mutes: MuteReport.optional(),
  /** The pre-event review (issue 11): every unit's breaksAt always; verdicts against `multiplier` when one is given. */
  event: EventReview.optional(),
});
export type AnalysisResult = z.infer<typeof AnalysisResult>;

// `fleetlens diagnose --format json` (DESIGN.md): one diagnosis per folder, in argument order.
export const DiagnosisClass = z.enum([
  // NOTE: no usable evidence (empty, unreadable or garbage folder): confidence 0, never `healthy`.
  'insufficient-data',
  'healthy',
  'cpu-saturated',
  'disk-saturated',
  'thread-exhaustion',
  'threadpool-starvation',
  'event-loop-blocked',
  'gevent-loop-blocked',
  'listen-queue-overflow',
  'fd-exhaustion',
]);
export type DiagnosisClass = z.infer<typeof DiagnosisClass>;

export const DiagnosisInput = z.object({
  file: z.string(),
  kind: z.string(),
  records: z.number().int().nonnegative(),
  from: IsoTime.nullable(),
  to: IsoTime.nullable(),
});

export const DiagnosisGap = z.object({
  file: z.string(),
  kind: z.enum(['bad-sample', 'unrecognised', 'insufficient-data']),
  message: z.string(),
  line: z.number().int().positive().optional(),
});

export const ClassScore = z.object({
  class: DiagnosisClass,
  score: z.number().min(0).max(1),
  /** The signals that voted, for and against, each in one line. */
  signals: z.array(z.object({ signal: z.string(), weight: z.number(), observed: z.string() })),
});

export const Diagnosis = z.object({
  source: z.string(),
  primary: DiagnosisClass,
  confidence: z.number().min(0).max(1),
  /** Why the confidence is below 1, one line each: inputs missing or damaged, a short capture, a close second class. */
  confidenceReasons: z.array(z.string()).optional(),
  window: z.object({ from: IsoTime.nullable(), to: IsoTime.nullable() }),
  scores: z.array(ClassScore),
  findings: z.array(Finding),
  recommendations: z.array(Recommendation),
  inputs: z.array(DiagnosisInput),
  gaps: z.array(DiagnosisGap),
  ignored: z.array(z.string()),
});
export type Diagnosis = z.infer<typeof Diagnosis>;

export const DiagnoseResult = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  diagnoses: z.array(Diagnosis),
});
export type DiagnoseResult = z.infer<typeof DiagnoseResult>;

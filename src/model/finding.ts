import { z } from 'zod';
import { IsoTime, ProviderId, Severity, Subject, Unit } from './common.ts';
import { Evidence } from './evidence.ts';

/**
 * What a finding threatens (DESIGN.md "Commands"): `--fail-on` counts reliability and performance;
 * cost only with `--fail-on-category cost`, so a cheaper type is never an outage.
 */
export const FindingCategory = z.enum(['reliability', 'performance', 'cost']);
export type FindingCategory = z.infer<typeof FindingCategory>;

/** With a store (issue 10): how a finding stands against the previous run; resolved ones are listed apart. */
export const FindingStatus = z.enum(['new', 'open', 'worse', 'better']);
export type FindingStatus = z.infer<typeof FindingStatus>;

/** The one number run-to-run comparison reads (the monthly saving of a cost finding, else its first stat). */
export const Headline = z.object({ label: z.string(), value: z.number(), unit: Unit });
export type Headline = z.infer<typeof Headline>;

/** Severity and headline in the previous run, for a finding that is `worse` or `better` (or `open`). */
export const PreviousFinding = z.object({ severity: Severity, headline: Headline.nullable() });
export type PreviousFinding = z.infer<typeof PreviousFinding>;

/** A mute from `mutes:` that matched this finding: active ones keep it out of `--fail-on`. */
export const FindingMute = z.object({
  reason: z.string(),
  /** YYYY-MM-DD: the mute holds through this day (UTC). */
  until: z.string(),
  expired: z.boolean(),
  /** `muted until 2025-06-30: vendor fix due` or `mute expired on 2025-06-30`. */
  text: z.string(),
});
export type FindingMute = z.infer<typeof FindingMute>;

export const Finding = z.object({
  /** Stable fingerprint of rule + subject (its cloud id) + the rule's problem key: the same problem keeps its id across runs. */
  id: z.string(),
  ruleId: z.string(),
  messageId: z.string(),
  severity: Severity,
  category: FindingCategory,
  subject: Subject,
  title: z.string(),
  message: z.string(),
  evidence: z.array(Evidence),
  rationale: z.string(),
  remediation: z.string(),
  /** Where the threshold or the advice comes from (a document, a rule file at a commit). */
  sources: z.array(z.string()),
  recommendationIds: z.array(z.string()),
  status: FindingStatus.optional(),
  /** With `status`: start of the first run of its current streak, and the runs in it (this one included). */
  firstSeen: IsoTime.optional(),
  runs: z.number().int().positive().optional(),
  /** With `status` other than `new`: how it stood in the previous run. */
  previous: PreviousFinding.optional(),
  mute: FindingMute.optional(),
});
export type Finding = z.infer<typeof Finding>;

/** Over the store's runs: the same target (subject + kind + value) in N consecutive runs is stable. */
export const RecommendationStability = z.object({
  /** Consecutive runs, this one included, with this very target. */
  runs: z.number().int().positive(),
  /** The N of `--stable-runs`. */
  requiredRuns: z.number().int().positive(),
  stable: z.boolean(),
  /** The targets of the last N runs, oldest first, when they differ: the recommendation flipped. */
  flipped: z.array(z.string()).nullable(),
});
export type RecommendationStability = z.infer<typeof RecommendationStability>;

export const RecommendationKind = z.enum([
  'instance-type',
  'volume',
  'sysctl',
  'ulimit',
  'runtime',
  'scaling',
]);
export type RecommendationKind = z.infer<typeof RecommendationKind>;

export const Recommendation = z.object({
  id: z.string(),
  findingId: z.string(),
  kind: RecommendationKind,
  subject: Subject,
  current: z.string(),
  recommended: z.string(),
  rationale: z.string(),
  evidence: z.array(Evidence),
  /** Negative saves money. Null where a price the change needs is not known. */
  monthlyCostDeltaUsd: z.number().nullable(),
  /** Compute Optimizer's scale: 0 very low to 4 very high risk that the change hurts performance. */
  risk: z.number().int().min(0).max(4),
  /**
   * One action per subject: the id of the stronger recommendation for the same subject (terminate over
   * resize) that replaces this one; a superseded recommendation is shown as such and never counted in a total.
   */
  supersededBy: z.string().nullable().default(null),
  stability: RecommendationStability.optional(),
});
export type Recommendation = z.infer<typeof Recommendation>;

export const GapKind = z.enum([
  'auth',
  'throttled',
  'unavailable',
  'not-found',
  'bad-response',
  'bad-sample',
  'insufficient-data',
]);
export type GapKind = z.infer<typeof GapKind>;

/** Something the run could not collect or judge. A report never hides one. */
export const Gap = z.object({
  provider: ProviderId.or(z.enum(['onhost', 'config', 'store', 'prometheus'])),
  what: z.string(),
  kind: GapKind,
  message: z.string(),
  /** The call that failed (`ec2.DescribeInstances`), when a remote call did. */
  operation: z.string().optional(),
  /** The region, project, account or token name the call was for. */
  scope: z.string().optional(),
  subject: Subject.optional(),
  file: z.string().optional(),
  line: z.number().int().positive().optional(),
});
export type Gap = z.infer<typeof Gap>;

import { z } from 'zod';
import { ProviderId, Severity, Subject } from './common.ts';
import { Evidence } from './evidence.ts';

/**
 * What a finding threatens (DESIGN.md "Commands"): `--fail-on` counts reliability and performance;
 * cost only with `--fail-on-category cost`, so a cheaper type is never an outage.
 */
export const FindingCategory = z.enum(['reliability', 'performance', 'cost']);
export type FindingCategory = z.infer<typeof FindingCategory>;

export const Finding = z.object({
  /** Stable fingerprint of rule + message id + subject: the same problem keeps its id across runs. */
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
});
export type Finding = z.infer<typeof Finding>;

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

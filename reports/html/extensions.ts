// Parts of a result that later issues add to the contract: the pre-event review (issue 11: `event`) and
// history (issue 10: a finding's `status`, the resolved list). They are read here with permissive
// schemas, so the page renders them once they land and ignores them (or anything malformed) until then.
import { z } from 'zod';
import { Severity, Subject } from '../../src/model/index.ts';
import type { AnalysisResult } from '../json/schema.ts';

const FiniteNumber = z.number().refine(Number.isFinite);

export const EventCheck = z.looseObject({
  kind: z.string(),
  demand: FiniteNumber.nullable().optional(),
  limit: FiniteNumber.nullable().optional(),
  unit: z.string().nullable().optional(),
  source: z.string().nullable().optional(),
});
export type EventCheck = z.infer<typeof EventCheck>;

export const EventVerdict = z.enum(['go', 'at-risk', 'no-go', 'unknown']);
export type EventVerdict = z.infer<typeof EventVerdict>;

export const EventUnit = z.looseObject({
  subject: z.union([Subject, z.string()]),
  verdict: EventVerdict.catch('unknown'),
  firstCeiling: EventCheck.nullable().catch(null),
  breaksAt: FiniteNumber.nullable().catch(null),
  change: z.string().nullable().catch(null),
  monthlyCostDeltaUsd: FiniteNumber.nullable().catch(null),
  checks: z.array(EventCheck).catch([]),
});
export type EventUnit = z.infer<typeof EventUnit>;

export const EventReview = z.looseObject({
  multiplier: FiniteNumber,
  units: z.array(EventUnit),
});
export type EventReview = z.infer<typeof EventReview>;

export const FindingStatus = z.enum(['new', 'open', 'worse', 'better']);
export type FindingStatus = z.infer<typeof FindingStatus>;

const StatusFields = z.looseObject({
  id: z.string(),
  status: FindingStatus.optional().catch(undefined),
  /** When the finding was first seen in its current streak (ISO). */
  firstSeen: z.string().optional().catch(undefined),
  runs: z.number().int().positive().optional().catch(undefined),
});

export const ResolvedFinding = z.looseObject({
  id: z.string(),
  ruleId: z.string().optional(),
  title: z.string().optional(),
  severity: Severity.optional().catch(undefined),
  subject: Subject.optional().catch(undefined),
  message: z.string().optional(),
});
export type ResolvedFinding = z.infer<typeof ResolvedFinding>;

export interface FindingHistory {
  status: FindingStatus;
  firstSeen?: string | undefined;
  runs?: number | undefined;
}

export interface ResultExtensions {
  event: EventReview | null;
  /** Per finding id, when findings carry a status. */
  history: Map<string, FindingHistory>;
  /** Findings of the previous run gone from this one; null when the result has no history at all. */
  resolved: ResolvedFinding[] | null;
}

function resolvedList(result: Record<string, unknown>): ResolvedFinding[] | null {
  // NOTE: issue 10 had not fixed where the list lives; both places are read.
  const nested = (result.history as Record<string, unknown> | undefined)?.resolved;
  const raw = result.resolved ?? nested;
  if (raw === undefined) return null;
  const parsed = z.array(ResolvedFinding).safeParse(raw);
  return parsed.success ? parsed.data : null;
}

export function readExtensions(result: AnalysisResult): ResultExtensions {
  const loose = result as AnalysisResult & Record<string, unknown>;
  const event = loose.event === undefined || loose.event === null ? null : EventReview.safeParse(loose.event);
  const history = new Map<string, FindingHistory>();
  for (const finding of result.findings) {
    const parsed = StatusFields.safeParse(finding);
    if (parsed.success && parsed.data.status) {
      history.set(finding.id, {
        status: parsed.data.status,
        firstSeen: parsed.data.firstSeen,
        runs: parsed.data.runs,
      });
    }
  }
  return { event: event?.success ? event.data : null, history, resolved: resolvedList(loose) };
}

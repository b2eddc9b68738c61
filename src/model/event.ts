import { z } from 'zod';
import { Subject, Unit } from './common.ts';

// The pre-event review (DESIGN.md "Commands", issue 11): every peak × the event multiplier against
// each ceiling fleetlens knows, per group and per host outside a group.

export const CeilingKind = z.enum([
  'cpu',
  'memory',
  'network',
  'ebs-bandwidth',
  'volume',
  'group-max',
  'accept-queue',
  'pool',
  'threads',
  'fds',
  'event-loop',
]);
export type CeilingKind = z.infer<typeof CeilingKind>;

/** `unknown`: the ceiling could not be judged (no samples, no catalog entry); never counted as passed. */
export const CeilingStatus = z.enum(['ok', 'at-risk', 'breaks', 'unknown']);
export type CeilingStatus = z.infer<typeof CeilingStatus>;

export const EventVerdict = z.enum(['go', 'at-risk', 'no-go', 'unknown']);
export type EventVerdict = z.infer<typeof EventVerdict>;

/** One ceiling of one unit: today's peak, the peak at the multiplier, the limit, and where each came from. */
export const EventCheck = z.object({
  kind: CeilingKind,
  /** What exactly was compared ("EBS throughput", "vol-0b… IOPS", "listener 0.0.0.0:8000"). */
  label: z.string(),
  status: CeilingStatus,
  /** Today's peak demand, in `unit`; null when unknown. */
  today: z.number().nullable(),
  /** Today's peak × the unit's multiplier. */
  demand: z.number().nullable(),
  limit: z.number().nullable(),
  unit: Unit,
  /** limit ÷ today: the multiplier at which the ceiling is hit (null: unknown, or no demand today). */
  breaksAt: z.number().nullable(),
  /** The numbers used and where each came from. */
  source: z.string(),
  /** What the bare numbers do not say: a burst that lasts minutes, hours of credit, a scale-out time. */
  note: z.string().optional(),
});
export type EventCheck = z.infer<typeof EventCheck>;

export const EventUnit = z.object({
  subject: Subject,
  /** The multiplier this unit was judged at (a per-group multiplier, or the event's). */
  multiplier: z.number().positive().optional(),
  verdict: EventVerdict,
  firstCeiling: EventCheck.nullable(),
  /** The lowest breaksAt of the judged ceilings: the headroom multiplier the unit has today. */
  breaksAt: z.number().nullable(),
  /** The change that moves the first ceiling past the multiplier; null when none is needed. */
  change: z.string().nullable(),
  /** What that change costs per month while it runs (negative saves); null where a price is unknown. */
  monthlyCostDeltaUsd: z.number().nullable(),
  checks: z.array(EventCheck),
});
export type EventUnit = z.infer<typeof EventUnit>;

export const EventReview = z.object({
  /** `--event-multiplier` or `event.multiplier`; null without one (breaksAt is still given per unit). */
  multiplier: z.number().positive().nullable(),
  name: z.string().optional(),
  date: z.string().optional(),
  units: z.array(EventUnit),
});
export type EventReview = z.infer<typeof EventReview>;

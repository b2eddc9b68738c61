// `mutes:` (issue 10): accept a known finding for a while, with a reason and an end date. A mute
// names one finding id, or a rule and a subject glob (`web-*`, matched against the subject's name
// and its cloud id). Muted findings are listed with their reason and expiry; once `until` has
// passed they come back marked "mute expired on DATE"; a mute that matches nothing is stale.
import { z } from 'zod';
import type { Subject } from '../model/index.ts';

/**
 * How long after its `until` a mute is still accepted (and reported as expired) before the config
 * is refused: a weekly cron shows "mute expired" for four runs instead of failing the morning the
 * date passes, and a date long past (a typo, a forgotten mute) is a config error.
 */
export const MUTE_EXPIRED_GRACE_DAYS = 28;

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface MuteSchemaOptions {
  knownRuleIds: readonly string[];
  /** Today as `YYYY-MM-DD` (UTC): time is a parameter. */
  today: string;
  expiredGraceDays?: number;
}

const dateMs = (date: string) => Date.parse(`${date}T00:00:00Z`);

/** One entry of `mutes:`; the config's loader reports its issues with file, line and key. */
export function muteEntry(options: MuteSchemaOptions) {
  const known = new Set(options.knownRuleIds);
  const graceDays = options.expiredGraceDays ?? MUTE_EXPIRED_GRACE_DAYS;
  return z
    .object({
      finding: z
        .string()
        .regex(/^[0-9a-f]{16}$/, 'a finding id is 16 hex digits (report.json findings[].id)')
        .optional(),
      rule: z.string().min(1).optional(),
      subject: z.string().min(1).optional().describe('glob over the subject name and id: web-*, i-0abc*'),
      reason: z.string({ error: 'a mute needs a reason' }).trim().min(1, 'a mute needs a reason'),
      until: z
        .string({ error: 'a mute needs an until date (YYYY-MM-DD)' })
        .regex(DATE, 'until is a date: YYYY-MM-DD')
        .refine((date) => !Number.isNaN(dateMs(date)), 'until is not a calendar date'),
    })
    .strict()
    .superRefine((mute, ctx) => {
      if ((mute.finding === undefined) === (mute.rule === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['finding'],
          message: 'name either a finding id or a rule (with a subject glob)',
        });
      }
      if (mute.rule !== undefined && !known.has(mute.rule)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rule'],
          message: `unknown rule (known: ${[...known].sort().join(', ')})`,
        });
      }
      if (mute.rule !== undefined && mute.subject === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['subject'],
          message: "a rule mute needs a subject glob ('*' for every subject)",
        });
      }
      if (mute.finding !== undefined && mute.subject !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['subject'],
          message: 'a finding id already names its subject',
        });
      }
      const untilMs = dateMs(mute.until);
      if (!Number.isNaN(untilMs) && untilMs + graceDays * DAY_MS < dateMs(options.today)) {
        ctx.addIssue({
          code: 'custom',
          path: ['until'],
          message: `${mute.until} is more than ${graceDays} days past: remove the mute or give it a new date`,
        });
      }
    });
}

export type MuteEntry = z.output<ReturnType<typeof muteEntry>>;

export interface MutableFinding {
  id: string;
  ruleId: string;
  subject: Subject;
}

export interface MutedFinding {
  findingId: string;
  /** Index of the mute in `mutes:`. */
  mute: number;
  reason: string;
  until: string;
}

export interface MuteOutcome {
  /** Not counted for --fail-on; listed with reason and expiry. */
  muted: MutedFinding[];
  /** Matched by a mute whose date has passed: shown as "mute expired on DATE", counted again. */
  expired: (MutedFinding & { text: string })[];
  /** Indexes of mutes that matched no finding of this run. */
  stale: number[];
}

/** `*` any run of characters, `?` one; everything else literal; the whole text must match. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'su');
}

function matches(mute: MuteEntry, finding: MutableFinding): boolean {
  if (mute.finding !== undefined) return mute.finding === finding.id;
  if (mute.rule !== finding.ruleId) return false;
  const glob = globToRegExp(mute.subject ?? '*');
  return (
    glob.test(finding.subject.id) || (finding.subject.name !== undefined && glob.test(finding.subject.name))
  );
}

/**
 * Which findings the mutes cover on `today` (`YYYY-MM-DD`, UTC; a mute holds through its `until`
 * day). An active mute wins over an expired one; the first matching mute is the one reported.
 */
export function applyMutes(
  mutes: readonly MuteEntry[],
  findings: readonly MutableFinding[],
  today: string,
): MuteOutcome {
  const used = new Set<number>();
  const muted: MuteOutcome['muted'] = [];
  const expired: MuteOutcome['expired'] = [];
  for (const finding of findings) {
    const hits = mutes.flatMap((mute, index) => (matches(mute, finding) ? [index] : []));
    for (const index of hits) used.add(index);
    const active = hits.find((index) => mutes[index]!.until >= today);
    const entry = (index: number) => ({
      findingId: finding.id,
      mute: index,
      reason: mutes[index]!.reason,
      until: mutes[index]!.until,
    });
    if (active !== undefined) muted.push(entry(active));
    else if (hits.length > 0) {
      const last = hits.reduce((a, b) => (mutes[b]!.until > mutes[a]!.until ? b : a));
      expired.push({ ...entry(last), text: `mute expired on ${mutes[last]!.until}` });
    }
  }
  const stale = mutes.flatMap((_, index) => (used.has(index) ? [] : [index]));
  return { muted, expired, stale };
}

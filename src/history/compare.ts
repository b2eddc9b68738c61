// One run against the run before it: each finding this run saw is new, open, worse or better; each
// finding of the run before that is gone is resolved, unless this run could not see where it was
// (a failed region or project, a rule that could not judge it): that one is unseen, never resolved.
import { severityRank, type Unit } from '../model/index.ts';
import { type FindingRecord, type Headline, type RunRecord, seenFindings } from './record.ts';

/**
 * When a headline number "moved" (worse or better with the same severity): by more than 10 % of the
 * number before, and by more than the unit's floor, so 0.4 % → 0.5 % CPU or $3 → $3.50 a month is
 * noise, while 60 % → 75 % CPU or $200 → $260 a month is not.
 */
export const HEADLINE_TOLERANCE = {
  ratio: 0.1,
  floorByUnit: { percent: 2, 'usd-per-month': 5 } as Partial<Record<Unit, number>>,
} as const;

export interface FindingChange {
  /** The finding as this run recorded it: status, first seen and run count filled in. */
  finding: FindingRecord;
  /** The same finding in the run before; null when new. */
  previous: FindingRecord | null;
}

export interface UnseenFinding {
  finding: FindingRecord;
  /** Why this run could not judge it: `aws us-east-1 failed: ...`, `rule cpu-saturated skipped`. */
  reason: string;
}

export interface Comparison {
  previousRunId: string | null;
  /** The current run with statuses set, and the unseen findings it carries forward. */
  run: RunRecord;
  changes: FindingChange[];
  resolved: FindingRecord[];
  unseen: UnseenFinding[];
}

/** True when `now` is past `before` by more than the tolerance; the sign says which way. */
export function headlineMove(before: Headline | null, now: Headline | null): -1 | 0 | 1 {
  if (!before || !now || before.unit !== now.unit) return 0;
  const delta = now.value - before.value;
  const floor = HEADLINE_TOLERANCE.floorByUnit[now.unit] ?? 0;
  const threshold = Math.max(HEADLINE_TOLERANCE.ratio * Math.abs(before.value), floor);
  if (Math.abs(delta) <= threshold) return 0;
  return delta > 0 ? 1 : -1;
}

function statusAgainst(previous: FindingRecord, current: FindingRecord): FindingRecord['status'] {
  const bySeverity = Math.sign(severityRank[current.severity] - severityRank[previous.severity]);
  const move = bySeverity !== 0 ? bySeverity : headlineMove(previous.headline, current.headline);
  return move > 0 ? 'worse' : move < 0 ? 'better' : 'open';
}

const subjectKey = (f: FindingRecord) =>
  [f.ruleId, f.subject.provider, f.subject.kind, f.subject.id].join('\u0000');

/**
 * Pairs this run's findings with the run before's: by id, then (for the ids left on both sides) by
 * rule and subject when exactly one finding on each side has them, so a message id that changed
 * with the numbers (gp2 `plain` → `trap`) continues the same finding instead of resolving it.
 */
function pair(previous: readonly FindingRecord[], current: readonly FindingRecord[]) {
  const byId = new Map(previous.map((f) => [f.id, f]));
  const matched = new Map<string, FindingRecord>();
  for (const finding of current) {
    const before = byId.get(finding.id);
    if (before) matched.set(finding.id, before);
  }
  const used = new Set([...matched.values()].map((f) => f.id));
  const leftBefore = previous.filter((f) => !used.has(f.id));
  const leftNow = current.filter((f) => !matched.has(f.id));
  const group = (list: readonly FindingRecord[]) => {
    const map = new Map<string, FindingRecord[]>();
    for (const f of list) map.set(subjectKey(f), [...(map.get(subjectKey(f)) ?? []), f]);
    return map;
  };
  const beforeByKey = group(leftBefore);
  for (const [key, nowList] of group(leftNow)) {
    const beforeList = beforeByKey.get(key);
    if (nowList.length === 1 && beforeList?.length === 1) {
      matched.set(nowList[0]!.id, beforeList[0]!);
      used.add(beforeList[0]!.id);
    }
  }
  return { matched, gone: previous.filter((f) => !used.has(f.id)) };
}

function labelNames(label: string, id: string): boolean {
  return label === id || label.endsWith(`(${id})`);
}

/**
 * Why `current` could not have seen `finding` (a reason), or null when it could, and so its absence
 * means resolved. `carry` says whether the finding is kept for the next run: not when its cloud was
 * not audited at all (another account's audit, or a cloud taken out of the config).
 */
function outOfView(
  finding: FindingRecord,
  current: RunRecord,
  previousKeys: ReadonlySet<string>,
): { reason: string; carry: boolean } | null {
  const { provider } = finding.subject;
  if (provider !== 'onhost') {
    const coverage = current.coverage[provider];
    if (!coverage) return { reason: `${provider} was not audited in this run`, carry: false };
    for (const failed of coverage.failedScopes) {
      // A failed scope that names no region, zone or project we know (a token, an account) hid the whole cloud.
      const hides =
        finding.scopeKeys.includes(failed.scope) || !previousKeys.has(`${provider}/${failed.scope}`);
      if (hides) return { reason: `${provider} ${failed.scope} failed: ${failed.reason}`, carry: true };
    }
  }
  if (current.settings.rules[finding.ruleId] === false) {
    return { reason: `rule ${finding.ruleId} is switched off`, carry: false };
  }
  const rule = current.rules.find((r) => r.ruleId === finding.ruleId);
  if (!rule) return { reason: `rule ${finding.ruleId} did not run`, carry: true };
  if (rule.status === 'skipped' || rule.status === 'error') {
    return { reason: `rule ${finding.ruleId}: ${rule.status}`, carry: true };
  }
  if (rule.unjudged.some((label) => labelNames(label, finding.subject.id))) {
    return { reason: `rule ${finding.ruleId} could not judge ${finding.subject.id}`, carry: true };
  }
  return null;
}

/**
 * Statuses of `current`'s findings against `previous` (null: the first run, everything is new), the
 * resolved findings, and the unseen ones (carried into the returned run so the next run can still
 * resolve or continue them). Pure: `current` is not changed.
 */
export function compareRuns(previous: RunRecord | null, current: RunRecord): Comparison {
  const now = seenFindings(current);
  const before = previous?.findings ?? [];
  const { matched, gone } = pair(before, now);
  const changes: FindingChange[] = now.map((finding) => {
    const prior = matched.get(finding.id) ?? null;
    if (!prior)
      return {
        finding: { ...finding, status: 'new', firstSeenMs: current.startedAtMs, runCount: 1 },
        previous: null,
      };
    return {
      finding: {
        ...finding,
        status: statusAgainst(prior, finding),
        firstSeenMs: prior.firstSeenMs,
        runCount: prior.runCount + 1,
        previousId: prior.id === finding.id ? null : prior.id,
      },
      previous: prior,
    };
  });
  const previousKeys = new Set(
    [...(previous?.hosts ?? []), ...before].flatMap((item) => {
      const provider = 'subject' in item ? item.subject.provider : item.provider;
      return item.scopeKeys.map((key) => `${provider}/${key}`);
    }),
  );
  const resolved: FindingRecord[] = [];
  const unseen: UnseenFinding[] = [];
  const carried: FindingRecord[] = [];
  for (const finding of gone) {
    const hidden = outOfView(finding, current, previousKeys);
    if (!hidden) {
      resolved.push(finding);
      continue;
    }
    unseen.push({ finding, reason: hidden.reason });
    if (hidden.carry) carried.push({ ...finding, status: 'unseen' });
  }
  return {
    previousRunId: previous?.runId ?? null,
    run: { ...current, findings: [...changes.map((c) => c.finding), ...carried] },
    changes,
    resolved,
    unseen,
  };
}

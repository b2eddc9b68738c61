// One action per subject, counted once. Rules judge alone, so one host can get "terminate" (idle)
// and "resize" (over-provisioned) in the same run, and a volume of a terminated host a gp3 move:
// summing them counts the same dollars twice. After every rule ran, the engine keeps the
// strongest action per subject and marks the others `supersededBy` it; totals count only the rest.
import type { Finding, FindingCategory, Recommendation, Subject, Volume } from '../model/index.ts';
import { severityRank } from '../model/index.ts';
import { roundUsd } from './money.ts';

/**
 * What a recommendation does to its subject, strongest first: `remove` deletes it (terminate an
 * instance, delete a volume) and so makes every other action on it moot; `resize` replaces its
 * type and `modify` changes a volume in place, one of each per subject; `tune` changes a setting
 * (sysctl, ulimit, runtime, scaling), and tunings stack with each other and with a resize.
 */
export type Action = 'remove' | 'resize' | 'modify' | 'tune';

/**
 * Rules whose recommendation removes its subject. The contract's `kind` cannot say it (a terminate
 * is an `instance-type` change, a delete a `volume` change), so the rules that remove are named here.
 */
export const REMOVING_RULES: ReadonlySet<string> = new Set([
  'idle-instance',
  'stopped-instance-billed',
  'unattached-volume',
]);

export function actionOf(recommendation: Pick<Recommendation, 'kind'>, ruleId: string): Action {
  if (REMOVING_RULES.has(ruleId)) return 'remove';
  switch (recommendation.kind) {
    case 'instance-type':
      return 'resize';
    case 'volume':
      return 'modify';
    case 'sysctl':
    case 'ulimit':
    case 'runtime':
    case 'scaling':
      return 'tune';
  }
}

// Between two actions of the same strength on one subject, fixing a problem comes before saving.
const CATEGORY_RANK: Record<FindingCategory, number> = { reliability: 2, performance: 1, cost: 0 };

// Rules whose advice restates an on-host rule's fix beside the cloud's view; that rule's own
// recommendation, with its arithmetic, is the one to act on when both are there.
const RESTATING_RULES = new Set(['cloud-idle-host-starved']);

interface Candidate {
  rec: Recommendation;
  ruleId: string;
  index: number;
  action: Action;
  category: FindingCategory;
  severity: number;
}

/**
 * Sets `supersededBy` on every recommendation a stronger one for the same subject replaces:
 * a removal replaces everything else on its subject and on the volumes attached only to the
 * removed hosts (their cost is part of the removal's saving); of two resizes or two volume
 * changes of one subject, the one for the more serious finding wins (category, then severity,
 * then rule order). Tunings never replace each other, except that a restated fix
 * (cloud-idle-host-starved) gives way to the on-host rule's own. Returns new objects, in the same order.
 */
export function resolveOneActionPerSubject(
  findings: readonly Finding[],
  recommendations: readonly Recommendation[],
  volumes: readonly Pick<Volume, 'provider' | 'id' | 'attachedTo'>[],
): Recommendation[] {
  const findingById = new Map(findings.map((f) => [f.id, f]));
  const candidates: Candidate[] = recommendations.map((rec, index) => {
    const finding = findingById.get(rec.findingId);
    return {
      rec,
      ruleId: finding?.ruleId ?? '',
      index,
      action: actionOf(rec, finding?.ruleId ?? ''),
      category: finding?.category ?? 'cost',
      severity: finding ? severityRank[finding.severity] : 0,
    };
  });
  const winnerOf = new Map<number, string>();
  const bySubject = groupBy(candidates, (c) => subjectKey(c.rec.subject));

  const removedHosts = new Map<string, Candidate>();
  for (const group of bySubject.values()) {
    const removal = best(group.filter((c) => c.action === 'remove'));
    if (removal) {
      for (const c of group) if (c !== removal) winnerOf.set(c.index, removal.rec.id);
      if (removal.rec.subject.kind === 'host') removedHosts.set(subjectKey(removal.rec.subject), removal);
      continue;
    }
    for (const action of ['resize', 'modify'] as const) {
      const same = group.filter((c) => c.action === action);
      const winner = best(same);
      for (const c of same) if (winner && c !== winner) winnerOf.set(c.index, winner.rec.id);
    }
    for (const restated of group.filter((c) => RESTATING_RULES.has(c.ruleId))) {
      const own = group.find((c) => !RESTATING_RULES.has(c.ruleId) && c.rec.kind === restated.rec.kind);
      if (own && !winnerOf.has(restated.index)) winnerOf.set(restated.index, own.rec.id);
    }
  }

  // A volume goes with the hosts it is attached to when every one of them is removed.
  for (const volume of volumes) {
    const hostKeys = volume.attachedTo.map((a) =>
      subjectKey({ provider: volume.provider, kind: 'host', id: a.hostId }),
    );
    if (hostKeys.length === 0 || !hostKeys.every((key) => removedHosts.has(key))) continue;
    const removal = removedHosts.get(hostKeys[0]!)!;
    const onVolume = bySubject.get(subjectKey({ provider: volume.provider, kind: 'volume', id: volume.id }));
    for (const c of onVolume ?? []) winnerOf.set(c.index, removal.rec.id);
  }

  return candidates.map((c) => ({ ...c.rec, supersededBy: winnerOf.get(c.index) ?? null }));
}

/** The recommendations a reader should act on: the ones nothing supersedes. */
export function activeRecommendations<T extends Pick<Recommendation, 'supersededBy'>>(
  recommendations: readonly T[],
): T[] {
  return recommendations.filter((r) => r.supersededBy === null);
}

export interface CostTotal {
  /** Sum of the known monthly deltas of the active recommendations, rounded to cents. */
  monthlyCostDeltaUsd: number;
  /** Active recommendations whose cost is not known (not in the sum). */
  withUnknownCost: number;
  /** Active recommendations counted in the sum. */
  counted: number;
}

/** The one total every report shows: each subject's action counted once, superseded ones never. */
export function monthlyCostTotal(
  recommendations: readonly Pick<Recommendation, 'supersededBy' | 'monthlyCostDeltaUsd'>[],
): CostTotal {
  const active = activeRecommendations(recommendations);
  const known = active.filter((r) => r.monthlyCostDeltaUsd !== null);
  return {
    monthlyCostDeltaUsd: roundUsd(known.reduce((sum, r) => sum + r.monthlyCostDeltaUsd!, 0)),
    withUnknownCost: active.length - known.length,
    counted: known.length,
  };
}

function best(candidates: readonly Candidate[]): Candidate | undefined {
  return [...candidates].sort(
    (a, b) =>
      CATEGORY_RANK[b.category] - CATEGORY_RANK[a.category] || b.severity - a.severity || a.index - b.index,
  )[0];
}

function subjectKey(subject: Pick<Subject, 'provider' | 'kind' | 'id'>): string {
  return [subject.provider, subject.kind, subject.id].join('\u0000');
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

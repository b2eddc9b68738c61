// "Act only on recommendations stable for N runs" (anchors.md): a recommendation whose target
// (subject + kind + recommended value) was the same in the last N consecutive runs is stable; one
// whose target changed within them says what it flipped between. Superseded ones never count.
import type { RecommendationRecord, RunRecord } from './record.ts';

export const DEFAULT_STABLE_RUNS = 3;

export interface RecommendationStability {
  recommendationId: string;
  /** Consecutive runs, this one included, that recommended this very target. */
  runs: number;
  stable: boolean;
  /** The targets recommended for this subject and kind over the last N runs, oldest first, when they differ. */
  flipped: string[] | null;
}

const subjectKindKey = (rec: RecommendationRecord) =>
  [rec.subject.provider, rec.subject.kind, rec.subject.id, rec.kind].join('\u0000');

/** Active recommendations by subject and kind; several for one key keep their targets sorted, joined. */
function targetsOf(run: RunRecord): Map<string, string> {
  const targets = new Map<string, string[]>();
  for (const rec of run.recommendations) {
    if (rec.supersededBy !== null) continue;
    const key = subjectKindKey(rec);
    targets.set(key, [...(targets.get(key) ?? []), rec.recommended]);
  }
  return new Map([...targets].map(([key, list]) => [key, [...list].sort().join(' + ')]));
}

/**
 * `runs`: the current run first, then the runs before it along the store's lineage (newest
 * first). Each active recommendation of the current run gets its stability; superseded ones get
 * none (they are not actions).
 */
export function recommendationStability(
  runs: readonly RunRecord[],
  requiredRuns = DEFAULT_STABLE_RUNS,
): RecommendationStability[] {
  const [current, ...before] = runs;
  if (!current) return [];
  const history = [current, ...before].map(targetsOf);
  return current.recommendations
    .filter((rec) => rec.supersededBy === null)
    .map((rec) => {
      const key = subjectKindKey(rec);
      const target = history[0]!.get(key)!;
      let streak = 0;
      while (streak < history.length && history[streak]!.get(key) === target) streak += 1;
      const window = history
        .slice(0, requiredRuns)
        .map((targets) => targets.get(key))
        .filter((t): t is string => t !== undefined)
        .reverse();
      const distinct = window.filter((t, index) => index === 0 || t !== window[index - 1]);
      return {
        recommendationId: rec.id,
        runs: streak,
        stable: streak >= requiredRuns,
        flipped: new Set(distinct).size > 1 ? distinct : null,
      };
    });
}

// Failed calls as gaps, the same way for every cloud: the call that failed (`ec2.DescribeInstances`)
// and the scope it was for (region, project, account) travel with the one-line reason, so one fault
// is one row however many calls it broke (mergeGaps).
import { ProviderError } from '../src/errors.ts';
import type { Gap, ProviderId } from '../src/model/index.ts';

/** A ProviderError as a gap; anything else is a bug and is rethrown. */
export function gapOf(provider: ProviderId, error: unknown, what: string, scope?: string): Gap {
  if (!(error instanceof ProviderError)) throw error;
  return {
    provider,
    what,
    kind: error.kind === 'config' ? 'bad-response' : error.kind,
    message: oneLine(error.describe()),
    // `monitoring.timeSeries.list cpu.utilization.mean (project)` is one call of `monitoring.timeSeries.list`.
    operation: error.operation.split(' ')[0]!,
    ...(scope === undefined ? {} : { scope }),
  };
}

/** Why a scope listed nothing: `throttled: Rate exceeded` (the scope itself is named beside it). */
export function failureReason(error: unknown): string {
  if (error instanceof ProviderError) return oneLine(`${error.kind}: ${error.message}`);
  return oneLine(error instanceof Error ? error.message : String(error));
}

export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').slice(0, 400);
}

/**
 * One row per cloud, call, scope and kind: a throttled project that failed 15 metric queries is one
 * gap that says 15, not 15 gaps. Gaps without a call (on-host, config) stay as they are.
 */
export function mergeGaps(gaps: readonly Gap[]): Gap[] {
  const merged: { gap: Gap; count: number }[] = [];
  const byKey = new Map<string, { gap: Gap; count: number }>();
  for (const gap of gaps) {
    if (gap.operation === undefined) {
      merged.push({ gap, count: 1 });
      continue;
    }
    const key = [gap.provider, gap.operation, gap.scope ?? '', gap.kind].join('|');
    const seen = byKey.get(key);
    if (seen) {
      seen.count += 1;
      // Calls finish in any order: the row names the first subject in sort order, not the first to fail.
      if (gap.what.localeCompare(seen.gap.what) < 0) seen.gap = gap;
      continue;
    }
    const entry = { gap, count: 1 };
    byKey.set(key, entry);
    merged.push(entry);
  }
  return merged.map(({ gap, count }) =>
    count === 1
      ? gap
      : {
          ...gap,
          what: `${gap.what} and ${count - 1} more`,
          message: `${gap.message} (${count} ${gap.operation} calls failed alike)`,
        },
  );
}

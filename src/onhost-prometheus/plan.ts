// The arithmetic of the coarse-then-fine plan, pure: the coarse step and its time splits within
// Prometheus' 11,000 points a series, each host's busiest window from the coarse answers, and the
// query count the plan needs (what the run reports as its minimum).
import { MAX_POINTS } from '../ingest/prometheus-live.ts';

const HOUR_MS = 3_600_000;

/** The smallest multiple of 60 s that keeps a whole-window series within MAX_POINTS. */
export function coarseStepSec(windowSec: number): number {
  return Math.max(60, Math.ceil(windowSec / (MAX_POINTS - 1) / 60) * 60);
}

/** [fromMs, toMs] pieces of at most MAX_POINTS points each at `stepSec` (one when it fits). */
export function timeSplits(fromMs: number, toMs: number, stepSec: number): [number, number][] {
  const spanMs = (MAX_POINTS - 1) * stepSec * 1000;
  const splits: [number, number][] = [];
  for (let start = fromMs; start <= toMs; start += spanMs + stepSec * 1000) {
    splits.push([start, Math.min(toMs, start + spanMs)]);
  }
  return splits;
}

export interface SignalSeries {
  timesMs: number[];
  /** Busier is higher. */
  values: number[];
}

/**
 * The `hours` consecutive hours with the most activity: each hour scores, per signal, where its peak
 * sits between the signal's low and high in the whole window (so CPU, load, connection rate and
 * loop lag weigh alike; a flat signal marks every hour alike),
 * keeping the best signal; the window with the highest total wins, the earliest on a tie. Null
 * when no signal has a point above zero.
 */
export function busiestWindow(
  signals: readonly SignalSeries[],
  fromMs: number,
  toMs: number,
  hours: number,
): { fromMs: number; toMs: number } | null {
  const buckets = Math.max(1, Math.ceil((toMs - fromMs) / HOUR_MS));
  const score = new Array<number>(buckets).fill(0);
  let any = false;
  for (const signal of signals) {
    const finite = signal.values.filter(Number.isFinite);
    const peak = finite.reduce((a, b) => Math.max(a, b), 0);
    // Against its own range: a signal flat all window long says nothing about when the host is busy.
    const floor = finite.reduce((a, b) => Math.min(a, b), peak);
    if (!(peak > 0)) continue;
    any = true;
    const range = peak - floor;
    if (range === 0) continue;
    const hourPeak = new Array<number>(buckets).fill(0);
    signal.timesMs.forEach((t, i) => {
      const v = signal.values[i]!;
      const b = Math.floor((t - fromMs) / HOUR_MS);
      const share = (v - floor) / range;
      if (b >= 0 && b < buckets && Number.isFinite(v)) hourPeak[b] = Math.max(hourPeak[b]!, share);
    });
    hourPeak.forEach((v, b) => {
      score[b] = Math.max(score[b]!, v);
    });
  }
  if (!any) return null;
  const span = Math.min(hours, buckets);
  let best = 0;
  let bestTotal = -1;
  for (let start = 0; start + span <= buckets; start += 1) {
    const total = score.slice(start, start + span).reduce((a, b) => a + b, 0);
    if (total > bestTotal) {
      bestTotal = total;
      best = start;
    }
  }
  const startMs = fromMs + best * HOUR_MS;
  return { fromMs: startMs, toMs: Math.min(toMs, startMs + span * HOUR_MS) };
}

export interface PlanCounts {
  /** Metric-name lists per job, and the series listing of the targets. */
  discovery: number;
  coarse: number;
  fine: number;
}

/**
 * Queries the plan needs: 3 discovery calls (metric names of each job, the targets' series), one
 * coarse query per signal present and time split, and per distinct busiest window one raw `up`
 * read (the scrape interval) plus one query per fine query present. Hosts sharing a window share
 * its queries (`instance=~"a|b"`).
 */
export function planCounts(
  coarseSignals: number,
  splits: number,
  windows: number,
  fineQueries: number,
): PlanCounts {
  return {
    discovery: 3,
    coarse: coarseSignals * splits,
    fine: windows > 0 ? windows * (1 + fineQueries) : 0,
  };
}

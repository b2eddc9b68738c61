// Statistics shared by rules, sizing and on-host signals. Percentiles are exact nearest-rank
// (the method is named in every evidence item; CloudWatch and Prometheus compute theirs their own way).

/** Nearest-rank percentile of finite values; undefined for an empty input. */
export function percentile(values: readonly number[], pct: number): number | undefined {
  const sorted = finite(values).sort((a, b) => a - b);
  return percentileSorted(sorted, pct);
}

export function percentileSorted(sorted: readonly number[], pct: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((pct / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function finite(values: readonly number[]): number[] {
  return values.filter((v) => Number.isFinite(v));
}

export function mean(values: readonly number[]): number | undefined {
  const xs = finite(values);
  return xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function max(values: readonly number[]): number | undefined {
  const xs = finite(values);
  // NOTE: reduce, not Math.max(...xs): a day of 1 s samples would overflow the call stack.
  return xs.length === 0 ? undefined : xs.reduce((a, b) => Math.max(a, b), xs[0]!);
}

export function min(values: readonly number[]): number | undefined {
  const xs = finite(values);
  return xs.length === 0 ? undefined : xs.reduce((a, b) => Math.min(a, b), xs[0]!);
}

export interface Summary {
  p50: number | null;
  p95: number | null;
  p99_5: number | null;
  max: number | null;
  points: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = finite(values).sort((a, b) => a - b);
  return {
    p50: percentileSorted(sorted, 50) ?? null,
    p95: percentileSorted(sorted, 95) ?? null,
    p99_5: percentileSorted(sorted, 99.5) ?? null,
    max: sorted.at(-1) ?? null,
    points: sorted.length,
  };
}

/** Fraction of finite values for which `test` holds (0 for no values). */
export function fractionWhere(values: readonly number[], test: (v: number) => boolean): number {
  const xs = finite(values);
  return xs.length === 0 ? 0 : xs.filter(test).length / xs.length;
}

/**
 * The values of one series with the step each of them stands for. A cloud series keeps its own
 * step (OVH answers hourly, CloudWatch every 300 s), so "points × step" is always its own time.
 */
export type StepValues = readonly number[] & { readonly stepSec: number };

export function withStep(values: readonly number[], stepSec: number): StepValues {
  return Object.assign([...values], { stepSec });
}

/** The step values carry, if they carry one. */
export function stepOf(values: readonly number[]): number | undefined {
  const step = (values as Partial<StepValues>).stepSec;
  return typeof step === 'number' && Number.isFinite(step) && step > 0 ? step : undefined;
}

/** Hours the values cover: points × their own step (or `fallbackStepSec` for bare values). */
export function hoursOf(values: readonly number[], fallbackStepSec?: number): number {
  const step = stepOf(values) ?? fallbackStepSec ?? 1;
  return (values.length * step) / 3600;
}

/**
 * Longest run of consecutive samples for which `test` holds, in seconds (each sample counts
 * for its own interval). A NaN sample breaks a run. Values that carry their series' step
 * (`StepValues`) count at that step whatever the caller passes: the window's step is only a
 * default, and an hourly series counted at 300 s would lose 11 hours in 12.
 */
export function longestRunSec(
  values: readonly number[],
  intervalSec: readonly number[] | number,
  test: (v: number) => boolean,
): number {
  const interval = stepOf(values) ?? intervalSec;
  let best = 0;
  let current = 0;
  values.forEach((value, i) => {
    const step = stepAt(interval, i);
    if (Number.isFinite(value) && test(value)) {
      current += step;
      best = Math.max(best, current);
    } else current = 0;
  });
  return best;
}

/** A sample's interval; a missing, NaN or non-positive one (a damaged record) counts as 1 s. */
function stepAt(intervalSec: readonly number[] | number, i: number): number {
  const step = typeof intervalSec === 'number' ? intervalSec : intervalSec[i];
  return step !== undefined && Number.isFinite(step) && step > 0 ? step : 1;
}

/** Total seconds for which `test` holds; `StepValues` count at their own step (see longestRunSec). */
export function secondsWhere(
  values: readonly number[],
  intervalSec: readonly number[] | number,
  test: (v: number) => boolean,
): number {
  const interval = stepOf(values) ?? intervalSec;
  return values.reduce((total, value, i) => {
    const step = stepAt(interval, i);
    return Number.isFinite(value) && test(value) ? total + step : total;
  }, 0);
}

/** Least-squares slope of values against times, in value units per second; undefined under 3 points. */
export function slopePerSec(timesMs: readonly number[], values: readonly number[]): number | undefined {
  const pairs = timesMs
    .map((t, i) => [t / 1000, values[i]!] as const)
    .filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v));
  if (pairs.length < 3) return undefined;
  const n = pairs.length;
  const mt = pairs.reduce((a, [t]) => a + t, 0) / n;
  const mv = pairs.reduce((a, [, v]) => a + v, 0) / n;
  const num = pairs.reduce((a, [t, v]) => a + (t - mt) * (v - mv), 0);
  const den = pairs.reduce((a, [t]) => a + (t - mt) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/**
 * Downsamples [time, value] points to at most `maxPoints` buckets keeping each bucket's maximum,
 * so spikes survive (a mean would hide exactly what a capacity report must show).
 */
export function downsampleMax(
  points: readonly [number, number | null][],
  maxPoints: number,
): [number, number | null][] {
  if (points.length <= maxPoints) return points.map(([t, v]) => [t, v]);
  const size = Math.ceil(points.length / maxPoints);
  const out: [number, number | null][] = [];
  for (let start = 0; start < points.length; start += size) {
    const bucket = points.slice(start, start + size);
    const values = bucket.map(([, v]) => v).filter((v): v is number => v !== null && Number.isFinite(v));
    out.push([bucket[0]![0], values.length > 0 ? Math.max(...values) : null]);
  }
  return out;
}

export function round(value: number, digits = 1): number {
  if (!Number.isFinite(value)) return 0;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * Rolling median over `window` samples (centred). Sustained-condition tests run on this, so one or
 * two seconds of jitter (a 1 s sample at 89 % in a minute at 95 %) do not break a run.
 */
export function rollingMedian(values: readonly number[], window = 5): number[] {
  const half = Math.floor(window / 2);
  return values.map((_, i) => {
    const slice = finite(values.slice(Math.max(0, i - half), i + half + 1)).sort((a, b) => a - b);
    return slice.length === 0 ? Number.NaN : slice[Math.floor((slice.length - 1) / 2)]!;
  });
}

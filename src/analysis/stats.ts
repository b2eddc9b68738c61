// Statistics shared by rules, sizing and on-host signals. Percentiles are exact nearest-rank
// (the method is named in every evidence item; CloudWatch and Prometheus compute theirs their own way).
import quickselect from 'quickselect';

/**
 * Values a statistic reads: a series' Float64Array (read in place, NaN = missing) or a plain
 * array of on-host samples. Non-finite values are skipped everywhere.
 */
export type Values = ArrayLike<number>;

// NOTE: one scratch buffer for every percentile, grown as needed and never per call: a percentile
// must not copy a series into a fresh number[] (a 14-day fleet is millions of points).
let scratch = new Float64Array(4096);

/**
 * The last series asked about, by identity and content, each with its finite values in a working
 * array that selections reorder: rules ask for the same series' percentiles many times over (p95,
 * p99.5, the sizing's own). An entry is used only while the values are still bit for bit its copy,
 * so a buffer changed after it was read is read again. The ring bounds what it holds to a unit's
 * series.
 */
interface WorkEntry {
  buffer: ArrayBufferLike;
  byteOffset: number;
  length: number;
  /** The values as they were when read. */
  copy: Float64Array;
  /** Their finite values, in the order the selections so far have left them. */
  work: Work;
  /** The arrays `copy` and `work` are the start of, reused by the entry that takes this one's place. */
  copyStore: Float64Array;
  workStore: Float64Array;
}

/**
 * Finite values being selected in, and the ranks the selections so far have put in place (every
 * value before such a rank is no greater, every one after it no smaller), in ascending order: a
 * later selection only searches between the two placed ranks around its own.
 */
interface Work {
  values: Float64Array;
  placed: number[];
}
const WORK_RING = 64;
/** Shorter series are copied faster than they are compared. */
const WORK_MIN_LENGTH = 256;
const workRing: WorkEntry[] = [];
let workNext = 0;

/** Whether two arrays hold the same doubles bit for bit (NaN equals NaN, 0 differs from -0). */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Int32Array(a.buffer, a.byteOffset, a.length * 2);
  const y = new Int32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The finite values, in an array the caller may reorder but not change; valid until the next call. */
function finiteWork(values: Values): Work {
  if (values instanceof Float64Array && values.length >= WORK_MIN_LENGTH) {
    for (const e of workRing) {
      if (
        e.buffer === values.buffer &&
        e.byteOffset === values.byteOffset &&
        e.length === values.length &&
        sameBits(e.copy, values)
      ) {
        return e.work;
      }
    }
    // NOTE: the entry's arrays are reused once the ring has come round (fresh ones only for a
    // longer series): a copy and a working array allocated per series were most of the
    // percentiles' time in a 10,000-host replay, in page faults and garbage collection.
    const old = workRing[workNext];
    const copyStore =
      old && old.copyStore.length >= values.length ? old.copyStore : new Float64Array(values.length);
    const workStore =
      old && old.workStore.length >= values.length ? old.workStore : new Float64Array(values.length);
    copyStore.set(values);
    const n = finiteOf(values, workStore);
    const entry: WorkEntry = {
      buffer: values.buffer,
      byteOffset: values.byteOffset,
      length: values.length,
      copy: copyStore.subarray(0, values.length),
      work: { values: workStore.subarray(0, n), placed: [] },
      copyStore,
      workStore,
    };
    workRing[workNext] = entry;
    workNext = (workNext + 1) % WORK_RING;
    return entry.work;
  }
  return { values: finiteInScratch(values), placed: [] };
}

function finiteInScratch(values: Values): Float64Array {
  if (scratch.length < values.length) scratch = new Float64Array(Math.max(values.length, scratch.length * 2));
  // NOTE: one loop per kind of array: a loop that reads both a Float64Array and a number[] reads
  // every element the slow way (it was most of a 10,000-host replay's percentile time).
  return scratch.subarray(0, finiteOf(values, scratch));
}

/** Copies the finite values into `into` (long enough), returning how many there are. */
function finiteOf(values: Values, into: Float64Array): number {
  return values instanceof Float64Array ? finiteOfSeries(values, into) : finiteOfSamples(values, into);
}

function finiteOfSeries(values: Float64Array, into: Float64Array): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v === 0) into[n++] = v;
  }
  return n;
}

function finiteOfSamples(values: Values, into: Float64Array): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) into[n++] = v;
  }
  return n;
}

/**
 * The nearest-rank percentile of `work`'s values, by selection (Floyd-Rivest, O(n)): a sort was 40 %
 * of a replay's CPU, and a selection of 4,032 points costs a twentieth of sorting them.
 */
function selectPercentile({ values, placed }: Work, pct: number): number | undefined {
  if (values.length === 0) return undefined;
  const rank = Math.ceil((pct / 100) * values.length);
  const k = Math.min(values.length - 1, Math.max(0, rank - 1));
  let left = 0;
  let right = values.length - 1;
  let at = 0;
  for (; at < placed.length && placed[at]! <= k; at++) left = placed[at]! + 1;
  if (placed[at - 1] === k) return values[k];
  if (at < placed.length) right = placed[at]! - 1;
  // NOTE: quickselect's types say T[]; it only indexes and swaps, which a Float64Array does alike.
  quickselect(values as unknown as number[], k, left, right);
  placed.splice(at, 0, k);
  return values[k];
}

/** Nearest-rank percentile of finite values; undefined for an empty input. */
export function percentile(values: Values, pct: number): number | undefined {
  return selectPercentile(finiteWork(values), pct);
}

export function finite(values: Values): number[] {
  return Array.prototype.filter.call(values, (v: number) => Number.isFinite(v)) as number[];
}

export function mean(values: Values): number | undefined {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      sum += v;
      n += 1;
    }
  }
  return n === 0 ? undefined : sum / n;
}

export function max(values: Values): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && (best === undefined || v > best)) best = v;
  }
  return best;
}

export function min(values: Values): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && (best === undefined || v < best)) best = v;
  }
  return best;
}

/** Finite values (the points a series has, not its steps). */
export function countFinite(values: Values): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) n += 1;
  return n;
}

/** Finite values for which `test` holds. */
export function countWhere(values: Values, test: (v: number) => boolean): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v) && test(v)) n += 1;
  }
  return n;
}

export interface Summary {
  p50: number | null;
  p95: number | null;
  p99_5: number | null;
  max: number | null;
  points: number;
}

export function summarize(values: Values): Summary {
  const work = finiteWork(values);
  return {
    p50: selectPercentile(work, 50) ?? null,
    p95: selectPercentile(work, 95) ?? null,
    p99_5: selectPercentile(work, 99.5) ?? null,
    max: selectPercentile(work, 100) ?? null,
    points: work.values.length,
  };
}

/** Fraction of finite values for which `test` holds (0 for no values). */
export function fractionWhere(values: Values, test: (v: number) => boolean): number {
  let n = 0;
  let hits = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    n += 1;
    if (test(v)) hits += 1;
  }
  return n === 0 ? 0 : hits / n;
}

/**
 * The values of one series with the step each of them stands for. A cloud series keeps its own
 * step (OVH answers hourly, CloudWatch every 300 s), so "points × step" is always its own time.
 */
export type StepValues<V extends Values = Values> = V & { readonly stepSec: number };

export function withStep(values: Float64Array, stepSec: number): StepValues<Float64Array>;
export function withStep(values: readonly number[], stepSec: number): StepValues<readonly number[]>;
export function withStep(values: Float64Array | readonly number[], stepSec: number): StepValues {
  // A view shares the series' buffer (no copy); the step is set on the view, never on the series.
  const own = values instanceof Float64Array ? values.subarray(0) : [...values];
  return Object.assign(own, { stepSec });
}

/** The step values carry, if they carry one. */
export function stepOf(values: Values): number | undefined {
  const step = (values as Partial<StepValues>).stepSec;
  return typeof step === 'number' && Number.isFinite(step) && step > 0 ? step : undefined;
}

/** Hours the values cover: points × their own step (or `fallbackStepSec` for bare values). */
export function hoursOf(values: Values, fallbackStepSec?: number): number {
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
  values: Values,
  intervalSec: readonly number[] | number,
  test: (v: number) => boolean,
): number {
  const interval = stepOf(values) ?? intervalSec;
  let best = 0;
  let current = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (Number.isFinite(value) && test(value)) {
      current += stepAt(interval, i);
      best = Math.max(best, current);
    } else current = 0;
  }
  return best;
}

/** A sample's interval; a missing, NaN or non-positive one (a damaged record) counts as 1 s. */
function stepAt(intervalSec: readonly number[] | number, i: number): number {
  const step = typeof intervalSec === 'number' ? intervalSec : intervalSec[i];
  return step !== undefined && Number.isFinite(step) && step > 0 ? step : 1;
}

/** Total seconds for which `test` holds; `StepValues` count at their own step (see longestRunSec). */
export function secondsWhere(
  values: Values,
  intervalSec: readonly number[] | number,
  test: (v: number) => boolean,
): number {
  const interval = stepOf(values) ?? intervalSec;
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (Number.isFinite(value) && test(value)) total += stepAt(interval, i);
  }
  return total;
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
export function rollingMedian(values: Values, window = 5): number[] {
  const half = Math.floor(window / 2);
  return Array.from({ length: values.length }, (_, i) => {
    const around = Array.prototype.slice.call(values, Math.max(0, i - half), i + half + 1) as number[];
    const slice = finite(around).sort((a, b) => a - b);
    return slice.length === 0 ? Number.NaN : slice[Math.floor((slice.length - 1) / 2)]!;
  });
}

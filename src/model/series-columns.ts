// A series as columns: its first point's time, its step and one Float64Array of values, NaN
// where a point is missing. 8 bytes a point instead of a [t, v] pair's ~190 once zod copies it,
// and a percentile or a maximum reads the array in place.

export interface SeriesColumns {
  /** Time of values[0], epoch milliseconds. */
  startMs: number;
  stepSec: number;
  /** One value per step from startMs; NaN for a step with no point. */
  values: Float64Array;
}

/** Time of the i-th value, epoch milliseconds. */
export function timeAtMs(columns: SeriesColumns, index: number): number {
  return columns.startMs + index * columns.stepSec * 1000;
}

/** The time after the last value: startMs + length × step. */
export function endMs(columns: SeriesColumns): number {
  return timeAtMs(columns, columns.values.length);
}

/**
 * Columns from [epochMs, value] pairs ascending by time. A point off the step grid goes to the
 * nearest step; two points on one step keep the later one (a provider's repeated answer).
 */
export function columnsFromPoints(
  points: readonly (readonly [number, number])[],
  stepSec: number,
): SeriesColumns {
  if (points.length === 0) return { startMs: 0, stepSec, values: new Float64Array(0) };
  const stepMs = stepSec * 1000;
  const startMs = points[0]![0];
  const length = Math.round((points.at(-1)![0] - startMs) / stepMs) + 1;
  const values = new Float64Array(length).fill(Number.NaN);
  for (const [t, v] of points) values[Math.round((t - startMs) / stepMs)] = v;
  return { startMs, stepSec, values };
}

/** As columnsFromPoints, from parallel arrays of times (ascending) and values. */
export function columnsFromTimes(
  timesMs: readonly number[],
  values: readonly number[],
  stepSec: number,
): SeriesColumns {
  if (timesMs.length === 0) return { startMs: 0, stepSec, values: new Float64Array(0) };
  const stepMs = stepSec * 1000;
  const startMs = timesMs[0]!;
  const out = new Float64Array(Math.round((timesMs.at(-1)! - startMs) / stepMs) + 1).fill(Number.NaN);
  for (let i = 0; i < timesMs.length; i++) out[Math.round((timesMs[i]! - startMs) / stepMs)] = values[i]!;
  return { startMs, stepSec, values: out };
}

/**
 * Parallel arrays of times and values in time order, points of one time kept in the order they
 * came (a stable sort). Arrays already ascending come back as they are; strictly descending ones
 * (GCP sends each series newest first) are reversed in place; anything else is sorted by index.
 */
export function timeOrdered(timesMs: number[], values: number[]): { timesMs: number[]; values: number[] } {
  let rising = true;
  let falling = true;
  for (let i = 1; i < timesMs.length && (rising || falling); i++) {
    if (timesMs[i]! < timesMs[i - 1]!) rising = false;
    if (timesMs[i]! >= timesMs[i - 1]!) falling = false;
  }
  if (rising) return { timesMs, values };
  if (falling) return { timesMs: timesMs.reverse(), values: values.reverse() };
  const order = Array.from(timesMs.keys()).sort((a, b) => timesMs[a]! - timesMs[b]!);
  return { timesMs: order.map((i) => timesMs[i]!), values: order.map((i) => values[i]!) };
}

/** The [epochMs, value] pairs of the steps that have a value (for writers and small series). */
export function pointsFromColumns(columns: SeriesColumns): [number, number][] {
  const points: [number, number][] = [];
  for (let i = 0; i < columns.values.length; i++) {
    const v = columns.values[i]!;
    if (!Number.isNaN(v)) points.push([timeAtMs(columns, i), v]);
  }
  return points;
}

/** The columns with `convert` applied to every present value, in place (NaN holes stay NaN). */
export function mapColumns(columns: SeriesColumns, convert: (value: number) => number): SeriesColumns {
  const { values } = columns;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) values[i] = convert(values[i]!);
  return columns;
}

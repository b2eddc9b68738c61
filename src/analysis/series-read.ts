// Reading columnar series (src/model/series-columns.ts) in place: present values, the value at a
// time, sums joined on time. Rules and the event review read series through these, never by
// copying every step into [t, v] pairs.
import { type SeriesColumns, timeAtMs } from '../model/series-columns.ts';
import { countFinite, type StepValues, withStep } from './stats.ts';

/**
 * The values a series has (NaN holes left out), carrying the series' own step. A series without
 * holes is read through a view of its own buffer; only a holed one is compacted.
 */
export function presentValues(
  series: SeriesColumns | undefined,
  fallbackStepSec: number,
): StepValues<Float64Array> {
  if (!series) return withStep(new Float64Array(0), fallbackStepSec);
  let out = compacted.get(series.values);
  if (!out) {
    const n = countFinite(series.values);
    out = series.values;
    if (n < series.values.length) {
      out = new Float64Array(n);
      let j = 0;
      for (let i = 0; i < series.values.length; i++) {
        const v = series.values[i]!;
        if (Number.isFinite(v)) out[j++] = v;
      }
    }
    compacted.set(series.values, out);
  }
  return withStep(out, series.stepSec);
}

/**
 * A holed series' present values, compacted once per series: rules read the same series many
 * times, and one buffer per series lets the percentiles' working copy be found again (stats.ts). Both are
 * read-only, as the series is; an entry goes with its series.
 */
const compacted = new WeakMap<Float64Array, Float64Array>();

/** Points a series has (steps with a value). */
export function pointCount(series: SeriesColumns | undefined): number {
  return series ? countFinite(series.values) : 0;
}

/** Calls `visit` for every present point, in time order. */
export function forEachPoint(
  series: SeriesColumns | undefined,
  visit: (timeMs: number, value: number, index: number) => void,
): void {
  if (!series) return;
  for (let i = 0; i < series.values.length; i++) {
    const v = series.values[i]!;
    if (Number.isFinite(v)) visit(timeAtMs(series, i), v, i);
  }
}

/** The value at a time, or undefined when the series has no point on that step. */
export function valueAtMs(series: SeriesColumns | undefined, timeMs: number): number | undefined {
  if (!series) return undefined;
  const offset = (timeMs - series.startMs) / (series.stepSec * 1000);
  if (!Number.isInteger(offset) || offset < 0 || offset >= series.values.length) return undefined;
  const v = series.values[offset]!;
  return Number.isFinite(v) ? v : undefined;
}

/**
 * The sum of several series per time, over every time at least one of them has a point (a
 * missing point adds nothing): read + write ops, or a host's volumes. The grid is the first
 * present series' step; a point off it goes to the nearest step.
 */
export function sumByTime(series: readonly (SeriesColumns | undefined)[]): SeriesColumns | undefined {
  const present = series.filter((s): s is SeriesColumns => s !== undefined && s.values.length > 0);
  if (present.length === 0) return undefined;
  const stepSec = present[0]!.stepSec;
  const stepMs = stepSec * 1000;
  const startMs = Math.min(...present.map((s) => s.startMs));
  const endMs = Math.max(...present.map((s) => timeAtMs(s, s.values.length - 1)));
  const values = new Float64Array(Math.round((endMs - startMs) / stepMs) + 1).fill(Number.NaN);
  for (const s of present) {
    forEachPoint(s, (t, v) => {
      const i = Math.round((t - startMs) / stepMs);
      values[i] = (Number.isNaN(values[i]!) ? 0 : values[i]!) + v;
    });
  }
  return { startMs, stepSec, values };
}

// Reading columns in place must give what the [t, v] pairs gave: the same present values, the
// same value at a time, and the same read + write sums joined on time.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pointCount, presentValues, sumByTime, valueAtMs } from '../../src/analysis/series-read.ts';
import { pointsFromColumns, type SeriesColumns } from '../../src/model/series-columns.ts';

const stepSec = 300;
const columns = (startStep: number, values: (number | null)[]): SeriesColumns => ({
  startMs: startStep * stepSec * 1000,
  stepSec,
  values: Float64Array.from(values, (v) => (v === null ? Number.NaN : v)),
});
const holed = fc.array(fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null, freq: 4 }), {
  maxLength: 60,
});

describe('series read in place', () => {
  it('present values, point counts and the value at a time agree with the pairs', () => {
    fc.assert(
      fc.property(fc.nat(20), holed, (start, values) => {
        const s = columns(start, values);
        const pairs = pointsFromColumns(s);
        expect(Array.from(presentValues(s, 60))).toEqual(pairs.map(([, v]) => v));
        expect(presentValues(s, 60).stepSec).toBe(stepSec);
        expect(pointCount(s)).toBe(pairs.length);
        const byTime = new Map(pairs);
        for (let i = -1; i <= values.length; i++) {
          const t = s.startMs + i * stepSec * 1000;
          expect(valueAtMs(s, t)).toBe(byTime.get(t));
        }
        expect(valueAtMs(s, s.startMs + 1)).toBeUndefined();
      }),
    );
  });

  it('sums series on one grid over every time any of them has a point, as the Map join did', () => {
    fc.assert(
      fc.property(fc.nat(20), holed, fc.nat(20), holed, (startA, a, startB, b) => {
        const series = [columns(startA, a), columns(startB, b)];
        const byTime = new Map<number, number>();
        for (const s of series)
          for (const [t, v] of pointsFromColumns(s)) byTime.set(t, (byTime.get(t) ?? 0) + v);
        const sum = sumByTime(series);
        const expected = [...byTime].sort((x, y) => x[0] - y[0]);
        expect(sum ? pointsFromColumns(sum) : []).toEqual(expected);
      }),
    );
  });
});

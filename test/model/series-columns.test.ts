import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  columnsFromPoints,
  columnsFromTimes,
  endMs,
  pointsFromColumns,
  timeAtMs,
} from '../../src/model/series-columns.ts';

describe('series columns', () => {
  it('puts each point on its step and NaN in the holes', () => {
    const c = columnsFromPoints(
      [
        [1_000_000, 1],
        [1_300_000, 2],
        [1_900_000, 4],
      ],
      300,
    );
    expect(c.startMs).toBe(1_000_000);
    expect([...c.values]).toEqual([1, 2, Number.NaN, 4]);
    expect(timeAtMs(c, 3)).toBe(1_900_000);
    expect(endMs(c)).toBe(2_200_000);
  });

  it('round-trips points on the step grid', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2e9 }),
        fc.constantFrom(1, 60, 300),
        fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { maxLength: 60 }),
        fc.array(fc.double({ noNaN: true }), { minLength: 60, maxLength: 60 }),
        (startSec, stepSec, steps, vals) => {
          const sorted = [...steps].sort((a, b) => a - b);
          const points = sorted.map(
            (s, i) => [(startSec + s * stepSec) * 1000, vals[i]!] as [number, number],
          );
          expect(pointsFromColumns(columnsFromPoints(points, stepSec))).toEqual(points);
          // The same points as two flat arrays (the AWS reader's form) give the same columns.
          const times = points.map(([t]) => t);
          const values = points.map(([, v]) => v);
          expect(columnsFromTimes(times, values, stepSec)).toEqual(columnsFromPoints(points, stepSec));
        },
      ),
    );
  });

  it('is empty for no points', () => {
    expect(columnsFromPoints([], 60).values.length).toBe(0);
  });
});

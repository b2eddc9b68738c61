import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { columnsFromPoints, columnsFromTimes, timeOrdered } from '../../../src/model/series-columns.ts';

describe("a series' points gathered as two arrays (AWS, GCP)", () => {
  it('come out in time order, points of one time in the order they came, as a stable sort of pairs', () => {
    // Times on a coarse grid so that ties (a repeated answer) are common; any order of arrival.
    const point = fc.tuple(
      fc.integer({ min: 0, max: 40 }).map((i) => 1_700_000_000_000 + i * 300_000),
      fc.double(),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(point, { maxLength: 200 }),
          // One page as the API sends it: newest first.
          fc.array(point, { maxLength: 200 }).map((ps) => [...ps].sort((a, b) => b[0] - a[0])),
        ),
        (points) => {
          const pairs = points.map(([t, v]) => [t, v] as [number, number]);
          const sorted = [...pairs].sort((a, b) => a[0] - b[0]);
          const { timesMs, values } = timeOrdered(
            points.map(([t]) => t),
            points.map(([, v]) => v),
          );
          expect(timesMs.map((t, i) => [t, values[i]])).toEqual(sorted);
          expect(columnsFromTimes(timesMs, values, 300)).toEqual(columnsFromPoints(sorted, 300));
        },
      ),
      { numRuns: 300 },
    );
  });
});

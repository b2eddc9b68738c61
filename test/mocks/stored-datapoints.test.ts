// The AWS mock's store of computed datapoints (mocks/servers/aws/stored-datapoints.ts) answers every
// request exactly as computing afresh would: any series, statistic and period, windows that overlap
// or not, and a clock that moves on between calls (buckets still filling are never kept).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MetricSeries, SampleSource } from '../../mocks/servers/aws/metrics.ts';
import { computeDatapoints, type Statistic } from '../../mocks/servers/aws/statistics.ts';
import { StoredDatapoints } from '../../mocks/servers/aws/stored-datapoints.ts';

const T0 = 1_736_899_200; // 2025-01-15T00:00:00Z

const source = fc
  .record({
    resolutionSec: fc.constantFrom(60, 300),
    fromOffset: fc.integer({ min: 0, max: 200 }),
    salt: fc.integer({ min: 1, max: 1_000 }),
  })
  .map(
    ({ resolutionSec, fromOffset, salt }): SampleSource => ({
      resolutionSec,
      fromSec: T0 + fromOffset * resolutionSec,
      // Any deterministic value; a few repeat so percentiles see ties.
      value: (t) => ((t / resolutionSec) * salt) % 17,
    }),
  );

const series = fc.array(source, { minLength: 1, maxLength: 3 }).map(
  (sources): MetricSeries => ({
    key: 'k',
    namespace: 'AWS/EC2',
    metricName: 'CPUUtilization',
    dimensions: [],
    unit: 'Percent',
    sources,
  }),
);

const statistic: fc.Arbitrary<Statistic> = fc.oneof(
  fc.constantFrom<Statistic>('Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount'),
  fc.integer({ min: 1, max: 100 }).map((percentile) => ({ percentile })),
);

/** A request: a window (seconds after T0) and how far the clock moved on since the previous one. */
const request = fc.record({
  start: fc.integer({ min: -3_600, max: 40_000 }),
  length: fc.integer({ min: 1, max: 30_000 }),
  advance: fc.integer({ min: 0, max: 2_000 }),
});

describe('StoredDatapoints', () => {
  it('answers every request as computeDatapoints does, while the clock moves on', () => {
    fc.assert(
      fc.property(
        series,
        statistic,
        fc.constantFrom(60, 300, 3_600),
        fc.integer({ min: 0, max: 60_000 }),
        fc.array(request, { minLength: 1, maxLength: 6 }),
        (metric, stat, periodSec, firstNow, requests) => {
          const store = new StoredDatapoints();
          let nowSec = T0 + firstNow;
          for (const r of requests) {
            nowSec += r.advance;
            const startSec = T0 + r.start;
            const endSec = startSec + r.length;
            const expected = computeDatapoints(metric, stat, periodSec, startSec, endSec, nowSec);
            const got = store.datapoints(metric, stat, periodSec, startSec, endSec, nowSec);
            expect(Array.from(got.epochSec)).toEqual(Array.from(expected.epochSec));
            expect(Array.from(got.values)).toEqual(Array.from(expected.values));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('computes a window once: asked again, it samples only what settled since', () => {
    let samples = 0;
    const metric: MetricSeries = {
      key: 'k',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: [],
      unit: 'Percent',
      sources: [
        {
          resolutionSec: 60,
          fromSec: T0,
          value: (t) => {
            samples += 1;
            return t % 7;
          },
        },
      ],
    };
    const store = new StoredDatapoints();
    const day = 86_400;
    store.datapoints(metric, 'Average', 300, T0, T0 + day, T0 + day);
    expect(samples).toBe(1_440);
    samples = 0;
    // Ten minutes later, the same day's window moved on by ten minutes: two new buckets (and the
    // last one that had not settled) are computed; the rest comes from the store.
    const again = store.datapoints(metric, 'Average', 300, T0 + 600, T0 + day + 600, T0 + day + 600);
    expect(samples).toBe(15);
    expect(again.values.length).toBe(288);
  });
});

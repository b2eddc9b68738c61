import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fractionWhere,
  hoursOf,
  longestRunSec,
  max,
  mean,
  min,
  percentile,
  secondsWhere,
  stepOf,
  summarize,
  withStep,
} from '../../src/analysis/stats.ts';

// 14 days of an hourly series (OVHcloud's step), all of it at 95 %.
const hourly = withStep(
  Array.from({ length: 336 }, () => 95),
  3600,
);

describe('series that carry their own step', () => {
  it('count every hourly point as an hour, whatever step the caller passes', () => {
    // A caller that passes the window's 300 s used to get 336 × 300 s = 28 h.
    expect(secondsWhere(hourly, 300, (v) => v >= 90) / 3600).toBe(336);
    expect(longestRunSec(hourly, 300, (v) => v >= 90) / 3600).toBe(336);
    expect(hoursOf(hourly)).toBe(336);
  });

  it('bare values still count at the step given', () => {
    const bare = Array.from({ length: 12 }, () => 95);
    expect(stepOf(bare)).toBeUndefined();
    expect(secondsWhere(bare, 300, (v) => v >= 90)).toBe(3600);
    expect(hoursOf(bare, 300)).toBe(1);
  });

  it('per-sample intervals (on-host records) are unchanged', () => {
    expect(secondsWhere([95, 95, 10, 95], [1, 2, 1, 4], (v) => v >= 90)).toBe(7);
    expect(longestRunSec([95, 95, 10, 95], [1, 2, 1, 4], (v) => v >= 90)).toBe(4);
  });

  it('the step does not change what the values are', () => {
    expect(summarize(hourly)).toEqual(summarize(Array.from({ length: 336 }, () => 95)));
    expect(JSON.stringify(withStep([1, 2], 60))).toBe('[1,2]');
  });
});

// The array versions these replaced, kept as the oracle: nearest rank over a sorted copy.
const oracle = {
  finite: (values: readonly number[]) => values.filter((v) => Number.isFinite(v)),
  percentile(values: readonly number[], pct: number): number | undefined {
    const sorted = oracle.finite(values).sort((a, b) => a - b);
    if (sorted.length === 0) return undefined;
    const rank = Math.ceil((pct / 100) * sorted.length);
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
  },
  mean(values: readonly number[]) {
    const xs = oracle.finite(values);
    return xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length;
  },
  max(values: readonly number[]) {
    const xs = oracle.finite(values);
    return xs.length === 0 ? undefined : xs.reduce((a, b) => Math.max(a, b), xs[0]!);
  },
  min(values: readonly number[]) {
    const xs = oracle.finite(values);
    return xs.length === 0 ? undefined : xs.reduce((a, b) => Math.min(a, b), xs[0]!);
  },
  fractionWhere(values: readonly number[], test: (v: number) => boolean) {
    const xs = oracle.finite(values);
    return xs.length === 0 ? 0 : xs.filter(test).length / xs.length;
  },
};

// A series with NaN holes (a missing step) and the odd infinity; -0 is read as 0 (a metric never
// reports -0, and a typed-array sort orders -0 before 0 where a comparator keeps them as given).
const value = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -1e9, max: 1e9, noNaN: true }).map((v) => (v === 0 ? 0 : v)) },
  { weight: 2, arbitrary: fc.constant(Number.NaN) },
  { weight: 1, arbitrary: fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY) },
);
const series = fc.array(value, { maxLength: 400 });
const pct = fc.oneof(fc.constantFrom(0, 50, 95, 99, 99.5, 100), fc.double({ min: 0, max: 100, noNaN: true }));

/** 0 and -0 are the same value: a selection may answer either where a sort put -0 first. */
const z = <T>(x: T): T => (x === 0 ? (0 as T) : x);

describe('statistics read a Float64Array in place and agree with the array versions', () => {
  it('percentile, mean, max, min and fractionWhere equal the oracle on random series with holes', () => {
    fc.assert(
      fc.property(series, pct, fc.double({ min: -1e9, max: 1e9, noNaN: true }), (xs, p, threshold) => {
        const columns = Float64Array.from(xs);
        expect(z(percentile(columns, p))).toBe(z(oracle.percentile(xs, p)));
        expect(z(percentile(xs, p))).toBe(z(oracle.percentile(xs, p)));
        expect(mean(columns)).toBe(oracle.mean(xs));
        expect(max(columns)).toBe(oracle.max(xs));
        expect(min(columns)).toBe(oracle.min(xs));
        const above = (v: number) => v > threshold;
        expect(fractionWhere(columns, above)).toBe(oracle.fractionWhere(xs, above));
        const s = summarize(columns);
        expect({ ...s, p50: z(s.p50), p95: z(s.p95), p99_5: z(s.p99_5), max: z(s.max) }).toEqual({
          p50: z(oracle.percentile(xs, 50) ?? null),
          p95: z(oracle.percentile(xs, 95) ?? null),
          p99_5: z(oracle.percentile(xs, 99.5) ?? null),
          max: z(oracle.max(xs) ?? null),
          points: oracle.finite(xs).length,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('never changes the series it reads, and a series longer than the scratch buffer grows it', () => {
    const long = Float64Array.from({ length: 20_000 }, (_, i) =>
      i % 7 === 0 ? Number.NaN : (i * 7919) % 10_007,
    );
    const copy = long.slice();
    const short = Float64Array.from([5, Number.NaN, 1, 3]);
    expect(percentile(short, 50)).toBe(3);
    const plain = Array.from(long);
    expect(percentile(long, 99.5)).toBe(oracle.percentile(plain, 99.5));
    expect(percentile(short, 100)).toBe(5);
    expect(summarize(long).p50).toBe(oracle.percentile(plain, 50));
    expect(Object.is(long[0], Number.NaN) && long.every((v, i) => Object.is(v, copy[i]))).toBe(true);
  });

  it('a series asked again is answered from its first read, and a series changed in place is read again', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.constant(Number.NaN)), {
          minLength: 256,
          maxLength: 2000,
        }),
        fc.nat(),
        fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
        pct,
        (xs, at, value, p) => {
          const columns = Float64Array.from(xs);
          expect(z(percentile(columns, p))).toBe(z(oracle.percentile(xs, p)));
          expect(z(summarize(columns).p95)).toBe(z(oracle.percentile(xs, 95) ?? null));
          // The same buffer, one value changed: never the answer of the values as they were.
          const changed = [...xs];
          changed[at % xs.length] = value;
          columns[at % xs.length] = value;
          expect(z(percentile(columns, p))).toBe(z(oracle.percentile(changed, p)));
          // A view of the same buffer is its own series.
          const tail = columns.subarray(1);
          expect(z(percentile(tail, p))).toBe(z(oracle.percentile(changed.slice(1), p)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('percentiles asked one after another of the same series, in any order, each equal the oracle', () => {
    // Later selections search only between ranks earlier ones placed: ties, holes and repeats included.
    const tied = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(Number.NaN));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(tied, { minLength: 256, maxLength: 1500 }),
          fc.array(value, { minLength: 256, maxLength: 1500 }),
        ),
        fc.array(pct, { minLength: 1, maxLength: 12 }),
        (xs, asked) => {
          const columns = Float64Array.from(xs);
          for (const p of asked) expect(z(percentile(columns, p))).toBe(z(oracle.percentile(xs, p)));
          const s = summarize(columns);
          expect([s.p50, s.p95, s.p99_5, s.max].map(z)).toEqual(
            [50, 95, 99.5, 100].map((p) => z(oracle.percentile(xs, p) ?? null)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a step carried on a view of the series does not mark the series itself', () => {
    const values = Float64Array.from([1, 2, 3]);
    const stepped = withStep(values, 3600);
    expect(stepOf(stepped)).toBe(3600);
    expect(stepOf(values)).toBeUndefined();
    expect(hoursOf(stepped)).toBe(3);
  });
});

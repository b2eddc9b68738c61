// Max-per-bucket downsampling: a 5-minute spike in a 14-day series must survive into a 50-point
// chart, which an average or every-nth sample would smooth away.

/** Which excursion a bucket keeps. */
export type Extreme = 'max' | 'min';

export interface TimeBucket {
  fromMs: number;
  toMs: number;
  /** The bucket's extreme finite value; null when the bucket had none. */
  value: number | null;
}

function extremeOf(values: readonly (number | null)[], extreme: Extreme): number | null {
  let best: number | null = null;
  for (const value of values) {
    if (value === null || !Number.isFinite(value)) continue;
    if (best === null || (extreme === 'max' ? value > best : value < best)) best = value;
  }
  return best;
}

/** Index ranges of `buckets` near-equal slices of `length` items. */
function bucketBounds(length: number, buckets: number): [number, number][] {
  const count = Math.max(1, Math.min(buckets, length));
  return Array.from({ length: count }, (_, index) => [
    Math.floor((index * length) / count),
    Math.floor(((index + 1) * length) / count),
  ]);
}

export function bucketExtreme(
  values: readonly (number | null)[],
  maxBuckets: number,
  extreme: Extreme = 'max',
): (number | null)[] {
  if (values.length <= maxBuckets) return values.map((value) => extremeOf([value], extreme));
  return bucketBounds(values.length, maxBuckets).map(([from, to]) =>
    extremeOf(values.slice(from, to), extreme),
  );
}

export function bucketPoints(
  points: readonly (readonly [number, number | null])[],
  maxBuckets: number,
  extreme: Extreme = 'max',
): TimeBucket[] {
  if (points.length === 0) return [];
  return bucketBounds(points.length, maxBuckets).map(([from, to]) => {
    const slice = points.slice(from, to);
    return {
      fromMs: slice[0]?.[0] ?? 0,
      toMs: slice[slice.length - 1]?.[0] ?? 0,
      value: extremeOf(
        slice.map((point) => point[1]),
        extreme,
      ),
    };
  });
}

/** Max per bucket, or min where the evidence says trouble lies below its reference line (a balance, a floor). */
export function excursionExtreme(reference?: { bad?: 'above' | 'below' }): Extreme {
  return reference?.bad === 'below' ? 'min' : 'max';
}

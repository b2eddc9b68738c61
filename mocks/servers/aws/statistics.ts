import type { MetricSeries, SampleSource } from './metrics.ts';

// CloudWatch statistics over period buckets. A bucket [b, b + period) holds every sample whose
// timestamp falls inside it and whose interval has ended by `now`; an aggregate metric pools the
// samples of all its sources, so Average is the mean of all samples and Sum their total.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Statistic

export type Statistic = 'Average' | 'Sum' | 'Minimum' | 'Maximum' | 'SampleCount' | { percentile: number };

const simpleStatistics = ['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount'] as const;

/** Parses a Stat of a MetricStat; undefined for the statistics the mock does not compute. */
export function parseStatistic(stat: string): Statistic | undefined {
  const simple = simpleStatistics.find((name) => name === stat);
  if (simple) return simple;
  const percentile = /^p(\d{1,2}(\.\d{1,2})?|100)$/.exec(stat);
  return percentile ? { percentile: Number(percentile[1]) } : undefined;
}

/** Datapoints as two parallel columns, ascending by time (millions of points stay compact). */
export interface Datapoints {
  readonly epochSec: Float64Array;
  readonly values: Float64Array;
}

interface Accumulator {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Kept only for percentiles. */
  values: number[] | undefined;
}

function accumulate(
  sources: readonly SampleSource[],
  bucketSec: number,
  periodSec: number,
  nowSec: number,
  acc: Accumulator,
): void {
  for (const source of sources) {
    const step = source.resolutionSec;
    const first = Math.max(source.fromSec, Math.ceil(bucketSec / step) * step);
    for (let t = first; t < bucketSec + periodSec && t + step <= nowSec; t += step) {
      const value = source.value(t);
      acc.count += 1;
      acc.sum += value;
      acc.min = Math.min(acc.min, value);
      acc.max = Math.max(acc.max, value);
      acc.values?.push(value);
    }
  }
}

function statisticOf(acc: Accumulator, stat: Statistic): number {
  if (typeof stat === 'object') {
    // Nearest-rank percentile.
    const sorted = (acc.values ?? []).sort((a, b) => a - b);
    return sorted[Math.max(1, Math.ceil((stat.percentile / 100) * sorted.length)) - 1] ?? Number.NaN;
  }
  switch (stat) {
    case 'SampleCount':
      return acc.count;
    case 'Sum':
      return acc.sum;
    case 'Average':
      return acc.sum / acc.count;
    case 'Minimum':
      return acc.min;
    case 'Maximum':
      return acc.max;
  }
}

/**
 * Datapoints of one metric, ascending, for buckets aligned to multiples of the period that start
 * in [startSec, endSec). Buckets without a sample are absent, as in CloudWatch.
 */
export function computeDatapoints(
  series: MetricSeries,
  stat: Statistic,
  periodSec: number,
  startSec: number,
  endSec: number,
  nowSec: number,
): Datapoints {
  const firstSampleSec = series.sources.reduce(
    (min, source) => Math.min(min, source.fromSec),
    Number.POSITIVE_INFINITY,
  );
  const from = Math.floor(Math.max(startSec, firstSampleSec) / periodSec) * periodSec;
  const to = Math.min(endSec, nowSec);
  const capacity = Math.max(0, Math.ceil((to - from) / periodSec));
  const epochSec = new Float64Array(capacity);
  const values = new Float64Array(capacity);
  let length = 0;
  for (let bucket = from; bucket < to; bucket += periodSec) {
    const acc: Accumulator = {
      count: 0,
      sum: 0,
      min: Number.POSITIVE_INFINITY,
      max: Number.NEGATIVE_INFINITY,
      values: typeof stat === 'object' ? [] : undefined,
    };
    accumulate(series.sources, bucket, periodSec, nowSec, acc);
    if (acc.count === 0) continue;
    epochSec[length] = bucket;
    values[length] = statisticOf(acc, stat);
    length += 1;
  }
  return { epochSec: epochSec.subarray(0, length), values: values.subarray(0, length) };
}

/** The same points newest first (ScanBy TimestampDescending, the API default). */
export function reversed(points: Datapoints): Datapoints {
  return { epochSec: points.epochSec.slice().reverse(), values: points.values.slice().reverse() };
}

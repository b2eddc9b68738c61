import type { MetricSeries } from './metrics.ts';
import { computeDatapoints, type Datapoints, type Statistic } from './statistics.ts';

// A metric's datapoints kept once computed, as CloudWatch answers from what it has stored. The mock
// otherwise simulates every sample behind every datapoint on each call (about 3 µs a datapoint), so a
// client keeping to CloudWatch's 396,000 datapoints a second per region outruns it; with the store
// warmed, a call is a slice. Only buckets that can no longer change are kept: every sample that could
// fall in them has ended by the `now` they were computed at. Later buckets are computed on each call.

interface Stored {
  /** Epoch second of bucket 0, a multiple of the period. */
  readonly fromSec: number;
  /** One value per bucket from `fromSec`; NaN where the bucket has no sample (the mock's are finite). */
  readonly values: Float64Array;
  readonly periodSec: number;
}

function statisticKey(stat: Statistic, periodSec: number): string {
  return `${typeof stat === 'object' ? `p${stat.percentile}` : stat}/${periodSec}`;
}

export class StoredDatapoints {
  private readonly stored = new WeakMap<MetricSeries, Map<string, Stored>>();

  /** computeDatapoints' answer, from the store where it covers the request. */
  datapoints(
    series: MetricSeries,
    stat: Statistic,
    periodSec: number,
    startSec: number,
    endSec: number,
    nowSec: number,
  ): Datapoints {
    const key = statisticKey(stat, periodSec);
    let byStat = this.stored.get(series);
    if (!byStat) {
      byStat = new Map<string, Stored>();
      this.stored.set(series, byStat);
    }
    const kept = byStat.get(key);
    const from = Math.floor(startSec / periodSec) * periodSec;
    if (kept && from >= kept.fromSec) {
      const untilSec = kept.fromSec + kept.values.length * periodSec;
      const head = slice(kept, from, Math.min(endSec, nowSec, untilSec));
      if (Math.min(endSec, nowSec) <= untilSec) return head;
      const rest = computeDatapoints(series, stat, periodSec, Math.max(untilSec, startSec), endSec, nowSec);
      return head.epochSec.length === 0 ? rest : joined(head, rest);
    }
    const computed = computeDatapoints(series, stat, periodSec, startSec, endSec, nowSec);
    const settled = settledUntil(series, periodSec, Math.min(endSec, nowSec), nowSec);
    if (settled > from && (!kept || from < kept.fromSec))
      byStat.set(key, storable(computed, from, settled, periodSec));
    return computed;
  }
}

/**
 * The end of the buckets no later sample can change: a sample at t (t < bucket end) counts once
 * t + its resolution ≤ now, so a bucket is settled when its end plus the coarsest resolution is.
 */
function settledUntil(series: MetricSeries, periodSec: number, toSec: number, nowSec: number): number {
  const coarsest = series.sources.reduce((max, source) => Math.max(max, source.resolutionSec), 0);
  const lastEnd = Math.min(toSec, nowSec - coarsest);
  return Math.floor(lastEnd / periodSec) * periodSec;
}

function storable(points: Datapoints, fromSec: number, untilSec: number, periodSec: number): Stored {
  const values = new Float64Array((untilSec - fromSec) / periodSec).fill(Number.NaN);
  for (let i = 0; i < points.epochSec.length; i++) {
    const index = (points.epochSec[i]! - fromSec) / periodSec;
    if (index >= values.length) break;
    if (index >= 0) values[index] = points.values[i]!;
  }
  return { fromSec, values, periodSec };
}

function slice(kept: Stored, fromSec: number, toSec: number): Datapoints {
  const first = Math.max(0, (fromSec - kept.fromSec) / kept.periodSec);
  const last = Math.min(kept.values.length, Math.ceil((toSec - kept.fromSec) / kept.periodSec));
  let length = 0;
  for (let i = first; i < last; i++) if (!Number.isNaN(kept.values[i]!)) length += 1;
  const epochSec = new Float64Array(length);
  const values = new Float64Array(length);
  let at = 0;
  for (let i = first; i < last; i++) {
    const value = kept.values[i]!;
    if (Number.isNaN(value)) continue;
    epochSec[at] = kept.fromSec + i * kept.periodSec;
    values[at] = value;
    at += 1;
  }
  return { epochSec, values };
}

function joined(a: Datapoints, b: Datapoints): Datapoints {
  const epochSec = new Float64Array(a.epochSec.length + b.epochSec.length);
  const values = new Float64Array(epochSec.length);
  epochSec.set(a.epochSec);
  epochSec.set(b.epochSec, a.epochSec.length);
  values.set(a.values);
  values.set(b.values, a.values.length);
  return { epochSec, values };
}

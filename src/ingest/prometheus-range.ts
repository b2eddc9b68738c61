import { z } from 'zod';
import { SampleError } from '../errors.ts';
import { inSampleRange } from './columns.ts';
import { PartialSampleError } from './partial-sample-error.ts';
import { promNumber } from './prometheus-text.ts';
import { isSampleTime } from './time.ts';
import type { PromSeries } from './types.ts';

// https://prometheus.io/docs/prometheus/latest/querying/api/#expression-query-result-formats
const Point = z.tuple([z.number(), z.string()]);
const Metric = z.record(z.string(), z.string());
const MatrixEntry = z.object({ metric: Metric, values: z.array(Point).default([]) });
const VectorEntry = z.object({ metric: Metric, value: Point });

const QueryResponse = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({ resultType: z.literal('matrix'), result: z.array(MatrixEntry) }),
      z.object({ resultType: z.literal('vector'), result: z.array(VectorEntry) }),
      z.object({ resultType: z.literal('scalar'), result: Point }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() }),
]);

const QueryIndex = z.record(
  z.string(),
  z.object({
    query: z.string(),
    start: z.number().optional(),
    end: z.number().optional(),
    step: z.string().optional(),
  }),
);

/** What `prometheus-queries/index.json` says of one saved query, keyed by the file's stem. */
export interface PromQueryInfo {
  query: string;
  startMs: number | null;
  endMs: number | null;
  step: string | null;
}

function jsonOf(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
    throw new SampleError(`not JSON (${reason})`, file);
  }
}

/** Points left out of a response: a time that is not a time, or a value out of range (±Inf, 1e400). */
interface Dropped {
  count: number;
  first: string | null;
}

function seriesOf(
  metric: Record<string, string>,
  points: z.infer<typeof Point>[],
  dropped: Dropped,
): PromSeries {
  const series: PromSeries = { labels: metric, timesMs: [], values: [] };
  for (const [unixSec, text] of points) {
    const timeMs = Math.round(unixSec * 1000);
    const value = promNumber(text);
    // NaN is Prometheus' own "no value" (0/0) and stays; ±Inf and beyond-u64 values do not.
    if (!isSampleTime(timeMs) || !(Number.isNaN(value) || inSampleRange(value))) {
      dropped.count += 1;
      dropped.first ??= `[${unixSec}, ${JSON.stringify(text.slice(0, 30))}]`;
      continue;
    }
    series.timesMs.push(timeMs);
    series.values.push(value);
  }
  return series;
}

/**
 * Reads a Prometheus HTTP API query response (`/api/v1/query_range`, also `/api/v1/query`) into one
 * series per result. An empty `result` (the metric does not exist) is no series, not an error; an
 * API error becomes a SampleError with the API's own text. Points whose time or value is out of
 * range are left out: a PartialSampleError then holds the rest.
 */
export function parsePrometheusRange(text: string, file: string): PromSeries[] {
  const parsed = QueryResponse.safeParse(jsonOf(text, file));
  if (!parsed.success) throw new SampleError('not a Prometheus query API response', file);
  const response = parsed.data;
  if (response.status === 'error') {
    const kind = response.errorType ? ` (${response.errorType})` : '';
    throw new SampleError(`Prometheus API error${kind}: ${response.error ?? 'no error text'}`, file);
  }
  const { data } = response;
  const dropped: Dropped = { count: 0, first: null };
  let series: PromSeries[];
  if (data.resultType === 'scalar') series = [seriesOf({}, [data.result], dropped)];
  else if (data.resultType === 'vector') {
    series = data.result.map((entry) => seriesOf(entry.metric, [entry.value], dropped));
  } else series = data.result.map((entry) => seriesOf(entry.metric, entry.values, dropped));
  if (dropped.count > 0) {
    const what = dropped.count === 1 ? '1 point' : `${dropped.count.toLocaleString('en-US')} points`;
    throw new PartialSampleError(
      `${what} with a time or value out of range left out (first: ${dropped.first})`,
      file,
      series,
    );
  }
  return series;
}

/** Reads `prometheus-queries/index.json`: for each saved file's stem, its PromQL and time range. */
export function parsePrometheusIndex(text: string, file: string): Record<string, PromQueryInfo> {
  const parsed = QueryIndex.safeParse(jsonOf(text, file));
  if (!parsed.success) {
    throw new SampleError('not a query index: expected { "<name>": { "query": "..." } }', file);
  }
  const index: Record<string, PromQueryInfo> = {};
  for (const [stem, entry] of Object.entries(parsed.data)) {
    const timeOf = (unixSec: number | undefined): number | null =>
      unixSec !== undefined && isSampleTime(unixSec * 1000) ? unixSec * 1000 : null;
    index[stem] = {
      query: entry.query,
      startMs: timeOf(entry.start),
      endMs: timeOf(entry.end),
      step: entry.step ?? null,
    };
  }
  return index;
}

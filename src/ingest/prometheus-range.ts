import { z } from 'zod';
import { SampleError } from '../errors.ts';
import { promNumber } from './prometheus-text.ts';
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
    const reason = error instanceof Error ? error.message : String(error);
    throw new SampleError(`not JSON (${reason})`, file);
  }
}

function seriesOf(metric: Record<string, string>, points: z.infer<typeof Point>[]): PromSeries {
  return {
    labels: metric,
    timesMs: points.map(([unixSec]) => Math.round(unixSec * 1000)),
    values: points.map(([, value]) => promNumber(value)),
  };
}

/**
 * Reads a Prometheus HTTP API query response (`/api/v1/query_range`, also `/api/v1/query`) into one
 * series per result. An empty `result` (the metric does not exist) is no series, not an error; an
 * API error becomes a SampleError with the API's own text.
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
  if (data.resultType === 'scalar') return [seriesOf({}, [data.result])];
  if (data.resultType === 'vector') return data.result.map((entry) => seriesOf(entry.metric, [entry.value]));
  return data.result.map((entry) => seriesOf(entry.metric, entry.values));
}

/** Reads `prometheus-queries/index.json`: for each saved file's stem, its PromQL and time range. */
export function parsePrometheusIndex(text: string, file: string): Record<string, PromQueryInfo> {
  const parsed = QueryIndex.safeParse(jsonOf(text, file));
  if (!parsed.success) {
    throw new SampleError('not a query index: expected { "<name>": { "query": "..." } }', file);
  }
  const index: Record<string, PromQueryInfo> = {};
  for (const [stem, entry] of Object.entries(parsed.data)) {
    index[stem] = {
      query: entry.query,
      startMs: entry.start === undefined ? null : entry.start * 1000,
      endMs: entry.end === undefined ? null : entry.end * 1000,
      step: entry.step ?? null,
    };
  }
  return index;
}

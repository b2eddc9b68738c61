import { z } from 'zod';
import { SubjectKind, Unit } from './common.ts';
import { columnsFromPoints, pointsFromColumns } from './series-columns.ts';

/**
 * fleetlens's own metric names. Adapters map provider metrics onto these; rules read only these.
 * Rates are per second whatever the provider's period (a CloudWatch Sum is divided by the period).
 */
export const MetricName = z.enum([
  'cpu.util', // percent of the instance's vCPUs, period average
  'cpu.util.max', // percent, maximum within the period (Compute Optimizer sizes on this)
  'cpu.iowait', // percent (agent)
  'cpu.steal', // percent (agent)
  'mem.used', // percent (agent)
  'cpu.credit.balance', // credits, period minimum
  'cpu.credit.usage', // credits per period
  'cpu.credit.surplus', // credits, surplus balance of unlimited mode
  'disk.read.ops', // ops/s
  'disk.write.ops', // ops/s
  'disk.read.bytes', // bytes/s
  'disk.write.bytes', // bytes/s
  'disk.queue', // average queue length
  'disk.latency', // milliseconds per I/O, period average (GCP average_io_latency)
  'disk.busy', // percent of the period the volume was busy (1 - idle time / period)
  'disk.burst.balance', // percent, period minimum
  'net.in.bytes', // bytes/s
  'net.out.bytes', // bytes/s
  'net.in.packets', // packets/s
  'net.out.packets', // packets/s
  'group.desired', // instances
  'group.in-service', // instances
]);
export type MetricName = z.infer<typeof MetricName>;

/**
 * One metric of one subject as columns (series-columns.ts): the values of every step from
 * `startMs`, NaN where the provider gave no point. Each series keeps its own step (OVH answers
 * hourly, CloudWatch every 300 s).
 */
export const MetricSeries = z.object({
  subjectKind: SubjectKind,
  subjectId: z.string(),
  metric: MetricName,
  unit: Unit,
  /** Time of values[0], epoch milliseconds. */
  startMs: z.number(),
  stepSec: z.number().positive(),
  // NOTE: a custom check, not z.array(z.number()): zod would copy the values one by one into a new array.
  values: z.custom<Float64Array>((v) => v instanceof Float64Array, 'expected a Float64Array'),
  /** The provider metric behind it, as a reader would find it in the console. */
  source: z.string(),
});
export type MetricSeries = z.infer<typeof MetricSeries>;

/**
 * A series as JSON (artifacts.json): its present points as [epochMs, value] pairs ascending by
 * time, the form series were in before they became columns. Converted at that boundary only.
 */
export const MetricSeriesJson = MetricSeries.omit({ startMs: true, values: true }).extend({
  points: z.array(z.tuple([z.number(), z.number()])),
});
export type MetricSeriesJson = z.infer<typeof MetricSeriesJson>;

export function seriesToJson(series: MetricSeries): MetricSeriesJson {
  const { startMs: _start, values: _values, ...meta } = series;
  return { ...meta, points: pointsFromColumns(series) };
}

export function seriesFromJson(json: MetricSeriesJson): MetricSeries {
  const { points, ...meta } = json;
  return { ...meta, ...columnsFromPoints(points, json.stepSec) };
}

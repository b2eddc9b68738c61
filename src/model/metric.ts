import { z } from 'zod';
import { SubjectKind, Unit } from './common.ts';

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

export const MetricSeries = z.object({
  subjectKind: SubjectKind,
  subjectId: z.string(),
  metric: MetricName,
  unit: Unit,
  stepSec: z.number().positive(),
  /** [epochMs, value] ascending by time. */
  points: z.array(z.tuple([z.number(), z.number()])),
  /** The provider metric behind it, as a reader would find it in the console. */
  source: z.string(),
});
export type MetricSeries = z.infer<typeof MetricSeries>;

// Linode's only per-instance metrics API in the v4 reference: GET /v4/linode/instances/{id}/stats/{year}/{month},
// every built-in series of one Linode for one calendar month (UTC) at 5-minute averages. One call
// per running Linode per month the window touches, the current month included (providers.md §6),
// so a 14-day window costs one or two calls per Linode, at 50 /stats calls per minute.
//
// What the series are (OpenAPI 4.189.0, `/stats`; units converted here):
// - cpu: percent where 100 % is ONE core (a 2-vCPU Linode peaks at 200 %; the `alerts.cpu`
//   description: "total CPU capacity is represented as 100%, multiplied by its number of cores").
//   Divided by the Linode's vCPUs, it becomes percent of the instance, as CloudWatch reports it.
// - io.io: disk I/O in blocks/s, no read/write split (the reference calls it "Block/s written";
//   `alerts.io` calls the same figure "disk IO operations per second"). Reported as
//   disk.write.ops with that caveat in `source`; io.swap (swap blocks/s) has no metric of ours.
// - netv4/netv6 in, out, private_in, private_out: bits/s; public + private, IPv4 + IPv6, ÷ 8.

import type { LinodeConfig } from '../../src/config/schema.ts';
import type { Gap, Host, MetricName, MetricSeries, Unit } from '../../src/model/index.ts';
import { columnsFromPoints } from '../../src/model/series-columns.ts';
import type { Collected, Inventory, MetricWindow, ProviderContext } from '../types.ts';
import type { LinodeClient } from './clients.ts';
import { ACCOUNT, toGap } from './inventory.ts';
import { LinodeStats } from './schema.ts';

/** Linode's stats granularity: 5-minute averages. */
export const NATIVE_STEP_SEC = 300;

export interface StatsMonth {
  year: number;
  /** 1-12 */
  month: number;
}

/** Calendar months (UTC) the window touches, oldest first. */
export function monthsTouched(window: Pick<MetricWindow, 'fromMs' | 'toMs'>): StatsMonth[] {
  const months: StatsMonth[] = [];
  const from = new Date(window.fromMs);
  const last = new Date(Math.max(window.fromMs, window.toMs - 1));
  let year = from.getUTCFullYear();
  let month = from.getUTCMonth();
  while (year < last.getUTCFullYear() || (year === last.getUTCFullYear() && month <= last.getUTCMonth())) {
    months.push({ year, month: month + 1 });
    month += 1;
    if (month === 12) {
      year += 1;
      month = 0;
    }
  }
  return months;
}

/** providers.md §6: one /stats/{year}/{month} call per running Linode per month touched. */
export function minimumStatsCalls(instances: number, window: MetricWindow): number {
  return instances * monthsTouched(window).length;
}

type Points = [number, number][];

export async function fetchMetrics(
  ctx: ProviderContext<LinodeConfig>,
  client: LinodeClient,
  inventory: Inventory,
): Promise<Gap[]> {
  const hosts = inventory.hosts.filter((host) => host.state === 'running');
  ctx.observe('metric-instances', ACCOUNT, hosts.length);
  // Per Linode: CPU (mean and highest), disk I/O, network in and out.
  ctx.expectSeries(hosts.length * 5);
  const months = monthsTouched(ctx.window);
  const gaps = await Promise.all(
    hosts.map(async (host) => {
      const { value, gaps } = await fetchHost(ctx, client, host, months);
      ctx.emitSeries(value);
      return gaps;
    }),
  );
  return gaps.flat();
}

async function fetchHost(
  ctx: ProviderContext<LinodeConfig>,
  client: LinodeClient,
  host: Host,
  months: readonly StatsMonth[],
): Promise<Collected<MetricSeries[]>> {
  const gaps: Gap[] = [];
  const answers = await Promise.all(
    months.map(async ({ year, month }) => {
      const operation = 'linode.getLinodeStatsByDate';
      try {
        const body = await ctx.call({ bucket: 'linode.stats', operation }, (signal) =>
          client.run(operation, signal, () =>
            client.api.getLinodeStatsByDate(Number(host.id), String(year), String(month)),
          ),
        );
        const parsed = LinodeStats.safeParse(body);
        if (!parsed.success) {
          gaps.push({
            provider: 'linode',
            what: `metrics of ${host.name} (${host.id}), ${year}-${String(month).padStart(2, '0')}`,
            kind: 'bad-response',
            operation,
            scope: ACCOUNT,
            message: `linode ${operation}: bad-response: answered a body without data {cpu, io, netv4, netv6}`,
          });
          return undefined;
        }
        return parsed.data;
      } catch (error) {
        gaps.push(
          toGap(error, `metrics of ${host.name} (${host.id}), ${year}-${String(month).padStart(2, '0')}`),
        );
        return undefined;
      }
    }),
  );
  const stats = answers.filter((answer) => answer !== undefined);
  if (stats.length === 0) return { value: [], gaps };
  return { value: toSeries(host, stats, ctx.window, gaps), gaps };
}

/** The months' answers for one Linode as our series, clipped to the window and resampled to its step. */
export function toSeries(
  host: Host,
  stats: readonly LinodeStats[],
  window: MetricWindow,
  gaps: Gap[] = [],
): MetricSeries[] {
  const merged = (pick: (s: LinodeStats['data']) => Points) =>
    clip(
      stats.flatMap((s) => pick(s.data)),
      window,
    );
  const stepSec = Math.max(window.stepSec, NATIVE_STEP_SEC);
  const series: MetricSeries[] = [];
  const add = (
    metric: MetricName,
    unit: Unit,
    points: Points,
    source: string,
    how: 'mean' | 'max' = 'mean',
  ) => {
    const resampled = resample(points, stepSec, how);
    if (resampled.length > 0)
      series.push({
        subjectKind: 'host',
        subjectId: host.id,
        metric,
        unit,
        ...columnsFromPoints(resampled, stepSec),
        source,
      });
  };

  const cpu = merged((d) => d.cpu);
  if (host.vcpu) {
    const vcpu = host.vcpu;
    const pct = cpu.map(([t, v]) => [t, v / vcpu] as [number, number]);
    const of = `cpu ÷ ${vcpu} vCPU (Linode: 100 % = one core)`;
    add('cpu.util', 'percent', pct, `Linode /stats ${of}, 5-min average`);
    // NOTE: within a 5-minute point the maximum is that point, as CloudWatch's Maximum is on
    // basic monitoring; over a longer step it is the highest 5-minute average.
    add('cpu.util.max', 'percent', pct, `Linode /stats ${of}, highest 5-min average per ${stepSec} s`, 'max');
  } else if (cpu.length > 0) {
    gaps.push({
      provider: 'linode',
      what: `CPU of ${host.name} (${host.id})`,
      kind: 'insufficient-data',
      message: `linode: the vCPU count of type ${host.instanceType} is unknown, so Linode's CPU percent (100 % = one core) cannot be read as percent of the instance`,
    });
  }
  add(
    'disk.write.ops',
    'ops-per-second',
    merged((d) => d.io.io),
    'Linode /stats io.io, blocks/s (reads and writes together, no split)',
  );
  // Each field merged over the months first (deduplicated), then the fields added per timestamp.
  const sumOf = (picks: ((d: LinodeStats['data']) => Points)[]): Points => {
    const total = new Map<number, number>();
    for (const pick of picks) for (const [t, v] of merged(pick)) total.set(t, (total.get(t) ?? 0) + v);
    return [...total].sort((a, b) => a[0] - b[0]);
  };
  const toBytes = (points: Points): Points => points.map(([t, v]) => [t, v / 8]);
  add(
    'net.in.bytes',
    'bytes-per-second',
    toBytes(
      sumOf([(d) => d.netv4.in, (d) => d.netv4.private_in, (d) => d.netv6.in, (d) => d.netv6.private_in]),
    ),
    'Linode /stats netv4+netv6 in + private_in, bits/s ÷ 8',
  );
  add(
    'net.out.bytes',
    'bytes-per-second',
    toBytes(
      sumOf([(d) => d.netv4.out, (d) => d.netv4.private_out, (d) => d.netv6.out, (d) => d.netv6.private_out]),
    ),
    'Linode /stats netv4+netv6 out + private_out, bits/s ÷ 8',
  );
  return series;
}

/** Points inside the window, ascending, one per timestamp (months may overlap: the current month's answer can reach back). */
function clip(points: Points, window: MetricWindow): Points {
  // One month's answer is already ascending and unique: only the window's edges are cut.
  let ascending = true;
  for (let i = 1; i < points.length && ascending; i++) ascending = points[i - 1]![0] < points[i]![0];
  if (ascending) return points.filter(([t]) => t >= window.fromMs && t < window.toMs);
  const byTime = new Map<number, number>();
  for (const [t, v] of points) if (t >= window.fromMs && t < window.toMs) byTime.set(t, v);
  return [...byTime].sort((a, b) => a[0] - b[0]);
}

/** Buckets on the step's boundaries: the mean (or max) of the 5-minute points in each. */
function resample(points: Points, stepSec: number, how: 'mean' | 'max'): Points {
  if (stepSec === NATIVE_STEP_SEC) return points;
  const stepMs = stepSec * 1000;
  const buckets = new Map<number, number[]>();
  for (const [t, v] of points) {
    const start = Math.floor(t / stepMs) * stepMs;
    const list = buckets.get(start) ?? [];
    list.push(v);
    buckets.set(start, list);
  }
  return [...buckets]
    .sort((a, b) => a[0] - b[0])
    .map(([t, values]) => [
      t,
      how === 'max' ? Math.max(...values) : values.reduce((sum, v) => sum + v, 0) / values.length,
    ]);
}

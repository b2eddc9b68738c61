// Instance monitoring: one `GET /cloud/project/{sn}/instance/{id}/monitoring?period=&type=` per
// running instance and type (providers.md §4.1 and §6; the API takes one type per call and no
// time range, only a period enum). The server picks the granularity; points outside the window are
// dropped and the rest are grouped into the window's step where OVH's samples are finer.
// Units: the conversion follows each answer's own `unit`; cpu and memory are ratios used/max, so
// they do not depend on whether OVH counts in %, MHz or MB. No disk, iowait, steal or packets exist.

import type { OvhConfig } from '../../src/config/schema.ts';
import { ProviderError } from '../../src/errors.ts';
import type { Gap, Host, MetricName, MetricSeries, Unit } from '../../src/model/index.ts';
import { columnsFromPoints } from '../../src/model/series-columns.ts';
import type { Collected, Inventory, MetricWindow, ProviderContext } from '../types.ts';
import { type OvhClientHandle, request } from './clients.ts';
import { BUCKET, type OvhInventoryState, toGap } from './inventory.ts';
import { OvhInstanceMetrics, OvhMetricValue } from './schema.ts';

/** cloud.instance.MetricsTypeEnum, in the legacy 1.0 schema. */
export const METRIC_TYPES = ['cpu:used', 'cpu:max', 'mem:used', 'mem:max', 'net:rx', 'net:tx'] as const;
export type OvhMetricType = (typeof METRIC_TYPES)[number];

/** cloud.instance.MetricsPeriodEnum ('today' is a subset of 'lastday'), shortest first. */
const PERIODS: [string, number][] = [
  ['lastday', 86_400_000],
  ['lastweek', 7 * 86_400_000],
  ['lastmonth', 30 * 86_400_000],
  ['lastyear', 365 * 86_400_000],
];

/** The shortest period enum that reaches back to the window's start. */
export function periodFor(window: MetricWindow, apiNowMs: number): string {
  const needMs = Math.max(window.toMs, apiNowMs) - window.fromMs;
  return (PERIODS.find(([, spanMs]) => spanMs >= needMs) ?? PERIODS[PERIODS.length - 1]!)[0];
}

export function minimumMetricCalls(activeInstances: number): number {
  return activeInstances * METRIC_TYPES.length;
}

interface RawSeries {
  unit: string;
  points: [number, number][];
}

export async function fetchMetrics(
  ctx: ProviderContext<OvhConfig>,
  handle: OvhClientHandle,
  state: OvhInventoryState,
  inventory: Inventory,
): Promise<Gap[]> {
  const hosts = inventory.hosts.filter((host) => host.state === 'running' && state.projectOf.has(host.id));
  // Per instance: CPU (mean and highest), memory, network in and out.
  ctx.expectSeries(hosts.length * 5);
  const period = periodFor(ctx.window, Date.now() + state.apiOffsetMs);
  const gaps = await Promise.all(
    hosts.map(async (host) => {
      const { value, gaps } = await fetchHost(ctx, handle, state, host, period);
      ctx.emitSeries(value);
      return gaps;
    }),
  );
  return gaps.flat();
}

async function fetchHost(
  ctx: ProviderContext<OvhConfig>,
  handle: OvhClientHandle,
  state: OvhInventoryState,
  host: Host,
  period: string,
): Promise<Collected<MetricSeries[]>> {
  const project = state.projectOf.get(host.id)!;
  const failures: { type: OvhMetricType; error: ProviderError }[] = [];
  const raw = new Map<OvhMetricType, RawSeries>();
  await Promise.all(
    METRIC_TYPES.map(async (type) => {
      try {
        const body = await ctx.call(
          { bucket: BUCKET, operation: 'cloud.monitoring', scope: project },
          (signal) =>
            request<unknown>(
              handle,
              '/cloud/project/{serviceName}/instance/{instanceId}/monitoring',
              { serviceName: project, instanceId: host.id, period, type },
              signal,
            ),
        );
        raw.set(type, parseSeries(body, ctx.window));
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        failures.push({ type, error });
      }
    }),
  );
  const { series, problems } = toSeries(host.id, raw, ctx.window, period);
  const gaps: Gap[] = [];
  if (failures.length > 0) {
    const first = failures[0]!.error;
    const types = failures.map((f) => f.type).sort();
    gaps.push(toGap(first, `metrics of ${host.name} (${types.join(', ')})`, project));
  }
  if (problems.length > 0) {
    gaps.push({
      provider: 'ovh',
      what: `metrics of ${host.name}`,
      kind: 'bad-response',
      operation: 'cloud.monitoring',
      scope: project,
      message: `ovh cloud.monitoring (${project}): ${problems.join('; ')}`,
    });
  }
  return { value: series, gaps };
}

function parseSeries(body: unknown, window: MetricWindow): RawSeries {
  const parsed = OvhInstanceMetrics.safeParse(body);
  if (!parsed.success) {
    throw new ProviderError('ovh', 'bad-response', 'cloud.monitoring', 'the answer has no unit and values');
  }
  const points: [number, number][] = [];
  for (const entry of parsed.data.values) {
    const value = OvhMetricValue.safeParse(entry);
    if (!value.success) continue;
    // NOTE: timestamps are epoch seconds (cloud.instance.InstanceMetricsValue.timestamp is a long).
    const timeMs = value.data.timestamp * 1000;
    if (timeMs >= window.fromMs && timeMs < window.toMs && Number.isFinite(value.data.value)) {
      points.push([timeMs, value.data.value]);
    }
  }
  return { unit: parsed.data.unit, points: points.sort((a, b) => a[0] - b[0]) };
}

/** Bytes per second in one of a unit, for the units a network rate may come in; undefined if unknown. */
export function bytesPerSecondIn(unit: string): number | undefined {
  const table: Record<string, number> = {
    'B/s': 1,
    'bytes/s': 1,
    'byte/s': 1,
    Bps: 1,
    'KB/s': 1e3,
    'KiB/s': 1024,
    'MB/s': 1e6,
    'MiB/s': 1024 ** 2,
    'bit/s': 1 / 8,
    'bits/s': 1 / 8,
    'b/s': 1 / 8,
    bps: 1 / 8,
    'kbit/s': 1e3 / 8,
    Kbps: 1e3 / 8,
    kbps: 1e3 / 8,
    'Mbit/s': 1e6 / 8,
    Mbps: 1e6 / 8,
  };
  return table[unit.trim()];
}

interface Derived {
  metric: MetricName;
  unit: Unit;
  points: [number, number][];
  reduce: 'mean' | 'max';
  source: string;
}

export function toSeries(
  hostId: string,
  raw: ReadonlyMap<OvhMetricType, RawSeries>,
  window: MetricWindow,
  period: string,
): { series: MetricSeries[]; problems: string[] } {
  const problems: string[] = [];
  const derived: Derived[] = [];
  const cpu = ratio(raw.get('cpu:used'), raw.get('cpu:max'));
  if (cpu) {
    const source = `cpu:used / cpu:max × 100 (period=${period})`;
    derived.push({ metric: 'cpu.util', unit: 'percent', points: cpu, reduce: 'mean', source });
    derived.push({
      metric: 'cpu.util.max',
      unit: 'percent',
      points: cpu,
      reduce: 'max',
      source: `highest sample of cpu:used / cpu:max × 100 in each period (period=${period}; OVH gives no within-sample maximum)`,
    });
  }
  const mem = ratio(raw.get('mem:used'), raw.get('mem:max'));
  if (mem) {
    const source = `mem:used / mem:max × 100 (period=${period})`;
    derived.push({ metric: 'mem.used', unit: 'percent', points: mem, reduce: 'mean', source });
  }
  for (const [type, metric] of [
    ['net:rx', 'net.in.bytes'],
    ['net:tx', 'net.out.bytes'],
  ] as const) {
    const series = raw.get(type);
    if (!series || series.points.length === 0) continue;
    const factor = bytesPerSecondIn(series.unit);
    if (factor === undefined) {
      problems.push(
        `${type} of ${hostId} came in unit '${series.unit.slice(0, 20)}', which fleetlens does not read`,
      );
      continue;
    }
    derived.push({
      metric,
      unit: 'bytes-per-second',
      points: series.points.map(([t, v]) => [t, v * factor]),
      reduce: 'mean',
      source: `${type} in ${series.unit} (period=${period})`,
    });
  }
  const series = derived.flatMap((d) => {
    if (d.points.length === 0) return [];
    const stepSec = stepOf(d.points, window.stepSec);
    return [
      {
        subjectKind: 'host' as const,
        subjectId: hostId,
        metric: d.metric,
        unit: d.unit,
        ...columnsFromPoints(regroup(d.points, stepSec, d.reduce), stepSec),
        source: `OVH monitoring: ${d.source}, ${stepSec} s`,
      } satisfies MetricSeries,
    ];
  });
  return { series, problems };
}

/** used / max × 100 joined on the timestamp; needs both (a ratio of the same unit). */
function ratio(used: RawSeries | undefined, max: RawSeries | undefined): [number, number][] | undefined {
  if (!used || !max || used.points.length === 0) return undefined;
  const capacity = new Map(max.points);
  const points: [number, number][] = [];
  for (const [t, value] of used.points) {
    const cap = capacity.get(t);
    if (cap !== undefined && cap > 0) points.push([t, Math.min(100, Math.max(0, (value / cap) * 100))]);
  }
  return points.length > 0 ? points : undefined;
}

/** The window's step, or OVH's own sample interval when that is coarser (whole minutes). */
export function stepOf(points: readonly [number, number][], requestedSec: number): number {
  if (points.length < 3) return requestedSec;
  const gaps = points
    .slice(1)
    .map(([t], i) => (t - points[i]![0]) / 1000)
    .sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)]!;
  return median > requestedSec ? Math.max(60, Math.round(median / 60) * 60) : requestedSec;
}

/** Groups samples into step-aligned periods: their mean, or their highest value. */
export function regroup(
  points: readonly [number, number][],
  stepSec: number,
  reduce: 'mean' | 'max',
): [number, number][] {
  const stepMs = stepSec * 1000;
  const groups = new Map<number, number[]>();
  for (const [t, v] of points) {
    const start = Math.floor(t / stepMs) * stepMs;
    const list = groups.get(start) ?? [];
    list.push(v);
    groups.set(start, list);
  }
  return [...groups]
    .sort((a, b) => a[0] - b[0])
    .map(([t, values]) => [
      t,
      reduce === 'max' ? Math.max(...values) : values.reduce((a, b) => a + b, 0) / values.length,
    ]);
}

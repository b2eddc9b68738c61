// `fleetlens history` for one host or finding: its headline numbers over runs, as a terminal
// sparkline (the report's own, reports/markdown/sparkline.ts) and as a JSON series. Pure.
import { sparkline } from '../../reports/markdown/sparkline.ts';
import { formatValue } from '../../reports/markdown/units.ts';
import type { Unit } from '../model/index.ts';
import type { FindingTrend, HostTrend } from '../store/types.ts';

export interface TrendSeries {
  label: string;
  unit: Unit;
  /** Oldest first: `[ISO time, value]`, null where the run had no number. */
  points: [string, number | null][];
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

export function hostSeries(trend: HostTrend): TrendSeries[] {
  const series = (label: string, pick: (p: HostTrend['points'][number]) => number | null): TrendSeries => ({
    label,
    unit: 'percent',
    points: trend.points.map((p) => [iso(p.startedAtMs), pick(p)]),
  });
  return [
    series('CPU p95', (p) => p.cpuP95Pct),
    series('CPU p99.5 of maxima', (p) => p.cpuP99_5Pct),
    series('memory peak', (p) => p.memoryPeakPct),
  ];
}

export function findingSeries(trend: FindingTrend): TrendSeries {
  const last = trend.points.at(-1);
  return {
    label: last?.label ?? 'headline',
    unit: last?.unit ?? 'count',
    points: trend.points.map((p) => [iso(p.startedAtMs), p.unit === (last?.unit ?? null) ? p.value : null]),
  };
}

/** `CPU p95  ▂▃▅█ 31 % → 88 % (4 runs)`; a series with no number says so. */
export function renderTrendLine(series: TrendSeries): string {
  const values = series.points.map(([, value]) => value);
  const known = values.filter((value): value is number => value !== null);
  if (known.length === 0) return `${series.label}: no data in ${values.length} runs`;
  const first = formatValue(known[0]!, series.unit);
  const last = formatValue(known.at(-1)!, series.unit);
  return `${series.label}  ${sparkline(values, { unit: series.unit })} ${first} → ${last} (${values.length} runs)`;
}

/** The terminal block for one host: a heading line, then one sparkline per number. */
export function renderHostTrend(trend: HostTrend): string {
  const types = [...new Set(trend.points.map((p) => p.instanceType))];
  const head = `${trend.provider} host ${trend.hostId} (${trend.name}), ${types.join(' → ')}`;
  return [head, ...hostSeries(trend).map((s) => `  ${renderTrendLine(s)}`)].join('\n');
}

export function renderFindingTrend(trend: FindingTrend): string {
  const severities = trend.points.map((p) => p.severity).filter((s, i, all) => i === 0 || s !== all[i - 1]);
  const head = `finding ${trend.findingId} (${trend.ruleId} on ${trend.subjectName ?? trend.subjectId}), ${severities.join(' → ')}`;
  return [head, `  ${renderTrendLine(findingSeries(trend))}`].join('\n');
}

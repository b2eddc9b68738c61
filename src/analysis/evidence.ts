// Builders for the evidence rules attach: writers render these kinds without knowing the rule.
import type { MetricSeries, SeriesEvidence, StatEvidence, TableEvidence, Unit } from '../model/index.ts';

type Reference = NonNullable<SeriesEvidence['reference']>;

import { pointsFromColumns } from '../model/series-columns.ts';
import { downsampleMax, percentile, stepOf, type Values } from './stats.ts';

/** Series evidence stays readable in report.json: at most this many points, max per bucket. */
export const MAX_EVIDENCE_POINTS = 336;

export function seriesEvidence(
  series: Pick<MetricSeries, 'startMs' | 'values' | 'stepSec' | 'unit' | 'source'>,
  label: string,
  reference?: Reference,
): SeriesEvidence {
  // NOTE: report.json keeps its [t, v] pairs of present points (a contract read from outside);
  // the pairs are made here, for the one series a finding shows, never for the fleet.
  return pointsSeriesEvidence({ ...series, points: pointsFromColumns(series) }, label, reference);
}

/** Series evidence from [t, v] pairs a rule computed itself (a volume's read + write load). */
export function pointsSeriesEvidence(
  series: { points: readonly [number, number][]; stepSec: number; unit: Unit; source: string },
  label: string,
  reference?: Reference,
): SeriesEvidence {
  const points = downsampleMax(series.points, MAX_EVIDENCE_POINTS);
  const stepSec =
    points.length < series.points.length
      ? Math.round((series.stepSec * series.points.length) / points.length)
      : series.stepSec;
  const downsampled = points.length < series.points.length ? `, max per ${Math.round(stepSec / 60)} min` : '';
  return {
    kind: 'series',
    label,
    unit: series.unit,
    stepSec,
    points,
    source: `${series.source}${downsampled}`,
    ...(reference ? { reference } : {}),
  };
}

/** Columnar on-host samples to a series evidence (times in ms, values aligned). */
export function sampleSeriesEvidence(
  label: string,
  timesMs: readonly number[],
  values: readonly number[],
  unit: Unit,
  source: string,
  reference?: Reference,
): SeriesEvidence {
  const points = timesMs
    .map((t, i) => [t, values[i] ?? Number.NaN] as [number, number])
    .filter(([t]) => Number.isFinite(t))
    .map(([t, v]) => [t, Number.isFinite(v) ? v : null] as [number, number | null]);
  const stepSec = points.length >= 2 ? Math.max(1, Math.round((points[1]![0] - points[0]![0]) / 1000)) : 1;
  const down = downsampleMax(points, MAX_EVIDENCE_POINTS);
  return {
    kind: 'series',
    label,
    unit,
    stepSec: down.length < points.length ? Math.round((stepSec * points.length) / down.length) : stepSec,
    points: down,
    source,
    ...(reference ? { reference } : {}),
  };
}

/** What each CPU series is, in the words every label of its figures uses (finding, sizing, host table). */
export const CPU_SERIES_WORDS = {
  'cpu.util': 'per-period CPU averages',
  'cpu.util.max': 'per-period CPU maxima',
} as const;

/** "P99.5 of per-period CPU maxima": a CPU percentile always says which series it is of. */
export function cpuPercentileLabel(metric: keyof typeof CPU_SERIES_WORDS, pct: number): string {
  return `P${pct} of ${CPU_SERIES_WORDS[metric]}`;
}

export function percentileStat(
  label: string,
  values: Values,
  pct: number,
  unit: Unit,
  stepSec: number,
): StatEvidence {
  return {
    kind: 'stat',
    label,
    value: percentile(values, pct) ?? null,
    unit,
    // NOTE: values read with `values()` carry their series' own step; it wins over the caller's.
    method: `nearest-rank P${pct} of ${values.length} points at ${stepOf(values) ?? stepSec} s`,
  };
}

export function stat(label: string, value: number | null, unit: Unit, method?: string): StatEvidence {
  return { kind: 'stat', label, value, unit, ...(method ? { method } : {}) };
}

export function table(
  label: string,
  columns: TableEvidence['columns'],
  rows: TableEvidence['rows'],
): TableEvidence {
  return { kind: 'table', label, columns, rows };
}

// Charts as Vega-Lite specs rendered to SVG in Node by vega's View.toSVG() (no browser, no canvas).
// Every spec carries its data inline; the View gets a loader that refuses every load, so a chart can
// never reach the network or the disk, and each SVG is checked for external references before use.
import { parse as parseVega, View, logger as vegaLogger, Warn } from 'vega';
import { compile as compileVegaLite, type TopLevelSpec } from 'vega-lite';
import type { SeriesEvidence, Unit } from '../../src/model/index.ts';
import { bucketExtreme, type Extreme, excursionExtreme } from '../markdown/downsample.ts';
import { chartScale, formatValue } from '../markdown/units.ts';
import { oneLine } from './escape.ts';

/** A Vega-Lite spec as plain JSON; vega-lite's compile validates it (its types cannot follow dynamic layers). */
export type VegaLiteJson = Record<string, unknown>;

/** A chart to draw: the Vega-Lite spec and the sentence that stands for it where pictures are not seen. */
export interface ChartSpec {
  spec: VegaLiteJson;
  description: string;
}

/** More points than this are bucketed (max and min per bucket both kept): a plot is 640 px wide. */
export const CHART_MAX_POINTS = 480;
/** Cells per CPU row of a heat strip. */
export const HEAT_STRIP_MAX_CELLS = 160;

const CHART_WIDTH_PX = 640;
const SERIES_HEIGHT_PX = 150;
const HEAT_ROW_PX = 14;
const CEILING_ROW_PX = 22;

// Colours readable on the light and the dark page alike; axis and text colours are set by the page's CSS.
const LINE_COLOR = '#3b82f6';
const BAND_COLOR = '#3b82f6';
const REFERENCE_COLOR = '#e0592a';
const BREACH_COLOR = '#e5484d';
const CAPTURE_COLOR = '#8e4ec6';

const BASE_CONFIG = {
  // NOTE: the page gives each SVG role="img" and a label; vega's own aria text would only repeat it.
  aria: false,
  background: null,
  font: 'system-ui, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 10, titleFontSize: 11, titleFontWeight: 'normal', gridOpacity: 0.6 },
  axisX: { grid: false },
  legend: { labelFontSize: 10, titleFontSize: 11 },
} as const;

// NOTE: a utc scale, or vega formats the time axis in the machine's time zone and the report changes with it.
const timeX = (field: string, title: string | null = null) => ({
  field,
  type: 'temporal' as const,
  scale: { type: 'utc' as const },
  title,
});

/** Text from a result as it may appear inside a chart: on one line, no hidden controls. */
export function chartText(text: string): string {
  // NOTE: vega escapes markup in its text but keeps control and bidi characters, which can disguise a name.
  return oneLine(text);
}

export class ChartError extends Error {
  override name = 'ChartError';
}

// ------------------------------------------------------------------------------------------------ series

interface SeriesRow {
  t: number;
  v: number | null;
  lo?: number | null;
  hi?: number | null;
}

export interface SeriesChartData {
  rows: SeriesRow[];
  /** True when the series was bucketed: `v` is the bucket's extreme, `lo`/`hi` its range. */
  bucketed: boolean;
  extreme: Extreme;
  bucketSec: number;
}

/**
 * The points a series chart draws: as they are up to CHART_MAX_POINTS, else per bucket the extreme the
 * evidence cares about as the line (max, or min where trouble lies below the reference) and both the
 * min and the max as a band, so no spike or dip is averaged away.
 */
export function seriesChartData(series: SeriesEvidence, maxPoints = CHART_MAX_POINTS): SeriesChartData {
  const extreme = excursionExtreme(series.reference);
  const points = series.points;
  if (points.length <= maxPoints) {
    return {
      rows: points.map(([t, v]) => ({ t, v: v !== null && Number.isFinite(v) ? v : null })),
      bucketed: false,
      extreme,
      bucketSec: series.stepSec,
    };
  }
  const values = points.map(([, v]) => v);
  const highs = bucketExtreme(values, maxPoints, 'max');
  const lows = bucketExtreme(values, maxPoints, 'min');
  // Bucket i covers [floor(i·n/b), floor((i+1)·n/b)): the same bounds bucketExtreme uses.
  const count = highs.length;
  const rows = highs.map((hi, index) => {
    const first = points[Math.floor((index * points.length) / count)];
    const lo = lows[index] ?? null;
    return { t: first?.[0] ?? 0, v: extreme === 'max' ? hi : lo, lo, hi };
  });
  return { rows, bucketed: true, extreme, bucketSec: (series.stepSec * points.length) / count };
}

export interface TimeWindow {
  fromMs: number;
  toMs: number;
  label: string;
}

/** Stretches where the series sits on the bad side of its reference (above unless it says below). */
export function breachWindows(series: SeriesEvidence): TimeWindow[] {
  const reference = series.reference;
  if (!reference) return [];
  const bad =
    reference.bad === 'below' ? (v: number) => v <= reference.value : (v: number) => v >= reference.value;
  const stepMs = series.stepSec * 1000;
  const windows: TimeWindow[] = [];
  let open: TimeWindow | null = null;
  for (const [t, v] of series.points) {
    if (v !== null && Number.isFinite(v) && bad(v)) {
      if (open && t <= open.toMs) open.toMs = t + stepMs;
      else {
        open = { fromMs: t, toMs: t + stepMs, label: reference.label };
        windows.push(open);
      }
    } else open = null;
  }
  return windows;
}

function finiteValues(series: SeriesEvidence): number[] {
  return series.points.flatMap(([, v]) => (v !== null && Number.isFinite(v) ? [v] : []));
}

function extent(values: readonly number[]): [number, number] | null {
  if (values.length === 0) return null;
  // NOTE: a loop, not Math.min(...values): a day of 1-second samples overflows the argument list.
  let lo = values[0]!;
  let hi = lo;
  for (const value of values) {
    if (value < lo) lo = value;
    if (value > hi) hi = value;
  }
  return [lo, hi];
}

export interface SeriesChartOptions {
  /** An on-host capture (or any window the reader should see) shaded on the time axis. */
  window?: TimeWindow;
}

/** Null when the series has no finite value to draw. */
export function seriesChart(series: SeriesEvidence, options: SeriesChartOptions = {}): ChartSpec | null {
  const values = finiteValues(series);
  const range = extent(values);
  if (!range) return null;
  const reference = series.reference;
  const maxAbs = Math.max(Math.abs(range[0]), Math.abs(range[1]), Math.abs(reference?.value ?? 0));
  const scale = chartScale(series.unit, maxAbs);
  const scaled = (v: number | null | undefined) =>
    v === null || v === undefined ? null : Math.round((v / scale.divisor) * 1e4) / 1e4;
  const data = seriesChartData(series);
  const rows = data.rows.map((row) => ({
    t: row.t,
    v: scaled(row.v),
    ...(data.bucketed ? { lo: scaled(row.lo), hi: scaled(row.hi) } : {}),
  }));
  const firstMs = series.points[0]?.[0] ?? 0;
  const lastMs = (series.points[series.points.length - 1]?.[0] ?? 0) + series.stepSec * 1000;
  // NOTE: the label is in the figure's caption; a long rotated axis title would make the chart taller than its plot.
  const yTitle = scale.symbol;
  const yDomainMax =
    series.unit === 'percent'
      ? Math.max(100, scaled(range[1]) ?? 0, scaled(reference?.value) ?? 0)
      : Math.max(scaled(range[1]) ?? 0, scaled(reference?.value) ?? 0);
  const yDomainMin = Math.min(0, scaled(range[0]) ?? 0, scaled(reference?.value) ?? 0);
  const y = {
    field: 'v',
    type: 'quantitative' as const,
    title: yTitle,
    scale: { domain: [yDomainMin, yDomainMax === yDomainMin ? yDomainMin + 1 : yDomainMax], nice: true },
  };
  const spanMs = Math.max(1, lastMs - firstMs);
  const minShadeMs = spanMs / 300;
  const shade = (windows: readonly TimeWindow[]) =>
    windows.map((w) => ({ from: w.fromMs, to: Math.max(w.toMs, w.fromMs + minShadeMs) }));
  const breaches = shade(breachWindows(series));
  const capture =
    options.window && options.window.toMs >= firstMs && options.window.fromMs <= lastMs
      ? shade([options.window])
      : [];
  const layers: unknown[] = [];
  if (breaches.length > 0) {
    layers.push({
      data: { values: breaches },
      mark: { type: 'rect', color: BREACH_COLOR, opacity: 0.16 },
      encoding: { x: timeX('from'), x2: { field: 'to' } },
    });
  }
  if (capture.length > 0) {
    layers.push({
      data: { values: capture },
      mark: { type: 'rect', color: CAPTURE_COLOR, opacity: 0.22 },
      encoding: { x: timeX('from'), x2: { field: 'to' } },
    });
  }
  if (data.bucketed) {
    layers.push({
      data: { values: rows },
      mark: { type: 'area', color: BAND_COLOR, opacity: 0.25 },
      encoding: { x: timeX('t'), y: { ...y, field: 'lo' }, y2: { field: 'hi' } },
    });
  }
  layers.push({
    data: { values: rows },
    mark: { type: 'line', color: LINE_COLOR, strokeWidth: 1.25, clip: true },
    encoding: { x: timeX('t', 'time (UTC)'), y },
  });
  if (reference) {
    const label = chartText(`${reference.label}: ${formatValue(reference.value, series.unit)}`);
    layers.push({
      data: { values: [{ y: scaled(reference.value), label }] },
      layer: [
        {
          mark: { type: 'rule', color: REFERENCE_COLOR, strokeDash: [5, 3], strokeWidth: 1.5 },
          encoding: { y: { field: 'y', type: 'quantitative' } },
        },
        {
          mark: {
            type: 'text',
            align: 'right',
            baseline: 'bottom',
            dy: -3,
            x: 'width',
            color: REFERENCE_COLOR,
          },
          encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    });
  }
  const spec = {
    width: CHART_WIDTH_PX,
    height: SERIES_HEIGHT_PX,
    config: BASE_CONFIG,
    layer: layers,
  } satisfies VegaLiteJson;
  return { spec, description: seriesDescription(series, data, range, breaches.length, capture.length > 0) };
}

function seriesDescription(
  series: SeriesEvidence,
  data: SeriesChartData,
  range: [number, number],
  breaches: number,
  captureShown: boolean,
): string {
  const format = (v: number) => formatValue(v, series.unit);
  const parts = [
    `${series.label}: min ${format(range[0])}, max ${format(range[1])} over ${series.points.length} points`,
  ];
  if (data.bucketed) parts.push(`drawn as ${data.rows.length} buckets keeping each bucket's min and max`);
  if (series.reference) {
    parts.push(`${series.reference.label} at ${format(series.reference.value)}`);
    if (breaches > 0) parts.push(`${breaches} shaded ${breaches === 1 ? 'stretch' : 'stretches'} past it`);
  }
  if (captureShown) parts.push('the on-host capture window shaded');
  return `${parts.join('; ')}.`;
}

// ---------------------------------------------------------------------------------------- heat strips

/** Several series of one kind, one per index (CPU 0, CPU 1, ...): drawn as one row each. */
export interface SeriesFamily {
  prefix: string;
  members: { index: number; series: SeriesEvidence }[];
}

const INDEXED_LABEL = /^(.*?)(\d+)(\D*)$/;

function familyKey(series: SeriesEvidence): string | null {
  const match = INDEXED_LABEL.exec(series.label);
  if (!match) return null;
  return [match[1], match[3], series.unit, series.stepSec, series.source].join('\u0000');
}

/**
 * Groups neighbouring series that differ only by a number in their label and share unit, step and
 * source (`CPU 0 busy`, `CPU 1 busy`, ...) into a family; anything else stays on its own.
 */
export function groupSeriesFamilies<T>(
  items: readonly T[],
  asSeries: (item: T) => SeriesEvidence | null,
  // NOTE: two already: a 2-vCPU host's captures (the common small VM) get the strip that names the hot CPU.
  minMembers = 2,
): ({ family: SeriesFamily } | { item: T })[] {
  const out: ({ family: SeriesFamily } | { item: T })[] = [];
  let index = 0;
  while (index < items.length) {
    const first = items[index]!;
    const series = asSeries(first);
    const key = series ? familyKey(series) : null;
    let end = index + 1;
    if (key !== null) {
      while (end < items.length) {
        const next = asSeries(items[end]!);
        if (!next || familyKey(next) !== key) break;
        end += 1;
      }
    }
    if (key !== null && end - index >= minMembers) {
      const members = items.slice(index, end).map((item) => {
        const s = asSeries(item)!;
        return { index: Number(INDEXED_LABEL.exec(s.label)?.[2] ?? 0), series: s };
      });
      const match = INDEXED_LABEL.exec(series!.label)!;
      out.push({ family: { prefix: `${match[1] ?? ''}#${match[3] ?? ''}`.trim(), members } });
      index = end;
    } else {
      out.push({ item: first });
      index += 1;
    }
  }
  return out;
}

/** One row per member, one cell per bucket (the bucket's max), coloured by value. */
export function heatStripChart(family: SeriesFamily): ChartSpec | null {
  const first = family.members[0]?.series;
  if (!first) return null;
  const rows: { row: string; order: number; from: number; to: number; v: number }[] = [];
  let hi = Number.NEGATIVE_INFINITY;
  for (const { index, series } of family.members) {
    const points = series.points;
    const cells = Math.min(HEAT_STRIP_MAX_CELLS, points.length);
    const values = bucketExtreme(
      points.map(([, v]) => v),
      cells,
      'max',
    );
    const count = values.length;
    for (const [cell, v] of values.entries()) {
      const start = Math.floor((cell * points.length) / count);
      const end = Math.floor(((cell + 1) * points.length) / count);
      const from = points[start]?.[0];
      const last = points[end - 1]?.[0];
      if (v === null || from === undefined || last === undefined) continue;
      hi = Math.max(hi, v);
      rows.push({ row: chartText(series.label), order: index, from, to: last + series.stepSec * 1000, v });
    }
  }
  if (rows.length === 0) return null;
  const domainMax = first.unit === 'percent' ? 100 : hi;
  const spec = {
    width: CHART_WIDTH_PX,
    height: HEAT_ROW_PX * family.members.length,
    config: BASE_CONFIG,
    data: { values: rows },
    mark: { type: 'rect' },
    encoding: {
      x: timeX('from', 'time (UTC)'),
      x2: { field: 'to' },
      y: { field: 'row', type: 'nominal', title: null, sort: { field: 'order', op: 'min' } },
      color: {
        field: 'v',
        type: 'quantitative',
        title: unitTitle(first.unit),
        scale: { scheme: 'inferno', domain: [0, domainMax], reverse: true },
      },
    },
  } satisfies VegaLiteJson;
  return {
    spec,
    description: `${family.prefix.replace('#', 'N')}: ${family.members.length} rows (${family.members
      .map((m) => m.series.label)
      .join(', ')}), darker is higher; max ${formatValue(hi, first.unit)}.`,
  };
}

function unitTitle(unit: Unit): string {
  return chartScale(unit, 0).symbol;
}

// ------------------------------------------------------------------------------------------ ceilings

export interface CeilingBar {
  kind: string;
  /** Demand after the event multiplier, as a share of the ceiling: 1 = exactly at it. */
  shareOfLimit: number;
  label: string;
}

/** One bar per ceiling of a pre-event unit, in percent of the ceiling, with the 100 % line. */
export function ceilingChart(subject: string, bars: readonly CeilingBar[]): ChartSpec | null {
  const rows = bars
    .filter((bar) => Number.isFinite(bar.shareOfLimit))
    .map((bar) => {
      const pct = Math.round(bar.shareOfLimit * 1000) / 10;
      return {
        kind: chartText(bar.kind),
        pct,
        label: chartText(bar.label),
        level: pct >= 100 ? 'over' : pct >= 80 ? 'near' : 'ok',
      };
    });
  if (rows.length === 0) return null;
  const xMax = Math.max(120, ...rows.map((row) => row.pct));
  const spec = {
    width: CHART_WIDTH_PX - 160,
    height: CEILING_ROW_PX * rows.length,
    config: BASE_CONFIG,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', height: CEILING_ROW_PX - 8 },
        encoding: {
          y: { field: 'kind', type: 'nominal', title: null, sort: null },
          x: {
            field: 'pct',
            type: 'quantitative',
            title: '% of the ceiling at the event peak',
            scale: { domain: [0, xMax] },
          },
          color: {
            field: 'level',
            type: 'nominal',
            legend: null,
            scale: { domain: ['ok', 'near', 'over'], range: ['#30a46c', '#f5a524', BREACH_COLOR] },
          },
        },
      },
      {
        // NOTE: named so the page's CSS gives these labels its text colour (class `ink_marks`) in both themes.
        name: 'ink',
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 },
        encoding: {
          y: { field: 'kind', type: 'nominal', sort: null },
          x: { field: 'pct', type: 'quantitative' },
          text: { field: 'label' },
        },
      },
      {
        data: { values: [{ x: 100 }] },
        mark: { type: 'rule', color: REFERENCE_COLOR, strokeDash: [5, 3], strokeWidth: 1.5 },
        encoding: { x: { field: 'x', type: 'quantitative' } },
      },
    ],
  } satisfies VegaLiteJson;
  return {
    spec,
    description: `Ceilings of ${subject} at the event peak: ${rows.map((r) => `${r.kind} ${r.pct} %`).join(', ')}.`,
  };
}

// ------------------------------------------------------------------------------------------ rendering

/** A loader that refuses everything and remembers what was asked: charts carry their data inline. */
export function refusingLoader(attempts: string[] = []) {
  const refuse = async (uri: string): Promise<never> => {
    attempts.push(uri);
    throw new ChartError(`a chart tried to load ${JSON.stringify(uri)}; charts carry their data inline`);
  };
  return {
    attempts,
    load: refuse,
    sanitize: refuse,
    http: refuse,
    file: refuse,
  };
}

// Elements that could run, embed or fetch anything, and attributes that could point outside the SVG.
const FORBIDDEN_ELEMENT =
  /^<\/?\s*(?:script|foreignObject|image|iframe|object|embed|use|a|style|link|feImage)\b/i;
const FORBIDDEN_ATTRIBUTE =
  /\s(?:on[a-z]+\s*=|(?:xlink:)?href\s*=\s*"(?!#)|style\s*=)|url\(\s*['"]?(?!#)|@import/i;

/**
 * The SVG as vega wrote it, refused when a tag refers to anything outside itself or could run code.
 * Text between tags is not checked: vega escapes it, so it cannot hold a tag.
 */
export function checkedSvg(svg: string): string {
  if (!svg.startsWith('<svg')) throw new ChartError('chart output is not an SVG document');
  for (const [tag] of svg.matchAll(/<[^>]*>/g)) {
    const hit = FORBIDDEN_ELEMENT.exec(tag) ?? FORBIDDEN_ATTRIBUTE.exec(tag);
    if (hit)
      throw new ChartError(
        `chart SVG refers outside itself or could run code: ${JSON.stringify(hit[0].trim())}`,
      );
  }
  return svg;
}

/**
 * Vega numbers clip paths and gradients with a process-wide counter: renumbered in order of appearance,
 * so the same chart gives the same bytes. The page labels each SVG as one image, so vega's per-mark
 * roles and pointer hints are dropped.
 */
export function normalizedSvg(svg: string): string {
  const ids = new Map<string, string>();
  const idFor = (id: string) => {
    let next = ids.get(id);
    if (next === undefined) {
      next = `i${ids.size + 1}`;
      ids.set(id, next);
    }
    return next;
  };
  for (const match of svg.matchAll(/\sid="([^"]+)"/g)) idFor(match[1]!);
  return svg
    .replace(/\sid="([^"]+)"/g, (_, id: string) => ` id="${idFor(id)}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${idFor(id)})`)
    .replace(/\s(?:aria-hidden|aria-roledescription|role|pointer-events)="[^"]*"/g, '');
}

/** Renders one chart to an SVG string; rejects on any vega error or load attempt. */
export async function renderChartSvg(chart: ChartSpec): Promise<string> {
  const errors: string[] = [];
  // NOTE: warnings (a null dropped from a line) are expected; an error means a broken chart.
  const handler = (_method: string, level: string, args: unknown[]) => {
    if (level === 'ERROR') errors.push(args.map(String).join(' '));
  };
  const log = vegaLogger(Warn, undefined, handler);
  const compiled = compileVegaLite(chart.spec as unknown as TopLevelSpec, { logger: log }).spec;
  const attempts: string[] = [];
  const view = new View(parseVega(compiled), {
    renderer: 'none',
    loader: refusingLoader(attempts),
    logger: vegaLogger(Warn, undefined, handler),
  });
  try {
    const svg = await view.toSVG();
    if (attempts.length > 0) throw new ChartError(`a chart tried to load ${attempts.join(', ')}`);
    if (errors.length > 0) throw new ChartError(`vega: ${errors.join('; ')}`);
    return normalizedSvg(checkedSvg(svg));
  } finally {
    view.finalize();
  }
}

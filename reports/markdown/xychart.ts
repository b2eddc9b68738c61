// A Mermaid `xychart-beta` block. `xychart-beta` rather than `xychart`: GitHub and GitLab lag
// behind Mermaid's docs (https://mermaid.js.org/syntax/xyChart); the beta keyword works since 10.5.
import type { SeriesEvidence } from '../../src/model/index.ts';
import { bucketPoints, type Extreme, excursionExtreme, type TimeBucket } from './downsample.ts';
import { chartScale, formatDurationSec, formatValue } from './units.ts';

export const XYCHART_MAX_POINTS = 50;

const DAY_MS = 86_400_000;

type LabelFormat = (iso: string) => string;

const hourMinute: LabelFormat = (iso) => iso.slice(11, 16);
const hourMinuteSecond: LabelFormat = (iso) => iso.slice(11, 19);
const monthDay: LabelFormat = (iso) => iso.slice(5, 10);
const monthDayTime: LabelFormat = (iso) => `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
const fullDate: LabelFormat = (iso) => iso.slice(0, 10);
const fullTime: LabelFormat = (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;

/**
 * Short UTC labels: times within a day, dates beyond. Mermaid's band scale merges equal
 * categories, so the coarsest format that keeps every label distinct wins.
 */
export function timeLabels(epochMs: readonly number[]): string[] {
  const isoTimes = epochMs.map((ms) => new Date(ms).toISOString());
  const spanMs = (epochMs[epochMs.length - 1] ?? 0) - (epochMs[0] ?? 0);
  const candidates =
    spanMs <= DAY_MS
      ? [hourMinute, hourMinuteSecond, fullTime]
      : spanMs <= 300 * DAY_MS
        ? [monthDay, monthDayTime, fullTime]
        : [fullDate, fullTime];
  for (const format of candidates) {
    const labels = isoTimes.map(format);
    if (new Set(labels).size === labels.length) return labels;
  }
  return isoTimes;
}

/** Mermaid text between quotes: no quotes, backticks, `#` entities, brackets or HTML. */
export function mermaidText(text: string, maxChars = 80): string {
  const plain = text
    .replace(/[^\p{L}\p{N} .,:;%/()+\-_=~']/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > maxChars ? `${plain.slice(0, maxChars - 1).trimEnd()}…` : plain;
}

function chartNumber(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 1 ? 2 : 4;
  return String(Number(value.toFixed(digits)));
}

/** Rounds an axis maximum up to 1, 2, 2.5 or 5 times a power of ten. */
function niceCeil(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((factor) => factor * power >= value) ?? 10;
  return step * power;
}

interface Point {
  epochMs: number;
  value: number;
}

function chartPoints(buckets: readonly TimeBucket[]): Point[] {
  return buckets.flatMap((bucket) =>
    bucket.value === null ? [] : [{ epochMs: bucket.fromMs, value: bucket.value }],
  );
}

function bucketText(series: SeriesEvidence, bucketCount: number, extreme: Extreme): string {
  if (series.points.length <= bucketCount) return `every ${formatDurationSec(series.stepSec)}`;
  const bucketSec = (series.stepSec * series.points.length) / bucketCount;
  return `${extreme} per ${formatDurationSec(bucketSec)}`;
}

/**
 * The chart of a series evidence, at most `maxPoints` points (max per bucket, so spikes survive;
 * min where the evidence says trouble lies below the line), with the reference drawn as a second, flat line.
 * Null when there is nothing to draw. Empty buckets are left out: the sparkline beside shows them.
 */
export function xyChart(series: SeriesEvidence, maxPoints = XYCHART_MAX_POINTS): string | null {
  const extreme = excursionExtreme(series.reference);
  const buckets = bucketPoints(series.points, maxPoints, extreme);
  const points = chartPoints(buckets);
  if (points.length === 0) return null;
  const reference = series.reference;
  const values = points.map((point) => point.value);
  const extremes = reference ? [...values, reference.value] : values;
  const scale = chartScale(series.unit, Math.max(...extremes.map(Math.abs)));
  const scaledMax = Math.max(...extremes) / scale.divisor;
  const yMin = Math.min(0, ...extremes) / scale.divisor;
  const yMax = series.unit === 'percent' ? Math.max(100, niceCeil(scaledMax)) : niceCeil(scaledMax);
  const referenceText = reference
    ? `; flat line: ${reference.label} ${formatValue(reference.value, series.unit)}`
    : '';
  const title = mermaidText(
    `${series.label} (${bucketText(series, buckets.length, extreme)})${referenceText}`,
    120,
  );
  const line = (lineValues: readonly number[]) =>
    `  line [${lineValues.map((value) => chartNumber(value / scale.divisor)).join(', ')}]`;
  return [
    '```mermaid',
    'xychart-beta',
    `  title "${title}"`,
    `  x-axis "time (UTC)" [${timeLabels(points.map((point) => point.epochMs))
      .map((label) => `"${label}"`)
      .join(', ')}]`,
    `  y-axis "${mermaidText(series.label, 40)} (${mermaidText(scale.symbol)})" ${chartNumber(yMin)} --> ${chartNumber(yMax)}`,
    line(values),
    ...(reference ? [line(values.map(() => reference.value))] : []),
    '```',
  ].join('\n');
}

import type {
  ArithmeticEvidence,
  Evidence,
  ExcerptEvidence,
  SeriesEvidence,
  StatEvidence,
  TableEvidence,
  Unit,
} from '../../src/model/index.ts';
import { fitCount, within } from './budget.ts';
import { excursionExtreme } from './downsample.ts';
import { details, escapeText, fencedBlock, md } from './escape.ts';
import { SPARKLINE_MAX_CHARS, sparkline } from './sparkline.ts';
import { mdTable, type TableCell } from './table.ts';
import { chartScale, formatDurationSec, formatNumber, formatValue } from './units.ts';
import { xyChart } from './xychart.ts';

/** Tables and excerpts longer than this fold into `<details>` so a ticket stays scannable. */
export const LONG_EVIDENCE_ROWS = 15;

// Caps on untrusted text inside evidence: a label is a line, a cell a word or two, a log line a line.
const LABEL_MAX_CHARS = 200;
const SOURCE_MAX_CHARS = 300;
const CELL_MAX_CHARS = 160;
const FORMULA_MAX_CHARS = 400;
const EXCERPT_LINE_MAX_CHARS = 400;
const TABLE_MAX_COLUMNS = 12;

const label = (text: string) => escapeText(text, { maxChars: LABEL_MAX_CHARS });

function statBullet(evidence: StatEvidence): string {
  const method = evidence.method ? ` (${escapeText(evidence.method, { maxChars: SOURCE_MAX_CHARS })})` : '';
  return `- ${label(evidence.label)}: **${formatValue(evidence.value, evidence.unit)}**${method}`;
}

interface SeriesSummary {
  raw: (number | null)[];
  min: number;
  max: number;
  last: number | undefined;
  missing: number;
}

// NOTE: one loop, not Math.min(...values): a day of 1-second samples overflows the argument list.
function summarizeSeries(points: SeriesEvidence['points']): SeriesSummary {
  const raw: (number | null)[] = new Array(points.length);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let last: number | undefined;
  let missing = 0;
  for (let index = 0; index < points.length; index += 1) {
    const value = points[index]?.[1] ?? null;
    raw[index] = value;
    if (value === null) missing += 1;
    else if (Number.isFinite(value)) {
      min = Math.min(min, value);
      max = Math.max(max, value);
      last = value;
    }
  }
  return { raw, min, max, last, missing };
}

function seriesFacts(evidence: SeriesEvidence, summary: SeriesSummary): string {
  const { last, min, max } = summary;
  if (last === undefined) return 'no values in the window';
  const format = (value: number) => formatValue(value, evidence.unit);
  const extreme = excursionExtreme(evidence.reference);
  const spark = sparkline(summary.raw, { unit: evidence.unit, extreme });
  const bucket =
    evidence.points.length > SPARKLINE_MAX_CHARS
      ? ` (${extreme} per ${formatDurationSec((evidence.stepSec * evidence.points.length) / spark.length)})`
      : '';
  const reference = evidence.reference
    ? `; ${label(evidence.reference.label)}: ${format(evidence.reference.value)}`
    : '';
  return `\`${spark}\`${bucket} min ${format(min)}, max ${format(max)}, last ${format(last)}${reference}`;
}

function seriesBlock(evidence: SeriesEvidence, maxChars: number): string | null {
  const summary = summarizeSeries(evidence.points);
  const { missing } = summary;
  const counts = `${formatNumber(evidence.points.length)} points every ${formatDurationSec(evidence.stepSec)}${
    missing > 0 ? `, ${formatNumber(missing)} missing` : ''
  }`;
  const heading = `**${label(evidence.label)}** (${escapeText(evidence.source, { maxChars: SOURCE_MAX_CHARS })}; ${counts})`;
  const short = `${heading}\n\n${seriesFacts(evidence, summary)}`;
  const chart = xyChart(evidence);
  const full = chart
    ? `${short}\n\n${details(`Chart: ${evidence.label.slice(0, LABEL_MAX_CHARS)}`, chart)}`
    : short;
  if (full.length <= maxChars) return full;
  const withoutChart = `${short} (chart left out to keep this under its size limit)`;
  return withoutChart.length <= maxChars ? withoutChart : null;
}

/**
 * One scale per column, named in its header, so every cell of `Mean (ms)` is in ms: a cell never
 * carries a unit of its own that could disagree with the header.
 */
function columnScale(unit: Unit | undefined, values: readonly number[]) {
  if (!unit) return { header: '', cell: (value: number) => formatNumber(value) };
  const maxAbs = values.reduce(
    (max, value) => (Number.isFinite(value) ? Math.max(max, Math.abs(value)) : max),
    0,
  );
  const scale = chartScale(unit, maxAbs);
  return { header: ` (${scale.symbol})`, cell: (value: number) => formatNumber(value / scale.divisor) };
}

function tableBlock(evidence: TableEvidence, maxChars: number): string | null {
  const title = `**${label(evidence.label)}**`;
  if (evidence.rows.length === 0) return `${title}: no rows`;
  const columns = evidence.columns.slice(0, TABLE_MAX_COLUMNS);
  const scales = columns.map((column) =>
    columnScale(
      column.unit,
      evidence.rows.flatMap((row) => {
        const value = row[column.key];
        return typeof value === 'number' ? [value] : [];
      }),
    ),
  );
  const header = columns.map((column, index) => ({
    label: md(`${escapeText(column.label, { maxChars: CELL_MAX_CHARS })}${scales[index]?.header ?? ''}`),
    align: evidence.rows.some((row) => typeof row[column.key] === 'number')
      ? ('right' as const)
      : ('left' as const),
  }));
  const cell = (value: string | number | null | undefined, index: number): TableCell => {
    if (typeof value === 'number') return md(scales[index]?.cell(value) ?? formatNumber(value));
    if (typeof value === 'string') return md(escapeText(value, { maxChars: CELL_MAX_CHARS }));
    return value;
  };
  const hiddenColumns = evidence.columns.length - columns.length;
  const total = evidence.rows.length;
  // NOTE: a row is at least `| ` plus 6 characters a column (3 wide, padded), so no more can ever fit.
  const cells = evidence.rows
    .slice(0, Math.floor(maxChars / (2 + 6 * Math.max(1, columns.length))))
    .map((row) => columns.map((column, index) => cell(row[column.key], index)));
  const render = (count: number) => {
    const notes = [
      ...(count < total ? [`showing ${formatNumber(count)} of ${formatNumber(total)} rows`] : []),
      ...(hiddenColumns > 0 ? [`${formatNumber(hiddenColumns)} more columns`] : []),
    ];
    const note = notes.length > 0 ? `\n\n(${notes.join('; ')}: all of it is in report.json)` : '';
    if (count === 0) return `${title}${note}`;
    const table = mdTable(header, cells.slice(0, count));
    const body =
      count <= LONG_EVIDENCE_ROWS
        ? table
        : details(`${evidence.label.slice(0, LABEL_MAX_CHARS)} (${formatNumber(count)} rows)`, table);
    return `${title}\n\n${body}${note}`;
  };
  return fitCount(cells.length, render, maxChars)?.text ?? null;
}

function excerptBlock(evidence: ExcerptEvidence, maxChars: number): string | null {
  const lines: string[] = [];
  let chars = 0;
  for (const line of evidence.lines) {
    const shown =
      line.length > EXCERPT_LINE_MAX_CHARS ? `${line.slice(0, EXCERPT_LINE_MAX_CHARS - 1)}…` : line;
    // NOTE: lines past the budget can never be shown, so they are not carried into the search below.
    chars += shown.length + 1;
    if (chars > maxChars) break;
    lines.push(shown);
  }
  const total = Math.max(evidence.totalLines ?? 0, evidence.lines.length);
  const render = (shown: number) => {
    const count =
      total > shown
        ? `showing ${formatNumber(shown)} of ${formatNumber(total)} lines`
        : `${formatNumber(shown)} ${shown === 1 ? 'line' : 'lines'}`;
    const title = `**${label(evidence.label)}** (from ${escapeText(evidence.source, { maxChars: SOURCE_MAX_CHARS })}; ${count})`;
    if (shown === 0) return title;
    const block = fencedBlock(lines.slice(0, shown), 'text');
    if (shown <= LONG_EVIDENCE_ROWS) return `${title}\n\n${block}`;
    return `${title}\n\n${details(`${evidence.label.slice(0, LABEL_MAX_CHARS)} (${formatNumber(shown)} lines)`, block)}`;
  };
  return fitCount(lines.length, render, maxChars)?.text ?? null;
}

function arithmeticBlock(evidence: ArithmeticEvidence, maxChars: number): string | null {
  const title = `**${label(evidence.label)}**`;
  const text = (value: string, max: number) => md(escapeText(value, { maxChars: max }));
  // NOTE: a row of four columns is at least 26 characters, so no more can ever fit.
  const rows = evidence.steps
    .slice(0, Math.floor(maxChars / 26))
    .map((step, index) => [
      index + 1,
      text(step.label, CELL_MAX_CHARS),
      text(step.formula, FORMULA_MAX_CHARS),
      text(step.result, CELL_MAX_CHARS),
    ]);
  const render = (count: number) => {
    const rest = evidence.steps.length - count;
    const note = rest > 0 ? `\n\n(${formatNumber(rest)} more steps in report.json)` : '';
    if (count === 0) return `${title}${note}`;
    const table = mdTable(
      [{ label: 'Step', align: 'right' }, 'What', 'Formula', { label: 'Result', align: 'right' }],
      rows.slice(0, count),
    );
    return `${title}\n\n${table}${note}`;
  };
  return fitCount(rows.length, render, maxChars)?.text ?? null;
}

/**
 * One evidence item as a markdown block (a single bullet for a stat), at most `maxChars` long:
 * long tables and excerpts show their first rows, a chart is left out before the sparkline is;
 * null when not even the item's title fits.
 */
export function renderEvidence(evidence: Evidence, maxChars = Number.POSITIVE_INFINITY): string | null {
  switch (evidence.kind) {
    case 'stat': {
      const bullet = statBullet(evidence);
      return bullet.length <= maxChars ? bullet : null;
    }
    case 'series':
      return seriesBlock(evidence, maxChars);
    case 'table':
      return tableBlock(evidence, maxChars);
    case 'excerpt':
      return excerptBlock(evidence, maxChars);
    case 'arithmetic':
      return arithmeticBlock(evidence, maxChars);
  }
}

/**
 * Evidence in its given order within `maxChars`; neighbouring stats share one bullet list. Items that
 * do not fit are counted in a last line that points to report.json.
 */
export function renderEvidenceList(
  evidence: readonly Evidence[],
  maxChars = Number.POSITIVE_INFINITY,
): string {
  const more = (left: number) =>
    `(${formatNumber(left)} more evidence ${left === 1 ? 'item' : 'items'} in report.json: left out to keep this under its size limit)`;
  // NOTE: room for the closing line is kept back from the start, so it always fits.
  const reserve = more(evidence.length).length + 2;
  const blocks: string[] = [];
  let used = 0;
  let left = 0;
  for (const [index, item] of evidence.entries()) {
    const joinsStats =
      item.kind === 'stat' && evidence[index - 1]?.kind === 'stat' && blocks.length > 0 && left === 0;
    const separator = blocks.length === 0 ? 0 : joinsStats ? 1 : 2;
    const room = maxChars - used - separator - reserve;
    const block = left === 0 && room > 0 ? renderEvidence(item, room) : null;
    if (block === null) {
      left += 1;
      continue;
    }
    if (joinsStats) blocks[blocks.length - 1] += `\n${block}`;
    else blocks.push(block);
    used += separator + block.length;
  }
  if (left > 0) blocks.push(more(left));
  return within(blocks.join('\n\n'), maxChars);
}

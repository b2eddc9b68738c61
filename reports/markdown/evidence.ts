import type {
  ArithmeticEvidence,
  Evidence,
  ExcerptEvidence,
  SeriesEvidence,
  StatEvidence,
  TableEvidence,
} from '../../src/model/index.ts';
import { excursionExtreme } from './downsample.ts';
import { details, escapeText, fencedBlock, md } from './escape.ts';
import { SPARKLINE_MAX_CHARS, sparkline } from './sparkline.ts';
import { mdTable, type TableCell } from './table.ts';
import { formatDurationSec, formatNumber, formatValue, unitSymbol } from './units.ts';
import { xyChart } from './xychart.ts';

/** Tables and excerpts longer than this fold into `<details>` so a ticket stays scannable. */
export const LONG_EVIDENCE_ROWS = 15;

function statBullet(evidence: StatEvidence): string {
  const method = evidence.method ? ` (${escapeText(evidence.method)})` : '';
  return `- ${escapeText(evidence.label)}: **${formatValue(evidence.value, evidence.unit)}**${method}`;
}

function finite(points: SeriesEvidence['points']): number[] {
  return points.flatMap(([, value]) => (value !== null && Number.isFinite(value) ? [value] : []));
}

function seriesFacts(evidence: SeriesEvidence): string {
  const values = finite(evidence.points);
  const last = values[values.length - 1];
  if (last === undefined) return 'no values in the window';
  const format = (value: number) => formatValue(value, evidence.unit);
  const raw = evidence.points.map(([, value]) => value);
  const extreme = excursionExtreme(evidence.reference);
  const spark = sparkline(raw, { unit: evidence.unit, extreme });
  const bucket =
    evidence.points.length > SPARKLINE_MAX_CHARS
      ? ` (${extreme} per ${formatDurationSec((evidence.stepSec * evidence.points.length) / spark.length)})`
      : '';
  const reference = evidence.reference
    ? `; ${escapeText(evidence.reference.label)}: ${format(evidence.reference.value)}`
    : '';
  // NOTE: a loop, not Math.min(...values): a day of 1-second samples overflows the argument list.
  const [min, max] = values.reduce(
    ([lo, hi], value) => [Math.min(lo, value), Math.max(hi, value)],
    [last, last],
  );
  return `\`${spark}\`${bucket} min ${format(min)}, max ${format(max)}, last ${format(last)}${reference}`;
}

function seriesBlock(evidence: SeriesEvidence): string {
  const missing = evidence.points.filter(([, value]) => value === null).length;
  const counts = `${formatNumber(evidence.points.length)} points every ${formatDurationSec(evidence.stepSec)}${
    missing > 0 ? `, ${formatNumber(missing)} missing` : ''
  }`;
  const heading = `**${escapeText(evidence.label)}** (${escapeText(evidence.source)}; ${counts})`;
  const chart = xyChart(evidence);
  const parts = [heading, seriesFacts(evidence)];
  if (chart) parts.push(details(`Chart: ${evidence.label}`, chart));
  return parts.join('\n\n');
}

function tableCell(
  value: string | number | null | undefined,
  column: TableEvidence['columns'][number],
): TableCell {
  if (typeof value === 'number')
    return md(column.unit ? formatValue(value, column.unit) : formatNumber(value));
  return value;
}

function tableBlock(evidence: TableEvidence): string {
  const title = `**${escapeText(evidence.label)}**`;
  if (evidence.rows.length === 0) return `${title}: no rows`;
  const columns = evidence.columns.map((column) => ({
    label: column.unit ? `${column.label} (${unitSymbol(column.unit)})` : column.label,
    align: evidence.rows.some((row) => typeof row[column.key] === 'number')
      ? ('right' as const)
      : ('left' as const),
  }));
  const rows = evidence.rows.map((row) =>
    evidence.columns.map((column) => tableCell(row[column.key], column)),
  );
  const table = mdTable(columns, rows);
  if (evidence.rows.length <= LONG_EVIDENCE_ROWS) return `${title}\n\n${table}`;
  return `${title}\n\n${details(`${evidence.label} (${formatNumber(evidence.rows.length)} rows)`, table)}`;
}

function excerptBlock(evidence: ExcerptEvidence): string {
  const shown = evidence.lines.length;
  const total = evidence.totalLines;
  const count =
    total !== undefined && total > shown
      ? `showing ${formatNumber(shown)} of ${formatNumber(total)} lines`
      : `${formatNumber(shown)} ${shown === 1 ? 'line' : 'lines'}`;
  const title = `**${escapeText(evidence.label)}** (from ${escapeText(evidence.source)}; ${count})`;
  const block = fencedBlock(evidence.lines, 'text');
  if (shown <= LONG_EVIDENCE_ROWS) return `${title}\n\n${block}`;
  return `${title}\n\n${details(`${evidence.label} (${formatNumber(shown)} lines)`, block)}`;
}

function arithmeticBlock(evidence: ArithmeticEvidence): string {
  const rows = evidence.steps.map((step, index) => [index + 1, step.label, step.formula, step.result]);
  const table = mdTable(
    [{ label: 'Step', align: 'right' }, 'What', 'Formula', { label: 'Result', align: 'right' }],
    rows,
  );
  return `**${escapeText(evidence.label)}**\n\n${table}`;
}

/** One evidence item as a markdown block (a single bullet for a stat). */
export function renderEvidence(evidence: Evidence): string {
  switch (evidence.kind) {
    case 'stat':
      return statBullet(evidence);
    case 'series':
      return seriesBlock(evidence);
    case 'table':
      return tableBlock(evidence);
    case 'excerpt':
      return excerptBlock(evidence);
    case 'arithmetic':
      return arithmeticBlock(evidence);
  }
}

/** Evidence in its given order; neighbouring stats share one bullet list. */
export function renderEvidenceList(evidence: readonly Evidence[]): string {
  const blocks: string[] = [];
  for (const [index, item] of evidence.entries()) {
    const block = renderEvidence(item);
    if (item.kind === 'stat' && evidence[index - 1]?.kind === 'stat')
      blocks[blocks.length - 1] += `\n${block}`;
    else blocks.push(block);
  }
  return blocks.join('\n\n');
}

// Evidence, rendered by kind (stat, series, table, excerpt, arithmetic) and never by rule. Neighbouring
// series that differ only by an index in their label (CPU 0, CPU 1, ...) draw as one heat strip.
import type {
  ArithmeticEvidence,
  Evidence,
  ExcerptEvidence,
  SeriesEvidence,
  StatEvidence,
  TableEvidence,
} from '../../src/model/index.ts';
import { formatDurationSec, formatNumber, formatValue, unitSymbol } from '../markdown/units.ts';
import {
  groupSeriesFamilies,
  heatStripChart,
  type SeriesFamily,
  seriesChart,
  type TimeWindow,
} from './charts.ts';
import { type Html, html, joinHtml } from './escape.ts';
import type { PageContext } from './page.ts';

/** Tables and excerpts longer than this fold into `<details>`. */
export const LONG_EVIDENCE_ROWS = 15;

export interface EvidenceOptions {
  /** A window to shade on time series that span much more than it (an on-host capture). */
  window?: TimeWindow | undefined;
}

function statItem(evidence: StatEvidence): Html {
  return html`<li>${evidence.label}: <strong>${formatValue(evidence.value, evidence.unit)}</strong>${
    evidence.method ? html` <span class="muted">(${evidence.method})</span>` : ''
  }</li>`;
}

function finiteValues(points: SeriesEvidence['points']): number[] {
  return points.flatMap(([, v]) => (v !== null && Number.isFinite(v) ? [v] : []));
}

function seriesFacts(evidence: SeriesEvidence): string {
  const values = finiteValues(evidence.points);
  const last = values[values.length - 1];
  if (last === undefined) return 'No values in the window.';
  let min = last;
  let max = last;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const format = (value: number) => formatValue(value, evidence.unit);
  const reference = evidence.reference
    ? `; ${evidence.reference.label}: ${format(evidence.reference.value)}`
    : '';
  return `min ${format(min)}, max ${format(max)}, last ${format(last)}${reference}`;
}

function seriesCounts(evidence: SeriesEvidence): string {
  const missing = evidence.points.filter(([, v]) => v === null).length;
  return `${formatNumber(evidence.points.length)} points every ${formatDurationSec(evidence.stepSec)}${
    missing > 0 ? `, ${formatNumber(missing)} missing` : ''
  }`;
}

/** A capture window is shaded only on a series much longer than it; on its own series it would cover all. */
function windowFor(evidence: SeriesEvidence, window: TimeWindow | undefined): TimeWindow | undefined {
  if (!window) return undefined;
  const first = evidence.points[0]?.[0];
  const last = evidence.points[evidence.points.length - 1]?.[0];
  if (first === undefined || last === undefined) return undefined;
  return window.toMs - window.fromMs < (last - first) / 2 ? window : undefined;
}

function seriesBlock(page: PageContext, evidence: SeriesEvidence, options: EvidenceOptions): Html {
  const caption = html`<figcaption><strong>${evidence.label}</strong> <span class="muted">(${
    evidence.source
  }; ${seriesCounts(evidence)})</span><br>${seriesFacts(evidence)}</figcaption>`;
  const chart = seriesChart(evidence, { window: windowFor(evidence, options.window) });
  if (!chart) return html`<figure class="chart">${caption}</figure>`;
  return page.chart(chart, caption);
}

function familyBlock(page: PageContext, family: SeriesFamily): Html {
  const first = family.members[0]!.series;
  const label = family.prefix.replace('#', 'N');
  const caption = html`<figcaption><strong>${label}</strong> <span class="muted">(${first.source}; ${
    family.members.length
  } series, ${seriesCounts(first)} each)</span></figcaption>`;
  const chart = heatStripChart(family);
  if (!chart)
    return html`<figure class="chart">${caption}<p class="muted">No values in the window.</p></figure>`;
  return page.chart(chart, caption);
}

function cellValue(
  value: string | number | null | undefined,
  unit: TableEvidence['columns'][number]['unit'],
) {
  if (typeof value === 'number') {
    return html`<td class="num" data-sort="${value}">${unit ? formatValue(value, unit) : formatNumber(value)}</td>`;
  }
  return html`<td>${value ?? ''}</td>`;
}

function foldIfLong(rows: number, summary: string, body: Html): Html {
  if (rows <= LONG_EVIDENCE_ROWS) return body;
  return html`<details><summary>${summary}</summary>${body}</details>`;
}

function tableBlock(evidence: TableEvidence): Html {
  if (evidence.rows.length === 0) return html`<p><strong>${evidence.label}</strong>: no rows</p>`;
  const numeric = (key: string) => evidence.rows.some((row) => typeof row[key] === 'number');
  const head = evidence.columns.map(
    (column) =>
      html`<th scope="col" class="${numeric(column.key) ? 'num' : ''}">${column.label}${
        column.unit ? ` (${unitSymbol(column.unit)})` : ''
      }</th>`,
  );
  const body = evidence.rows.map(
    (row) => html`<tr>${evidence.columns.map((column) => cellValue(row[column.key], column.unit))}</tr>`,
  );
  const table = html`<div class="table-wrap" tabindex="0"><table><caption>${evidence.label}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
  return foldIfLong(
    evidence.rows.length,
    `${evidence.label} (${formatNumber(evidence.rows.length)} rows)`,
    table,
  );
}

function excerptBlock(evidence: ExcerptEvidence): Html {
  const shown = evidence.lines.length;
  const total = evidence.totalLines;
  const count =
    total !== undefined && total > shown
      ? `showing ${formatNumber(shown)} of ${formatNumber(total)} lines`
      : `${formatNumber(shown)} ${shown === 1 ? 'line' : 'lines'}`;
  const caption = html`<figcaption><strong>${evidence.label}</strong> <span class="muted">(from ${
    evidence.source
  }; ${count})</span></figcaption>`;
  const block = html`<pre tabindex="0"><code>${evidence.lines.join('\n')}</code></pre>`;
  return html`<figure>${caption}${foldIfLong(shown, `${evidence.label} (${formatNumber(shown)} lines)`, block)}</figure>`;
}

function arithmeticBlock(evidence: ArithmeticEvidence): Html {
  const rows = evidence.steps.map(
    (step, index) =>
      html`<tr><td class="num">${index + 1}</td><td>${step.label}</td><td class="mono">${step.formula}</td><td class="num">${step.result}</td></tr>`,
  );
  return html`<div class="table-wrap" tabindex="0"><table class="arithmetic"><caption>${evidence.label}</caption><thead><tr><th scope="col" class="num">Step</th><th scope="col">What</th><th scope="col">Formula</th><th scope="col" class="num">Result</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function block(page: PageContext, evidence: Evidence, options: EvidenceOptions): Html {
  switch (evidence.kind) {
    case 'stat':
      return html`<ul class="stats">${statItem(evidence)}</ul>`;
    case 'series':
      return seriesBlock(page, evidence, options);
    case 'table':
      return tableBlock(evidence);
    case 'excerpt':
      return excerptBlock(evidence);
    case 'arithmetic':
      return arithmeticBlock(evidence);
  }
}

/** Evidence in its given order; neighbouring stats share one list, indexed series families one heat strip. */
export function renderEvidenceList(
  page: PageContext,
  evidence: readonly Evidence[],
  options: EvidenceOptions = {},
): Html {
  const groups = groupSeriesFamilies(evidence, (item) => (item.kind === 'series' ? item : null));
  const blocks: Html[] = [];
  let stats: Html[] = [];
  const flushStats = () => {
    if (stats.length > 0) blocks.push(html`<ul class="stats">${stats}</ul>`);
    stats = [];
  };
  for (const group of groups) {
    if ('family' in group) {
      flushStats();
      blocks.push(familyBlock(page, group.family));
    } else if (group.item.kind === 'stat') {
      stats.push(statItem(group.item));
    } else {
      flushStats();
      blocks.push(block(page, group.item, options));
    }
  }
  flushStats();
  return joinHtml(blocks, '\n');
}

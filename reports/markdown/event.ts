// report.md's go / no-go table (issue 11): one row per group and ungrouped host, worst first, with the
// first ceiling hit, the multiplier it is hit at, the change that moves it and its monthly cost.
import type { EventCheck, EventUnit, EventVerdict } from '../../src/model/index.ts';
import type { AnalysisResult } from '../json/schema.ts';
import { fitCount } from './budget.ts';
import { escapeText, md } from './escape.ts';
import { mdTable, type TableCell } from './table.ts';
import { formatNumber, formatUsdPerMonth, formatValue } from './units.ts';

const VERDICT_ORDER: Readonly<Record<EventVerdict, number>> = { 'no-go': 0, 'at-risk': 1, unknown: 2, go: 3 };
const CELL_MAX_CHARS = 72;

const cell = (text: string, maxChars = CELL_MAX_CHARS): TableCell => md(escapeText(text, { maxChars }));
const right = (label: string) => ({ label, align: 'right' as const });

function unitName(unit: EventUnit): string {
  const { subject } = unit;
  return subject.name && subject.name !== subject.id
    ? `${subject.name} (${subject.kind})`
    : `${subject.id} (${subject.kind})`;
}

export function ceilingText(check: EventCheck | null): string {
  if (!check) return 'none reached';
  const demand = check.demand === null ? 'n/a' : formatValue(check.demand, check.unit);
  const limit = check.limit === null ? 'n/a' : formatValue(check.limit, check.unit);
  return `${check.label}: ${demand} of ${limit}`;
}

function breaksAtText(unit: EventUnit): string {
  if (unit.breaksAt === null) return unit.verdict === 'unknown' ? 'unknown' : 'none seen';
  return `×${formatNumber(unit.breaksAt)}${unit.firstCeiling ? `: ${unit.firstCeiling.kind}` : ''}`;
}

function unknownText(unit: EventUnit): string {
  const kinds = [...new Set(unit.checks.filter((c) => c.status === 'unknown').map((c) => c.kind))];
  return kinds.length === 0 ? '—' : kinds.join(', ');
}

export function sortedUnits(units: readonly EventUnit[]): EventUnit[] {
  return [...units].sort(
    (a, b) =>
      VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict] ||
      (a.breaksAt ?? Number.POSITIVE_INFINITY) - (b.breaksAt ?? Number.POSITIVE_INFINITY) ||
      unitName(a).localeCompare(unitName(b), 'en'),
  );
}

/** Why ceilings went unjudged, counted over the units: the closing note of the review. */
function unknownSummary(units: readonly EventUnit[]): string {
  const byReason = new Map<string, Set<string>>();
  for (const unit of units) {
    for (const check of unit.checks) {
      if (check.status !== 'unknown') continue;
      const key = `${check.kind}: ${check.source}`;
      const seen = byReason.get(key) ?? new Set<string>();
      seen.add(unit.subject.id);
      byReason.set(key, seen);
    }
  }
  const lines = [...byReason.entries()]
    .sort((a, b) => b[1].size - a[1].size || a[0].localeCompare(b[0], 'en'))
    .slice(0, 8)
    .map(([reason, ids]) => `- ${escapeText(reason, { maxChars: 160 })} (${formatNumber(ids.size)} units)`);
  return lines.length === 0
    ? ''
    : `Ceilings not judged (listed as unknown, never as passed):\n\n${lines.join('\n')}`;
}

/** The section, or '' without an event multiplier (report.json still has every unit's breaksAt). */
export function eventSection(result: AnalysisResult, maxChars: number): string {
  const event = result.event;
  if (!event || event.multiplier === null) return '';
  const units = sortedUnits(event.units);
  const counts = (['no-go', 'at-risk', 'unknown', 'go'] as const)
    .map((v) => `${formatNumber(units.filter((u) => u.verdict === v).length)} ${v}`)
    .join(', ');
  const title = `## Go / no-go at ×${formatNumber(event.multiplier)}${event.name ? `: ${escapeText(event.name, { maxChars: 80 })}` : ''}${event.date ? ` (${escapeText(event.date, { maxChars: 20 })})` : ''}`;
  const intro = `Every group and running host outside a group at ${formatNumber(event.multiplier)} × today's peak (P99.5 of the cloud's series, the peak of the on-host capture), against every ceiling fleetlens knows: ${counts}. "Breaks at" is the multiplier the unit takes today; at risk is within ${formatNumber(20)} % of the event.`;
  const columns = [
    'Unit',
    'Verdict',
    'First ceiling at the event',
    right('Breaks at'),
    'Change first',
    right('Cost'),
    'Not judged',
  ];
  const rows = units.map((unit): TableCell[] => [
    cell(unitName(unit)),
    md(`**${unit.verdict}**`),
    cell(ceilingText(unit.firstCeiling)),
    cell(breaksAtText(unit)),
    unit.change === null ? null : cell(unit.change, 100),
    unit.change === null ? null : md(formatUsdPerMonth(unit.monthlyCostDeltaUsd)),
    cell(unknownText(unit)),
  ]);
  const unknowns = unknownSummary(units);
  const render = (count: number) => {
    const rest = units.length - count;
    const more =
      rest > 0
        ? `\n\nShowing ${formatNumber(count)} of ${formatNumber(units.length)} units, worst first; the other ${formatNumber(rest)} are in report.json (\`event.units\`).`
        : '';
    return [title, intro, `${mdTable(columns, rows.slice(0, count))}${more}`, unknowns]
      .filter((p) => p !== '')
      .join('\n\n');
  };
  return fitCount(units.length, render, maxChars)?.text ?? '';
}

// `fleetlens diff [RUN_A] [RUN_B]` and the report's "since the last run": what is new, resolved,
// worse and better between two runs, and how the known monthly cost delta moved. Pure.
import { escapeText, md } from '../../reports/markdown/escape.ts';
import { subjectText } from '../../reports/markdown/finding.ts';
import { statusWords } from '../../reports/markdown/history.ts';
import { mdTable } from '../../reports/markdown/table.ts';
import { formatUsdPerMonth, formatUtcMinute, formatValue } from '../../reports/markdown/units.ts';
import { severityRank } from '../model/index.ts';
import { type Comparison, compareRuns, type UnseenFinding } from './compare.ts';
import type { FindingRecord, RunRecord } from './record.ts';

export interface RunDiff {
  from: { runId: string; startedAtMs: number; monthlyCostDeltaUsd: number };
  to: { runId: string; startedAtMs: number; monthlyCostDeltaUsd: number };
  new: FindingRecord[];
  resolved: FindingRecord[];
  worse: { finding: FindingRecord; previous: FindingRecord }[];
  better: { finding: FindingRecord; previous: FindingRecord }[];
  /** Still there, unchanged. */
  open: number;
  /** In `from`, out of `to`'s view (a failed scope, a rule that could not judge): neither resolved nor open. */
  unseen: UnseenFinding[];
  /** `to`'s known monthly cost delta minus `from`'s (USD per month). */
  costDeltaChangeUsd: number;
}

const bySeverityThenId = (a: FindingRecord, b: FindingRecord) =>
  severityRank[b.severity] - severityRank[a.severity] || a.id.localeCompare(b.id);

/** The diff a comparison (compare.ts) already holds: `from` is its previous run. */
export function diffFromComparison(from: RunRecord, comparison: Comparison): RunDiff {
  const to = comparison.run;
  const changed = (status: 'worse' | 'better') =>
    comparison.changes
      .filter((c) => c.finding.status === status && c.previous !== null)
      .map((c) => ({ finding: c.finding, previous: c.previous! }))
      .sort((a, b) => bySeverityThenId(a.finding, b.finding));
  return {
    from: {
      runId: from.runId,
      startedAtMs: from.startedAtMs,
      monthlyCostDeltaUsd: from.summary.monthlyCostDeltaUsd,
    },
    to: { runId: to.runId, startedAtMs: to.startedAtMs, monthlyCostDeltaUsd: to.summary.monthlyCostDeltaUsd },
    new: comparison.changes
      .filter((c) => c.finding.status === 'new')
      .map((c) => c.finding)
      .sort(bySeverityThenId),
    resolved: [...comparison.resolved].sort(bySeverityThenId),
    worse: changed('worse'),
    better: changed('better'),
    open: comparison.changes.filter((c) => c.finding.status === 'open').length,
    unseen: [...comparison.unseen].sort((a, b) => bySeverityThenId(a.finding, b.finding)),
    costDeltaChangeUsd:
      Math.round((to.summary.monthlyCostDeltaUsd - from.summary.monthlyCostDeltaUsd) * 100) / 100,
  };
}

/** Two stored runs, `from` the older: the same comparison an audit makes against its previous run. */
export function diffRuns(from: RunRecord, to: RunRecord): RunDiff {
  // NOTE: `to` as stored already has statuses and carried rows; compare only what it saw.
  const seen = { ...to, findings: to.findings.filter((f) => f.status !== 'unseen') };
  return diffFromComparison(from, compareRuns(from, seen));
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

function headlineText(finding: FindingRecord): string {
  const h = finding.headline;
  return h ? `${escapeText(h.label)} ${formatValue(h.value, h.unit)}` : '';
}

function findingCell(finding: FindingRecord) {
  return md(`${escapeText(finding.title)} \`${finding.id}\``);
}

function findingRows(findings: readonly FindingRecord[]) {
  return findings.map((f) => [f.severity, findingCell(f), md(subjectText(f.subject)), md(headlineText(f))]);
}

function movedRows(moved: RunDiff['worse']) {
  return moved.map(({ finding, previous }) => [
    finding.severity === previous.severity ? finding.severity : `${previous.severity} → ${finding.severity}`,
    findingCell(finding),
    md(subjectText(finding.subject)),
    md(headlineText(previous)),
    md(headlineText(finding)),
  ]);
}

/** One line per count: the summary's "since the last run" and the head of `diff`. */
export function renderSinceLastRun(diff: RunDiff): string {
  const change = diff.costDeltaChangeUsd;
  return [
    `**Since the last run** (${formatUtcMinute(iso(diff.from.startedAtMs))}): ` +
      `${diff.new.length} new, ${diff.resolved.length} resolved, ${diff.worse.length} worse, ` +
      `${diff.better.length} better, ${diff.open} still open` +
      (diff.unseen.length > 0 ? `, ${diff.unseen.length} not seen this time` : ''),
    `Known monthly cost delta: ${formatUsdPerMonth(diff.from.monthlyCostDeltaUsd)} → ` +
      `${formatUsdPerMonth(diff.to.monthlyCostDeltaUsd)} (${change === 0 ? 'no change' : formatUsdPerMonth(change)})`,
  ].join('\n\n');
}

export function renderDiffMarkdown(diff: RunDiff): string {
  const sections = [
    `# fleetlens diff: ${escapeText(diff.from.runId)} → ${escapeText(diff.to.runId)}`,
    `From ${formatUtcMinute(iso(diff.from.startedAtMs))} to ${formatUtcMinute(iso(diff.to.startedAtMs))}.`,
    renderSinceLastRun(diff),
  ];
  const table = (title: string, count: number, body: () => string) =>
    sections.push(`## ${title} (${count})`, count === 0 ? 'None.' : body());
  const columns = ['Severity', 'Finding', 'Subject', 'Headline'];
  table('New', diff.new.length, () => mdTable(columns, findingRows(diff.new)));
  table('Resolved', diff.resolved.length, () => mdTable(columns, findingRows(diff.resolved)));
  const moved = ['Severity', 'Finding', 'Subject', 'Before', 'Now'];
  table('Worse', diff.worse.length, () => mdTable(moved, movedRows(diff.worse)));
  table('Better', diff.better.length, () => mdTable(moved, movedRows(diff.better)));
  if (diff.unseen.length > 0) {
    table('Not seen this time', diff.unseen.length, () =>
      mdTable(
        ['Severity', 'Finding', 'Subject', 'Why'],
        diff.unseen.map(({ finding, reason }) => [
          finding.severity,
          findingCell(finding),
          md(subjectText(finding.subject)),
          reason,
        ]),
      ),
    );
  }
  return `${sections.join('\n\n')}\n`;
}

function findingJson(finding: FindingRecord) {
  return {
    id: finding.id,
    ruleId: finding.ruleId,
    severity: finding.severity,
    category: finding.category,
    subject: finding.subject,
    title: finding.title,
    headline: finding.headline,
    firstSeen: iso(finding.firstSeenMs),
    runs: finding.runCount,
  };
}

/** `diff --format json`: plain data, ISO times, the same lists as the markdown. */
export function renderDiffJson(diff: RunDiff): string {
  const moved = (list: RunDiff['worse']) =>
    list.map(({ finding, previous }) => ({
      ...findingJson(finding),
      before: { severity: previous.severity, headline: previous.headline },
    }));
  const body = {
    schemaVersion: 1,
    from: { runId: diff.from.runId, startedAt: iso(diff.from.startedAtMs) },
    to: { runId: diff.to.runId, startedAt: iso(diff.to.startedAtMs) },
    counts: {
      new: diff.new.length,
      resolved: diff.resolved.length,
      worse: diff.worse.length,
      better: diff.better.length,
      open: diff.open,
      unseen: diff.unseen.length,
    },
    monthlyCostDeltaUsd: {
      from: diff.from.monthlyCostDeltaUsd,
      to: diff.to.monthlyCostDeltaUsd,
      change: diff.costDeltaChangeUsd,
    },
    new: diff.new.map(findingJson),
    resolved: diff.resolved.map(findingJson),
    worse: moved(diff.worse),
    better: moved(diff.better),
    unseen: diff.unseen.map(({ finding, reason }) => ({ ...findingJson(finding), reason })),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** The words a report puts beside a finding: `new`, `open since 2025-05-07, for 3 runs`, `worse (high → critical), ...`. */
export function statusText(finding: FindingRecord, previous: FindingRecord | null): string {
  if (finding.status === 'unseen') return 'not seen this run';
  return statusWords({
    status: finding.status,
    firstSeen: iso(finding.firstSeenMs),
    runs: finding.runCount,
    severity: finding.severity,
    headline: finding.headline,
    previous: previous ? { severity: previous.severity, headline: previous.headline } : undefined,
  });
}

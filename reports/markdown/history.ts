// What report.md and findings/<id>.md say about history (issue 10): a finding's status ("open since
// DATE, for N runs"), its mute, the "since the last run" line that opens the summary, the resolved
// list, the mutes that matched nothing, and a recommendation's stability. Pure; reads only the
// optional fields of report.json, so a run without a store renders as before.
import type { Finding, FindingStatus, Recommendation, Severity, Unit } from '../../src/model/index.ts';
import type { AnalysisResult } from '../json/schema.ts';
import { fitItems } from './budget.ts';
import { escapeText } from './escape.ts';
import { formatNumber, formatUsdPerMonth, formatUtcMinute, formatValue } from './units.ts';

const REASON_MAX_CHARS = 200;
const NAME_MAX_CHARS = 60;
const TITLE_MAX_CHARS = 120;

export interface StatusFacts {
  status: FindingStatus;
  /** ISO time of the first run of the current streak. */
  firstSeen?: string | undefined;
  runs?: number | undefined;
  severity: Severity;
  headline?: { value: number; unit: Unit } | null;
  previous?: { severity: Severity; headline: { value: number; unit: Unit } | null } | undefined;
}

/** `new`, `open since 2025-05-07, for 3 runs`, `worse (high → critical), since 2025-05-07, for 2 runs`. */
export function statusWords(facts: StatusFacts): string {
  if (facts.status === 'new') return 'new';
  const since =
    facts.firstSeen !== undefined
      ? ` since ${facts.firstSeen.slice(0, 10)}${facts.runs !== undefined ? `, for ${formatNumber(facts.runs)} runs` : ''}`
      : '';
  if (facts.status === 'open') return `open${since}`;
  const { previous } = facts;
  const moved =
    previous && previous.severity !== facts.severity
      ? `${previous.severity} → ${facts.severity}`
      : previous?.headline && facts.headline && previous.headline.unit === facts.headline.unit
        ? `${formatValue(previous.headline.value, previous.headline.unit)} → ${formatValue(facts.headline.value, facts.headline.unit)}`
        : '';
  return `${facts.status}${moved ? ` (${moved})` : ''}${since ? `,${since}` : ''}`;
}

/** The headline a finding's own evidence gives (its first stat), to word "worse (60 % → 75 %)". */
function ownHeadline(finding: Finding): { value: number; unit: Unit } | null {
  if (finding.previous?.headline?.unit === 'usd-per-month') return null;
  const stat = finding.evidence.find((e) => e.kind === 'stat' && e.value !== null);
  return stat?.kind === 'stat' && stat.value !== null ? { value: stat.value, unit: stat.unit } : null;
}

/** A finding's status and mute in words, or null for a run without a store and without mutes. */
export function findingStatusText(finding: Finding): string | null {
  const parts: string[] = [];
  if (finding.status) {
    parts.push(
      statusWords({
        status: finding.status,
        firstSeen: finding.firstSeen,
        runs: finding.runs,
        severity: finding.severity,
        headline: ownHeadline(finding),
        previous: finding.previous,
      }),
    );
  }
  if (finding.mute) {
    parts.push(
      finding.mute.expired
        ? `mute expired on ${finding.mute.until}`
        : `muted until ${finding.mute.until}: ${escapeText(finding.mute.reason, { maxChars: REASON_MAX_CHARS })}`,
    );
  }
  return parts.length > 0 ? parts.join(' · ') : null;
}

/** `since the last run (2025-05-07 06:00 UTC): 2 new, 1 resolved, 1 worse, 0 better, 9 open; known monthly cost delta -$120.00/mo → -$180.00/mo (-$60.00/mo)`. */
export function sinceLastRunLine(result: AnalysisResult): string | null {
  const { history } = result;
  if (!history) return null;
  if (history.previousRunId === null || history.previousStartedAt === null) {
    return `- Since the last run: this is the first run in the history store, so every finding is new.`;
  }
  const c = history.counts;
  const cost = history.monthlyCostDeltaUsd;
  const costText = cost
    ? `; known monthly cost delta ${formatUsdPerMonth(cost.previous)} → ${formatUsdPerMonth(cost.now)} (${cost.change === 0 ? 'no change' : formatUsdPerMonth(cost.change)})`
    : '';
  const unseen = c.unseen > 0 ? `, ${formatNumber(c.unseen)} not seen this time (see Resolved)` : '';
  return `- **Since the last run** (${formatUtcMinute(history.previousStartedAt)}): ${formatNumber(c.new)} new, ${formatNumber(c.resolved)} resolved, ${formatNumber(c.worse)} worse, ${formatNumber(c.better)} better, ${formatNumber(c.open)} still open${unseen}${costText}`;
}

/** A recommendation's stability in words, or null without a store. */
export function stabilityText(rec: Recommendation): string | null {
  const s = rec.stability;
  if (!s) return null;
  if (s.flipped) {
    const path = s.flipped.map((target) => escapeText(target, { maxChars: 60 })).join(' → ');
    return `flipped over the last ${formatNumber(s.requiredRuns)} runs: ${path}`;
  }
  return s.stable
    ? `stable: same target for ${formatNumber(s.runs)} runs`
    : `not stable yet: ${formatNumber(s.runs)} of ${formatNumber(s.requiredRuns)} runs`;
}

/**
 * "Resolved since the last run", "Not seen this time" and the mutes (muted findings with reason
 * and expiry, mutes that matched nothing), one bullet each, within `maxChars`. Empty without a store
 * and without mutes.
 */
export function historySection(result: AnalysisResult, maxChars: number): string {
  const parts: string[] = [];
  const third = Math.floor(maxChars / 3);
  const more = (left: number) => `- … and ${formatNumber(left)} more in report.json`;
  const subject = (s: { provider: string; kind: string; id: string; name?: string | undefined }) =>
    `${s.provider} ${s.kind} ${escapeText(s.id, { maxChars: NAME_MAX_CHARS })}${s.name && s.name !== s.id ? ` (${escapeText(s.name, { maxChars: NAME_MAX_CHARS })})` : ''}`;
  if (result.history) {
    const resolved = result.resolved ?? [];
    const lines = resolved.map(
      (f) =>
        `- ${f.severity ? `**${f.severity.toUpperCase()}** ` : ''}${escapeText(f.title, { maxChars: TITLE_MAX_CHARS })} · ${subject(f.subject)} · \`${escapeText(f.id, { maxChars: 40 })}\`${f.firstSeen ? ` · seen since ${f.firstSeen.slice(0, 10)}${f.runs ? `, ${formatNumber(f.runs)} runs` : ''}` : ''}`,
    );
    parts.push(
      `### Resolved since the last run (${formatNumber(resolved.length)})`,
      lines.length === 0 ? 'None.' : fitItems(lines, third, more),
    );
    if (result.history.unseen.length > 0) {
      const unseen = result.history.unseen.map(
        (f) =>
          `- ${escapeText(f.title, { maxChars: TITLE_MAX_CHARS })} · ${subject(f.subject)} · \`${escapeText(f.id, { maxChars: 40 })}\`: ${escapeText(f.reason, { maxChars: REASON_MAX_CHARS })}`,
      );
      parts.push(
        `### Not seen this time (${formatNumber(unseen.length)})`,
        'Out of this run’s view, so neither resolved nor open:',
        fitItems(unseen, Math.floor(third / 2), more),
      );
    }
  }
  const muted = result.findings.filter((f) => f.mute);
  const stale = result.mutes?.stale ?? [];
  if (muted.length > 0 || stale.length > 0) {
    const lines = muted.map(
      (f) =>
        `- ${escapeText(f.title, { maxChars: TITLE_MAX_CHARS })} · ${subject(f.subject)} · \`${f.id}\`: ${f.mute!.expired ? `**mute expired on ${f.mute!.until}**` : `muted until ${f.mute!.until}`} (${escapeText(f.mute!.reason, { maxChars: REASON_MAX_CHARS })})`,
    );
    const staleLines = stale.map(
      (m) =>
        `- ${m.finding ? `finding \`${escapeText(m.finding, { maxChars: 40 })}\`` : `rule ${escapeText(m.rule ?? '?', { maxChars: 60 })} on ${escapeText(m.subject ?? '*', { maxChars: 60 })}`} (${escapeText(m.file, { maxChars: 120 })}${m.line ? `:${m.line}` : ''}, until ${m.until}) matched nothing: remove it or fix it`,
    );
    parts.push(
      '### Mutes',
      'Muted findings are listed here and not counted by --fail-on; an expired mute counts again.',
      ...(lines.length > 0 ? [fitItems(lines, Math.floor(third / 2), more)] : []),
      ...(staleLines.length > 0 ? [fitItems(staleLines, Math.floor(third / 2), more)] : []),
    );
  }
  if (parts.length === 0) return '';
  return ['## Changes since the last run', ...parts].join('\n\n');
}

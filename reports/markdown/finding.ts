import type { Finding, FindingCategory, Recommendation, Severity, Subject } from '../../src/model/index.ts';
import { severityRank } from '../../src/model/index.ts';
import { countFitting, FINDING_MD_MAX_CHARS, fitItems, within } from './budget.ts';
import { escapeText, md } from './escape.ts';
import { renderEvidenceList } from './evidence.ts';
import { findingStatusText, stabilityText } from './history.ts';
import { mdTable } from './table.ts';
import { formatNumber, formatUsdPerMonth } from './units.ts';

// Compute Optimizer's 0-4 performance-risk scale, in words.
const RISK_WORDS = ['very low', 'low', 'medium', 'high', 'very high'] as const;

// Caps on text inside one finding, so the whole stays under FINDING_MD_MAX_CHARS whatever a cloud sends.
const ID_MAX_CHARS = 120;
const NAME_MAX_CHARS = 120;
const TITLE_MAX_CHARS = 200;
const MESSAGE_MAX_CHARS = 3_000;
const PROSE_MAX_CHARS = 2_500;
const CHANGE_MAX_CHARS = 240;
const REC_RATIONALE_MAX_CHARS = 1_000;
const SOURCE_MAX_CHARS = 400;
const SOURCES_MAX_CHARS = 4_000;
const CONTEXT_MAX_CHARS = 600;
/** Kept free at the end of a finding for the lines that say what was left out. */
const SLACK_CHARS = 400;

export function riskText(risk: number): string {
  return `${risk} (${RISK_WORDS[risk] ?? 'unknown'})`;
}

export function severityBadge(severity: Severity): string {
  return `**${severity.toUpperCase()}**`;
}

export const CATEGORIES: readonly FindingCategory[] = ['reliability', 'performance', 'cost'];

/** `aws host i-0abc (web-1)`, escaped and bounded: ids and names come from the cloud. */
export function subjectText(subject: Subject): string {
  const name =
    subject.name && subject.name !== subject.id
      ? ` (${escapeText(subject.name, { maxChars: NAME_MAX_CHARS })})`
      : '';
  return `${subject.provider} ${subject.kind} ${escapeText(subject.id, { maxChars: ID_MAX_CHARS })}${name}`;
}

function subjectShort(subject: Subject): string {
  return escapeText(subject.name || subject.id, { maxChars: NAME_MAX_CHARS });
}

export function subjectKey(subject: Subject): string {
  return [subject.provider, subject.kind, subject.name ?? '', subject.id].join('\u0000');
}

/** Most severe first, then by subject, so a report reads the same on every run. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank[b.severity] - severityRank[a.severity] ||
    subjectKey(a.subject).localeCompare(subjectKey(b.subject), 'en') ||
    a.title.localeCompare(b.title, 'en') ||
    a.id.localeCompare(b.id, 'en')
  );
}

/** By the severity of the finding behind it, then the biggest saving; unknown prices last. */
export function compareRecommendations(findings: readonly Finding[]) {
  const severityOf = new Map(findings.map((finding) => [finding.id, severityRank[finding.severity]]));
  const cost = (rec: Recommendation) => rec.monthlyCostDeltaUsd ?? Number.POSITIVE_INFINITY;
  return (a: Recommendation, b: Recommendation): number =>
    (severityOf.get(b.findingId) ?? -1) - (severityOf.get(a.findingId) ?? -1) ||
    cost(a) - cost(b) ||
    a.risk - b.risk ||
    a.id.localeCompare(b.id, 'en');
}

/**
 * A "recommendation" whose target is what is already there (`somaxconn 4096 → 4096 (keep ...)`) is
 * evidence that a setting suffices, not a change: it is shown as "already right" and never counted.
 */
export function isNoChange(rec: Recommendation): boolean {
  const current = rec.current.trim();
  const recommended = rec.recommended.trim();
  return recommended === current || recommended.startsWith(`${current} (keep`);
}

/** A change a reader should make: not superseded by a stronger one for its subject, not a no-op. */
export function isActive(rec: Recommendation): boolean {
  return rec.supersededBy === null && !isNoChange(rec);
}

export function changeText(rec: Recommendation, maxChars = CHANGE_MAX_CHARS): string {
  return `${escapeText(rec.current, { maxChars })} → ${escapeText(rec.recommended, { maxChars })}`;
}

function heading(level: number, text: string): string {
  return `${'#'.repeat(Math.min(6, level))} ${text}`;
}

interface RecommendationIndex {
  byId: Map<string, Recommendation>;
  byFinding: Map<string, Recommendation[]>;
}

// NOTE: one index per list, so rendering thousands of finding files stays linear in the list.
const indexes = new WeakMap<readonly Recommendation[], RecommendationIndex>();

function indexOf(recommendations: readonly Recommendation[]): RecommendationIndex {
  let index = indexes.get(recommendations);
  if (!index) {
    const byFinding = new Map<string, Recommendation[]>();
    for (const rec of recommendations) {
      const list = byFinding.get(rec.findingId);
      if (list) list.push(rec);
      else byFinding.set(rec.findingId, [rec]);
    }
    index = { byId: new Map(recommendations.map((rec) => [rec.id, rec])), byFinding };
    indexes.set(recommendations, index);
  }
  return index;
}

/** The recommendations a finding links to, in its own order, plus any that point back at it. */
export function recommendationsFor(
  finding: Finding,
  recommendations: readonly Recommendation[],
): Recommendation[] {
  const { byId, byFinding } = indexOf(recommendations);
  const linked = [
    ...new Set(
      finding.recommendationIds.flatMap((id) => {
        const rec = byId.get(id);
        return rec ? [rec] : [];
      }),
    ),
  ];
  const seen = new Set(linked);
  const pointingBack = (byFinding.get(finding.id) ?? []).filter((rec) => !seen.has(rec));
  return [...linked, ...pointingBack];
}

function supersededLine(rec: Recommendation, byId: ReadonlyMap<string, Recommendation>): string {
  const stronger = rec.supersededBy === null ? undefined : byId.get(rec.supersededBy);
  const by = stronger
    ? `${escapeText(stronger.id, { maxChars: ID_MAX_CHARS })} (${stronger.kind}: ${changeText(stronger)})`
    : escapeText(rec.supersededBy ?? '', { maxChars: ID_MAX_CHARS });
  return `- Superseded by ${by}: one action per subject, so this one is not counted in any total or top action`;
}

/** A recommendation's heading, facts and rationale: what to change, what it costs, how risky. */
function recommendationHead(
  rec: Recommendation,
  finding: Finding,
  level: number,
  byId: ReadonlyMap<string, Recommendation>,
): string {
  const superseded = rec.supersededBy !== null;
  const facts = [
    ...(superseded ? [supersededLine(rec, byId)] : []),
    ...(subjectKey(rec.subject) === subjectKey(finding.subject)
      ? []
      : [`- Subject: ${subjectText(rec.subject)}`]),
    `- Monthly cost delta: ${formatUsdPerMonth(rec.monthlyCostDeltaUsd)}${superseded ? ' (not counted)' : ''}`,
    `- Risk: ${riskText(rec.risk)}`,
    ...(stabilityText(rec) ? [`- Over the runs: ${stabilityText(rec)}`] : []),
    `- Recommendation id: ${escapeText(rec.id, { maxChars: ID_MAX_CHARS })}`,
  ].join('\n');
  const title = `Recommendation (${rec.kind}${superseded ? ', superseded' : ''}): ${changeText(rec)}`;
  const parts = [heading(level, title), facts];
  if (rec.rationale.trim()) parts.push(escapeText(rec.rationale, { maxChars: REC_RATIONALE_MAX_CHARS }));
  return parts.join('\n\n');
}

function alreadyRightItem(rec: Recommendation): string {
  const why = rec.rationale.trim()
    ? `: ${escapeText(rec.rationale, { maxChars: REC_RATIONALE_MAX_CHARS })}`
    : '';
  return `- ${escapeText(rec.recommended, { maxChars: CHANGE_MAX_CHARS })}${why}`;
}

export interface FindingSectionOptions {
  /** Heading level of the section itself; its parts sit one level below. */
  level: number;
  /** Appended to the section so it still says where it came from when pasted alone. */
  context?: string;
  /** Longest section in characters (default: just under a Jira field). */
  maxChars?: number;
}

/**
 * One finding, self-contained and bounded: a ticket can hold this section and nothing else. Fixed
 * parts are capped one by one; evidence and recommendations share what is left, in their order, and
 * what does not fit is counted with a pointer to report.json.
 */
export function renderFindingSection(
  finding: Finding,
  recommendations: readonly Recommendation[],
  options: FindingSectionOptions,
): string {
  const maxChars = options.maxChars ?? FINDING_MD_MAX_CHARS - 1;
  const sub = options.level + 1;
  const { byId } = indexOf(recommendations);
  const linked = recommendationsFor(finding, recommendations);
  const changes = linked.filter((rec) => !isNoChange(rec));
  const alreadyRight = linked.filter(isNoChange);
  const missing = finding.recommendationIds.filter((id) => !byId.has(id));
  const status = findingStatusText(finding);

  const head = [
    heading(
      options.level,
      `${finding.severity.toUpperCase()}: ${escapeText(finding.title, { maxChars: TITLE_MAX_CHARS })} (${subjectShort(finding.subject)})`,
    ),
    [
      `${severityBadge(finding.severity)} · ${finding.category} · ${subjectText(finding.subject)}`,
      `Rule ${escapeText(finding.ruleId, { maxChars: ID_MAX_CHARS })} · finding ${escapeText(finding.id, { maxChars: ID_MAX_CHARS })}`,
      ...(status ? [`Status: ${status}`] : []),
    ].join('<br>\n'),
    escapeText(finding.message, { maxChars: MESSAGE_MAX_CHARS }),
  ];
  const tail: string[] = [];
  if (alreadyRight.length > 0) {
    tail.push(
      heading(sub, 'Already right'),
      fitItems(
        alreadyRight.map(alreadyRightItem),
        PROSE_MAX_CHARS,
        (left) => `- and ${formatNumber(left)} more`,
      ),
    );
  }
  if (missing.length > 0) {
    tail.push(
      `Linked recommendations not in this result: ${escapeText(missing.slice(0, 5).join(', '), { maxChars: 300 })}${missing.length > 5 ? ` and ${formatNumber(missing.length - 5)} more` : ''}.`,
    );
  }
  if (finding.rationale.trim())
    tail.push(heading(sub, 'Why'), escapeText(finding.rationale, { maxChars: PROSE_MAX_CHARS }));
  if (finding.remediation.trim())
    tail.push(heading(sub, 'What to do'), escapeText(finding.remediation, { maxChars: PROSE_MAX_CHARS }));
  if (finding.sources.length > 0) {
    tail.push(
      heading(sub, 'Sources'),
      fitItems(
        finding.sources.map(
          (source) => `- ${escapeText(source, { maxChars: SOURCE_MAX_CHARS, links: true })}`,
        ),
        SOURCES_MAX_CHARS,
        (left) => `- and ${formatNumber(left)} more in report.json`,
      ),
    );
  }
  if (options.context) tail.push(`_${escapeText(options.context, { maxChars: CONTEXT_MAX_CHARS })}_`);

  const fixedChars = [...head, ...tail].reduce((sum, part) => sum + part.length + 2, 0);
  let room = maxChars - fixedChars - SLACK_CHARS;

  // Room for what to change is taken before room for how it was measured: a shown recommendation keeps its facts.
  const heads = changes.map((rec) => recommendationHead(rec, finding, sub, byId));
  const recMore = (left: number) =>
    `(${formatNumber(left)} more ${left === 1 ? 'recommendation' : 'recommendations'} for this finding in report.json)`;
  const recReserve = recMore(heads.length).length + 2;
  const shownHeads = heads.slice(0, countFitting(heads, Math.max(0, Math.floor(room / 2)), 2, recReserve));
  const hiddenRecs = changes.length - shownHeads.length;
  room -= shownHeads.reduce((sum, text) => sum + text.length + 2, 0) + (hiddenRecs > 0 ? recReserve : 0);

  const recEvidence = changes.slice(0, shownHeads.length).some((rec) => rec.evidence.length > 0);
  const evidenceRoom = Math.max(0, Math.floor(recEvidence ? room * 0.6 : room));
  const evidence =
    finding.evidence.length === 0
      ? 'No evidence was attached to this finding.'
      : renderEvidenceList(finding.evidence, evidenceRoom) ||
        '(The evidence is left out to keep this under its size limit: it is in report.json.)';
  room -= evidence.length + heading(sub, 'Evidence').length + 4;

  const recBlocks = shownHeads.map((text, index) => {
    const rec = changes[index];
    if (!rec || rec.evidence.length === 0 || room <= 0) return text;
    const list = renderEvidenceList(rec.evidence, Math.max(0, room - 2));
    room -= list.length + 2;
    return list ? `${text}\n\n${list}` : text;
  });

  const body = [
    ...head,
    heading(sub, 'Evidence'),
    evidence,
    ...recBlocks,
    ...(hiddenRecs > 0 ? [recMore(hiddenRecs)] : []),
    ...tail,
  ]
    .filter((part) => part !== '')
    .join('\n\n');
  // NOTE: each part above is capped, so this holds by construction; the guard keeps it true if a cap is wrong.
  return within(
    body,
    maxChars,
    [...head.slice(0, 2), '(This finding is too large to show here: see report.json.)'].join('\n\n'),
  );
}

/** The recommendations at a glance, most urgent first. */
export function recommendationsTable(
  recommendations: readonly Recommendation[],
  findings: readonly Finding[],
): string {
  const severityOf = new Map(findings.map((finding) => [finding.id, finding.severity]));
  const rows = [...recommendations]
    .sort(compareRecommendations(findings))
    .map((rec) => [
      severityOf.get(rec.findingId) ?? 'n/a',
      rec.kind,
      md(subjectText(rec.subject)),
      md(escapeText(rec.current, { maxChars: CHANGE_MAX_CHARS })),
      md(escapeText(rec.recommended, { maxChars: CHANGE_MAX_CHARS })),
      md(`${formatUsdPerMonth(rec.monthlyCostDeltaUsd)}${rec.supersededBy === null ? '' : ' (superseded)'}`),
      riskText(rec.risk),
    ]);
  return mdTable(
    [
      'Severity',
      'Kind',
      'Subject',
      'Current',
      'Recommended',
      { label: md('$/month'), align: 'right' },
      { label: 'Risk', align: 'right' },
    ],
    rows,
  );
}

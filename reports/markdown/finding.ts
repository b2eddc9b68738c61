import type { Finding, Recommendation, Severity, Subject } from '../../src/model/index.ts';
import { severityRank } from '../../src/model/index.ts';
import { escapeText, md, safeUrlOrText } from './escape.ts';
import { renderEvidenceList } from './evidence.ts';
import { mdTable } from './table.ts';
import { formatUsdPerMonth } from './units.ts';

// Compute Optimizer's 0-4 performance-risk scale, in words.
const RISK_WORDS = ['very low', 'low', 'medium', 'high', 'very high'] as const;

export function riskText(risk: number): string {
  return `${risk} (${RISK_WORDS[risk] ?? 'unknown'})`;
}

export function severityBadge(severity: Severity): string {
  return `**${severity.toUpperCase()}**`;
}

/** `aws host i-0abc (web-1)`, escaped: ids and names come from the cloud. */
export function subjectText(subject: Subject): string {
  const name = subject.name && subject.name !== subject.id ? ` (${escapeText(subject.name)})` : '';
  return `${subject.provider} ${subject.kind} ${escapeText(subject.id)}${name}`;
}

function subjectShort(subject: Subject): string {
  return escapeText(subject.name || subject.id);
}

function subjectKey(subject: Subject): string {
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

export function changeText(rec: Recommendation): string {
  return `${escapeText(rec.current)} → ${escapeText(rec.recommended)}`;
}

function heading(level: number, text: string): string {
  return `${'#'.repeat(Math.min(6, level))} ${text}`;
}

function renderRecommendation(rec: Recommendation, level: number): string {
  const facts = [
    `- Subject: ${subjectText(rec.subject)}`,
    `- Change: ${changeText(rec)}`,
    `- Monthly cost delta: ${formatUsdPerMonth(rec.monthlyCostDeltaUsd)}`,
    `- Risk: ${riskText(rec.risk)}`,
    `- Recommendation id: ${escapeText(rec.id)}`,
  ].join('\n');
  const parts = [heading(level, `Recommendation (${rec.kind}): ${changeText(rec)}`), facts];
  if (rec.rationale.trim()) parts.push(escapeText(rec.rationale));
  if (rec.evidence.length > 0) parts.push(renderEvidenceList(rec.evidence));
  return parts.join('\n\n');
}

/** The recommendations a finding links to, in its own order, plus any that point back at it. */
export function recommendationsFor(
  finding: Finding,
  recommendations: readonly Recommendation[],
): Recommendation[] {
  const byId = new Map(recommendations.map((rec) => [rec.id, rec]));
  const linked = finding.recommendationIds.flatMap((id) => {
    const rec = byId.get(id);
    return rec ? [rec] : [];
  });
  const pointingBack = recommendations.filter((rec) => rec.findingId === finding.id && !linked.includes(rec));
  return [...linked, ...pointingBack];
}

export interface FindingSectionOptions {
  /** Heading level of the section itself; its parts sit one level below. */
  level: number;
  /** Appended to the section so it still says where it came from when pasted alone. */
  context?: string;
}

/** One finding, self-contained: a ticket can hold this section and nothing else. */
export function renderFindingSection(
  finding: Finding,
  recommendations: readonly Recommendation[],
  options: FindingSectionOptions,
): string {
  const sub = options.level + 1;
  const linked = recommendationsFor(finding, recommendations);
  const missing = finding.recommendationIds.filter((id) => !linked.some((rec) => rec.id === id));
  const parts = [
    heading(
      options.level,
      `${finding.severity.toUpperCase()}: ${escapeText(finding.title)} (${subjectShort(finding.subject)})`,
    ),
    [
      `${severityBadge(finding.severity)} · ${subjectText(finding.subject)}`,
      `Rule ${escapeText(finding.ruleId)} · finding ${escapeText(finding.id)}`,
    ].join('<br>\n'),
    escapeText(finding.message),
    heading(sub, 'Evidence'),
    finding.evidence.length > 0
      ? renderEvidenceList(finding.evidence)
      : 'No evidence was attached to this finding.',
    ...linked.map((rec) => renderRecommendation(rec, sub)),
  ];
  if (missing.length > 0) {
    parts.push(`Linked recommendations not in this result: ${missing.map(escapeText).join(', ')}.`);
  }
  if (finding.rationale.trim()) parts.push(heading(sub, 'Why'), escapeText(finding.rationale));
  if (finding.remediation.trim()) parts.push(heading(sub, 'What to do'), escapeText(finding.remediation));
  if (finding.sources.length > 0) {
    parts.push(
      heading(sub, 'Sources'),
      finding.sources.map((source) => `- ${safeUrlOrText(source)}`).join('\n'),
    );
  }
  if (options.context) parts.push(`_${options.context}_`);
  return parts.join('\n\n');
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
      rec.current,
      rec.recommended,
      md(formatUsdPerMonth(rec.monthlyCostDeltaUsd)),
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

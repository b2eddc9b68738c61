// One finding as a self-contained article with an anchor (`#finding-<id>`), its evidence, the
// recommendations it links to, why, what to do and where the advice comes from.
import type { Finding, Recommendation, Severity, Subject } from '../../src/model/index.ts';
import { recommendationsFor, riskText } from '../markdown/finding.ts';
import { formatUsdPerMonth, formatUtcDate } from '../markdown/units.ts';
import { type Html, html, linkOrText } from './escape.ts';
import { type EvidenceOptions, renderEvidenceList } from './evidence.ts';
import type { FindingHistory } from './extensions.ts';
import type { PageContext } from './page.ts';

export function severityBadge(severity: Severity): Html {
  return html`<span class="badge sev-${severity}">${severity}</span>`;
}

/** `aws host i-0abc (web-1)`: ids and names are the cloud's text. */
export function subjectLabel(subject: Subject): string {
  const name = subject.name && subject.name !== subject.id ? ` (${subject.name})` : '';
  return `${subject.provider} ${subject.kind} ${subject.id}${name}`;
}

export function findingAnchor(findingId: string): string {
  return `finding-${findingId}`;
}

export function findingLink(finding: Pick<Finding, 'id' | 'title'>, text?: string): Html {
  return html`<a href="#${findingAnchor(finding.id)}">${text ?? finding.title}</a>`;
}

export function statusText(history: FindingHistory): string {
  if (history.status !== 'open') return history.status;
  const since = history.firstSeen ? ` since ${formatUtcDate(history.firstSeen)}` : '';
  const runs = history.runs ? ` (${history.runs} ${history.runs === 1 ? 'run' : 'runs'})` : '';
  return `open${since}${runs}`;
}

function supersededNote(rec: Recommendation): Html {
  return rec.supersededBy === null
    ? html``
    : html`<li><strong>Superseded</strong> by ${rec.supersededBy}: shown for the record, not counted in any total.</li>`;
}

function recommendationBlock(page: PageContext, rec: Recommendation): Html {
  return html`<div class="rec">
<h4>Recommendation (${rec.kind}): <span class="${rec.supersededBy === null ? '' : 'superseded'}">${rec.current} → ${rec.recommended}</span></h4>
<ul>
<li>Subject: ${subjectLabel(rec.subject)}</li>
<li>Monthly cost delta: ${formatUsdPerMonth(rec.monthlyCostDeltaUsd)}</li>
<li>Risk: ${riskText(rec.risk)}</li>
${supersededNote(rec)}
<li class="muted">Recommendation id: ${rec.id}</li>
</ul>
${rec.rationale.trim() ? html`<p class="prose">${rec.rationale}</p>` : ''}
${rec.evidence.length > 0 ? renderEvidenceList(page, rec.evidence) : ''}
</div>`;
}

export interface FindingArticleOptions {
  history?: FindingHistory | undefined;
  evidence?: EvidenceOptions;
}

export function findingArticle(
  page: PageContext,
  finding: Finding,
  recommendations: readonly Recommendation[],
  options: FindingArticleOptions = {},
): Html {
  const linked = recommendationsFor(finding, recommendations);
  const missing = finding.recommendationIds.filter((id) => !linked.some((rec) => rec.id === id));
  const subjectName = finding.subject.name || finding.subject.id;
  const status = options.history ? html` · <span class="status">${statusText(options.history)}</span>` : '';
  return html`<article class="finding" id="${findingAnchor(finding.id)}" data-severity="${finding.severity}" data-category="${finding.category}">
<h3>${severityBadge(finding.severity)} ${finding.title} <span class="muted">(${subjectName})</span></h3>
<p class="meta">${finding.category} · ${subjectLabel(finding.subject)} · rule ${finding.ruleId} · finding ${finding.id}${status}</p>
<p class="prose">${finding.message}</p>
<h4>Evidence</h4>
${
  finding.evidence.length > 0
    ? renderEvidenceList(page, finding.evidence, options.evidence)
    : html`<p class="muted">No evidence was attached to this finding.</p>`
}
${linked.map((rec) => recommendationBlock(page, rec))}
${missing.length > 0 ? html`<p class="muted">Linked recommendations not in this result: ${missing.join(', ')}.</p>` : ''}
${finding.rationale.trim() ? html`<h4>Why</h4><p class="prose">${finding.rationale}</p>` : ''}
${finding.remediation.trim() ? html`<h4>What to do</h4><p class="prose">${finding.remediation}</p>` : ''}
${
  finding.sources.length > 0
    ? html`<h4>Sources</h4><ul>${finding.sources.map((source) => html`<li>${linkOrText(source)}</li>`)}</ul>`
    : ''
}
</article>`;
}

// report.html: the same AnalysisResult as report.md and report.json, as one self-contained page with
// server-drawn SVG charts, a host table that sorts and filters, and an anchor per finding.
import { type Severity, severityRank, Unit } from '../../src/model/index.ts';
import type { AnalysisResult, ProviderCoverage, ReportHost, RuleRun } from '../json/schema.ts';
import { compareFindings, compareRecommendations, riskText } from '../markdown/finding.ts';
import {
  formatDurationSec,
  formatNumber,
  formatShare,
  formatUsdPerMonth,
  formatUtcDate,
  formatUtcMinute,
  formatValue,
} from '../markdown/units.ts';
import { type CeilingBar, ceilingChart, type TimeWindow } from './charts.ts';
import { type Html, type HtmlValue, html, joinHtml } from './escape.ts';
import {
  type EventCheck,
  type EventReview,
  type EventUnit,
  type ResultExtensions,
  readExtensions,
} from './extensions.ts';
import { findingArticle, findingLink, severityBadge, statusText, subjectLabel } from './finding.ts';
import { type ChartSource, NO_CHARTS, PageContext, pageDocument, withCharts } from './page.ts';

const SEVERITIES_DOWN: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
const CATEGORIES = ['reliability', 'performance', 'cost'] as const;
const VERDICTS = ['no-go', 'at-risk', 'go', 'unknown'] as const;
const TOP_ACTIONS = 5;

/** The recommendations a total may count: known price, not superseded by a stronger one. */
function countable(result: AnalysisResult) {
  return result.recommendations.filter((rec) => rec.supersededBy === null);
}

function sumUsd(values: readonly number[]): number {
  return Math.round(values.reduce((sum, v) => sum + v, 0) * 100) / 100;
}

// ------------------------------------------------------------------------------------------- header

function windowText(result: AnalysisResult): string {
  const { from, to, stepSec } = result.run.window;
  const spanSec = (Date.parse(to) - Date.parse(from)) / 1000;
  const span = Number.isFinite(spanSec) ? `${formatDurationSec(spanSec)}, ` : '';
  return `${formatUtcMinute(from)} → ${formatUtcMinute(to)} (${span}step ${formatDurationSec(stepSec)})`;
}

function runFacts(result: AnalysisResult): Html {
  const { run } = result;
  const facts: HtmlValue[] = [
    `Mode: ${run.mode}`,
    `Window: ${windowText(result)}`,
    `Providers: ${run.providers.join(', ') || 'none'}`,
    `Run took ${formatDurationSec(run.durationMs / 1000)}`,
    `${run.tool.name} ${run.tool.version}`,
  ];
  if (run.eventMultiplier !== null) facts.push(`Event multiplier: ×${formatNumber(run.eventMultiplier)}`);
  return html`<p class="meta">${joinHtml(facts, ' · ')}</p>`;
}

function tableOfContents(result: AnalysisResult, ext: ResultExtensions): Html {
  const entries: [string, string][] = [['summary', 'Summary']];
  if (ext.event) entries.push(['event', 'Go / no-go']);
  if (ext.history.size > 0 || ext.resolved !== null) entries.push(['changes', 'Since the last run']);
  entries.push(
    ['hosts', `Hosts (${result.hosts.length})`],
    ['findings', `Findings (${result.findings.length})`],
    ['recommendations', `Recommendations (${result.recommendations.length})`],
    ['gaps', `Data gaps (${result.gaps.length})`],
  );
  return html`<nav class="toc" aria-label="Sections">${entries.map(
    ([id, label]) => html`<a href="#${id}">${label}</a>`,
  )}</nav>`;
}

// ------------------------------------------------------------------------------------------ summary

function countList(rows: readonly [Html | string, number][]): Html {
  return html`<ul class="counts">${rows.map(([label, count]) => html`<li><span>${label}</span><span>${count}</span></li>`)}</ul>`;
}

function severityCard(result: AnalysisResult): Html {
  const rows: [Html, number][] = SEVERITIES_DOWN.map((severity) => [
    severityBadge(severity),
    result.findings.filter((finding) => finding.severity === severity).length,
  ]);
  return html`<div class="card"><h3>Findings by severity</h3><p class="big">${result.findings.length}</p>${countList(rows)}</div>`;
}

function categoryCard(result: AnalysisResult): Html {
  const rows: [string, number][] = CATEGORIES.map((category) => [
    category,
    result.findings.filter((finding) => finding.category === category).length,
  ]);
  return html`<div class="card"><h3>Findings by category</h3>${countList(rows)}</div>`;
}

function costCard(result: AnalysisResult): Html {
  const active = countable(result);
  const known = active.flatMap((rec) => (rec.monthlyCostDeltaUsd === null ? [] : [rec.monthlyCostDeltaUsd]));
  const superseded = result.recommendations.length - active.length;
  const unknown = active.length - known.length;
  const rows: [string, Html | string][] = [
    ['Savings', formatUsdPerMonth(sumUsd(known.filter((usd) => usd < 0)))],
    ['Added cost', formatUsdPerMonth(sumUsd(known.filter((usd) => usd > 0)))],
    ['With an unknown price (not counted)', String(unknown)],
    ['Superseded by a stronger action (not counted)', String(superseded)],
  ];
  return html`<div class="card"><h3>Known monthly cost delta</h3><p class="big">${formatUsdPerMonth(sumUsd(known))}</p><p class="meta">over ${known.length} of ${active.length} active recommendations</p><ul class="counts">${rows.map(
    ([label, value]) => html`<li><span>${label}</span><span>${value}</span></li>`,
  )}</ul></div>`;
}

function coverageCard(result: AnalysisResult): Html {
  const clouds = Object.entries(result.run.coverage) as [string, ProviderCoverage][];
  const complete = clouds.filter(([, coverage]) => coverage.complete).length;
  return html`<div class="card"><h3>Coverage</h3><p class="big">${result.run.complete ? 'complete' : 'incomplete'}</p><ul class="counts"><li><span>Hosts</span><span>${result.hosts.length}</span></li><li><span>Clouds complete</span><span>${complete} of ${clouds.length}</span></li><li><span>Collection gaps</span><span>${result.gaps.length}</span></li></ul></div>`;
}

function incompleteBanner(result: AnalysisResult): Html {
  if (result.run.complete) return html``;
  const failed = (Object.entries(result.run.coverage) as [string, ProviderCoverage][]).flatMap(
    ([provider, coverage]) =>
      coverage.failedScopes.map((scope) => `${provider} ${scope.scope}: ${scope.reason}`),
  );
  return html`<div class="banner" role="alert"><strong>Incomplete run.</strong> A configured scope listed nothing because of an error, so hosts there were not judged.${
    failed.length > 0 ? html`<ul>${failed.map((line) => html`<li>${line}</li>`)}</ul>` : ''
  }</div>`;
}

function topActions(result: AnalysisResult): Html {
  const byId = new Map(result.findings.map((finding) => [finding.id, finding]));
  const top = [...countable(result)].sort(compareRecommendations(result.findings)).slice(0, TOP_ACTIONS);
  if (top.length === 0) return html`<p>No recommendations in this run.</p>`;
  return html`<ol>${top.map((rec) => {
    const finding = byId.get(rec.findingId);
    return html`<li>${finding ? severityBadge(finding.severity) : ''} ${subjectLabel(rec.subject)}: ${rec.kind} ${rec.current} → ${rec.recommended}, ${formatUsdPerMonth(rec.monthlyCostDeltaUsd)}, risk ${riskText(rec.risk)}${
      finding ? html` (${findingLink(finding, 'finding')})` : ''
    }</li>`;
  })}</ol>`;
}

function coverageTable(result: AnalysisResult): Html {
  const clouds = (Object.entries(result.run.coverage) as [string, ProviderCoverage][]).sort(([a], [b]) =>
    a.localeCompare(b, 'en'),
  );
  if (clouds.length === 0) return html`<p>No cloud coverage was recorded for this run.</p>`;
  const rows = clouds.map(([provider, c]) => {
    const calls = result.run.apiCalls[provider as keyof typeof result.run.apiCalls];
    return html`<tr><th scope="row">${provider}</th><td>${c.complete ? 'yes' : html`<strong>no</strong>`}</td><td>${c.scopes.join(', ')}</td><td>${
      c.failedScopes.length === 0 ? 'none' : c.failedScopes.map((s) => `${s.scope}: ${s.reason}`).join('; ')
    }</td><td class="num">${c.hostsListed}</td><td class="num">${c.seriesReceived} / ${c.seriesExpected}</td><td class="num">${c.hostsJudged}${
      c.judgedShare === null ? '' : ` (${formatShare(c.judgedShare)})`
    }</td><td class="num">${calls ? `${calls.made} / ${calls.minimum}` : 'n/a'}</td></tr>`;
  });
  return html`<div class="table-wrap" tabindex="0"><table><caption>Coverage per cloud</caption><thead><tr><th scope="col">Cloud</th><th scope="col">Complete</th><th scope="col">Scopes</th><th scope="col">Failed scopes</th><th scope="col" class="num">Hosts listed</th><th scope="col" class="num">Series received / expected</th><th scope="col" class="num">Hosts judged</th><th scope="col" class="num">Calls made / minimum</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function summarySection(result: AnalysisResult): Html {
  return html`<section id="summary" aria-labelledby="summary-title"><h2 id="summary-title">Summary</h2>
${incompleteBanner(result)}
<div class="cards">${severityCard(result)}${categoryCard(result)}${costCard(result)}${coverageCard(result)}</div>
<h3>Top actions</h3>
${topActions(result)}
${coverageTable(result)}
</section>`;
}

// -------------------------------------------------------------------------------------- event review

function unitSubjectText(unit: EventUnit): string {
  return typeof unit.subject === 'string' ? unit.subject : subjectLabel(unit.subject);
}

function checkValue(value: number | null | undefined, unit: string | null | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  const parsed = Unit.safeParse(unit);
  return parsed.success ? formatValue(value, parsed.data) : `${formatNumber(value)}${unit ? ` ${unit}` : ''}`;
}

function ceilingText(check: EventCheck | null): string {
  if (!check) return 'none reached';
  return `${check.kind}: ${checkValue(check.demand, check.unit)} of ${checkValue(check.limit, check.unit)}`;
}

function ceilingBars(unit: EventUnit): CeilingBar[] {
  return unit.checks.flatMap((check) => {
    const { demand, limit } = check;
    if (demand === null || demand === undefined || limit === null || limit === undefined || limit <= 0)
      return [];
    return [
      {
        kind: check.kind,
        shareOfLimit: demand / limit,
        label: `${checkValue(demand, check.unit)} of ${checkValue(limit, check.unit)}`,
      },
    ];
  });
}

function eventSection(page: PageContext, event: EventReview): Html {
  const order = (verdict: string) => VERDICTS.indexOf(verdict as (typeof VERDICTS)[number]);
  const units = [...event.units].sort(
    (a, b) =>
      order(a.verdict) - order(b.verdict) || unitSubjectText(a).localeCompare(unitSubjectText(b), 'en'),
  );
  const rows = units.map(
    (unit) =>
      html`<tr><td>${unitSubjectText(unit)}</td><td class="verdict-${unit.verdict}"><strong>${unit.verdict}</strong></td><td>${ceilingText(unit.firstCeiling)}</td><td class="num">${
        unit.breaksAt === null ? 'n/a' : `×${formatNumber(unit.breaksAt)}`
      }</td><td>${unit.change ?? '—'}</td><td class="num">${formatUsdPerMonth(unit.monthlyCostDeltaUsd)}</td></tr>`,
  );
  const charts = units.flatMap((unit) => {
    const chart = ceilingChart(unitSubjectText(unit), ceilingBars(unit));
    if (!chart) return [];
    const caption = html`<figcaption><strong>${unitSubjectText(unit)}</strong>: <span class="verdict-${unit.verdict}">${unit.verdict}</span></figcaption>`;
    return [page.chart(chart, caption)];
  });
  return html`<section id="event" aria-labelledby="event-title"><h2 id="event-title">Go / no-go at ×${formatNumber(event.multiplier)}</h2>
<div class="table-wrap" tabindex="0"><table><caption>Every peak × ${formatNumber(event.multiplier)} against each ceiling</caption><thead><tr><th scope="col">Unit</th><th scope="col">Verdict</th><th scope="col">First ceiling</th><th scope="col" class="num">Breaks at</th><th scope="col">Change first</th><th scope="col" class="num">Monthly delta</th></tr></thead><tbody>${rows}</tbody></table></div>
${charts.length > 0 ? html`<h3>Ceilings per unit</h3>${charts}` : ''}
</section>`;
}

// ------------------------------------------------------------------------------------------- history

function changesSection(result: AnalysisResult, ext: ResultExtensions): Html {
  const byStatus = (status: string) =>
    result.findings.filter((finding) => ext.history.get(finding.id)?.status === status).sort(compareFindings);
  const list = (title: string, findings: ReturnType<typeof byStatus>) =>
    findings.length === 0
      ? ''
      : html`<h3>${title} (${findings.length})</h3><ul>${findings.map(
          (finding) =>
            html`<li>${severityBadge(finding.severity)} ${findingLink(finding)} <span class="muted">(${finding.subject.name || finding.subject.id}; ${statusText(ext.history.get(finding.id)!)})</span></li>`,
        )}</ul>`;
  const resolved = ext.resolved ?? [];
  const counts: [string, number][] = [
    ['new', byStatus('new').length],
    ['worse', byStatus('worse').length],
    ['better', byStatus('better').length],
    ['open', byStatus('open').length],
    ['resolved', resolved.length],
  ];
  const resolvedRows = resolved.map(
    (finding) =>
      html`<tr><td>${finding.severity ? severityBadge(finding.severity) : ''}</td><td>${finding.title ?? finding.ruleId ?? ''}</td><td>${
        finding.subject ? subjectLabel(finding.subject) : ''
      }</td><td class="mono">${finding.id}</td></tr>`,
  );
  return html`<section id="changes" aria-labelledby="changes-title"><h2 id="changes-title">Since the last run</h2>
<p>${joinHtml(
    counts.map(([label, count]) => `${count} ${label}`),
    ' · ',
  )}</p>
${list('New', byStatus('new'))}${list('Worse', byStatus('worse'))}${list('Better', byStatus('better'))}
<h3>Resolved (${resolved.length})</h3>
${
  resolved.length === 0
    ? html`<p>None.</p>`
    : html`<div class="table-wrap" tabindex="0"><table><caption>In the previous run, gone from this one</caption><thead><tr><th scope="col">Severity</th><th scope="col">Finding</th><th scope="col">Subject</th><th scope="col">Id</th></tr></thead><tbody>${resolvedRows}</tbody></table></div>`
}
</section>`;
}

// ----------------------------------------------------------------------------------------- host table

interface HostRow {
  host: ReportHost;
  findings: AnalysisResult['findings'];
  verdict: string;
  monthlyDeltaUsd: number | null;
}

// NOTE: Compute Optimizer sizes on the per-period maximum, so prefer it over the average.
function cpuStat(host: ReportHost) {
  return (
    host.stats.find((stat) => stat.metric === 'cpu.util.max') ??
    host.stats.find((stat) => stat.metric === 'cpu.util')
  );
}

function eventVerdictOf(host: ReportHost, event: EventReview | null): string | null {
  if (!event) return null;
  const match = event.units.find((unit) => {
    const id = typeof unit.subject === 'string' ? unit.subject : unit.subject.id;
    return id === host.id || (host.groupId !== null && id === host.groupId);
  });
  return match?.verdict ?? 'unknown';
}

function hostRows(result: AnalysisResult, ext: ResultExtensions): HostRow[] {
  const active = countable(result);
  return result.hosts.map((host) => {
    const owns = (subject: { kind: string; id: string }) =>
      (subject.kind === 'host' && subject.id === host.id) ||
      (subject.kind === 'volume' && host.volumeIds.includes(subject.id)) ||
      (subject.kind === 'group' && host.groupId === subject.id);
    const findings = result.findings.filter((finding) => owns(finding.subject)).sort(compareFindings);
    const known = active.filter((rec) => owns(rec.subject) && rec.subject.kind !== 'group');
    const usd = known.flatMap((rec) => (rec.monthlyCostDeltaUsd === null ? [] : [rec.monthlyCostDeltaUsd]));
    const verdict = eventVerdictOf(host, ext.event) ?? host.onHost?.primary ?? 'not sampled';
    return { host, findings, verdict, monthlyDeltaUsd: usd.length === 0 ? null : sumUsd(usd) };
  });
}

function numCell(value: number | null | undefined, text: string | null): Html {
  if (value === null || value === undefined) return html`<td class="num" data-sort=""></td>`;
  return html`<td class="num" data-sort="${value}">${text ?? String(value)}</td>`;
}

function hostTableRow(row: HostRow): Html {
  const { host, findings } = row;
  const cpu = cpuStat(host);
  const worst = findings[0]?.severity;
  const severities = [...new Set(findings.map((finding) => finding.severity))];
  const categories = [...new Set(findings.map((finding) => finding.category))].sort();
  const cpuText = (value: number | null | undefined) =>
    cpu && value !== null && value !== undefined ? formatValue(value, cpu.unit) : null;
  const top = findings[0];
  const topCell = top
    ? html`${findingLink(top)}${findings.length > 1 ? html` <span class="muted">+${findings.length - 1} more</span>` : ''}`
    : html`<span class="muted">none</span>`;
  return html`<tr data-cloud="${host.provider}" data-severity="${severities.length > 0 ? severities.join(' ') : 'none'}" data-category="${
    categories.length > 0 ? categories.join(' ') : 'none'
  }" data-verdict="${row.verdict}">
<td>${host.provider}</td><td>${host.region}</td><td data-sort="${host.name}">${host.name}<br><span class="muted mono">${host.id}</span></td><td>${host.instanceType}</td>
${numCell(host.vcpu, host.vcpu === null ? null : formatValue(host.vcpu, 'vcpu'))}
${numCell(host.memoryMiB, host.memoryMiB === null ? null : formatValue(host.memoryMiB, 'mib'))}
${numCell(cpu?.p95, cpuText(cpu?.p95))}
${numCell(cpu?.max, cpuText(cpu?.max))}
<td data-sort="${worst ? severityRank[worst] : -1}">${worst ? severityBadge(worst) : html`<span class="muted">none</span>`}</td>
<td class="num" data-sort="${findings.length}">${findings.length}</td>
<td>${topCell}</td>
<td>${categories.join(', ')}</td>
<td>${row.verdict}</td>
${numCell(row.monthlyDeltaUsd, row.monthlyDeltaUsd === null ? null : formatUsdPerMonth(row.monthlyDeltaUsd))}
</tr>`;
}

/** `multi`: the rows' attribute holds several space-separated values (severities, categories). */
function filterSelect(name: string, label: string, values: readonly string[], multi = false): Html {
  return html`<label>${label}<select name="${name}"${multi ? html` data-multi` : ''}><option value="">all</option>${values.map(
    (value) => html`<option value="${value}">${value}</option>`,
  )}</select></label>`;
}

function ordered(values: Iterable<string>, order: readonly string[]): string[] {
  const rank = (value: string) => (order.includes(value) ? order.indexOf(value) : order.length);
  return [...new Set(values)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, 'en'));
}

function hostsSection(result: AnalysisResult, ext: ResultExtensions): Html {
  if (result.hosts.length === 0) {
    return html`<section id="hosts" aria-labelledby="hosts-title"><h2 id="hosts-title">Hosts</h2><p>No hosts in this run.</p></section>`;
  }
  const rows = hostRows(result, ext).sort(
    (a, b) =>
      (b.findings[0] ? severityRank[b.findings[0].severity] : -1) -
        (a.findings[0] ? severityRank[a.findings[0].severity] : -1) ||
      a.host.provider.localeCompare(b.host.provider, 'en') ||
      a.host.name.localeCompare(b.host.name, 'en') ||
      a.host.id.localeCompare(b.host.id, 'en'),
  );
  const severities = ordered(
    rows.flatMap((row) => (row.findings.length === 0 ? ['none'] : row.findings.map((f) => f.severity))),
    [...SEVERITIES_DOWN, 'none'],
  );
  const categories = ordered(
    rows.flatMap((row) => (row.findings.length === 0 ? ['none'] : row.findings.map((f) => f.category))),
    [...CATEGORIES, 'none'],
  );
  const clouds = ordered(
    rows.map((row) => row.host.provider),
    [],
  );
  const verdicts = ordered(
    rows.map((row) => row.verdict),
    [...VERDICTS],
  );
  const columns: [string, 'text' | 'number'][] = [
    ['Cloud', 'text'],
    ['Region', 'text'],
    ['Name', 'text'],
    ['Type', 'text'],
    ['vCPU', 'number'],
    ['Memory', 'number'],
    ['CPU p95', 'number'],
    ['CPU max', 'number'],
    ['Worst severity', 'number'],
    ['Findings', 'number'],
    ['Top finding', 'text'],
    ['Categories', 'text'],
    ['Verdict', 'text'],
    ['Monthly delta', 'number'],
  ];
  const head = columns.map(
    ([label, type]) =>
      html`<th scope="col" data-type="${type}" class="${type === 'number' ? 'num' : ''}"><button type="button">${label}</button></th>`,
  );
  const verdictNote = ext.event
    ? 'Verdict: the pre-event verdict of the host or its group.'
    : 'Verdict: the on-host diagnosis, where a capture was mapped to the host.';
  return html`<section id="hosts" aria-labelledby="hosts-title"><h2 id="hosts-title">Hosts</h2>
<p class="meta">Most severe first. ${verdictNote} Findings on a host's volumes and group count for the host.</p>
<form class="controls" id="host-filters" data-for="host-table" data-noun="hosts" hidden>
${filterSelect('cloud', 'Cloud', clouds)}
${filterSelect('severity', 'Severity', severities, true)}
${filterSelect('category', 'Category', categories, true)}
${filterSelect('verdict', 'Verdict', verdicts)}
<button type="reset">Show all</button>
<output data-count aria-live="polite"></output>
</form>
<div class="table-wrap" tabindex="0"><table id="host-table" data-sortable><caption>${result.hosts.length} hosts</caption><thead><tr>${head}</tr></thead><tbody>
${joinHtml(rows.map(hostTableRow), '\n')}
</tbody></table></div>
</section>`;
}

// ------------------------------------------------------------------------------------------ findings

function captureWindow(host: ReportHost | undefined): TimeWindow | undefined {
  const window = host?.onHost?.window;
  if (!window?.from || !window.to) return undefined;
  const fromMs = Date.parse(window.from);
  const toMs = Date.parse(window.to);
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs < fromMs) return undefined;
  return { fromMs, toMs, label: 'on-host capture' };
}

function findingsSection(page: PageContext, result: AnalysisResult, ext: ResultExtensions): Html {
  const hosts = new Map(result.hosts.map((host) => [host.id, host]));
  const articles = [...result.findings].sort(compareFindings).map((finding) =>
    findingArticle(page, finding, result.recommendations, {
      history: ext.history.get(finding.id),
      evidence: {
        window: finding.subject.kind === 'host' ? captureWindow(hosts.get(finding.subject.id)) : undefined,
      },
    }),
  );
  return html`<section id="findings" aria-labelledby="findings-title"><h2 id="findings-title">Findings</h2>
${articles.length > 0 ? joinHtml(articles, '\n') : html`<p>No findings in this run.</p>`}
</section>`;
}

function recommendationsSection(result: AnalysisResult): Html {
  if (result.recommendations.length === 0) {
    return html`<section id="recommendations" aria-labelledby="recs-title"><h2 id="recs-title">Recommendations</h2><p>No recommendations in this run.</p></section>`;
  }
  const findings = new Map(result.findings.map((finding) => [finding.id, finding]));
  const rows = [...result.recommendations].sort(compareRecommendations(result.findings)).map((rec) => {
    const finding = findings.get(rec.findingId);
    return html`<tr class="${rec.supersededBy === null ? '' : 'superseded'}"><td>${finding ? severityBadge(finding.severity) : 'n/a'}</td><td>${rec.kind}</td><td>${subjectLabel(rec.subject)}</td><td>${rec.current}</td><td>${rec.recommended}</td><td class="num">${formatUsdPerMonth(rec.monthlyCostDeltaUsd)}</td><td class="num">${riskText(rec.risk)}</td><td>${
      finding ? findingLink(finding, 'finding') : ''
    }${rec.supersededBy === null ? '' : html`<br>superseded by ${rec.supersededBy}, not counted`}</td></tr>`;
  });
  return html`<section id="recommendations" aria-labelledby="recs-title"><h2 id="recs-title">Recommendations</h2>
<div class="table-wrap" tabindex="0"><table><caption>Most urgent first</caption><thead><tr><th scope="col">Severity</th><th scope="col">Kind</th><th scope="col">Subject</th><th scope="col">Current</th><th scope="col">Recommended</th><th scope="col" class="num">$/month</th><th scope="col" class="num">Risk</th><th scope="col">Why</th></tr></thead><tbody>${rows}</tbody></table></div>
</section>`;
}

// ----------------------------------------------------------------------------------------- data gaps

const GAP_STATUSES: readonly RuleRun['status'][] = [
  'error',
  'skipped',
  'insufficient-data',
  'not-applicable',
];

function rulesWithGaps(rules: readonly RuleRun[]): RuleRun[] {
  const order = (rule: RuleRun) => {
    const index = GAP_STATUSES.indexOf(rule.status);
    return index === -1 ? GAP_STATUSES.length : index;
  };
  return rules
    .filter((rule) => GAP_STATUSES.includes(rule.status) || rule.reasons.length > 0)
    .sort((a, b) => order(a) - order(b) || a.ruleId.localeCompare(b.ruleId, 'en'));
}

function ruleItem(rule: RuleRun): Html {
  const byReason = new Map<string, string[]>();
  for (const { subject, reason } of rule.reasons) {
    const subjects = byReason.get(reason) ?? [];
    if (subject !== null) subjects.push(subject);
    byReason.set(reason, subjects);
  }
  const reasons = [...byReason.entries()]
    .sort(([a, sa], [b, sb]) => sb.length - sa.length || a.localeCompare(b, 'en'))
    .map(
      ([reason, subjects]) =>
        html`<li>${reason}${subjects.length > 0 ? html` <span class="muted">(${subjects.join(', ')})</span>` : ''}</li>`,
    );
  return html`<li><strong>${rule.ruleId}</strong> (${rule.title}): ${rule.status}${
    reasons.length > 0 ? html`<ul>${reasons}</ul>` : '; no reason given'
  }</li>`;
}

function gapsSection(result: AnalysisResult): Html {
  const rules = rulesWithGaps(result.run.rules);
  const rows = result.gaps.map(
    (gap) =>
      html`<tr><td>${gap.provider}</td><td>${gap.what}</td><td>${gap.kind}</td><td>${gap.operation ?? ''}</td><td>${gap.scope ?? ''}</td><td>${
        gap.subject ? subjectLabel(gap.subject) : ''
      }</td><td>${gap.message}</td><td class="mono">${gap.file ? `${gap.file}${gap.line === undefined ? '' : `:${gap.line}`}` : ''}</td></tr>`,
  );
  const table =
    result.gaps.length === 0
      ? html`<p>None: every provider answered.</p>`
      : html`<div class="table-wrap" tabindex="0"><table><caption>Collection gaps</caption><thead><tr><th scope="col">Provider</th><th scope="col">What</th><th scope="col">Kind</th><th scope="col">Call</th><th scope="col">Scope</th><th scope="col">Subject</th><th scope="col">Message</th><th scope="col">File</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  return html`<section id="gaps" aria-labelledby="gaps-title"><h2 id="gaps-title">Data gaps</h2>
${table}
<h3>Rules that could not judge everything</h3>
${rules.length === 0 ? html`<p>None.</p>` : html`<ul>${rules.map(ruleItem)}</ul>`}
</section>`;
}

// -------------------------------------------------------------------------------------------- page

export interface AuditHtmlOptions {
  title?: string;
}

/** The sync core: the whole page from the result, with the charts `charts` has (none by default). */
export function buildAuditHtml(
  result: AnalysisResult,
  charts: ChartSource = NO_CHARTS,
  options: AuditHtmlOptions = {},
): string {
  const ext = readExtensions(result);
  const page = new PageContext(charts);
  const title = options.title ?? `fleetlens audit ${formatUtcDate(result.run.startedAt)}`;
  const body = html`<header><h1>${title}</h1>${runFacts(result)}${tableOfContents(result, ext)}</header>
<main>
${summarySection(result)}
${ext.event ? eventSection(page, ext.event) : ''}
${ext.history.size > 0 || ext.resolved !== null ? changesSection(result, ext) : ''}
${hostsSection(result, ext)}
${findingsSection(page, result, ext)}
${recommendationsSection(result)}
${gapsSection(result)}
</main>
<footer>Report schema v${result.schemaVersion} · run ${result.run.id} · started ${formatUtcMinute(result.run.startedAt)}. The same run's report.json holds everything shown here. This page loads nothing: its styles, script and charts are inside it.</footer>`;
  return pageDocument(title, body);
}

/** report.html: every chart drawn as SVG by vega, inline; the same result always gives the same bytes. */
export async function renderAuditHtml(
  result: AnalysisResult,
  options: AuditHtmlOptions = {},
): Promise<string> {
  return withCharts((charts) => buildAuditHtml(result, charts, options));
}

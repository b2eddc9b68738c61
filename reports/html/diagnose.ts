// `diagnose --format html`: one section per folder, in argument order, with the class scores, the signals
// that voted, and the per-second charts of the evidence its findings carry.
import type { DiagnoseResult, Diagnosis } from '../json/schema.ts';
import { compareFindings, compareRecommendations, riskText } from '../markdown/finding.ts';
import { formatNumber, formatShare, formatUsdPerMonth, formatUtcMinute } from '../markdown/units.ts';
import { type Html, html, joinHtml } from './escape.ts';
import { findingArticle, subjectLabel } from './finding.ts';
import { type ChartSource, NO_CHARTS, PageContext, pageDocument, withCharts } from './page.ts';

function signedWeight(weight: number): string {
  return `${weight >= 0 ? '+' : ''}${formatNumber(weight)}`;
}

function scoresTable(diagnosis: Diagnosis): Html {
  if (diagnosis.scores.length === 0) return html`<p>No class was scored.</p>`;
  const scores = [...diagnosis.scores].sort(
    (a, b) => b.score - a.score || a.class.localeCompare(b.class, 'en'),
  );
  const rows = scores.map((score) => {
    const signals = [...score.signals].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
    return html`<tr><th scope="row">${score.class}</th><td class="num" data-sort="${score.score}">${formatShare(score.score)}</td><td>${
      signals.length === 0
        ? html`<span class="muted">no signal</span>`
        : html`<ul class="stats">${signals.map(
            (signal) =>
              html`<li><strong>${signedWeight(signal.weight)}</strong> ${signal.signal}: <span class="muted">${signal.observed}</span></li>`,
          )}</ul>`
    }</td></tr>`;
  });
  return html`<div class="table-wrap" tabindex="0"><table><caption>Class scores and the signals that voted (weight for or against)</caption><thead><tr><th scope="col">Class</th><th scope="col" class="num">Score</th><th scope="col">Signals</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function timeOrNone(iso: string | null): string {
  return iso === null ? '' : formatUtcMinute(iso);
}

function inputsTable(diagnosis: Diagnosis): Html {
  if (diagnosis.inputs.length === 0) return html`<p>No files were read.</p>`;
  return html`<div class="table-wrap" tabindex="0"><table><caption>Files read</caption><thead><tr><th scope="col">File</th><th scope="col">Kind</th><th scope="col" class="num">Records</th><th scope="col">From</th><th scope="col">To</th></tr></thead><tbody>${diagnosis.inputs.map(
    (input) =>
      html`<tr><td class="mono">${input.file}</td><td>${input.kind}</td><td class="num">${formatNumber(input.records)}</td><td>${timeOrNone(input.from)}</td><td>${timeOrNone(input.to)}</td></tr>`,
  )}</tbody></table></div>`;
}

function gapsTable(diagnosis: Diagnosis): Html {
  if (diagnosis.gaps.length === 0) return html`<p>None.</p>`;
  return html`<div class="table-wrap" tabindex="0"><table><caption>Files that could not be used</caption><thead><tr><th scope="col">File</th><th scope="col">Kind</th><th scope="col">Message</th></tr></thead><tbody>${diagnosis.gaps.map(
    (gap) =>
      html`<tr><td class="mono">${gap.file}${gap.line === undefined ? '' : `:${gap.line}`}</td><td>${gap.kind}</td><td>${gap.message}</td></tr>`,
  )}</tbody></table></div>`;
}

function recommendationsTable(diagnosis: Diagnosis): Html {
  if (diagnosis.recommendations.length === 0) return html`<p>No recommendations.</p>`;
  const rows = [...diagnosis.recommendations]
    .sort(compareRecommendations(diagnosis.findings))
    .map(
      (rec) =>
        html`<tr><td>${rec.kind}</td><td>${subjectLabel(rec.subject)}</td><td>${rec.current}</td><td>${rec.recommended}</td><td class="num">${formatUsdPerMonth(rec.monthlyCostDeltaUsd)}</td><td class="num">${riskText(rec.risk)}</td></tr>`,
    );
  return html`<div class="table-wrap" tabindex="0"><table><caption>Recommendations</caption><thead><tr><th scope="col">Kind</th><th scope="col">Subject</th><th scope="col">Current</th><th scope="col">Recommended</th><th scope="col" class="num">$/month</th><th scope="col" class="num">Risk</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function windowLine(diagnosis: Diagnosis): string {
  const { from, to } = diagnosis.window;
  if (from === null && to === null) return 'Window: no timed samples.';
  return `Window: ${timeOrNone(from) || 'unknown'} → ${timeOrNone(to) || 'unknown'}`;
}

function diagnosisSection(page: PageContext, diagnosis: Diagnosis, index: number): Html {
  const findings = [...diagnosis.findings]
    .sort(compareFindings)
    .map((finding) => findingArticle(page, finding, diagnosis.recommendations));
  return html`<section id="diagnosis-${index + 1}" aria-labelledby="diagnosis-${index + 1}-title">
<h2 id="diagnosis-${index + 1}-title">${diagnosis.source}: ${diagnosis.primary} <span class="muted">(confidence ${formatShare(diagnosis.confidence)})</span></h2>
<p class="meta">${windowLine(diagnosis)}</p>
${scoresTable(diagnosis)}
<h3>Findings and their per-second evidence</h3>
${findings.length > 0 ? joinHtml(findings, '\n') : html`<p>No findings: no signal crossed a threshold, so there is nothing to chart.</p>`}
<h3>Recommendations</h3>
${recommendationsTable(diagnosis)}
<h3>Inputs</h3>
${inputsTable(diagnosis)}
<h3>Gaps</h3>
${gapsTable(diagnosis)}
<h3>Ignored files</h3>
${diagnosis.ignored.length > 0 ? html`<ul>${diagnosis.ignored.map((file) => html`<li class="mono">${file}</li>`)}</ul>` : html`<p>None.</p>`}
</section>`;
}

/** The sync core: the diagnose page with the charts `charts` has (none by default). */
export function buildDiagnoseHtml(result: DiagnoseResult, charts: ChartSource = NO_CHARTS): string {
  const page = new PageContext(charts);
  const overview =
    result.diagnoses.length === 0
      ? html`<p>No folders were diagnosed.</p>`
      : html`<ul>${result.diagnoses.map(
          (diagnosis, index) =>
            html`<li><a href="#diagnosis-${index + 1}">${diagnosis.source}</a>: <strong>${diagnosis.primary}</strong> (${formatShare(diagnosis.confidence)})</li>`,
        )}</ul>`;
  const body = html`<header><h1>fleetlens diagnose</h1></header>
<main>
<nav aria-label="Folders">${overview}</nav>
${result.diagnoses.map((diagnosis, index) => diagnosisSection(page, diagnosis, index))}
</main>
<footer>Diagnose schema v${result.schemaVersion}. This page loads nothing: its styles, script and charts are inside it.</footer>`;
  return pageDocument('fleetlens diagnose', body);
}

export async function renderDiagnoseHtml(result: DiagnoseResult): Promise<string> {
  return withCharts((charts) => buildDiagnoseHtml(result, charts));
}

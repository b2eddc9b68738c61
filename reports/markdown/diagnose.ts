import type { DiagnoseResult, Diagnosis } from '../json/schema.ts';
import { escapeText, md } from './escape.ts';
import { compareFindings, recommendationsTable, renderFindingSection } from './finding.ts';
import { mdTable } from './table.ts';
import { formatNumber, formatShare, formatUtcMinute } from './units.ts';

const SIGNALS_PER_CLASS = 3;

type ClassScore = Diagnosis['scores'][number];

function signedWeight(weight: number): string {
  return `${weight >= 0 ? '+' : ''}${formatNumber(weight)}`;
}

/** The signals that moved the score most, for or against. */
function topSignals(score: ClassScore): string {
  const signals = [...score.signals].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
  const shown = signals
    .slice(0, SIGNALS_PER_CLASS)
    .map(
      (signal) =>
        `${escapeText(signal.signal)} ${signedWeight(signal.weight)}: ${escapeText(signal.observed)}`,
    );
  const rest = signals.length - shown.length;
  return [...shown, ...(rest > 0 ? [`and ${rest} more`] : [])].join('<br>');
}

function scoresTable(diagnosis: Diagnosis): string {
  if (diagnosis.scores.length === 0) return 'No class was scored.';
  const scores = [...diagnosis.scores].sort(
    (a, b) => b.score - a.score || a.class.localeCompare(b.class, 'en'),
  );
  return mdTable(
    ['Class', { label: 'Score', align: 'right' }, 'Top signals'],
    scores.map((score) => [score.class, formatShare(score.score), md(topSignals(score) || '—')]),
  );
}

function timeOrNone(iso: string | null): string | null {
  return iso === null ? null : formatUtcMinute(iso);
}

function inputsTable(diagnosis: Diagnosis): string {
  if (diagnosis.inputs.length === 0) return 'No files were read.';
  return mdTable(
    ['File', 'Kind', { label: 'Records', align: 'right' }, 'From', 'To'],
    diagnosis.inputs.map((input) => [
      input.file,
      input.kind,
      input.records,
      timeOrNone(input.from),
      timeOrNone(input.to),
    ]),
  );
}

function gapsTable(diagnosis: Diagnosis): string {
  if (diagnosis.gaps.length === 0) return 'None.';
  return mdTable(
    ['File', 'Kind', 'Message'],
    diagnosis.gaps.map((gap) => [
      `${gap.file}${gap.line === undefined ? '' : `:${gap.line}`}`,
      gap.kind,
      gap.message,
    ]),
  );
}

function windowLine(diagnosis: Diagnosis): string {
  const { from, to } = diagnosis.window;
  if (from === null && to === null) return 'Window: no timed samples.';
  return `Window: ${timeOrNone(from) ?? 'unknown'} → ${timeOrNone(to) ?? 'unknown'}`;
}

/** Why the confidence is what it is: one bullet per reason the diagnosis gave. */
function confidenceSection(diagnosis: Diagnosis): string {
  const reasons = diagnosis.confidenceReasons ?? [];
  if (reasons.length === 0) return 'Nothing held the confidence back.';
  return reasons.map((reason) => `- ${escapeText(reason)}`).join('\n');
}

/** A folder without evidence: no verdict, said first and plainly, with what was missing or damaged. */
function insufficientSection(diagnosis: Diagnosis): string {
  return [
    `## ${escapeText(diagnosis.source)}: insufficient data (no verdict)`,
    '> [!WARNING]\n> No input in this folder carries a signal of any class, so nothing can be said about what limits the host: ' +
      'this is not a healthy verdict. Confidence 0.',
    '### Why',
    confidenceSection(diagnosis),
    '### Inputs',
    inputsTable(diagnosis),
    '### Gaps',
    gapsTable(diagnosis),
    '### Ignored files',
    diagnosis.ignored.length > 0
      ? diagnosis.ignored.map((file) => `- ${escapeText(file)}`).join('\n')
      : 'None.',
  ].join('\n\n');
}

function diagnosisSection(diagnosis: Diagnosis): string {
  if (diagnosis.primary === 'insufficient-data') return insufficientSection(diagnosis);
  const findings = [...diagnosis.findings]
    .sort(compareFindings)
    .map((finding) => renderFindingSection(finding, diagnosis.recommendations, { level: 4 }));
  return [
    `## ${escapeText(diagnosis.source)}: ${diagnosis.primary} (confidence ${formatShare(diagnosis.confidence)})`,
    windowLine(diagnosis),
    '### Why this confidence',
    confidenceSection(diagnosis),
    '### Class scores',
    scoresTable(diagnosis),
    '### Findings',
    ...(findings.length > 0 ? findings : ['No findings.']),
    '### Recommendations',
    diagnosis.recommendations.length > 0
      ? recommendationsTable(diagnosis.recommendations, diagnosis.findings)
      : 'No recommendations.',
    '### Inputs',
    inputsTable(diagnosis),
    '### Gaps',
    gapsTable(diagnosis),
    '### Ignored files',
    diagnosis.ignored.length > 0
      ? diagnosis.ignored.map((file) => `- ${escapeText(file)}`).join('\n')
      : 'None.',
  ].join('\n\n');
}

/** One section per sample folder, in argument order. */
export function renderDiagnoseMarkdown(result: DiagnoseResult): string {
  const overview =
    result.diagnoses.length === 0
      ? 'No folders were diagnosed.'
      : result.diagnoses
          .map((diagnosis) =>
            diagnosis.primary === 'insufficient-data'
              ? `- ${escapeText(diagnosis.source)}: insufficient data, no verdict`
              : `- ${escapeText(diagnosis.source)}: ${diagnosis.primary} (${formatShare(diagnosis.confidence)})`,
          )
          .join('\n');
  return `${[
    '# fleetlens diagnose',
    overview,
    ...result.diagnoses.map(diagnosisSection),
    `---\n\nDiagnose schema v${result.schemaVersion}.`,
  ].join('\n\n')}\n`;
}

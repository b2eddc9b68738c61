// `npm run confusion`: diagnose every labelled capture and print the confusion table (rows: the
// ground truth, columns: what diagnose named) with each capture's verdict and confidence, and how
// often the named class was right in each confidence band (a confidence that means something).
// Reads the labels, so it lives with the tests' helpers, never in the analyzer.

import { DiagnosisClass } from '../reports/json/schema.ts';
import { silentLogger } from '../src/log.ts';
import { runDiagnose } from '../src/run/diagnose.ts';
import { labelledCaptures } from '../test/helpers/labelled-captures.ts';

const captures = labelledCaptures();
// 0.7 is where a verdict needs two independent kinds of evidence (src/analysis/onhost/classify.ts)
const CONFIDENCE_BANDS = [
  { label: '< 0.5', from: 0, to: 0.5 },
  { label: '0.5-0.7', from: 0.5, to: 0.7 },
  { label: '0.7-0.85', from: 0.7, to: 0.85 },
  { label: '≥ 0.85', from: 0.85, to: Number.POSITIVE_INFINITY },
];
const rows: {
  name: string;
  origin: string;
  expected: string;
  got: string;
  confidence: number;
  ms: number;
}[] = [];
for (const capture of captures) {
  const started = performance.now();
  const { diagnoses } = await runDiagnose([capture.dir], silentLogger);
  const d = diagnoses[0]!;
  rows.push({
    name: capture.name,
    origin: capture.origin,
    expected: capture.expected,
    got: d.primary,
    confidence: d.confidence,
    ms: Math.round(performance.now() - started),
  });
}

const classes = DiagnosisClass.options.filter((c) => rows.some((r) => r.expected === c || r.got === c));
const cell = (text: string | number) => String(text);
console.log('| truth \\ named | ' + classes.join(' | ') + ' |');
console.log('|---|' + classes.map(() => '---:').join('|') + '|');
for (const truth of classes) {
  if (!rows.some((r) => r.expected === truth)) continue;
  const counts = classes.map((named) => rows.filter((r) => r.expected === truth && r.got === named).length);
  console.log(`| ${truth} | ${counts.map((n) => (n === 0 ? '·' : cell(n))).join(' | ')} |`);
}
console.log('');
console.log('| capture | origin | truth | named | confidence | ms |');
console.log('|---|---|---|---|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.origin} | ${r.expected} | ${r.got}${r.got === r.expected ? '' : ' ✗'} | ${r.confidence} | ${r.ms} |`,
  );
}
console.log('');
console.log('| confidence | captures | named right | share right |');
console.log('|---|---:|---:|---:|');
for (const band of CONFIDENCE_BANDS) {
  const inBand = rows.filter((r) => r.confidence >= band.from && r.confidence < band.to);
  const rightInBand = inBand.filter((r) => r.got === r.expected).length;
  const share = inBand.length === 0 ? '–' : `${Math.round((rightInBand / inBand.length) * 100)} %`;
  console.log(`| ${band.label} | ${inBand.length} | ${rightInBand} | ${share} |`);
}
const right = rows.filter((r) => r.got === r.expected).length;
console.log(`\n${right} of ${rows.length} right`);
process.exitCode = right === rows.length ? 0 : 1;

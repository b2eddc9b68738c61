import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDiagnoseHtml, renderDiagnoseHtml } from '../../../reports/html/index.ts';
import type { DiagnoseResult } from '../../../reports/json/schema.ts';
import { silentLogger } from '../../../src/log.ts';
import { runDiagnose } from '../../../src/run/diagnose.ts';
import { buildDiagnoseResult } from '../../helpers/result-builder.ts';
import { attr, byId, byTag, type DomElement, parseHtml, tableRows, textOf } from './dom.ts';
import { expectNothingLive } from './hostile.ts';

const SAMPLES = join(import.meta.dirname, '../../../mocks/samples');

describe('renderDiagnoseHtml', () => {
  const result = buildDiagnoseResult();
  let root: DomElement;
  beforeAll(async () => {
    root = parseHtml(await renderDiagnoseHtml(result));
  });

  it('has one section per folder, in argument order, with its class and confidence', () => {
    expect(byTag(root, 'h2').map((h) => textOf(h))).toEqual([
      'samples/api-3: gevent-loop-blocked (confidence 86 %)',
      'samples/worker-1: healthy (confidence 74 %)',
    ]);
    expect(byTag(byTag(root, 'nav')[0]!, 'a').map((a) => attr(a, 'href'))).toEqual([
      '#diagnosis-1',
      '#diagnosis-2',
    ]);
  });

  it('lists the signals that voted, for and against, strongest first', () => {
    const scores = byTag(byId(root, 'diagnosis-1')!, 'table')[0]!;
    const rows = tableRows(scores);
    expect(rows.map((row) => [row[0], row[1]])).toEqual([
      ['gevent-loop-blocked', '86 %'],
      ['cpu-saturated', '12 %'],
      ['healthy', '2 %'],
    ]);
    expect(rows[0]![2]).toMatch(
      /^\+0\.5 gevent monitor reports: 37 "appears to be blocked" reports in 120 s/,
    );
    expect(rows[0]![2]).toContain('-0.05 listen queue: no overflows');
  });

  it('keeps the inputs, gaps and ignored files of each folder', () => {
    const section = byId(root, 'diagnosis-1')!;
    const tables = byTag(section, 'table');
    expect(tableRows(tables.at(-2)!)).toEqual([
      ['sadf-A.json', 'sysstat-json', '120', '2025-05-13 09:00 UTC', '2025-05-13 09:02 UTC'],
      ['gunicorn.log', 'app-log', '2,210', '2025-05-13 08:58 UTC', '2025-05-13 09:02 UTC'],
    ]);
    expect(tableRows(tables.at(-1)!)).toEqual([['pidstat.txt:88', 'bad-sample', 'Truncated line.']]);
    expect(textOf(section)).toContain('notes.md');
    expect(byId(root, 'finding-f-gevent-api3')).toBeDefined();
    expectNothingLive(root);
  });

  it('says why a folder without findings has no chart', () => {
    expect(textOf(byId(root, 'diagnosis-2')!)).toContain('No findings: no signal crossed a threshold');
  });
});

describe('diagnose --format html on real sample folders', () => {
  let result: DiagnoseResult;
  let root: DomElement;
  beforeAll(async () => {
    result = await runDiagnose(
      [join(SAMPLES, 'cpu-saturation'), join(SAMPLES, 'threadpool-starvation')],
      silentLogger,
    );
    root = parseHtml(await renderDiagnoseHtml(result));
  });

  it('draws the per-second series of the signals that voted', () => {
    for (const [index, diagnosis] of result.diagnoses.entries()) {
      const section = byId(root, `diagnosis-${index + 1}`)!;
      const series = diagnosis.findings.flatMap((f) => f.evidence.filter((e) => e.kind === 'series'));
      expect(series.length, diagnosis.source).toBeGreaterThan(0);
      expect(series.every((s) => s.stepSec === 1)).toBe(true);
      const labels = byTag(section, 'svg').map((svg) => attr(svg, 'aria-label') ?? '');
      // Each per-CPU series is a row of the one heat strip; every other series is its own chart.
      const perCpu = series.filter((s) => /^CPU \d+ busy$/.test(s.label));
      expect(labels).toHaveLength(series.length - perCpu.length + (perCpu.length > 0 ? 1 : 0));
      for (const s of series.filter((s) => !perCpu.includes(s)))
        expect(
          labels.some((label) => label.startsWith(`${s.label}:`)),
          s.label,
        ).toBe(true);
    }
    const cpu = byTag(byId(root, 'diagnosis-1')!, 'svg').map((svg) => attr(svg, 'aria-label'));
    expect(cpu.find((label) => label?.startsWith('On-host CPU busy'))).toMatch(
      /saturation threshold at 90 %; \d+ shaded/,
    );
  });

  it('draws the per-CPU busy share of a saturated capture as one heat strip, a row per CPU', () => {
    const section = byId(root, 'diagnosis-1')!;
    const strips = byTag(section, 'svg')
      .map((svg) => attr(svg, 'aria-label') ?? '')
      .filter((label) => label.startsWith('CPU N busy:'));
    expect(strips).toHaveLength(1);
    expect(strips[0]).toMatch(
      /^CPU N busy: 2 rows \(CPU 0 busy, CPU 1 busy\), darker is higher; max 100 %\.$/,
    );
    const svg = byTag(section, 'svg').find((s) => attr(s, 'aria-label') === strips[0])!;
    // One cell per bucket per CPU, each a rect: 2 rows of the capture's seconds.
    expect(byTag(svg, 'path').length + byTag(svg, 'rect').length).toBeGreaterThan(0);
    expect(textOf(svg)).toContain('CPU 1 busy');
  });

  it('renders the same page without charts through the sync core', () => {
    const plain = parseHtml(buildDiagnoseHtml(result));
    expect(byTag(plain, 'svg')).toHaveLength(0);
    expect(byTag(plain, 'h2').map(textOf)).toEqual(byTag(root, 'h2').map(textOf));
  });
});

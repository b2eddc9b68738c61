// The size limits hold by construction for any fleet: a GitHub comment for report.md, a Jira field
// for each finding file, whatever the number of hosts, findings, evidence rows or untrusted text.
import { describe, expect, it } from 'vitest';
import { reportWriters } from '../../reports/index.ts';
import { countFitting, fitCount, fitItems } from '../../reports/markdown/budget.ts';
import {
  FINDING_MD_MAX_CHARS,
  REPORT_MD_MAX_CHARS,
  renderAuditMarkdown,
  renderFindingMarkdown,
} from '../../reports/markdown/index.ts';
import type { Evidence, Recommendation } from '../../src/model/index.ts';
import {
  buildAnalysisResult,
  buildFinding,
  buildLargeFleet,
  buildRecommendation,
  webCpuSeries,
} from '../helpers/result-builder.ts';
import { proseLines, section, splitRow, tables } from './markdown-lines.ts';

const HOSTILE = '|<script>`x` *y* _z_ [a](http://evil) </details>\n# h\n- l\n```\n';

function expectStructureIntact(markdown: string): void {
  for (const table of tables(markdown)) {
    const width = splitRow(table[0] ?? '').length;
    for (const row of table) expect(splitRow(row)).toHaveLength(width);
  }
  const prose = proseLines(markdown).join('\n');
  expect(prose.match(/^<details>$/gm)?.length ?? 0).toBe(prose.match(/^<\/details>$/gm)?.length ?? 0);
  expect(prose).not.toMatch(/<(?!br>|details>|\/details>|summary>|\/summary>|https:\/\/)[a-z/!]/i);
  // Every fence that opens also closes: proseLines would swallow the rest of the file otherwise.
  expect(markdown.split('\n').filter((line) => /^`{3,}/.test(line)).length % 2).toBe(0);
}

describe('fitCount, fitItems and countFitting', () => {
  it('take the most items that fit and say how many were left out', () => {
    const items = Array.from({ length: 100 }, (_, index) => `item ${index}`);
    const text = fitItems(items, 60, (left) => `and ${left} more`);
    expect(text.length).toBeLessThanOrEqual(60);
    expect(text.split('\n').at(-1)).toMatch(/^and 9\d more$/);
    expect(fitItems(items.slice(0, 3), 1_000, (left) => `and ${left} more`)).toBe('item 0\nitem 1\nitem 2');
    expect(fitCount(10, (count) => 'x'.repeat(count * 10), 35)).toEqual({ count: 3, text: 'x'.repeat(30) });
    expect(fitCount(10, () => 'too long', 3)).toBeNull();
    expect(countFitting(['aaaa', 'bbbb', 'cccc'], 10, 1, 0)).toBe(2);
    expect(countFitting(['aaaa', 'bbbb', 'cccc'], 10, 1, 3)).toBe(1);
  });
});

// NOTE: thousands of files take seconds on a busy machine; the limits do not depend on how many.
const HEAVY_MS = 900_000;

describe('report.md and the finding files of a 10,000-host fleet with 3,000 findings', () => {
  const result = buildLargeFleet({ hosts: 10_000, findings: 3_000 });
  const files = reportWriters.md.auditFiles(result);
  const report = files[0]?.render(result) ?? '';

  it(`keeps report.md under ${REPORT_MD_MAX_CHARS} characters and says what it left out`, () => {
    expect(report.length).toBeLessThan(REPORT_MD_MAX_CHARS);
    expect(report.length).toBeGreaterThan(REPORT_MD_MAX_CHARS * 0.8);
    expect(section(report, '## Hosts')).toContain('Showing 30 of 10,000 hosts');
    expect(report).toMatch(
      /^- … and [\d,]+ more findings \(\d[\d,]* critical, .*\), left out to keep this report pasteable/m,
    );
    expect(report).toContain('**Incomplete run:** 48 configured scopes listed nothing because of an error');
    expectStructureIntact(report);
  });

  it('lists the most urgent findings first and never counts a superseded change', () => {
    const lines = section(report, '### Every finding')
      .split('\n')
      .filter((line) => line.startsWith('- **'));
    expect(lines.length).toBeGreaterThan(50);
    expect(lines.every((line) => line.startsWith('- **CRITICAL**'))).toBe(true);
    const superseded = result.recommendations.filter((rec) => rec.supersededBy !== null).length;
    expect(superseded).toBe(1_000);
    expect(report).toContain('(1,000 superseded: shown, never counted)');
  });

  it(
    `writes one file per finding, each under ${FINDING_MD_MAX_CHARS} characters`,
    () => {
      expect(files).toHaveLength(1 + result.findings.length);
      expect(new Set(files.map((file) => file.path)).size).toBe(files.length);
      let largest = 0;
      for (const file of files.slice(1)) largest = Math.max(largest, file.render(result).length);
      expect(largest).toBeLessThan(FINDING_MD_MAX_CHARS);
    },
    HEAVY_MS,
  );
});

describe('hostile text everywhere', () => {
  const result = buildLargeFleet({ hosts: 2_000, findings: 600, hostileText: HOSTILE, lineChars: 5_000 });
  const files = reportWriters.md.auditFiles(result);

  it(
    'keeps report.md under its limit and its structure intact',
    () => {
      const report = renderAuditMarkdown(result);
      expect(report.length).toBeLessThan(REPORT_MD_MAX_CHARS);
      expectStructureIntact(report);
      expect(report).not.toContain('http://evil');
    },
    HEAVY_MS,
  );

  it(
    'keeps every finding file under its limit and its structure intact',
    () => {
      for (const file of files.slice(1, 31)) {
        const text = file.render(result);
        expect(text.length, file.path).toBeLessThan(FINDING_MD_MAX_CHARS);
        expectStructureIntact(text);
      }
    },
    HEAVY_MS,
  );
});

describe('one finding with huge evidence', () => {
  const subject = {
    provider: 'aws' as const,
    kind: 'host' as const,
    id: 'i-huge',
    name: HOSTILE.repeat(100),
  };
  const table: Evidence = {
    kind: 'table',
    label: 'Every connection',
    columns: Array.from({ length: 40 }, (_, index) => ({
      key: `c${index}`,
      label: `Column ${index}`,
      unit: 'count' as const,
    })),
    rows: Array.from({ length: 100_000 }, (_, row) =>
      Object.fromEntries(Array.from({ length: 40 }, (_, index) => [`c${index}`, row * index])),
    ),
  };
  const excerpt: Evidence = {
    kind: 'excerpt',
    label: 'Every log line',
    source: 'app.log',
    lines: Array.from(
      { length: 20_000 },
      (_, index) => `${index} ${'`'.repeat(index % 7)} ${HOSTILE.repeat(300)}`,
    ),
    totalLines: 1_000_000,
  };
  const stats: Evidence[] = Array.from({ length: 500 }, (_, index) => ({
    kind: 'stat',
    label: `${HOSTILE} stat ${index}`,
    value: index,
    unit: 'percent',
  }));
  const arithmetic: Evidence = {
    kind: 'arithmetic',
    label: 'Long arithmetic',
    steps: Array.from({ length: 2_000 }, (_, index) => ({
      label: HOSTILE,
      formula: HOSTILE.repeat(50),
      result: `${index}`,
    })),
  };
  const recommendations: Recommendation[] = Array.from({ length: 300 }, (_, index) =>
    buildRecommendation({
      id: `r-${index}`,
      findingId: 'f-huge',
      subject,
      current: HOSTILE.repeat(40),
      recommended: `${index} ${HOSTILE.repeat(40)}`,
      rationale: HOSTILE.repeat(1_000),
      evidence: [arithmetic, table],
      supersededBy: index % 2 === 0 ? null : `r-${index - 1}`,
    }),
  );
  const finding = buildFinding({
    id: 'f-huge',
    subject,
    title: HOSTILE.repeat(100),
    message: HOSTILE.repeat(20_000),
    rationale: HOSTILE.repeat(5_000),
    remediation: HOSTILE.repeat(5_000),
    sources: Array.from({ length: 2_000 }, (_, index) => `https://example.com/${index} ${HOSTILE}`),
    evidence: [webCpuSeries(), table, excerpt, ...stats, arithmetic],
    recommendationIds: recommendations.map((rec) => rec.id),
  });
  const result = buildAnalysisResult({ findings: [finding], recommendations });
  const text = renderFindingMarkdown(result, 'f-huge');

  it(`stays under ${FINDING_MD_MAX_CHARS} characters with its structure intact`, () => {
    expect(text.length).toBeLessThan(FINDING_MD_MAX_CHARS);
    expectStructureIntact(text);
  });

  it('keeps the start of each part and says where the rest is', () => {
    expect(text).toContain('```mermaid');
    expect(text).toMatch(/\(showing [\d,]+ of 100,000 rows; 28 more columns: all of it is in report\.json\)/);
    expect(text).toMatch(/more evidence items in report\.json/);
    expect(text).toMatch(/### Recommendation \(instance-type\): /);
    expect(text).toMatch(/more recommendations for this finding in report\.json/);
    expect(text).toContain('### Why');
    expect(text).toContain('### Sources');
    expect(text.trimEnd().endsWith("the run's report.md lists every finding._")).toBe(true);
  });

  it('keeps report.md under its limit with this finding in it', () => {
    expect(renderAuditMarkdown(result).length).toBeLessThan(REPORT_MD_MAX_CHARS);
  });
});

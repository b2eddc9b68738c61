import { describe, expect, it } from 'vitest';
import { escapeText } from '../../reports/markdown/escape.ts';
import {
  renderAuditMarkdown,
  renderDiagnoseMarkdown,
  renderFindingMarkdown,
} from '../../reports/markdown/index.ts';
import { XYCHART_MAX_POINTS } from '../../reports/markdown/xychart.ts';
import type { Evidence, Finding, Severity } from '../../src/model/index.ts';
import {
  buildAnalysisResult,
  buildDiagnoseResult,
  buildFinding,
  buildHost,
  buildRecommendation,
  defaultHosts,
  defaultRules,
  HOST_IDS,
} from '../helpers/result-builder.ts';
import { mermaidBlocks, mermaidLines, proseLines, section, splitRow, tables } from './markdown-lines.ts';

const HOSTILE =
  'a|b\nc</details><script>alert(1)</script>[x](http://evil) ![i](http://evil/i.png) `x` *y* _z_';

/** Evidence text a reader must find in a finding's section, as the writer escapes it. */
function evidenceMarkers(evidence: Evidence): string[] {
  switch (evidence.kind) {
    case 'stat':
    case 'table':
      return [escapeText(evidence.label)];
    case 'series':
      return [escapeText(evidence.label), '```mermaid'];
    case 'excerpt':
      return [escapeText(evidence.label), ...evidence.lines];
    case 'arithmetic':
      return [escapeText(evidence.label), ...evidence.steps.map((step) => escapeText(step.result))];
  }
}

function findingHeading(finding: Finding): string {
  return `### ${finding.severity.toUpperCase()}: ${escapeText(finding.title)}`;
}

/** Every table row of a document (header and delimiter rows included), as cells. */
function rowsOf(markdown: string): string[][] {
  return tables(markdown).flatMap((table) => table.map(splitRow));
}

function expectWellFormedTables(markdown: string): void {
  const found = tables(markdown);
  expect(found.length).toBeGreaterThan(0);
  for (const table of found) {
    const width = splitRow(table[0] ?? '').length;
    expect(splitRow(table[1] ?? '').every((cell) => /^:?---+:?$/.test(cell))).toBe(true);
    for (const row of table) expect(splitRow(row), row).toHaveLength(width);
  }
}

describe('renderAuditMarkdown', () => {
  const result = buildAnalysisResult();
  const report = renderAuditMarkdown(result);

  it('opens with the title, the date and one line of run facts', () => {
    const [title, blank, facts] = report.split('\n');
    expect(title).toBe('# fleetlens audit 2025-05-14');
    expect(blank).toBe('');
    expect(facts).toBe(
      'Mode: live · Window: 2025-04-30 06:00 UTC → 2025-05-14 06:00 UTC (14 d, step 5 min) · Providers: aws · ' +
        'Run took 41.9 s · fleetlens 0.1.0',
    );
    expect(renderAuditMarkdown(result, { title: 'Q3 capacity review' })).toMatch(/^# Q3 capacity review\n/);
  });

  it('counts findings per severity in the summary, as listed below', () => {
    const summaryTable = tables(section(report, '## Summary'))[0] ?? [];
    const counts = Object.fromEntries(summaryTable.slice(2).map((row) => splitRow(row)));
    const expected = (severity: Severity) =>
      String(result.findings.filter((f) => f.severity === severity).length);
    for (const severity of ['critical', 'high', 'medium', 'low', 'info'] as const) {
      expect(counts[severity]).toBe(expected(severity));
    }
    expect(counts['**total**']).toBe(`**${result.findings.length}**`);
    expect(report).toContain('- Hosts: 5 (aws 5) in 2 regions');
  });

  it('sums only the known cost deltas and counts the unknown ones apart', () => {
    // -5.38 + 0 + 0 + 216.08 - 234.33; the scaling and cache-1 changes have no price.
    expect(report).toContain(
      '- Known monthly cost delta: **-$23.63/mo** (sum over 5 with a known price; 2 with an unknown price not counted)',
    );
    const allUnknown = buildAnalysisResult({
      recommendations: result.recommendations.map((rec) => ({ ...rec, monthlyCostDeltaUsd: null })),
    });
    expect(renderAuditMarkdown(allUnknown)).toContain(
      '**$0.00/mo** (sum over 0 with a known price; 7 with an unknown',
    );
  });

  it('lists at most five top actions, most severe finding first, then the biggest saving', () => {
    const actions = section(report, '### Top actions')
      .split('\n')
      .filter((line) => /^\d+\. /.test(line));
    expect(actions).toHaveLength(5);
    expect(actions[0]).toBe(
      '1. **CRITICAL** aws volume vol-0db1a2b3c4d5e6f70 (db-1 data): volume gp2, 1000 GiB (3,000 IOPS baseline) → ' +
        'gp3, 1000 GiB, 5,500 IOPS, 178 MiB/s, -$5.38/mo, risk 1 (low)',
    );
    expect(actions[4]).toContain('**MEDIUM** aws host i-0b7c8d9e0f1a20004 (batch-1)');
    expect(actions[4]).toContain('-$234.33/mo');
  });

  it('reports API calls against the minimum per provider', () => {
    const aws = rowsOf(section(report, '### Across clouds')).find((row) => row[0] === 'aws');
    // made, minimum, retries
    expect(aws?.slice(6, 9)).toEqual(['14', '11', '3']);
  });

  it('lists every host with its CPU percentiles, on-host verdict and blind spots', () => {
    const rows = (tables(section(report, '### aws'))[0] ?? []).slice(2).map(splitRow);
    expect(rows).toHaveLength(result.hosts.length);
    const web1 = rows.find((row) => row[2] === 'web-1');
    expect(web1).toEqual([
      'aws',
      'us-east-1',
      'web-1',
      HOST_IDS.web1,
      'm5.2xlarge',
      '8 vCPU',
      '32 GiB',
      'web-asg',
      '71.4 %',
      '89.6 %',
      '99.1 %',
      'listen-queue-overflow (81 %)',
      'mem.used (filled on-host)',
    ]);
    expect(rows.find((row) => row[2] === 'cache-1')?.slice(8, 11)).toEqual(['—', '—', '—']);
  });

  it('gives every finding its own section with its message and every piece of evidence', () => {
    const headings = report
      .split('\n')
      .filter((line) => line.startsWith('### ') && /^### [A-Z]+: /.test(line));
    expect(headings).toHaveLength(result.findings.length);
    for (const finding of result.findings) {
      const text = section(report, findingHeading(finding));
      expect(text, finding.id).not.toBe('');
      expect(text).toContain(escapeText(finding.message));
      for (const evidence of finding.evidence) {
        for (const marker of evidenceMarkers(evidence))
          expect(text, `${finding.id}: ${marker}`).toContain(marker);
      }
    }
  });

  it('orders findings by severity, then subject', () => {
    const order = report
      .split('\n')
      .filter((line) => /^### [A-Z]+: /.test(line))
      .map((line) => line.slice(4));
    expect(order).toEqual([
      'CRITICAL: gp2 burst balance runs out (db-1 data)',
      'HIGH: CPU close to saturation (web-1)',
      'HIGH: Listen queue overflows (web-1)',
      'MEDIUM: Group scales on CPU while the bottleneck is the listen queue (web-asg)',
      'MEDIUM: Instance larger than its peak needs (batch-1)',
      'LOW: CPU credit balance drains (cache-1)',
      'INFO: Open files well under the limit (web-2)',
    ]);
  });

  it("shows a finding's recommendations with cost, risk in words and their arithmetic", () => {
    const text = section(report, '### MEDIUM: Instance larger than its peak needs');
    expect(text).toContain('#### Recommendation (instance-type): m5.2xlarge → m5.large');
    expect(text).toContain('- Monthly cost delta: -$234.33/mo');
    expect(text).toContain('- Risk: 1 (low)');
    expect(rowsOf(text)).toContainEqual([
      '4',
      'Price delta',
      '(\\$0.107 − \\$0.428)/h × 730 h',
      '-\\$234.33/mo',
    ]);
    const unknown = section(report, '### LOW: CPU credit balance drains');
    expect(unknown).toContain('- Monthly cost delta: price unknown');
    expect(unknown).toContain('- Risk: 2 (medium)');
  });

  it('draws each series as a sparkline beside a folded chart of at most 50 points that keeps the spike', () => {
    const text = section(report, '### HIGH: CPU close to saturation');
    expect(text).toMatch(/`[▁▂▃▄▅▆▇█ ]{60}` \(max per 5 h 36 min\) min 14\.1 %, max 99\.1 %/);
    expect(text).toContain(
      '<details>\n<summary>Chart: CPU utilisation, 5-minute maximum</summary>\n\n```mermaid',
    );
    const [chart] = mermaidBlocks(text);
    const [values = []] = mermaidLines(chart ?? '');
    expect(values.length).toBeLessThanOrEqual(XYCHART_MAX_POINTS);
    expect(Math.max(...values)).toBe(99.1);
  });

  it('says how many lines an excerpt had when it shows only some', () => {
    expect(report).toContain(
      '**Limits of the gunicorn master** (from samples/web-2/proc-limits.txt; showing 2 of 17 lines)',
    );
  });

  it('folds long evidence tables into <details>', () => {
    const rows = Array.from({ length: 16 }, (_, index) => ({ host: `web-${index}`, drops: index * 10 }));
    const long: Evidence = {
      kind: 'table',
      label: 'Drops per host',
      columns: [
        { key: 'host', label: 'Host' },
        { key: 'drops', label: 'Drops', unit: 'count' },
      ],
      rows,
    };
    const finding = buildFinding({
      id: 'f-long',
      subject: { provider: 'aws', kind: 'host', id: 'i-1' },
      evidence: [long],
    });
    const text = renderFindingMarkdown(
      buildAnalysisResult({ findings: [finding], recommendations: [] }),
      'f-long',
    );
    expect(text).toContain(
      '<details>\n<summary>Drops per host (16 rows)</summary>\n\n| Host   | Drops (count) |',
    );
    expect(rowsOf(text)).toHaveLength(2 + 16);
  });

  it('summarises every recommendation in one table', () => {
    const rows = (tables(section(report, '## Recommendations'))[0] ?? []).slice(2).map(splitRow);
    expect(rows).toHaveLength(result.recommendations.length);
    expect(rows[0]).toEqual([
      'critical',
      'volume',
      'aws volume vol-0db1a2b3c4d5e6f70 (db-1 data)',
      'gp2, 1000 GiB (3,000 IOPS baseline)',
      'gp3, 1000 GiB, 5,500 IOPS, 178 MiB/s',
      '-$5.38/mo',
      '1 (low)',
    ]);
    expect(rows.filter((row) => row[5] === 'price unknown')).toHaveLength(2);
  });

  it('lists every collection gap and every rule that could not judge, with reasons', () => {
    const gaps = section(report, '## Data gaps');
    for (const gap of result.gaps) expect(gaps).toContain(escapeText(gap.message));
    expect(gaps).toContain('| samples/web-1/sadf-A.json.gz:1432 |');
    for (const rule of result.run.rules.filter((r) => r.status !== 'pass' && r.status !== 'findings')) {
      expect(gaps).toContain(`- **${rule.ruleId}** (${rule.title}): ${rule.status}`);
    }
    expect(gaps).toContain(
      '  - no mem.used series (CloudWatch agent not installed) (3 subjects: i-0a1b2c3d4e5f60002 (web-2), ' +
        'i-0a1b2c3d4e5f60003 (db-1), i-0b7c8d9e0f1a20005 (cache-1))',
    );
    expect(gaps).not.toContain('steal-time');
  });

  it('keeps rule reasons readable for a 30-host fleet', () => {
    const hosts = Array.from({ length: 30 }, (_, index) => `i-${String(index).padStart(4, '0')}`);
    const reasons = [
      ...hosts.map((subject) => ({ subject, reason: 'no mem.used series' })),
      ...Array.from({ length: 13 }, (_, index) => ({
        subject: hosts[index] ?? null,
        reason: `odd reason ${index}`,
      })),
    ];
    const rules = [
      ...defaultRules(),
      { ruleId: 'wide', title: 'Wide', status: 'skipped' as const, findings: 0, reasons, durationMs: 1 },
    ];
    const gaps = section(renderAuditMarkdown(buildAnalysisResult({ rules })), '## Data gaps');
    const item = gaps.slice(gaps.indexOf('- **wide**')).split('\n- ')[0] ?? '';
    const lines = item.split('\n');
    expect(lines).toHaveLength(1 + 10 + 1);
    expect(lines[1]).toMatch(/^ {2}- no mem\.used series \(30 subjects: i-0000, .* and 20 more\)$/);
    expect(lines[11]).toBe('  - and 4 more reasons');
  });

  it('says so when nothing was found and nothing is missing', () => {
    const empty = renderAuditMarkdown(
      buildAnalysisResult({ findings: [], recommendations: [], gaps: [], rules: [], hosts: [] }),
    );
    expect(empty).toContain('## Findings\n\nNo findings in this run.');
    expect(empty).toContain('No recommendations in this run.');
    expect(empty).toContain(
      '## Data gaps\n\nNone: every provider answered and every rule had the data it needed.',
    );
    expect(empty).toContain('## By provider\n\n### aws\n\nno hosts listed');
  });

  it('shows the event multiplier of a pre-event review', () => {
    expect(renderAuditMarkdown(buildAnalysisResult({ eventMultiplier: 4 }))).toContain(
      '- Pre-event projection: every peak × 4',
    );
  });

  it('ends with the schema version and the run id', () => {
    expect(
      report.endsWith(
        'Report schema v1 · run run-20250514T060000Z-3f9a · started 2025-05-14 06:00 UTC. ' +
          "The same run's report.json holds everything shown here.\n",
      ),
    ).toBe(true);
  });

  it('keeps every table well formed', () => {
    expectWellFormedTables(report);
  });

  it('matches the golden sample report', async () => {
    await expect(report).toMatchFileSnapshot('./__snapshots__/audit-report.md');
  });
});

describe('hostile text from the cloud', () => {
  const hosts = defaultHosts().map((host) =>
    host.id === HOST_IDS.web1 ? { ...host, name: HOSTILE, tags: { Name: HOSTILE } } : host,
  );
  const evil = buildHost({ id: `i-evil|${HOSTILE}`, name: HOSTILE, region: 'us-east-1', groupId: HOSTILE });
  const subject = { provider: 'aws' as const, kind: 'host' as const, id: evil.id, name: HOSTILE };
  const finding = buildFinding({
    id: 'f-evil',
    subject,
    title: HOSTILE,
    message: HOSTILE,
    rationale: `# heading\n\n- list\n${HOSTILE}`,
    remediation: '```\n</details>',
    sources: [HOSTILE, 'javascript:alert(1)'],
    evidence: [
      { kind: 'stat', label: HOSTILE, value: 1, unit: 'count', method: HOSTILE },
      { kind: 'excerpt', label: HOSTILE, source: HOSTILE, lines: ['```', '</details>', HOSTILE, '````'] },
      {
        kind: 'table',
        label: HOSTILE,
        columns: [{ key: 'k', label: HOSTILE }],
        rows: [{ k: HOSTILE }, { k: null }],
      },
      { kind: 'arithmetic', label: HOSTILE, steps: [{ label: HOSTILE, formula: HOSTILE, result: HOSTILE }] },
      {
        kind: 'series',
        label: HOSTILE,
        unit: 'percent',
        stepSec: 60,
        points: [
          [0, 1],
          [60_000, 2],
        ],
        source: HOSTILE,
      },
    ],
    recommendationIds: ['r-evil'],
  });
  const rec = buildRecommendation({
    id: 'r-evil',
    findingId: 'f-evil',
    subject,
    current: HOSTILE,
    recommended: HOSTILE,
    rationale: HOSTILE,
  });
  const result = buildAnalysisResult({
    hosts: [...hosts, evil],
    findings: [finding],
    recommendations: [rec],
    gaps: [
      {
        provider: 'aws',
        what: HOSTILE,
        kind: 'bad-response',
        message: HOSTILE,
        subject,
        file: HOSTILE,
        line: 3,
      },
    ],
    rules: [
      {
        ruleId: 'r',
        title: HOSTILE,
        status: 'error',
        findings: 0,
        reasons: [{ subject: HOSTILE, reason: HOSTILE }],
        durationMs: 1,
      },
    ],
  });
  const report = renderAuditMarkdown(result);
  const prose = proseLines(report).join('\n');

  it('cannot add or remove table columns', () => {
    expectWellFormedTables(report);
    const hostRows = (tables(section(report, '### aws'))[0] ?? []).map(splitRow);
    expect(hostRows.every((row) => row.length === 13)).toBe(true);
    expect(hostRows).toHaveLength(2 + 6);
  });

  it('cannot inject HTML, links or images outside code blocks', () => {
    expect(prose).not.toMatch(/<(?!br>|details>|\/details>|summary>|\/summary>|https:\/\/)[a-z/!]/i);
    expect(prose).not.toMatch(/(?<!\\)\]\(/);
    expect(prose).not.toMatch(/(?<!\\)!\[|(?<!\\)\[x/);
    expect(prose).not.toContain('http://evil');
    expect(prose.match(/^<details>$/gm)).toHaveLength(prose.match(/^<\/details>$/gm)?.length ?? -1);
  });

  it('cannot start headings or lists of its own', () => {
    const ours =
      /^(#{1,4} (Summary|Top actions|Across clouds|By provider|aws|gcp|linode|ovh|Findings|Evidence|Recommendation|Recommendations|Why|What to do|Sources|Data gaps|Collection gaps|Rules that|INFO|LOW|MEDIUM|HIGH|CRITICAL|fleetlens)|- |\d+\. | {2}- )/;
    for (const line of prose.split('\n')) {
      if (/^(#|- |\d+\. )/.test(line)) expect(line).toMatch(ours);
    }
  });

  it('keeps log lines verbatim inside a fence they cannot close', () => {
    expect(report).toContain(
      `\`\`\`\`\`text\n\`\`\`\n</details>\n${HOSTILE.replace('\n', '\n')}\n\`\`\`\`\n\`\`\`\`\``,
    );
  });

  it('renders a javascript: source as text, never as a link', () => {
    expect(report).toContain('- javascript:alert(1)');
  });
});

describe('renderFindingMarkdown', () => {
  const result = buildAnalysisResult();

  it('renders one finding alone, with its evidence, recommendation, arithmetic and where it came from', () => {
    const text = renderFindingMarkdown(result, 'f-gp2-burst-db1');
    expect(text.split('\n')[0]).toBe('### CRITICAL: gp2 burst balance runs out (db-1 data)');
    expect(text.match(/^### /gm)).toHaveLength(1);
    expect(text).toContain('**CRITICAL** · aws volume vol-0db1a2b3c4d5e6f70 (db-1 data)');
    expect(text).toContain('```mermaid');
    expect(text).toContain('#### Recommendation (volume)');
    expect(text).toContain('**gp2 to gp3 at the observed peaks**');
    expect(text).toContain('- <https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html>');
    expect(text).not.toContain('web-1');
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      '_From fleetlens audit run run-20250514T060000Z-3f9a, window 2025-04-30 06:00 UTC → 2025-05-14 06:00 UTC ' +
        '(14 d, step 5 min), report schema v1._',
    );
    expectWellFormedTables(text);
  });

  it('is the same section the full report shows, plus the context line', () => {
    const text = renderFindingMarkdown(result, 'f-listen-web1');
    const body = text.slice(0, text.lastIndexOf('\n\n_From fleetlens'));
    expect(renderAuditMarkdown(result)).toContain(body);
  });

  it('fails clearly for an unknown finding id', () => {
    expect(() => renderFindingMarkdown(result, 'nope')).toThrow(
      'finding nope is not in run run-20250514T060000Z-3f9a',
    );
  });
});

describe('renderDiagnoseMarkdown', () => {
  const result = buildDiagnoseResult();
  const report = renderDiagnoseMarkdown(result);

  it('gives each folder a section with its class and confidence, in argument order', () => {
    const headings = report.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toEqual([
      '## samples/api-3: gevent-loop-blocked (confidence 86 %)',
      '## samples/worker-1: healthy (confidence 74 %)',
    ]);
  });

  it('ranks class scores with their strongest signals', () => {
    const rows = (tables(section(report, '## samples/api-3'))[0] ?? []).slice(2).map(splitRow);
    expect(rows.map((row) => row[0])).toEqual(['gevent-loop-blocked', 'cpu-saturated', 'healthy']);
    expect(rows[0]?.[2]).toBe(
      'gevent monitor reports +0.5: 37 "appears to be blocked" reports in 120 s<br>CPU idle +0.2: CPU 18 % while ' +
        'requests queued<br>worker class +0.15: gunicorn --worker-class gevent<br>and 1 more',
    );
  });

  it('shows findings with evidence, recommendations, inputs, gaps and ignored files', () => {
    const api = section(report, '## samples/api-3');
    expect(report).toContain('#### HIGH: gevent hub blocked by a synchronous call (api-3)');
    expect(report).toContain('<Hub> appears to be blocked (1.8 s): psycopg2/extensions.py:117');
    const rows = rowsOf(report);
    expect(rows.find((row) => row[1] === 'runtime')?.slice(0, 3)).toEqual([
      'high',
      'runtime',
      'onhost host samples/api-3 (api-3)',
    ]);
    expect(rows).toContainEqual([
      'gunicorn.log',
      'app-log',
      '2,210',
      '2025-05-13 08:58 UTC',
      '2025-05-13 09:02 UTC',
    ]);
    expect(rows).toContainEqual(['pidstat.txt:88', 'bad-sample', 'Truncated line.']);
    expect(report).toContain('### Ignored files\n\n- notes.md');
    expect(api).not.toBe('');
    expectWellFormedTables(report);
  });
});

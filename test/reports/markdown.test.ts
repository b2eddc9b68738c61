import { describe, expect, it } from 'vitest';
import { reportWriters } from '../../reports/index.ts';
import { escapeText } from '../../reports/markdown/escape.ts';
import {
  findingFilePath,
  renderAuditMarkdown,
  renderDiagnoseMarkdown,
  renderFindingMarkdown,
} from '../../reports/markdown/index.ts';
import { formatValue } from '../../reports/markdown/units.ts';
import { XYCHART_MAX_POINTS } from '../../reports/markdown/xychart.ts';
import type { Evidence, Finding, Recommendation, Severity } from '../../src/model/index.ts';
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

/** Evidence text a reader must find in a finding's file, as the writer escapes it. */
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

/** Every table row of a document (header and delimiter rows included), as cells. */
function rowsOf(markdown: string): string[][] {
  return tables(markdown).flatMap((table) => table.map(splitRow));
}

function bodyRows(markdown: string): string[][] {
  return (tables(markdown)[0] ?? []).slice(2).map(splitRow);
}

function expectWellFormedTables(markdown: string): void {
  const found = tables(markdown);
  expect(found.length).toBeGreaterThan(0);
  for (const table of found) {
    const width = splitRow(table[0] ?? '').length;
    // GFM: a delimiter cell is dashes with an optional colon at either end.
    expect(splitRow(table[1] ?? '').every((cell) => /^:?-+:?$/.test(cell))).toBe(true);
    for (const row of table) expect(splitRow(row), row).toHaveLength(width);
  }
}

const listLines = (markdown: string) =>
  markdown.split('\n').filter((line) => /^- \*\*[A-Z]+\*\* /.test(line));
const actionLines = (markdown: string) =>
  section(markdown, '### Top actions')
    .split('\n')
    .filter((line) => /^\d+\. /.test(line));

describe('report.md', () => {
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
    expect(report).not.toContain('Incomplete run');
    expect(renderAuditMarkdown(result, { title: 'Q3 capacity review' })).toMatch(/^# Q3 capacity review\n/);
  });

  it('counts findings per severity and per category, as listed below', () => {
    const summary = section(report, '## Summary');
    expect(rowsOf(summary)[0]).toEqual(['Severity', 'reliability', 'performance', 'cost', 'Total']);
    const rows = bodyRows(summary);
    const count = (severity: Severity, category?: Finding['category']) =>
      String(
        result.findings.filter(
          (f) => f.severity === severity && (category === undefined || f.category === category),
        ).length,
      );
    for (const severity of ['critical', 'high', 'medium', 'low', 'info'] as const) {
      const row = rows.find((cells) => cells[0] === severity);
      expect(row).toEqual([
        severity,
        count(severity, 'reliability'),
        count(severity, 'performance'),
        count(severity, 'cost'),
        count(severity),
      ]);
    }
    expect(rows.at(-1)).toEqual(['**total**', '**0**', '**7**', '**0**', `**${result.findings.length}**`]);
    const costly = buildAnalysisResult({
      findings: result.findings.map((f) =>
        f.ruleId === 'instance-oversized' ? { ...f, category: 'cost' } : f,
      ),
    });
    expect(
      bodyRows(section(renderAuditMarkdown(costly), '## Summary')).find((r) => r[0] === 'medium'),
    ).toEqual(['medium', '0', '1', '1', '2']);
    expect(report).toContain('- Hosts: 5 (aws 5) in 2 regions');
  });

  it("renders the run summary's cost total and never counts an already-right setting as a change", () => {
    // -5.38 + 0 + 216.08 - 234.33; the scaling and cache-1 changes have no price; somaxconn 4096 → 4096 (keep) is no change.
    expect(report).toContain(
      '- Known monthly cost delta: **-$23.63/mo** (sum over 4 with a known price; 2 with an unknown price not counted)',
    );
    expect(report).toContain('- Recommendations: 6 changes to make (1 already right: shown, never counted)');
    expect(report).not.toContain('somaxconn');
  });

  it('shows a superseded recommendation nowhere in the actions and counts it in no total', () => {
    const terminate = buildRecommendation({
      id: 'r-terminate-batch1',
      findingId: 'f-oversized-batch1',
      subject: { provider: 'aws', kind: 'host', id: HOST_IDS.batch1, name: 'batch-1' },
      current: 'm5.2xlarge, running',
      recommended: 'terminate (idle)',
      monthlyCostDeltaUsd: -280.32,
    });
    const recommendations = [
      ...buildAnalysisResult().recommendations.map((rec) =>
        rec.id === 'r-type-batch1' ? { ...rec, supersededBy: terminate.id } : rec,
      ),
      terminate,
    ];
    const superseded = buildAnalysisResult({ recommendations });
    const text = renderAuditMarkdown(superseded);
    // -5.38 + 216.08 - 280.32: the resize's -234.33 is not added to the terminate's saving.
    expect(superseded.run.summary.monthlyCostDeltaUsd).toBe(-69.62);
    expect(text).toContain('**-$69.62/mo** (sum over 4 with a known price;');
    expect(text).toContain('(1 superseded, 1 already right: shown, never counted)');
    const aws = rowsOf(section(text, '### Across clouds')).find((row) => row[0] === 'aws');
    expect(aws?.[5]).toBe('-$69.62/mo');
    const batch = actionLines(text).find((line) => line.includes('batch-1'));
    expect(batch).toContain('terminate (idle), -$280.32/mo');
    expect(batch).not.toContain('m5.large');
    const kinds = bodyRows(section(text, '## Recommendations')).find((row) => row[0] === 'instance-type');
    expect(kinds).toEqual(['instance-type', '3', '1', '0', '-$64.24/mo', '1']);
  });

  it('ranks top actions by severity first, so a critical finding without a sizing still leads', () => {
    const unsized = buildFinding({
      id: 'f-disk-db1',
      severity: 'critical',
      category: 'performance',
      subject: { provider: 'aws', kind: 'host', id: HOST_IDS.db1, name: 'db-1' },
      title: 'Disk saturated',
    });
    const findings = [
      ...buildAnalysisResult().findings.map((f) =>
        f.id === 'f-listen-web1' ? { ...f, category: 'reliability' as const } : f,
      ),
      unsized,
    ];
    const actions = actionLines(renderAuditMarkdown(buildAnalysisResult({ findings })));
    expect(actions).toHaveLength(8);
    expect(actions[0]).toBe(
      '1. **CRITICAL** performance · aws volume vol-0db1a2b3c4d5e6f70 (db-1 data): gp2 burst balance runs out → ' +
        'volume gp2, 1000 GiB (3,000 IOPS baseline) → gp3, 1000 GiB, 5,500 IOPS, 178 MiB/s, -$5.38/mo, risk 1 (low) · ' +
        '[details](findings/f-gp2-burst-db1.md)',
    );
    expect(actions[1]).toBe(
      '2. **CRITICAL** performance · aws host i-0a1b2c3d4e5f60003 (db-1): Disk saturated → no change computed: see the finding · ' +
        '[details](findings/f-disk-db1.md)',
    );
    // Within a severity: reliability before performance before cost, then the biggest saving.
    expect(actions[2]).toMatch(/^3\. \*\*HIGH\*\* reliability · .*Listen queue overflows/);
    expect(actions[3]).toMatch(/^4\. \*\*HIGH\*\* performance · .*CPU close to saturation/);
  });

  it('shows each cloud’s coverage: scopes, hosts listed, series received of expected, hosts judged', () => {
    const rows = bodyRows(section(report, '### Coverage'));
    expect(rows).toEqual([['aws', '1: eu-west-1', '5', '25 / 25 (100 %)', '5 (100 %)', '—', 'yes']]);
  });

  it('opens an incomplete run with a line naming what failed, and marks the cloud in the coverage table', () => {
    const incomplete = buildAnalysisResult({
      run: {
        complete: false,
        coverage: {
          aws: {
            scopes: ['eu-west-1', 'us-east-1'],
            failedScopes: [{ scope: 'us-east-1', reason: 'auth: RequestExpired' }],
            hostsListed: 3,
            seriesExpected: 15,
            seriesReceived: 12,
            hostsJudged: 2,
            judgedShare: 2 / 3,
            complete: false,
          },
        },
      },
    });
    const text = renderAuditMarkdown(incomplete);
    expect(text.split('\n\n')[2]).toBe(
      '**Incomplete run:** 1 configured scope listed nothing because of an error: aws us-east-1 (auth: RequestExpired). ' +
        'Findings and totals below cover only what was listed; fleetlens exits 4 for this run unless --allow-partial.',
    );
    expect(bodyRows(section(text, '### Coverage'))).toEqual([
      [
        'aws',
        '2: eu-west-1, us-east-1',
        '3',
        '12 / 15 (80 %)',
        '2 (67 %)',
        '1: us-east-1 (auth: RequestExpired)',
        '**no**',
      ],
    ]);
  });

  it('reports API calls against the minimum per provider', () => {
    const aws = rowsOf(section(report, '### Across clouds')).find((row) => row[0] === 'aws');
    // made, minimum, retries
    expect(aws?.slice(6, 9)).toEqual(['14', '11', '3']);
    expect(aws?.[10]).toBe('cpu.util.max 1/5, mem.used 4/5 (1 filled on-host)');
  });

  it('lists hosts with findings first, with the CPU p95 the findings quote', () => {
    const rows = bodyRows(section(report, '## Hosts'));
    expect(rows).toHaveLength(result.hosts.length);
    expect(rows.map((row) => row[2])).toEqual(['db-1', 'web-1', 'batch-1', 'cache-1', 'web-2']);
    const web1 = rows.find((row) => row[2] === 'web-1');
    const average = result.hosts
      .find((host) => host.id === HOST_IDS.web1)
      ?.stats.find((s) => s.metric === 'cpu.util');
    expect(web1).toEqual([
      'aws',
      'us-east-1',
      'web-1',
      HOST_IDS.web1,
      'm5.2xlarge',
      'web-asg',
      formatValue(average?.p95 ?? null, 'percent'),
      '99.1 %',
      '2 (worst high)',
      'listen-queue-overflow (81 %)',
    ]);
    expect(web1?.[6]).toBe('64.3 %');
    // A volume's finding counts for the host it is attached to.
    expect(rows.find((row) => row[2] === 'db-1')?.[8]).toBe('1 (worst critical)');
  });

  it('keeps the host table to the hosts that matter and says how many more report.json holds', () => {
    const hosts = Array.from({ length: 100 }, (_, index) =>
      buildHost({ id: `i-${String(index).padStart(4, '0')}`, name: `node-${index}` }),
    );
    const text = renderAuditMarkdown(buildAnalysisResult({ hosts: [...defaultHosts(), ...hosts] }));
    const rows = bodyRows(section(text, '## Hosts'));
    expect(rows).toHaveLength(30);
    expect(rows.slice(0, 4).map((row) => row[2])).toEqual(['db-1', 'web-1', 'batch-1', 'cache-1']);
    expect(section(text, '## Hosts')).toContain(
      'Showing 30 of 105 hosts: those with findings first, most severe first, then the busiest by CPU p95. The other 75 are in report.json.',
    );
  });

  it('gives every finding one line that links to its own file, most urgent first', () => {
    const lines = listLines(section(report, '## Findings'));
    expect(lines).toHaveLength(result.findings.length);
    const files = new Set(reportWriters.md.auditFiles(result).map((file) => file.path));
    for (const finding of result.findings) {
      const line = lines.find((candidate) => candidate.includes(`](${findingFilePath(finding.id)})`));
      expect(line, finding.id).toContain(`[${escapeText(finding.title)}](`);
      expect(files.has(findingFilePath(finding.id))).toBe(true);
    }
    expect(lines.map((line) => /^- \*\*([A-Z]+)\*\*/.exec(line)?.[1])).toEqual([
      'CRITICAL',
      'HIGH',
      'HIGH',
      'MEDIUM',
      'MEDIUM',
      'LOW',
      'INFO',
    ]);
    expect(lines[0]).toBe(
      '- **CRITICAL** performance · aws volume vol-0db1a2b3c4d5e6f70 (db-1 data): ' +
        '[gp2 burst balance runs out](findings/f-gp2-burst-db1.md) · volume gp2, 1000 GiB (3,000 IOPS baseline) → ' +
        'gp3, 1000 GiB, 5,500 IOPS, 178 MiB/s, -$5.38/mo, risk 1 (low)',
    );
    // The evidence lives in the finding files, not here.
    expect(report).not.toContain('```mermaid');
  });

  it('counts findings by rule', () => {
    const rows = bodyRows(section(report, '### By rule'));
    expect(rows[0]).toEqual(['gp2-burst-balance', 'performance', '1', '1', '—', '—', '—', '—', '-$5.38/mo']);
    expect(rows).toHaveLength(7);
  });

  it('groups collection gaps into one row per cloud, kind, call and scope', () => {
    const gaps = [
      ...Array.from({ length: 30 }, () => ({
        provider: 'gcp' as const,
        what: 'metrics',
        kind: 'throttled' as const,
        message: 'gcp monitoring.timeSeries.list (shop-prod): throttled: quota exceeded',
        operation: 'monitoring.timeSeries.list',
        scope: 'shop-prod',
      })),
      ...buildAnalysisResult().gaps,
    ];
    const text = renderAuditMarkdown(buildAnalysisResult({ gaps }));
    const rows = bodyRows(section(text, '### Collection gaps'));
    expect(rows).toHaveLength(4);
    expect(rows).toContainEqual([
      'gcp',
      'throttled',
      'monitoring.timeSeries.list',
      'shop-prod',
      '30',
      'gcp monitoring.timeSeries.list (shop-prod): throttled: quota exceeded',
    ]);
    expect(rows).toContainEqual([
      'onhost',
      'bad-sample',
      'samples/web-1/sadf-A.json.gz:1432',
      '—',
      '1',
      'Truncated JSON: unexpected end of input.',
    ]);
  });

  it('lists every rule that could not judge, with reasons', () => {
    const gaps = section(report, '## Data gaps');
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
    expect(lines).toHaveLength(1 + 5 + 1);
    expect(lines[1]).toBe(
      '  - no mem.used series (30 subjects: i-0000, i-0001, i-0002, i-0003, i-0004 and 25 more)',
    );
    expect(lines[6]).toBe('  - and 9 more reasons');
  });

  it('says so when nothing was found and nothing is missing', () => {
    const empty = renderAuditMarkdown(
      buildAnalysisResult({ findings: [], recommendations: [], gaps: [], rules: [], hosts: [] }),
    );
    expect(empty).toContain('## Findings\n\nNo findings in this run.');
    expect(empty).toContain('### Top actions\n\nNo findings in this run: nothing to act on.');
    expect(empty).toContain('No recommendations in this run.');
    expect(empty).toContain('## Hosts\n\nNo hosts in this run.');
    expect(empty).toContain(
      '## Data gaps\n\nNone: every provider answered and every rule had the data it needed.',
    );
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

describe('findings/<finding-id>.md', () => {
  const result = buildAnalysisResult();

  it('renders one finding alone, with its evidence, recommendation, arithmetic and where it came from', () => {
    const text = renderFindingMarkdown(result, 'f-gp2-burst-db1');
    expect(text.split('\n')[0]).toBe('## CRITICAL: gp2 burst balance runs out (db-1 data)');
    expect(text.match(/^## /gm)).toHaveLength(1);
    expect(text).toContain('**CRITICAL** · performance · aws volume vol-0db1a2b3c4d5e6f70 (db-1 data)');
    expect(text).toContain('```mermaid');
    expect(text).toContain(
      '### Recommendation (volume): gp2, 1000 GiB (3,000 IOPS baseline) → gp3, 1000 GiB, 5,500 IOPS, 178 MiB/s',
    );
    expect(text).toContain('- Monthly cost delta: -$5.38/mo');
    expect(text).toContain('**gp2 to gp3 at the observed peaks**');
    expect(text).toContain('- <https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html>');
    expect(text).not.toContain('web-1');
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      '_From fleetlens audit run run-20250514T060000Z-3f9a, window 2025-04-30 06:00 UTC → 2025-05-14 06:00 UTC ' +
        "(14 d, step 5 min), report schema v1; the run's report.md lists every finding._",
    );
    expectWellFormedTables(text);
  });

  it('holds every piece of evidence of its finding', () => {
    for (const finding of result.findings) {
      const text = renderFindingMarkdown(result, finding.id);
      expect(text).toContain(escapeText(finding.message));
      for (const evidence of finding.evidence) {
        for (const marker of evidenceMarkers(evidence))
          expect(text, `${finding.id}: ${marker}`).toContain(marker);
      }
    }
  });

  it('draws each series as a sparkline beside a folded chart of at most 50 points that keeps the spike', () => {
    const text = renderFindingMarkdown(result, 'f-cpu-web1');
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
    expect(renderFindingMarkdown(result, 'f-nofile-web2')).toContain(
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

  it("shows a recommendation's cost, risk in words and arithmetic", () => {
    const text = renderFindingMarkdown(result, 'f-oversized-batch1');
    expect(text).toContain('### Recommendation (instance-type): m5.2xlarge → m5.large');
    expect(text).toContain('- Monthly cost delta: -$234.33/mo');
    expect(text).toContain('- Risk: 1 (low)');
    expect(rowsOf(text)).toContainEqual([
      '4',
      'Price delta',
      '(\\$0.107 − \\$0.428)/h × 730 h',
      '-\\$234.33/mo',
    ]);
    const unknown = renderFindingMarkdown(result, 'f-credits-cache1');
    expect(unknown).toContain('- Monthly cost delta: price unknown');
    expect(unknown).toContain('- Risk: 2 (medium)');
  });

  it('shows a setting that already suffices as "already right", not as a change', () => {
    const text = renderFindingMarkdown(result, 'f-listen-web1');
    expect(text).toContain(
      '### Already right\n\n- net.core.somaxconn = 4096 (keep): Already above the recommended backlog; listed so nobody lowers it.',
    );
    expect(text).not.toContain('Recommendation (sysctl)');
    expect(text).toContain('### Recommendation (runtime): gunicorn --backlog 128 → gunicorn --backlog 2048');
  });

  it('marks a superseded recommendation, names the stronger one and keeps it out of the totals', () => {
    const terminate = buildRecommendation({
      id: 'r-terminate-batch1',
      findingId: 'f-idle-batch1',
      subject: { provider: 'aws', kind: 'host', id: HOST_IDS.batch1, name: 'batch-1' },
      current: 'running',
      recommended: 'terminate (idle)',
      monthlyCostDeltaUsd: -280.32,
    });
    const recommendations = result.recommendations.map((rec) =>
      rec.id === 'r-type-batch1' ? { ...rec, supersededBy: terminate.id } : rec,
    );
    const text = renderFindingMarkdown(
      buildAnalysisResult({ recommendations: [...recommendations, terminate] }),
      'f-oversized-batch1',
    );
    expect(text).toContain('### Recommendation (instance-type, superseded): m5.2xlarge → m5.large');
    expect(text).toContain(
      '- Superseded by r-terminate-batch1 (instance-type: running → terminate (idle)): one action per subject, so this one is not counted in any total or top action',
    );
    expect(text).toContain('- Monthly cost delta: -$234.33/mo (not counted)');
  });

  it('keeps every unit in its column header and bare numbers in the cells', () => {
    const text = renderFindingMarkdown(result, 'f-listen-web1');
    expect(rowsOf(text)).toContainEqual(['Local address', 'Recv-Q (connections)', 'Backlog (connections)']);
    expect(rowsOf(text)).toContainEqual(['0.0.0.0:8000', '129', '128']);
    const rates: Evidence = {
      kind: 'table',
      label: 'Throughput',
      columns: [
        { key: 'device', label: 'Device' },
        { key: 'read', label: 'Read', unit: 'bytes-per-second' },
        { key: 'wait', label: 'Mean wait', unit: 'seconds' },
      ],
      rows: [
        { device: 'nvme0n1', read: 125_000_000, wait: 0.239 },
        { device: 'nvme1n1', read: 3_200_000, wait: 1.5 },
      ],
    };
    const finding = buildFinding({
      id: 'f-units',
      subject: { provider: 'aws', kind: 'host', id: 'i-1' },
      evidence: [rates],
    });
    const units = renderFindingMarkdown(
      buildAnalysisResult({ findings: [finding], recommendations: [] }),
      'f-units',
    );
    expect(rowsOf(units).slice(0, 4)).toEqual([
      ['Device', 'Read (MB/s)', 'Mean wait (s)'],
      ['-------', '----------:', '------------:'],
      ['nvme0n1', '125', '0.24'],
      ['nvme1n1', '3.2', '1.5'],
    ]);
  });

  it('writes links and commands as a reader sees them: no https\\: and no \\` in the raw text', () => {
    const finding = buildFinding({
      id: 'f-fd',
      subject: { provider: 'aws', kind: 'host', id: 'i-1', name: 'ledger-worker' },
      remediation: 'Find the leak first: sockets in CLOSE_WAIT (`ss -tanp state close-wait`) never closed.',
      sources: [
        'EBS VolumeQueueLength: https://docs.aws.amazon.com/ebs/latest/userguide/using_cloudwatch_ebs.html.',
      ],
    });
    const text = renderFindingMarkdown(
      buildAnalysisResult({ findings: [finding], recommendations: [] }),
      'f-fd',
    );
    expect(text).toContain(
      'Find the leak first: sockets in CLOSE_WAIT (`ss -tanp state close-wait`) never closed.',
    );
    expect(text).toContain(
      '- EBS VolumeQueueLength: <https://docs.aws.amazon.com/ebs/latest/userguide/using_cloudwatch_ebs.html>.',
    );
    for (const file of reportWriters.md.auditFiles(result)) {
      const raw = file.render(result);
      expect(raw, file.path).not.toContain('https\\:');
      expect(raw, file.path).not.toContain('\\`');
    }
  });

  it('matches the golden sample finding', async () => {
    await expect(renderFindingMarkdown(result, 'f-listen-web1')).toMatchFileSnapshot(
      './__snapshots__/finding-f-listen-web1.md',
    );
  });

  it('fails clearly for an unknown finding id', () => {
    expect(() => renderFindingMarkdown(result, 'nope')).toThrow(
      'finding nope is not in run run-20250514T060000Z-3f9a',
    );
  });
});

describe('finding file names', () => {
  it('keeps a hex id as it is', () => {
    expect(findingFilePath('f1c12db6125d7b9a')).toBe('findings/f1c12db6125d7b9a.md');
  });

  it('makes any other id a safe, distinct name inside findings/', () => {
    const ids = [
      '../../etc/passwd',
      'a/b',
      'a\\b',
      'CON',
      'con',
      'ABC',
      'abc',
      '',
      '.hidden',
      'x'.repeat(500),
      HOSTILE,
      'ab.c',
    ];
    const paths = ids.map(findingFilePath);
    expect(new Set(paths.map((path) => path.toLowerCase())).size).toBe(ids.length);
    for (const path of paths) {
      expect(path).toMatch(/^findings\/[a-z0-9][a-z0-9_.-]{0,80}\.md$/);
      expect(path.split('/')).not.toContain('..');
    }
  });
});

describe('hostile text from the cloud', () => {
  const hosts = defaultHosts().map((host) =>
    host.id === HOST_IDS.web1 ? { ...host, name: HOSTILE, tags: { Name: HOSTILE } } : host,
  );
  const evil = buildHost({ id: `i-evil|${HOSTILE}`, name: HOSTILE, region: 'us-east-1', groupId: HOSTILE });
  const subject = { provider: 'aws' as const, kind: 'host' as const, id: evil.id, name: HOSTILE };
  const finding = buildFinding({
    id: `f-evil/../${HOSTILE}`,
    subject,
    ruleId: HOSTILE,
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
  const rec: Recommendation = buildRecommendation({
    id: 'r-evil',
    findingId: finding.id,
    subject,
    current: HOSTILE,
    recommended: `${HOSTILE} 2`,
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
        scope: HOSTILE,
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
    run: {
      complete: false,
      coverage: {
        aws: {
          scopes: [HOSTILE],
          failedScopes: [{ scope: HOSTILE, reason: HOSTILE }],
          hostsListed: 6,
          seriesExpected: 30,
          seriesReceived: 30,
          hostsJudged: 6,
          judgedShare: 1,
          complete: false,
        },
      },
    },
  });
  const files = reportWriters.md
    .auditFiles(result)
    .map((file) => ({ path: file.path, text: file.render(result) }));
  const report = files[0]?.text ?? '';
  const findingFile = files[1]?.text ?? '';

  it('cannot add or remove table columns', () => {
    for (const file of files) expectWellFormedTables(file.text);
    const hostRows = (tables(section(report, '## Hosts'))[0] ?? []).map(splitRow);
    expect(hostRows.every((row) => row.length === 10)).toBe(true);
    expect(hostRows).toHaveLength(2 + 6);
  });

  it('cannot inject HTML, links or images outside code blocks, in report.md or a finding file', () => {
    for (const file of files) {
      const prose = proseLines(file.text).join('\n');
      expect(prose, file.path).not.toMatch(
        /<(?!br>|details>|\/details>|summary>|\/summary>|https:\/\/)[a-z/!]/i,
      );
      expect(prose, file.path).not.toMatch(/(?<!\\)\]\((?!findings\/)/);
      expect(prose, file.path).not.toMatch(/(?<!\\)!\[|(?<!\\)\[x/);
      expect(prose, file.path).not.toContain('http://evil');
      expect(prose.match(/^<details>$/gm)?.length ?? 0, file.path).toBe(
        prose.match(/^<\/details>$/gm)?.length ?? 0,
      );
    }
  });

  it('cannot start headings or lists of its own', () => {
    const ours =
      /^(#{1,4} (Summary|Top actions|Coverage|Across clouds|Hosts|Findings|By rule|Every finding|Evidence|Recommendation|Recommendations|Already right|Why|What to do|Sources|Data gaps|Collection gaps|Rules that|INFO|LOW|MEDIUM|HIGH|CRITICAL|fleetlens)|- |\d+\. | {2}- )/;
    for (const file of files) {
      for (const line of proseLines(file.text)) {
        if (/^(#|- |\d+\. )/.test(line)) expect(line, file.path).toMatch(ours);
      }
    }
  });

  it('names the finding file safely, and report.md links to that name', () => {
    expect(files[1]?.path).toMatch(/^findings\/f-evil-[a-z0-9_-]*\.[0-9a-f]{12}\.md$/);
    expect(report).toContain(`](${files[1]?.path})`);
  });

  it('keeps log lines verbatim inside a fence they cannot close', () => {
    expect(findingFile).toContain(`\`\`\`\`\`text\n\`\`\`\n</details>\n${HOSTILE}\n\`\`\`\`\n\`\`\`\`\``);
  });

  it('renders a javascript: source as text, never as a link', () => {
    expect(findingFile).toContain('- javascript:alert(1)');
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
    const rows = bodyRows(section(report, '## samples/api-3'));
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

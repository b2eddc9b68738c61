import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAuditHtml, renderAuditHtml } from '../../../reports/html/index.ts';
import { PAGE_SCRIPT } from '../../../reports/html/script.ts';
import type { AnalysisResult } from '../../../reports/json/schema.ts';
import type { Evidence } from '../../../src/model/index.ts';
import {
  buildAnalysisResult,
  buildFinding,
  buildRecommendation,
  HOST_IDS,
} from '../../helpers/result-builder.ts';
import {
  attr,
  byClass,
  byId,
  byTag,
  type DomElement,
  elements,
  parseHtml,
  tableRows,
  textOf,
} from './dom.ts';
import { cpuSeries, web1, withLaterIssues } from './fixtures.ts';

function card(root: DomElement, title: string): DomElement {
  const found = byClass(root, 'card').find((element) => textOf(byTag(element, 'h3')[0]!) === title);
  if (!found) throw new Error(`no card ${title}`);
  return found;
}

function counts(element: DomElement): Record<string, string> {
  return Object.fromEntries(
    byTag(element, 'li').map((li) => {
      const spans = byTag(li, 'span').filter((span) => !(attr(span, 'class') ?? '').includes('badge'));
      const label = textOf(li)
        .slice(0, textOf(li).length - textOf(spans.at(-1)!).length)
        .trim();
      return [label, textOf(spans.at(-1)!).trim()];
    }),
  );
}

describe('renderAuditHtml', () => {
  const result = buildAnalysisResult();
  let page: string;
  let root: DomElement;
  beforeAll(async () => {
    page = await renderAuditHtml(result);
    root = parseHtml(page);
  });

  it('is pure: the same result gives the same bytes', async () => {
    expect(await renderAuditHtml(result)).toBe(page);
  });

  it('loads nothing: no external element or attribute, and a CSP that forbids network loads', () => {
    for (const element of elements(root)) {
      expect(
        ['link', 'img', 'iframe', 'object', 'embed', 'base', 'audio', 'video', 'source'],
        element.tagName,
      ).not.toContain(element.tagName);
      expect(attr(element, 'src'), element.tagName).toBeUndefined();
      const href = attr(element, 'href');
      if (href !== undefined) {
        // In-page anchors, and plain links a reader may follow (a click, never a load).
        expect(element.tagName === 'a' && (href.startsWith('#') || /^https:\/\//.test(href)), href).toBe(
          true,
        );
      }
    }
    const scripts = byTag(root, 'script');
    expect(scripts).toHaveLength(1);
    expect(textOf(scripts[0]!)).toBe(PAGE_SCRIPT);
    const csp = byTag(root, 'meta').find((meta) => attr(meta, 'http-equiv') === 'Content-Security-Policy');
    const hash = createHash('sha256').update(PAGE_SCRIPT).digest('base64');
    expect(attr(csp!, 'content')).toBe(
      `default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'`,
    );
  });

  it('summarises severities, categories, coverage and the known cost delta', () => {
    expect(counts(card(root, 'Findings by severity'))).toEqual({
      critical: '1',
      high: '2',
      medium: '2',
      low: '1',
      info: '1',
    });
    expect(counts(card(root, 'Findings by category'))).toEqual({
      reliability: '0',
      performance: '7',
      cost: '0',
    });
    const cost = card(root, 'Known monthly cost delta');
    expect(textOf(byClass(cost, 'big')[0]!)).toBe('-$23.63/mo');
    expect(counts(cost)).toMatchObject({ Savings: '-$239.71/mo', 'Added cost': '+$216.08/mo' });
    const coverage = byTag(root, 'table').find(
      (table) => textOf(byTag(table, 'caption')[0]!) === 'Coverage per cloud',
    )!;
    expect(tableRows(coverage)).toEqual([
      ['aws', 'yes', 'eu-west-1', 'none', '5', '25 / 25', '5 (100 %)', '14 / 11'],
    ]);
  });

  it('never counts a superseded recommendation in the cost delta', async () => {
    const superseded = buildRecommendation({
      id: 'r-resize-batch1',
      findingId: 'f-oversized-batch1',
      kind: 'instance-type',
      subject: { provider: 'aws', kind: 'host', id: HOST_IDS.batch1, name: 'batch-1' },
      monthlyCostDeltaUsd: -140,
      supersededBy: 'r-type-batch1',
    });
    const withSuperseded = buildAnalysisResult({ recommendations: [...result.recommendations, superseded] });
    const other = parseHtml(buildAuditHtml(withSuperseded));
    const cost = card(other, 'Known monthly cost delta');
    expect(textOf(byClass(cost, 'big')[0]!)).toBe('-$23.63/mo');
    expect(counts(cost)['Superseded by a stronger action (not counted)']).toBe('1');
    const row = byTag(other, 'tr').find((tr) => textOf(tr).includes('superseded by r-type-batch1'));
    expect(attr(row!, 'class')).toBe('superseded');
  });

  it('flags an incomplete run with the scopes that failed', () => {
    const incomplete = buildAnalysisResult();
    incomplete.run.complete = false;
    incomplete.run.coverage.aws = {
      ...incomplete.run.coverage.aws!,
      complete: false,
      failedScopes: [{ scope: 'us-east-1', reason: 'DescribeInstances: AuthFailure' }],
    };
    const banner = byClass(parseHtml(buildAuditHtml(incomplete)), 'banner')[0]!;
    expect(attr(banner, 'role')).toBe('alert');
    expect(textOf(banner)).toContain('aws us-east-1: DescribeInstances: AuthFailure');
    expect(byClass(root, 'banner')).toHaveLength(0);
  });

  it('gives every finding an anchor, its evidence charts, arithmetic tables and sources', () => {
    for (const finding of result.findings) {
      const article = byId(root, `finding-${finding.id}`)!;
      expect(article.tagName).toBe('article');
      const series = finding.evidence.filter((e) => e.kind === 'series').length;
      expect(byTag(article, 'svg').length, finding.id).toBe(series);
      for (const svg of byTag(article, 'svg')) {
        expect(attr(svg, 'role')).toBe('img');
        expect(attr(svg, 'aria-label')).toMatch(/min .* max .* over \d+ points/);
      }
    }
    const gp2 = byId(root, 'finding-f-gp2-burst-db1')!;
    const arithmetic = byClass(gp2, 'arithmetic')[0]!;
    expect(tableRows(arithmetic)[0]).toEqual(['1', 'gp2 baseline', '3 IOPS/GiB × 1000 GiB', '3,000 IOPS']);
    expect(byTag(gp2, 'a').map((a) => attr(a, 'href'))).toContain(
      'https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html',
    );
    const listen = byId(root, 'finding-f-listen-web1')!;
    expect(textOf(byTag(listen, 'pre')[0]!)).toBe(
      'TcpExtListenOverflows           18412              0.0\nTcpExtListenDrops               18412              0.0',
    );
  });

  it('shades the on-host capture window on the cloud series of the host it belongs to', () => {
    const cpu = byTag(byId(root, 'finding-f-cpu-web1')!, 'svg')[0]!;
    expect(attr(cpu, 'aria-label')).toContain('the on-host capture window shaded');
    const credits = byTag(byId(root, 'finding-f-credits-cache1')!, 'svg')[0]!;
    expect(attr(credits, 'aria-label')).not.toContain('capture');
  });

  it('lists every host with what the filters need, most severe first, linking to its findings', () => {
    const table = byId(root, 'host-table')!;
    expect(attr(table, 'data-sortable')).toBe('');
    const rows = byTag(byTag(table, 'tbody')[0]!, 'tr');
    expect(rows).toHaveLength(5);
    expect(
      rows.map((row) => [
        attr(row, 'data-cloud'),
        attr(row, 'data-severity'),
        attr(row, 'data-category'),
        attr(row, 'data-verdict'),
      ]),
    ).toEqual([
      ['aws', 'critical', 'performance', 'not sampled'],
      ['aws', 'high medium', 'performance', 'listen-queue-overflow'],
      ['aws', 'medium', 'performance', 'not sampled'],
      ['aws', 'medium info', 'performance', 'not sampled'],
      ['aws', 'low', 'performance', 'not sampled'],
    ]);
    for (const link of byTag(table, 'a'))
      expect(byId(root, attr(link, 'href')!.slice(1)), attr(link, 'href')).toBeDefined();
    const filters = byId(root, 'host-filters')!;
    expect(attr(filters, 'hidden')).toBe('');
    const options = (name: string) =>
      byTag(byTag(filters, 'select').find((select) => attr(select, 'name') === name)!, 'option').map((o) =>
        attr(o, 'value'),
      );
    expect(options('severity')).toEqual(['', 'critical', 'high', 'medium', 'low', 'info']);
    expect(options('verdict')).toEqual(['', 'listen-queue-overflow', 'not sampled']);
    expect(byTag(table, 'th').map((th) => attr(th, 'data-type'))).toContain('number');
  });

  it('renders the data gaps and the rules that could not judge everything', () => {
    const gaps = byId(root, 'gaps')!;
    expect(tableRows(byTag(gaps, 'table')[0]!)).toHaveLength(3);
    expect(textOf(gaps)).toContain('memory-headroom (Memory headroom): skipped');
    expect(textOf(gaps)).toContain(
      `no mem.used series (CloudWatch agent not installed) (${HOST_IDS.web2}, ${HOST_IDS.db1}, ${HOST_IDS.cache1})`,
    );
  });

  it('has no event or history sections until the result carries them', () => {
    expect(byId(root, 'event')).toBeUndefined();
    expect(byId(root, 'changes')).toBeUndefined();
  });
});

describe('renderAuditHtml with the pre-event review and history', () => {
  const result = withLaterIssues(buildAnalysisResult());
  let root: DomElement;
  beforeAll(async () => {
    root = parseHtml(await renderAuditHtml(result));
  });

  it('shows the go / no-go table, no-go first, and a bar chart of the ceilings per unit', () => {
    const event = byId(root, 'event')!;
    expect(textOf(byTag(event, 'h2')[0]!)).toBe('Go / no-go at ×4');
    expect(tableRows(byTag(event, 'table')[0]!)).toEqual([
      [
        `aws group ${result.groups[0]!.id} (web-asg)`,
        'no-go',
        'cpu: 28.7 vCPU of 16 vCPU',
        '×2.2',
        'raise maxSize to 12',
        '+$840.50/mo',
      ],
      [HOST_IDS.batch1, 'go', 'none reached', 'n/a', '—', 'price unknown'],
    ]);
    const charts = byTag(event, 'svg');
    expect(charts).toHaveLength(2);
    expect(attr(charts[0]!, 'aria-label')).toBe(
      'Ceilings of aws group ' +
        result.groups[0]!.id +
        ' (web-asg) at the event peak: cpu 179.4 %, accept-queue 43.9 %, group-max 133.3 %.',
    );
  });

  it('gives the host table the event verdict of the host or its group', () => {
    const rows = byTag(byTag(byId(root, 'host-table')!, 'tbody')[0]!, 'tr');
    const verdictOf = (hostId: string) =>
      attr(rows.find((row) => textOf(row).includes(hostId))!, 'data-verdict');
    expect([HOST_IDS.web1, HOST_IDS.web2, HOST_IDS.batch1, HOST_IDS.db1].map(verdictOf)).toEqual([
      'no-go',
      'no-go',
      'go',
      'unknown',
    ]);
  });

  it('shows what changed since the last run, the resolved findings apart', () => {
    const changes = byId(root, 'changes')!;
    expect(textOf(byTag(changes, 'p')[0]!)).toBe('1 new · 1 worse · 0 better · 1 open · 1 resolved');
    const resolved = tableRows(byTag(changes, 'table')[0]!);
    expect(resolved).toEqual([
      ['high', 'File descriptors near the limit', `aws host ${HOST_IDS.web1} (web-1)`, 'f-old-1'],
    ]);
    expect(textOf(byClass(byId(root, 'finding-f-gp2-burst-db1')!, 'status')[0]!)).toBe(
      'open since 2025-04-30 (3 runs)',
    );
  });

  it('ignores a malformed event rather than failing the report', () => {
    const broken = {
      ...buildAnalysisResult(),
      event: { multiplier: 'four', units: 'many' },
    } as unknown as AnalysisResult;
    expect(byId(parseHtml(buildAuditHtml(broken)), 'event')).toBeUndefined();
  });
});

describe('per-CPU evidence', () => {
  it('draws neighbouring per-CPU series of an on-host capture as one heat strip', async () => {
    const perCpu: Evidence[] = [0, 1, 2, 3].map(cpuSeries);
    const finding = buildFinding({
      id: 'f-hot-cpu',
      subject: web1,
      title: 'One CPU pinned',
      evidence: [{ kind: 'stat', label: 'Busiest CPU', value: 100, unit: 'percent' }, ...perCpu],
    });
    const root = parseHtml(
      await renderAuditHtml(buildAnalysisResult({ findings: [finding], recommendations: [] })),
    );
    const svgs = byTag(byId(root, 'finding-f-hot-cpu')!, 'svg');
    expect(svgs).toHaveLength(1);
    expect(attr(svgs[0]!, 'aria-label')).toMatch(
      /^CPU N busy: 4 rows \(CPU 0 busy, CPU 1 busy, CPU 2 busy, CPU 3 busy\)/,
    );
  });
});

describe('buildAuditHtml (the sync core)', () => {
  it('renders the whole page without charts, each replaced by its description', () => {
    const root = parseHtml(buildAuditHtml(buildAnalysisResult()));
    expect(byTag(root, 'svg')).toHaveLength(0);
    const figure = byClass(byId(root, 'finding-f-cpu-web1')!, 'chart')[0]!;
    expect(textOf(figure)).toContain("drawn as 480 buckets keeping each bucket's min and max");
  });

  it('says so when there is nothing to list', () => {
    const root = parseHtml(
      buildAuditHtml(
        buildAnalysisResult({ hosts: [], findings: [], recommendations: [], gaps: [], rules: [] }),
      ),
    );
    expect(textOf(byId(root, 'hosts')!)).toContain('No hosts in this run.');
    expect(textOf(byId(root, 'findings')!)).toContain('No findings in this run.');
    expect(textOf(byId(root, 'recommendations')!)).toContain('No recommendations in this run.');
  });
});

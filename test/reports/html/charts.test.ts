import { afterEach, describe, expect, it } from 'vitest';
import {
  breachWindows,
  CHART_MAX_POINTS,
  ChartError,
  ceilingChart,
  checkedSvg,
  groupSeriesFamilies,
  heatStripChart,
  renderChartSvg,
  type SeriesFamily,
  seriesChart,
  seriesChartData,
} from '../../../reports/html/charts.ts';
import type { SeriesEvidence } from '../../../src/model/index.ts';
import { seriesPoints, webCpuSeries } from '../../helpers/result-builder.ts';
import { byTag, elements, parseHtml, textOf } from './dom.ts';

function series(values: readonly (number | null)[], extra: Partial<SeriesEvidence> = {}): SeriesEvidence {
  return {
    kind: 'series',
    label: 'CPU busy',
    unit: 'percent',
    stepSec: 60,
    points: values.map((value, index) => [1_700_000_000_000 + index * 60_000, value]),
    source: 'sar -u',
    ...extra,
  };
}

function cpuFamily(count: number, points = 120): SeriesEvidence[] {
  return Array.from({ length: count }, (_, cpu) => ({
    kind: 'series' as const,
    label: `CPU ${cpu} busy`,
    unit: 'percent' as const,
    stepSec: 1,
    points: seriesPoints({
      count: points,
      stepSec: 1,
      startMs: 0,
      base: 20 + cpu * 20,
      noise: 20,
      ceiling: 100,
    }),
    source: 'sadf -j (samples/web-1)',
  }));
}

describe('seriesChartData', () => {
  it('keeps a 5-minute spike of a 14-day series that bucketing by mean would flatten', () => {
    const cpu = webCpuSeries();
    expect(cpu.points.length).toBeGreaterThan(CHART_MAX_POINTS);
    const data = seriesChartData(cpu);
    expect(data.bucketed).toBe(true);
    expect(data.rows.length).toBeLessThanOrEqual(CHART_MAX_POINTS);
    expect(Math.max(...data.rows.map((row) => row.v ?? 0))).toBe(99.1);
    expect(Math.max(...data.rows.map((row) => row.hi ?? 0))).toBe(99.1);
    // The band keeps the other side too: the lowest 5-minute value is still drawn.
    const lowest = Math.min(...cpu.points.flatMap(([, v]) => (v === null ? [] : [v])));
    expect(Math.min(...data.rows.map((row) => row.lo ?? Number.POSITIVE_INFINITY))).toBe(lowest);
  });

  it('keeps a dip when trouble lies below the reference line (a balance running out)', () => {
    const values = Array.from({ length: 4032 }, (_, i) => (i === 3001 ? 0 : 250 + (i % 7)));
    const balance = series(values, {
      unit: 'credits',
      reference: { label: 'empty', value: 0, bad: 'below' },
    });
    const data = seriesChartData(balance);
    expect(data.extreme).toBe('min');
    expect(Math.min(...data.rows.map((row) => row.v ?? Number.POSITIVE_INFINITY))).toBe(0);
  });

  it('draws a short series point for point, holes included', () => {
    const data = seriesChartData(series([10, null, 30]));
    expect(data.bucketed).toBe(false);
    expect(data.rows.map((row) => row.v)).toEqual([10, null, 30]);
  });
});

describe('breachWindows', () => {
  it('shades each stretch past the threshold, one step wide per point', () => {
    const windows = breachWindows(
      series([50, 95, 96, 50, 97, 50], { reference: { label: 'threshold', value: 90 } }),
    );
    expect(
      windows.map((w) => [(w.fromMs - 1_700_000_000_000) / 60_000, (w.toMs - 1_700_000_000_000) / 60_000]),
    ).toEqual([
      [1, 3],
      [4, 5],
    ]);
  });

  it('shades below a floor when the reference says trouble lies below', () => {
    const windows = breachWindows(
      series([5, 0, 0, 5], { reference: { label: 'empty', value: 0, bad: 'below' } }),
    );
    expect(windows).toHaveLength(1);
    expect(breachWindows(series([50, 95]))).toEqual([]);
  });
});

describe('renderChartSvg', () => {
  afterEach(() => {
    delete process.env.TZ;
  });

  it('draws a series as a self-contained SVG: threshold line, shading, no external reference', async () => {
    const chart = seriesChart(webCpuSeries(), {
      window: {
        fromMs: Date.parse('2025-05-13T14:00:00Z'),
        toMs: Date.parse('2025-05-13T14:02:00Z'),
        label: 'capture',
      },
    })!;
    const svg = await renderChartSvg(chart);
    expect(svg.startsWith('<svg')).toBe(true);
    // The namespace names are identifiers, not loads; nothing else may name a URL.
    expect(svg.replace(/\sxmlns(:xlink)?="[^"]*"/g, '')).not.toMatch(
      /https?:|href=|url\((?!#)|<script|<image|<foreignObject/i,
    );
    expect(svg).toContain('sizing ceiling (P99.5 + 20 % headroom): 80 %');
    expect(chart.description).toContain('1 shaded stretch past it');
    expect(chart.description).toContain('the on-host capture window shaded');
  });

  it('gives the same bytes for the same chart, whatever vega drew before and whatever the time zone', async () => {
    const chart = seriesChart(series([10, 20, 95, 30], { reference: { label: 'threshold', value: 90 } }))!;
    process.env.TZ = 'UTC';
    const first = await renderChartSvg(chart);
    await renderChartSvg(seriesChart(webCpuSeries())!);
    process.env.TZ = 'Pacific/Auckland';
    const second = await renderChartSvg(chart);
    expect(second).toBe(first);
  });

  it('refuses any load: a spec that names a URL or an image never reaches the network', async () => {
    await expect(
      renderChartSvg({
        description: 'remote data',
        spec: {
          data: { url: 'http://127.0.0.1:9/data.json' },
          mark: 'point',
          encoding: { x: { field: 'a' } },
        },
      }),
    ).rejects.toThrow(ChartError);
    await expect(
      renderChartSvg({
        description: 'remote image',
        spec: {
          data: { values: [{ u: 'http://127.0.0.1:9/x.png' }] },
          mark: { type: 'image', width: 10, height: 10 },
          encoding: { url: { field: 'u', type: 'nominal' } },
        },
      }),
    ).rejects.toThrow(/tried to load/);
  });

  it('keeps hostile labels as SVG text (vega escapes them)', async () => {
    const hostile = '</svg><script>alert(1)</script>"><img src=x onerror=alert(1)>';
    const svg = await renderChartSvg(
      seriesChart(series([1, 2, 3], { reference: { label: hostile, value: 2 } }))!,
    );
    const root = parseHtml(`<!doctype html><body>${svg}</body>`);
    const names = new Set([...elements(root)].map((element) => element.tagName));
    expect(names.has('script')).toBe(false);
    expect(names.has('img')).toBe(false);
    expect(byTag(root, 'text').map(textOf)).toContain(`${hostile}: 2 %`);
  });
});

describe('checkedSvg', () => {
  it('accepts references inside the SVG and refuses anything that points outside or runs code', () => {
    expect(checkedSvg('<svg><g clip-path="url(#i1)"></g></svg>')).toContain('url(#i1)');
    for (const bad of [
      '<svg><image href="http://127.0.0.1/x.png"/></svg>',
      '<svg><a xlink:href="javascript:alert(1)"></a></svg>',
      '<svg><rect fill="url(http://127.0.0.1/p)"/></svg>',
      '<svg><script>alert(1)</script></svg>',
      '<svg onload="alert(1)"></svg>',
      '<svg><foreignObject></foreignObject></svg>',
      '<svg><use href="other.svg#a"/></svg>',
      '<svg><style>@import "http://127.0.0.1/x.css";</style></svg>',
      '<svg><rect style="fill:red"/></svg>',
    ]) {
      expect(() => checkedSvg(bad), bad).toThrow(ChartError);
    }
  });
});

describe('per-CPU heat strips', () => {
  it('groups neighbouring series that differ only by their index, and leaves the rest alone', () => {
    const other = series([1, 2, 3], { label: 'Run queue' });
    const groups = groupSeriesFamilies([other, ...cpuFamily(4), other], (item) => item);
    expect(
      groups.map((group) =>
        'family' in group ? `family of ${group.family.members.length}` : group.item.label,
      ),
    ).toEqual(['Run queue', 'family of 4', 'Run queue']);
    // Two CPUs (a 2-vCPU capture) are one strip already; a lone series is its own chart.
    expect(groupSeriesFamilies(cpuFamily(2), (item) => item).map((group) => 'family' in group)).toEqual([
      true,
    ]);
    expect(groupSeriesFamilies(cpuFamily(1), (item) => item).map((group) => 'family' in group)).toEqual([
      false,
    ]);
  });

  it('draws one row per CPU and one cell per bucket, coloured by its max', async () => {
    const members = cpuFamily(4, 600).map((s, index) => ({ index, series: s }));
    const family: SeriesFamily = { prefix: 'CPU # busy', members };
    const chart = heatStripChart(family)!;
    const rows = (chart.spec.data as { values: { row: string; v: number }[] }).values;
    expect(new Set(rows.map((row) => row.row))).toEqual(
      new Set(['CPU 0 busy', 'CPU 1 busy', 'CPU 2 busy', 'CPU 3 busy']),
    );
    expect(rows).toHaveLength(4 * 160);
    // Cells keep each bucket's max: the busiest second of each CPU survives.
    for (const { series: cpu } of members) {
      const max = Math.max(...cpu.points.map(([, v]) => v ?? 0));
      expect(Math.max(...rows.filter((row) => row.row === cpu.label).map((row) => row.v))).toBe(max);
    }
    const svg = await renderChartSvg(chart);
    expect(byTag(parseHtml(`<body>${svg}</body>`), 'text').map(textOf)).toEqual(
      expect.arrayContaining(['CPU 0 busy', 'CPU 3 busy']),
    );
  });
});

describe('ceilingChart', () => {
  it('draws a bar per ceiling, in percent of the ceiling, with the 100 % line', async () => {
    const chart = ceilingChart('web-asg', [
      { kind: 'cpu', shareOfLimit: 1.3, label: '10.4 of 8 vCPU' },
      { kind: 'memory', shareOfLimit: 0.5, label: '16 of 32 GiB' },
      { kind: 'fds', shareOfLimit: 0.85, label: '870 of 1,024 fds' },
    ])!;
    const values = (chart.spec.data as { values: { kind: string; pct: number; level: string }[] }).values;
    expect(values.map((v) => [v.kind, v.pct, v.level])).toEqual([
      ['cpu', 130, 'over'],
      ['memory', 50, 'ok'],
      ['fds', 85, 'near'],
    ]);
    const svg = await renderChartSvg(chart);
    expect(byTag(parseHtml(`<body>${svg}</body>`), 'text').map(textOf)).toEqual(
      expect.arrayContaining(['cpu', 'memory', 'fds', '10.4 of 8 vCPU']),
    );
    expect(ceilingChart('none', [])).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { timeLabels, XYCHART_MAX_POINTS, xyChart } from '../../reports/markdown/xychart.ts';
import type { SeriesEvidence } from '../../src/model/index.ts';
import { seriesPoints, WINDOW_FROM_MS, webCpuSeries } from '../helpers/result-builder.ts';
import { mermaidLines } from './markdown-lines.ts';

function series(overrides: Partial<SeriesEvidence>): SeriesEvidence {
  return {
    kind: 'series',
    label: 'Disk read',
    unit: 'ops-per-second',
    stepSec: 60,
    points: seriesPoints({ count: 120, stepSec: 60, base: 500, amplitude: 0, noise: 100 }),
    source: 'AWS/EBS VolumeReadOps',
    ...overrides,
  };
}

function axisLabels(chart: string): string[] {
  const match = /x-axis "time \(UTC\)" \[(.*)\]/.exec(chart);
  return JSON.parse(`[${match?.[1] ?? ''}]`);
}

describe('xyChart', () => {
  const cpu = webCpuSeries();
  const chart = xyChart(cpu) ?? '';

  it('draws a 4,032-point series in at most 50 points and keeps its 5-minute spike', () => {
    expect(cpu.points).toHaveLength(4032);
    const [values = [], reference = []] = mermaidLines(chart);
    expect(values.length).toBeGreaterThan(0);
    expect(values.length).toBeLessThanOrEqual(XYCHART_MAX_POINTS);
    expect(Math.max(...values)).toBe(99.1);
    expect(reference).toEqual(values.map(() => 80));
  });

  it('is a mermaid xychart-beta block with a quoted title, dated x labels and a y label with its unit', () => {
    const lines = chart.split('\n');
    expect(lines.slice(0, 2)).toEqual(['```mermaid', 'xychart-beta']);
    expect(lines[lines.length - 1]).toBe('```');
    expect(chart).toMatch(
      /^ {2}title "CPU utilisation, 5-minute maximum \(max per [^"]+\); flat line: [^"]+"$/m,
    );
    expect(chart).toMatch(/^ {2}y-axis "CPU utilisation, 5-minute maximum \(%\)" 0 --> 100$/m);
    const labels = axisLabels(chart);
    expect(labels).toHaveLength(mermaidLines(chart)[0]?.length ?? -1);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels[0]).toBe('04-30 06:00');
  });

  it('labels short windows with times, down to seconds when the buckets are that close', () => {
    const start = Date.UTC(2025, 4, 13, 9, 0, 0);
    expect(timeLabels([start, start + 3_600_000])).toEqual(['09:00', '10:00']);
    expect(timeLabels([start, start + 2_400, start + 4_800])).toEqual(['09:00:00', '09:00:02', '09:00:04']);
    expect(timeLabels([start, start + 20 * 86_400_000])).toEqual(['05-13', '06-02']);
  });

  it('draws a reference above the data inside the y range', () => {
    const out = xyChart(series({ reference: { label: 'gp3 baseline', value: 3000 } })) ?? '';
    expect(out).toMatch(/y-axis "Disk read \(IOPS\)" 0 --> (\d+)/);
    const yMax = Number(/--> (\d+(?:\.\d+)?)/.exec(out)?.[1]);
    expect(yMax).toBeGreaterThanOrEqual(3000);
    expect(mermaidLines(out)[1]).toEqual(Array(50).fill(3000));
  });

  it('keeps the dips of a balance whose evidence says trouble lies below its floor', () => {
    const points = seriesPoints({ count: 4032, base: 90, amplitude: 5, noise: 2, ceiling: 100 });
    points[1234] = [points[1234]?.[0] ?? WINDOW_FROM_MS, 0];
    const out =
      xyChart(
        series({
          label: 'Burst balance',
          unit: 'percent',
          stepSec: 300,
          points,
          reference: { label: 'alert', value: 20, bad: 'below' },
        }),
      ) ?? '';
    expect(Math.min(...(mermaidLines(out)[0] ?? []))).toBe(0);
    expect(out).toContain('min per');
  });

  it('scales byte rates to a readable unit on the axis', () => {
    const points = seriesPoints({ count: 60, stepSec: 60, base: 125_000_000, noise: 1_000_000 });
    const out = xyChart(series({ label: 'Network in', unit: 'bytes-per-second', points })) ?? '';
    expect(out).toContain('y-axis "Network in (MB/s)"');
    expect(Math.max(...(mermaidLines(out)[0] ?? []))).toBeLessThan(200);
  });

  it('cannot be broken out of by a hostile label', () => {
    const out = xyChart(series({ label: 'web "1"\n```\n</details><b>#35;' })) ?? '';
    const inner = out.split('\n').slice(1, -1).join('\n');
    expect(inner).not.toContain('`');
    for (const keyword of ['title', 'y-axis']) {
      const text = new RegExp(`^ {2}${keyword} "([^"\n]*)"`, 'm').exec(out)?.[1] ?? '';
      expect(text).toContain('web 1');
      expect(text).not.toMatch(/[<>#"]/);
    }
    expect(inner.split('\n')).toHaveLength(5);
  });

  it('leaves out empty buckets and draws nothing for a series without values', () => {
    expect(xyChart(series({ points: [[WINDOW_FROM_MS, null]] }))).toBeNull();
    const gappy = series({
      points: [
        [0, 1],
        [60_000, null],
        [120_000, 3],
      ],
    });
    expect(mermaidLines(xyChart(gappy) ?? '')[0]).toEqual([1, 3]);
  });
});

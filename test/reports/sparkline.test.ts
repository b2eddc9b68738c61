import { describe, expect, it } from 'vitest';
import { SPARKLINE_MAX_CHARS, sparkline } from '../../reports/markdown/sparkline.ts';
import { FULL_WINDOW_POINTS, seriesPoints } from '../helpers/result-builder.ts';

describe('sparkline', () => {
  it('draws percentages on a fixed 0..100 scale, so a quiet host looks quiet', () => {
    expect(sparkline([10, 20], { unit: 'percent' })).toBe('▁▂');
    expect(sparkline([50, 50, 50], { unit: 'percent' })).toBe('▄▄▄');
    expect(sparkline([0, 100], { unit: 'percent' })).toBe('▁█');
    // Other units stretch to their own range.
    expect(sparkline([10, 20], { unit: 'count' })).toBe('▁█');
  });

  it('clamps percentages above 100 (pidstat counts per vCPU) to the top bar', () => {
    expect(sparkline([250, -1], { unit: 'percent' })).toBe('█▁');
  });

  it('shows a missing value as a space', () => {
    expect(sparkline([1, null, 3])).toBe('▁ █');
    expect(sparkline([null, null])).toBe('  ');
  });

  it('keeps a long series within 60 characters and keeps its one spike', () => {
    const values = seriesPoints({
      count: FULL_WINDOW_POINTS,
      base: 30,
      amplitude: 10,
      noise: 5,
      ceiling: 50,
    }).map(([, value]) => value);
    values[2903] = 99.1;
    const line = sparkline(values, { unit: 'percent' });
    expect(line).toHaveLength(SPARKLINE_MAX_CHARS);
    expect([...line].filter((char) => char === '█')).toHaveLength(1);
  });

  it('keeps the dip instead when asked for the minimum per bucket', () => {
    const values = Array.from({ length: 600 }, (_, index) => (index === 333 ? 0 : 90));
    expect(sparkline(values, { unit: 'percent', extreme: 'min' })).toContain('▁');
    expect(sparkline(values, { unit: 'percent' })).not.toContain('▁');
  });
});

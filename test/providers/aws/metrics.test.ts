import { describe, expect, it } from 'vitest';
import {
  effectiveStepSec,
  minimumMetricCalls,
  pointsPerSeries,
  queriesPerCall,
} from '../../../providers/aws/metrics.ts';

const DAY = 86_400_000;
const window = (days: number, stepSec: number) => ({ fromMs: 0, toMs: days * DAY, stepSec });

describe('GetMetricData batching', () => {
  it('fits 25 series of 14 days at 300 s in one call, the 100,800-point limit', () => {
    expect(pointsPerSeries(window(14, 300))).toBe(4032);
    expect(queriesPerCall(window(14, 300))).toBe(25);
    expect(minimumMetricCalls(1000, window(14, 300))).toBe(40);
  });

  it('is held to 500 queries when series are short', () => {
    expect(queriesPerCall(window(1, 3600))).toBe(500);
    expect(minimumMetricCalls(1001, window(1, 3600))).toBe(3);
  });
});

describe('effectiveStepSec', () => {
  it('reads basic-monitoring data asked for at 60 s as the 300 s it really is', () => {
    const times = Array.from({ length: 20 }, (_, i) => i * 300_000);
    expect(effectiveStepSec(times, 60)).toBe(300);
    expect(effectiveStepSec(times, 300)).toBe(300);
  });
});

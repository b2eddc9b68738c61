import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_POINTS } from '../../src/ingest/prometheus-live.ts';
import { busiestWindow, coarseStepSec, planCounts, timeSplits } from '../../src/onhost-prometheus/plan.ts';

const HOUR_MS = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

describe('coarse step and time splits', () => {
  it('14 days fit one query per metric at 120 s (10,081 points)', () => {
    expect(coarseStepSec(14 * 86_400)).toBe(120);
    expect(timeSplits(T0, T0 + 14 * 86_400_000, 120)).toHaveLength(1);
  });

  it('any window and step: pieces cover the window, in order, each within 11,000 points', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 90 * 86_400 }),
        fc.integer({ min: 1, max: 3600 }),
        (windowSec, stepSec) => {
          const splits = timeSplits(T0, T0 + windowSec * 1000, stepSec);
          expect(splits[0]![0]).toBe(T0);
          expect(splits.at(-1)![1]).toBe(T0 + windowSec * 1000);
          for (const [from, to] of splits)
            expect(Math.floor((to - from) / (stepSec * 1000)) + 1).toBeLessThanOrEqual(MAX_POINTS);
          for (let i = 1; i < splits.length; i++)
            expect(splits[i]![0]).toBe(splits[i - 1]![1] + stepSec * 1000);
          expect(splits).toHaveLength(Math.ceil((windowSec / stepSec + 1) / MAX_POINTS));
          expect(timeSplits(T0, T0 + windowSec * 1000, coarseStepSec(windowSec))).toHaveLength(1);
        },
      ),
    );
  });
});

describe('busiestWindow', () => {
  it('finds the 3 busiest consecutive hours across CPU and connection rate, each against its own peak', () => {
    const times = Array.from({ length: 48 * 30 }, (_, i) => T0 + i * 120_000);
    const cpu = {
      timesMs: times,
      values: times.map((t) => ((t - T0) / HOUR_MS >= 30 && (t - T0) / HOUR_MS < 33 ? 0.9 : 0.1)),
    };
    const conns = { timesMs: times, values: times.map(() => 5) };
    expect(busiestWindow([cpu, conns], T0, T0 + 48 * HOUR_MS, 3)).toEqual({
      fromMs: T0 + 30 * HOUR_MS,
      toMs: T0 + 33 * HOUR_MS,
    });
  });

  it('is null with nothing above zero, and always lies inside the window', () => {
    expect(busiestWindow([{ timesMs: [T0], values: [0] }], T0, T0 + HOUR_MS * 5, 3)).toBeNull();
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 100 * HOUR_MS }), fc.double({ min: 0, max: 10, noNaN: true })),
          { minLength: 1 },
        ),
        fc.integer({ min: 1, max: 24 }),
        (points, hours) => {
          const toMs = T0 + 100 * HOUR_MS;
          const found = busiestWindow(
            [{ timesMs: points.map(([t]) => T0 + t), values: points.map(([, v]) => v) }],
            T0,
            toMs,
            hours,
          );
          if (points.every(([, v]) => v === 0)) {
            expect(found).toBeNull();
            return;
          }
          expect(found!.fromMs).toBeGreaterThanOrEqual(T0);
          expect(found!.toMs).toBeLessThanOrEqual(toMs);
          expect(found!.toMs - found!.fromMs).toBe(hours * HOUR_MS);
        },
      ),
    );
  });
});

describe('planCounts', () => {
  it('is discovery + signals × splits + windows × (1 + fine queries)', () => {
    expect(planCounts(4, 2, 3, 40)).toEqual({ discovery: 3, coarse: 8, fine: 123 });
    expect(planCounts(4, 1, 0, 40)).toEqual({ discovery: 3, coarse: 4, fine: 0 });
  });
});

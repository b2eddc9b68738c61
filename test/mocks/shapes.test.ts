import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Load } from '../../mocks/scenarios/schema.ts';
import { hashKey, seriesOf, shapeUpperBound, shapeValue } from '../../mocks/scenarios/shapes.ts';

const dayStartSec = Date.parse('2025-01-01T00:00:00Z') / 1000;
const twoWeeksOfMinutes = Array.from({ length: 14 * 1440 }, (_, minute) => dayStartSec + minute * 60);

function samples(spec: unknown, key = 'test/series'): number[] {
  const series = seriesOf(Load.parse(spec), key);
  return twoWeeksOfMinutes.map(series);
}

/** Mean value at each whole UTC hour (hh:00) over the two weeks. */
function hourlyMeans(values: readonly number[]): number[] {
  return Array.from({ length: 24 }, (_, hour) => {
    const atHour = values.filter((_, minute) => minute % 1440 === hour * 60);
    return atHour.reduce((a, b) => a + b, 0) / atHour.length;
  });
}

describe('series shapes', () => {
  it('gives the same numbers for the same key and different numbers for another key', () => {
    const spec = { shape: 'spiky', base: 10, peak: 80 };
    expect(samples(spec, 'a')).toEqual(samples(spec, 'a'));
    expect(samples(spec, 'a')).not.toEqual(samples(spec, 'b'));
    expect(hashKey('a')).not.toBe(hashKey('b'));
  });

  it('does not depend on the order or window the samples are asked in', () => {
    const spec = Load.parse({ shape: 'diurnal', base: 5, peak: 50 });
    const seed = hashKey('order');
    const forward = twoWeeksOfMinutes.slice(0, 500).map((t) => shapeValue(spec, seed, t));
    const backward = twoWeeksOfMinutes
      .slice(0, 500)
      .reverse()
      .map((t) => shapeValue(spec, seed, t))
      .reverse();
    expect(backward).toEqual(forward);
  });

  it('keeps steady within base ± noise and a bare number exactly constant', () => {
    const steady = samples({ shape: 'steady', base: 40, noise: 2 });
    expect(Math.min(...steady)).toBeGreaterThanOrEqual(38);
    expect(Math.max(...steady)).toBeLessThanOrEqual(42);
    expect(new Set(samples(7))).toEqual(new Set([7]));
  });

  it('peaks diurnal in the afternoon UTC by default, and at peakHourUtc when given', () => {
    const defaultPeak = hourlyMeans(samples({ shape: 'diurnal', base: 10, peak: 60, noise: 0 }));
    expect(defaultPeak.indexOf(Math.max(...defaultPeak))).toBe(15);
    expect(defaultPeak.indexOf(Math.min(...defaultPeak))).toBe(3);
    const evening = hourlyMeans(samples({ shape: 'diurnal', base: 10, peak: 60, peakHourUtc: 20, noise: 0 }));
    expect(evening.indexOf(Math.max(...evening))).toBe(20);
  });

  it('bounds diurnal between base and peak, give or take the noise', () => {
    const values = samples({ shape: 'diurnal', base: 10, peak: 60, noise: 1 });
    expect(Math.min(...values)).toBeGreaterThanOrEqual(9);
    expect(Math.max(...values)).toBeLessThanOrEqual(61);
  });

  it('never lets a spike pass the peak, and spikes about as often as spikeChance says', () => {
    const values = samples({ shape: 'spiky', base: 10, peak: 90, spikeChance: 0.05, spikeMinutes: 10 });
    expect(Math.max(...values)).toBeLessThanOrEqual(90);
    const spikeMinutes = values.filter((value) => value >= 10 + 0.6 * 80).length;
    // 2,016 ten-minute windows at 5 %: about 100 spikes, 1,000 minutes.
    expect(spikeMinutes / values.length).toBeGreaterThan(0.03);
    expect(spikeMinutes / values.length).toBeLessThan(0.07);
  });

  it('pins saturated just under its ceiling and keeps idle between base and peak', () => {
    const saturated = samples({ shape: 'saturated', base: 80, peak: 99, noise: 2 });
    expect(Math.min(...saturated)).toBeGreaterThanOrEqual(97);
    expect(Math.max(...saturated)).toBeLessThanOrEqual(99);
    const idle = samples({ shape: 'idle', base: 0.1, peak: 0.8 });
    expect(Math.min(...idle)).toBeGreaterThanOrEqual(0.1);
    expect(Math.max(...idle)).toBeLessThanOrEqual(0.8);
  });

  it('never goes negative, whatever the noise', () => {
    expect(Math.min(...samples({ shape: 'steady', base: 1, noise: 5 }))).toBe(0);
  });

  it('rejects a peak below the base and keys that do not belong to the shape', () => {
    expect(Load.safeParse({ shape: 'diurnal', base: 50, peak: 10 }).success).toBe(false);
    expect(Load.safeParse({ shape: 'steady', base: 5, spikeChance: 0.1 }).success).toBe(false);
    expect(Load.safeParse({ shape: 'sawtooth', base: 5 }).success).toBe(false);
  });
});

describe('shape upper bound', () => {
  const load = fc.oneof(
    fc.double({ min: 0, max: 1e4, noNaN: true }),
    fc.record({
      shape: fc.constantFrom('steady', 'diurnal', 'spiky', 'saturated', 'idle'),
      base: fc.double({ min: 0, max: 100, noNaN: true }),
      above: fc.double({ min: 0, max: 100, noNaN: true }),
      noise: fc.option(fc.double({ min: 0, max: 20, noNaN: true }), { nil: undefined }),
    }),
  );

  it('is never exceeded by any sample of any shape (the AWS mock skips full-bucket walks by it)', () => {
    fc.assert(
      fc.property(load, fc.integer({ min: 0, max: 2 ** 31 }), fc.string(), (raw, minute, key) => {
        const spec = Load.parse(
          typeof raw === 'number'
            ? raw
            : {
                shape: raw.shape,
                base: raw.base,
                ...(raw.shape === 'steady' ? {} : { peak: raw.base + raw.above }),
                ...(raw.noise === undefined ? {} : { noise: raw.noise }),
              },
        );
        const bound = shapeUpperBound(spec);
        // Every minute of a day around the drawn one, so a spike window or the daily peak is met.
        const series = seriesOf(spec, key);
        for (let m = 0; m < 1440; m += 7) expect(series((minute + m) * 60)).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 200 },
    );
  });
});

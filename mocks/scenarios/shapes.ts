import type { Load } from './schema.ts';

// NOTE: every sample is a pure function of (series key, minute): no generator state, so any
// window of any length, in any order, in any process, gives the same numbers for the same key.

/** FNV-1a over the UTF-16 code units: a stable 32-bit seed for a series key. */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index += 1) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A uniform number in [0, 1) for (seed, slot, lane), from a murmur3-style finalizer. */
export function unitRandom(seed: number, slot: number, lane = 0): number {
  let x = (seed ^ Math.imul(slot | 0, 0x9e3779b1) ^ Math.imul(lane + 1, 0x85ebca77)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return (x >>> 0) / 4_294_967_296;
}

const secPerDay = 86_400;

/** Default jitter when a shape gives none: a few percent of its level. */
function defaultNoise(spec: Load): number {
  switch (spec.shape) {
    case 'steady':
    case 'spiky':
      return spec.base * 0.02;
    case 'diurnal':
    case 'saturated':
      return (spec.peak ?? spec.base) * 0.03;
    case 'idle':
      return 0;
  }
}

/** Fraction of the way from base to peak of a daily cosine; 1 at `peakHourUtc`. */
export function diurnalFraction(epochSec: number, peakHourUtc: number): number {
  const hour = (((epochSec % secPerDay) + secPerDay) % secPerDay) / 3600;
  return (1 + Math.cos((2 * Math.PI * (hour - peakHourUtc)) / 24)) / 2;
}

/**
 * The value of a series at a time, never negative. `seed` comes from `hashKey(series key)`; the
 * minute is the random slot, so a 1-minute and a 5-minute series of one key agree where they meet.
 */
export function shapeValue(spec: Load, seed: number, epochSec: number): number {
  const minute = Math.floor(epochSec / 60);
  const noise = spec.noise ?? defaultNoise(spec);
  const jitter = (2 * unitRandom(seed, minute, 0) - 1) * noise;
  let value: number;
  switch (spec.shape) {
    case 'steady':
      value = spec.base + jitter;
      break;
    case 'diurnal':
      value = spec.base + (spec.peak - spec.base) * diurnalFraction(epochSec, spec.peakHourUtc) + jitter;
      break;
    case 'spiky':
      value = spikyValue(spec, seed, minute, jitter);
      break;
    case 'saturated':
      value = Math.max(spec.base, spec.peak - unitRandom(seed, minute, 0) * noise);
      break;
    case 'idle':
      value = spec.base + unitRandom(seed, minute, 0) * (spec.peak - spec.base);
      break;
  }
  return Math.max(0, value);
}

/**
 * A value no sample of the shape exceeds: the higher of base and peak, plus the noise (jitter is
 * below `noise`; spikes, saturation and idle noise stay within base..peak).
 */
export function shapeUpperBound(spec: Load): number {
  const noise = spec.shape === 'idle' ? 0 : (spec.noise ?? defaultNoise(spec));
  return Math.max(spec.base, spec.peak ?? spec.base) + noise;
}

type SpikySpec = Extract<Load, { shape: 'spiky' }>;

function spikyValue(spec: SpikySpec, seed: number, minute: number, jitter: number): number {
  const window = Math.floor(minute / spec.spikeMinutes);
  if (unitRandom(seed, window, 1) >= spec.spikeChance) return Math.min(spec.peak, spec.base + jitter);
  // NOTE: spikes stay inside [base + 60 % of the range, peak], so `peak` is a hard bound.
  return spec.base + (spec.peak - spec.base) * (0.6 + 0.4 * unitRandom(seed, minute, 2));
}

/** Series generator bound to one key: `const cpu = seriesOf(spec, 'seed/i-0abc/cpu'); cpu(t)`. */
export function seriesOf(spec: Load, key: string): (epochSec: number) => number {
  const seed = hashKey(key);
  return (epochSec) => shapeValue(spec, seed, epochSec);
}

import type { Unit } from '../../src/model/index.ts';
import { bucketExtreme, type Extreme } from './downsample.ts';

const BARS = '▁▂▃▄▅▆▇█';

export const SPARKLINE_MAX_CHARS = 60;

export interface SparklineOptions {
  unit?: Unit;
  maxChars?: number;
  /** Which value a bucket keeps when the series is longer than `maxChars`. */
  extreme?: Extreme;
}

function finiteValues(values: readonly (number | null)[]): number[] {
  return values.filter((value): value is number => value !== null && Number.isFinite(value));
}

/**
 * One block character per value (a space for a missing one), max-per-bucket (or min) when longer
 * than `maxChars`. Percentages use a fixed 0..100 scale so two hosts' lines compare at a glance.
 */
export function sparkline(values: readonly (number | null)[], options: SparklineOptions = {}): string {
  const shown = bucketExtreme(values, options.maxChars ?? SPARKLINE_MAX_CHARS, options.extreme);
  const finite = finiteValues(shown);
  if (finite.length === 0) return ' '.repeat(shown.length);
  const [min, max] = options.unit === 'percent' ? [0, 100] : [Math.min(...finite), Math.max(...finite)];
  const span = max - min || 1;
  return shown
    .map((value) => {
      if (value === null) return ' ';
      const level = Math.floor(((value - min) / span) * 7.999);
      return BARS[Math.min(7, Math.max(0, level))];
    })
    .join('');
}

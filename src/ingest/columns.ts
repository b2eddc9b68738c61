import { SampleError } from '../errors.ts';
import { quoteLine } from './quote.ts';
/** Keyed columns (CPUs) one series may have: more than any host (Linux's NR_CPUS is at most 8,192 in practice 1,024). */
export const MAX_KEYED_COLUMNS = 1024;

/**
 * Sets `columns[key][index]`, creating the column NaN-filled when the key is new, then pads every
 * column to `index + 1`: a key that comes and goes (a CPU brought online) keeps arrays parallel.
 */
export function appendKeyed(
  columns: Record<string, number[]>,
  values: Readonly<Record<string, number>>,
  index: number,
  maxKeys = MAX_KEYED_COLUMNS,
): void {
  let keys = Object.keys(columns).length;
  for (const [key, value] of Object.entries(values)) {
    const known = Object.hasOwn(columns, key);
    // A damaged file can name endless CPUs; each new one costs a column as long as the series.
    if (!known && keys >= maxKeys) continue;
    if (!known) keys += 1;
    const column = known ? columns[key]! : Array.from({ length: index }, () => Number.NaN);
    columns[key] = column;
    column[index] = value;
  }
  for (const column of Object.values(columns)) {
    if (column.length <= index) column[index] = Number.NaN;
  }
}

/**
 * The largest magnitude a sample value may have: 2^64, the most a u64 kernel counter can hold.
 * Anything beyond it (or not finite: `1e400` reads as Infinity) is damage, not data, and would
 * overflow the arithmetic downstream (a limit doubled, a power of two).
 */
export const MAX_SAMPLE_MAGNITUDE = 2 ** 64;

export function inSampleRange(value: number): boolean {
  return Number.isFinite(value) && Math.abs(value) <= MAX_SAMPLE_MAGNITUDE;
}

/** Throws the SampleError a reader turns into a skipped line when `value` is out of range. */
export function checkRange(value: number, what: string, text: string = String(value)): number {
  if (!inSampleRange(value)) {
    throw new SampleError(`${what} ${quoteLine(text)} is not a finite number in range`, '');
  }
  return value;
}

/**
 * A number from a text field; NaN for anything that is not one (empty, `-`, garbage); a
 * SampleError (the line is skipped) for a number that is not finite or beyond MAX_SAMPLE_MAGNITUDE.
 */
export function numberOf(text: string | undefined, what = 'value'): number {
  if (text === undefined || text.trim() === '') return Number.NaN;
  const value = Number(text);
  if (Number.isNaN(value)) return Number.NaN;
  return checkRange(value, what, text);
}

/** A whole number of at most MAX_SAMPLE_MAGNITUDE from digits; a SampleError for more. */
export function countOf(digits: string, what: string): number {
  return checkRange(Number(digits), what, digits);
}

/**
 * The path and value of the first number in a parsed JSON value that is out of range (`1e400`
 * parses as Infinity), e.g. `disk[0].util = Infinity`; null when every number is in range.
 */
export function firstOutOfRange(value: unknown, path = ''): string | null {
  if (typeof value === 'number') return inSampleRange(value) ? null : `${path || 'value'} = ${value}`;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = firstOutOfRange(item, `${path}[${index}]`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = firstOutOfRange(item, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return null;
}

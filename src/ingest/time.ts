import { SampleError } from '../errors.ts';

const dateTime = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?$/;

/** `2026-11-24 08:40:58` (a `T` and fractional seconds allowed, no zone) read as UTC; NaN if it is not one. */
export function utcMs(text: string): number {
  const match = dateTime.exec(text);
  if (!match) return Number.NaN;
  const part = (index: number): number => Number(match[index]);
  const [year, month, day, hour, minute, second] = [part(1), part(2), part(3), part(4), part(5), part(6)];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return Number.NaN;
  }
  const fractionMs = match[7] ? Math.round(Number(`0.${match[7]}`) * 1000) : 0;
  return Date.UTC(year, month - 1, day, hour, minute, second) + fractionMs;
}

/** An ISO-8601 time with a zone (`2026-11-24T08:40:57.911Z`, `...+0000`, `...+02:00`); NaN if it is not one. */
export function isoMs(text: string): number {
  const match = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?)(Z|[+-]\d\d:?\d\d)$/.exec(text);
  if (!match) return Number.NaN;
  const local = utcMs(match[1] ?? '');
  const zone = match[2] ?? 'Z';
  if (zone === 'Z') return local;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return local - sign * offsetMin * 60_000;
}

/** ISO-8601 UTC for the edges of the program; null for a missing (NaN) time. */
function isoOrNull(timeMs: number | null): string | null {
  return timeMs !== null && isSampleTime(timeMs) ? new Date(timeMs).toISOString() : null;
}

/** Earliest and latest finite time of a series, as ISO-8601 UTC (nulls when it has none). */
export function timeSpan(timesMs: readonly number[]): { from: string | null; to: string | null } {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const timeMs of timesMs) {
    if (!isSampleTime(timeMs)) continue;
    first = Math.min(first, timeMs);
    last = Math.max(last, timeMs);
  }
  return { from: isoOrNull(first), to: isoOrNull(last) };
}

/**
 * Seconds each sample stands for: the gap to the next sample (the last one takes the gap before
 * it), 1 s where there is no usable gap.
 */
export function intervalsSec(timesMs: readonly number[]): number[] {
  return timesMs.map((t, i) => {
    const next = timesMs[i + 1];
    const prev = timesMs[i - 1];
    const step = next !== undefined ? next - t : prev !== undefined ? t - prev : 1000;
    return Number.isFinite(step) && step > 0 ? step / 1000 : 1;
  });
}

/** The latest time a sample may carry: the end of year 9999, the last one ISO-8601 writes with four digits. */
export const MAX_SAMPLE_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A time a report can print: finite and between 1970 and MAX_SAMPLE_TIME_MS. */
export function isSampleTime(timeMs: number): boolean {
  return Number.isFinite(timeMs) && timeMs >= 0 && timeMs <= MAX_SAMPLE_TIME_MS;
}

/** `timeMs` when it is a sample time (isSampleTime), else a SampleError that skips the line. */
export function checkTime(timeMs: number, text: string): number {
  if (!isSampleTime(timeMs)) {
    throw new SampleError(
      `time ${JSON.stringify(text.slice(0, 40))} is not a time between 1970 and 9999`,
      '',
    );
  }
  return timeMs;
}

import { SampleError } from '../errors.ts';
import { quoteLine, splitLines } from './lines.ts';
import { isoMs } from './time.ts';

export interface FdCount {
  timeMs: number | null;
  count: number;
}

// `2026-11-24T08:49:15.608Z ls /proc/32407/fd | wc -l = 453`, or the bare count `453`.
const timedCount = /^(\S+)\s.*=\s*(\d+)$/;

/** Reads an `app-fd-count-{start,end}.txt` snapshot: the app's open fd count and when it was taken. */
export function parseFdCount(text: string, file: string): FdCount {
  const line =
    splitLines(text)
      .find((candidate) => candidate.trim() !== '')
      ?.trim() ?? '';
  if (/^\d+$/.test(line)) return { timeMs: null, count: Number(line) };
  const match = timedCount.exec(line);
  const timeMs = isoMs(match?.[1] ?? '');
  if (!match || Number.isNaN(timeMs)) {
    throw new SampleError(
      `expected "<ISO time> ls /proc/<pid>/fd | wc -l = <n>", found ${quoteLine(line)}`,
      file,
      1,
    );
  }
  return { timeMs, count: Number(match[2]) };
}

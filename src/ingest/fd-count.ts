import { SampleError } from '../errors.ts';
import { countOf } from './columns.ts';
import { type LineReader, quoteLine, readTextLines } from './lines.ts';
import { checkTime, isoMs } from './time.ts';

export interface FdCount {
  timeMs: number | null;
  count: number;
}

// `2026-11-24T08:49:15.608Z ls /proc/32407/fd | wc -l = 453`, or the bare count `453`.
const timedCount = /^(\S+)\s.*=\s*(\d+)$/;

/** Reads an `app-fd-count-{start,end}.txt` snapshot (its first non-empty line): the app's open fd count and when it was taken. */
export function fdCountReader(file: string): LineReader<FdCount> {
  let count: FdCount | null = null;
  return {
    line(text) {
      const line = text.trim();
      if (line === '') return;
      if (/^\d+$/.test(line)) count = { timeMs: null, count: countOf(line, 'fd count') };
      else {
        const match = timedCount.exec(line);
        const timeMs = isoMs(match?.[1] ?? '');
        if (!match || Number.isNaN(timeMs)) {
          throw new SampleError(
            `expected "<ISO time> ls /proc/<pid>/fd | wc -l = <n>", found ${quoteLine(line)}`,
            file,
          );
        }
        count = { timeMs: checkTime(timeMs, match[1] ?? ''), count: countOf(match[2] ?? '', 'fd count') };
      }
      return 'stop';
    },
    end() {
      if (count === null) {
        throw new SampleError('expected "<ISO time> ls /proc/<pid>/fd | wc -l = <n>", found ""', file, 1);
      }
      return count;
    },
  };
}

export function parseFdCount(text: string, file: string): FdCount {
  return readTextLines(text, file, fdCountReader(file));
}

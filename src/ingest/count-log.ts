import { SampleError } from '../errors.ts';
import { countOf } from './columns.ts';
import { type LineReader, quoteLine, readTextLines } from './lines.ts';
import { RecordCap } from './record-cap.ts';
import { checkTime, utcMs } from './time.ts';
import type { CountLog } from './types.ts';

/** What the log counts: `Threads` (threads.log, threads-proc-status.log) or `FDs` (fds.log). */
export type CountLabel = 'Threads' | 'FDs';

const countLine = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) - PID: (\d+), (\w+): (\d+)$/;

/**
 * Reads a `YYYY-MM-DD HH:MM:SS - PID: <pid>, Threads: <n>` (or `FDs: <n>`) log, times UTC, line
 * by line. A PID change mid-log is data (the app restarted), not an error: `pids` lists each PID seen.
 */
export function countLogReader(file: string, label: CountLabel): LineReader<CountLog> {
  const log: CountLog = { pids: [], segments: [], timesMs: [], values: [] };
  const cap = new RecordCap(file);
  const seen = new Set<number>();
  return {
    line(line) {
      if (line.trim() === '') return;
      const match = countLine.exec(line.trim());
      const timeMs = utcMs(match?.[1] ?? '');
      if (!match || match[3] !== label || Number.isNaN(timeMs)) {
        const expected = `"YYYY-MM-DD HH:MM:SS - PID: <pid>, ${label}: <n>"`;
        throw new SampleError(`expected ${expected}, found ${quoteLine(line)}`, file);
      }
      const pid = countOf(match[2] ?? '', 'PID');
      const value = countOf(match[4] ?? '', label);
      checkTime(timeMs, match[1] ?? '');
      if (!seen.has(pid)) {
        seen.add(pid);
        log.pids.push(pid);
      }
      const segment = log.segments.at(-1);
      if (segment?.pid === pid) segment.end += 1;
      else log.segments.push({ pid, start: log.timesMs.length, end: log.timesMs.length + 1 });
      log.timesMs.push(timeMs);
      log.values.push(value);
      return cap.count();
    },
    end() {
      if (log.timesMs.length === 0) throw new SampleError(`no "PID: <pid>, ${label}: <n>" lines`, file);
      return cap.check(log);
    },
  };
}

/** countLogReader over a text held whole. */
export function parseCountLog(text: string, file: string, label: CountLabel): CountLog {
  return readTextLines(text, file, countLogReader(file, label));
}

/** The longest run of one PID: what a log whose PID changed mid-capture is judged on. */
export function longestSegment(log: CountLog): CountLog {
  if (log.segments.length <= 1) return log;
  const longest = log.segments.reduce((best, s) => (s.end - s.start > best.end - best.start ? s : best));
  return {
    pids: [longest.pid],
    segments: [{ pid: longest.pid, start: 0, end: longest.end - longest.start }],
    timesMs: log.timesMs.slice(longest.start, longest.end),
    values: log.values.slice(longest.start, longest.end),
  };
}

/** One line for a log whose PID changed: each run, and which one is analysed. */
export function pidChangeNote(log: CountLog): string | null {
  if (log.segments.length <= 1) return null;
  const runs = log.segments.map((s) => `PID ${s.pid} for ${s.end - s.start} samples`).join(', then ');
  const longest = longestSegment(log);
  return `the PID changed mid-capture (${runs}): only the longest run (PID ${longest.pids[0]}) is analysed`;
}

import { SampleError } from '../errors.ts';
import { quoteLine, splitLines } from './lines.ts';
import { utcMs } from './time.ts';
import type { ListenQueueLog } from './types.ts';

// `<time> LISTEN <Recv-Q> <Send-Q> <local> <peer>`; older ss builds leave out the State column.
const listenLine = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+(?:LISTEN\s+)?(\d+)\s+(\d+)\s+(\S+)\s+(\S+)$/;
const bareTime = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

/**
 * Reads a log of timed `ss -ltnH` lines into one series per listening address. On a listener,
 * Recv-Q is the accept queue now and Send-Q the effective backlog. A line with only a time (no
 * listener at that second) is skipped.
 */
export function parseListenQueueLog(text: string, file: string): ListenQueueLog {
  const log: ListenQueueLog = { listeners: {} };
  let lines = 0;
  for (const [index, line] of splitLines(text).entries()) {
    const trimmed = line.trim();
    if (trimmed === '' || bareTime.test(trimmed)) continue;
    const match = listenLine.exec(trimmed);
    const timeMs = utcMs(match?.[1] ?? '');
    if (!match || Number.isNaN(timeMs)) {
      const expected = '"YYYY-MM-DD HH:MM:SS LISTEN <Recv-Q> <Send-Q> <local> <peer>"';
      throw new SampleError(`expected ${expected}, found ${quoteLine(line)}`, file, index + 1);
    }
    const local = match[4] ?? '';
    const listener = log.listeners[local] ?? { timesMs: [], recvQ: [], sendQ: [] };
    log.listeners[local] = listener;
    listener.timesMs.push(timeMs);
    listener.recvQ.push(Number(match[2]));
    listener.sendQ.push(Number(match[3]));
    lines += 1;
  }
  if (lines === 0) throw new SampleError('no "LISTEN <Recv-Q> <Send-Q> <local> <peer>" lines', file);
  return log;
}

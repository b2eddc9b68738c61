import { SampleError } from '../errors.ts';
import { countOf } from './columns.ts';
import { type LineReader, quoteLine, readTextLines } from './lines.ts';
import { RecordCap } from './record-cap.ts';
import { checkTime, utcMs } from './time.ts';
import type { ListenQueueLog } from './types.ts';

// `<time> LISTEN <Recv-Q> <Send-Q> <local> <peer>`; older ss builds leave out the State column.
const listenLine = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+(?:LISTEN\s+)?(\d+)\s+(\d+)\s+(\S+)\s+(\S+)$/;
const bareTime = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

/**
 * Reads a log of timed `ss -ltnH` lines into one series per listening address. On a listener,
 * Recv-Q is the accept queue now and Send-Q the effective backlog. A line with only a time (no
 * listener at that second) is skipped.
 */
export function listenQueueReader(file: string): LineReader<ListenQueueLog> {
  const log: ListenQueueLog = { listeners: {} };
  const cap = new RecordCap(file);
  let lines = 0;
  return {
    line(line) {
      const trimmed = line.trim();
      if (trimmed === '' || bareTime.test(trimmed)) return;
      const match = listenLine.exec(trimmed);
      const timeMs = utcMs(match?.[1] ?? '');
      if (!match || Number.isNaN(timeMs)) {
        const expected = '"YYYY-MM-DD HH:MM:SS LISTEN <Recv-Q> <Send-Q> <local> <peer>"';
        throw new SampleError(`expected ${expected}, found ${quoteLine(line)}`, file);
      }
      checkTime(timeMs, match[1] ?? '');
      const recvQ = countOf(match[2] ?? '', 'Recv-Q');
      const sendQ = countOf(match[3] ?? '', 'Send-Q');
      const local = match[4] ?? '';
      const listener = Object.hasOwn(log.listeners, local)
        ? log.listeners[local]!
        : { timesMs: [], recvQ: [], sendQ: [] };
      log.listeners[local] = listener;
      listener.timesMs.push(timeMs);
      listener.recvQ.push(recvQ);
      listener.sendQ.push(sendQ);
      lines += 1;
      return cap.count();
    },
    end() {
      if (lines === 0) throw new SampleError('no "LISTEN <Recv-Q> <Send-Q> <local> <peer>" lines', file);
      return cap.check(log);
    },
  };
}

export function parseListenQueueLog(text: string, file: string): ListenQueueLog {
  return readTextLines(text, file, listenQueueReader(file));
}

import { SampleError } from '../errors.ts';
import { quoteLine, splitLines } from './lines.ts';
import { utcMs } from './time.ts';
import type { SockstatLog } from './types.ts';

// Each /proc/net/sockstat line with the time in front: `<time> TCP: inuse 7 orphan 0 tw 55 alloc 7 mem 60`.
const sockstatLine = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([A-Z0-9]+|sockets): ((?:\S+ -?\d+ ?)*)$/;

/** `inuse 7 orphan 0 tw 55` → { inuse: 7, orphan: 0, tw: 55 } */
function sockstatFields(text: string): Record<string, number> {
  const fields: Record<string, number> = {};
  const words = text.trim().split(/\s+/);
  for (let index = 0; index + 1 < words.length; index += 2) {
    fields[words[index] ?? ''] = Number(words[index + 1]);
  }
  return fields;
}

/** Reads a timed /proc/net/sockstat log; one record per `TCP:` line (the other protocols are skipped). */
export function parseSockstatLog(text: string, file: string): SockstatLog {
  const log: SockstatLog = { timesMs: [], tcpInuse: [], tcpOrphan: [], tcpTimeWait: [], tcpAlloc: [] };
  for (const [index, line] of splitLines(text).entries()) {
    if (line.trim() === '') continue;
    const match = sockstatLine.exec(line.trim());
    const timeMs = utcMs(match?.[1] ?? '');
    if (!match || Number.isNaN(timeMs)) {
      const expected = '"YYYY-MM-DD HH:MM:SS <PROTO>: <name> <n> ..."';
      throw new SampleError(`expected ${expected}, found ${quoteLine(line)}`, file, index + 1);
    }
    if (match[2] !== 'TCP') continue;
    const tcp = sockstatFields(match[3] ?? '');
    log.timesMs.push(timeMs);
    log.tcpInuse.push(tcp.inuse ?? Number.NaN);
    log.tcpOrphan.push(tcp.orphan ?? Number.NaN);
    log.tcpTimeWait.push(tcp.tw ?? Number.NaN);
    log.tcpAlloc.push(tcp.alloc ?? Number.NaN);
  }
  if (log.timesMs.length === 0) throw new SampleError('no timed "TCP: inuse <n> ..." lines', file);
  return log;
}

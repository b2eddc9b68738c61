import { SampleError } from '../errors.ts';
import { checkRange } from './columns.ts';
import { type LineReader, quoteLine, readTextLines } from './lines.ts';
import { RecordCap } from './record-cap.ts';
import { checkTime, utcMs } from './time.ts';
import type { SockstatLog } from './types.ts';

// Each /proc/net/sockstat line with the time in front: `<time> TCP: inuse 7 orphan 0 tw 55 alloc 7 mem 60`.
const sockstatLine = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([A-Z0-9]+|sockets): ((?:\S+ -?\d+ ?)*)$/;

/** `inuse 7 orphan 0 tw 55` → { inuse: 7, orphan: 0, tw: 55 } */
function sockstatFields(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  const words = text.trim().split(/\s+/);
  for (let index = 0; index + 1 < words.length; index += 2) {
    const word = words[index + 1] ?? '';
    fields.set(words[index] ?? '', checkRange(Number(word), words[index] ?? 'value', word));
  }
  return fields;
}

/** Reads a timed /proc/net/sockstat log; one record per `TCP:` line (the other protocols are skipped). */
export function sockstatReader(file: string): LineReader<SockstatLog> {
  const log: SockstatLog = { timesMs: [], tcpInuse: [], tcpOrphan: [], tcpTimeWait: [], tcpAlloc: [] };
  const cap = new RecordCap(file);
  return {
    line(line) {
      if (line.trim() === '') return;
      const match = sockstatLine.exec(line.trim());
      const timeMs = utcMs(match?.[1] ?? '');
      if (!match || Number.isNaN(timeMs)) {
        const expected = '"YYYY-MM-DD HH:MM:SS <PROTO>: <name> <n> ..."';
        throw new SampleError(`expected ${expected}, found ${quoteLine(line)}`, file);
      }
      if (match[2] !== 'TCP') return;
      checkTime(timeMs, match[1] ?? '');
      const tcp = sockstatFields(match[3] ?? '');
      log.timesMs.push(timeMs);
      log.tcpInuse.push(tcp.get('inuse') ?? Number.NaN);
      log.tcpOrphan.push(tcp.get('orphan') ?? Number.NaN);
      log.tcpTimeWait.push(tcp.get('tw') ?? Number.NaN);
      log.tcpAlloc.push(tcp.get('alloc') ?? Number.NaN);
      return cap.count();
    },
    end() {
      if (log.timesMs.length === 0) throw new SampleError('no timed "TCP: inuse <n> ..." lines', file);
      return cap.check(log);
    },
  };
}

export function parseSockstatLog(text: string, file: string): SockstatLog {
  return readTextLines(text, file, sockstatReader(file));
}

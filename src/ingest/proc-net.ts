import { SampleError } from '../errors.ts';
import { inSampleRange } from './columns.ts';
import { type LineReader, quoteLine, readTextLines } from './lines.ts';
import type { KernelCounters } from './types.ts';

const prefixed = /^(\w+):\s+(.*)$/;

/** The most `Prefix:` pairs a file may hold: the kernel prints about ten; more is not /proc/net. */
const MAX_PAIRS = 1000;

/**
 * Reads /proc/net/netstat or /proc/net/snmp: pairs of lines with the same `Prefix:`, names on the
 * first and values on the second, into counters keyed `TcpExt.ListenOverflows`, `Tcp.PassiveOpens`.
 * A value that is not a number in range is left out (and named in the file's gap); the other
 * counters of its line still count.
 */
export function procNetReader(file: string): LineReader<KernelCounters> {
  const counters: KernelCounters = {};
  let names: { prefix: string; keys: string[]; lineNo: number } | null = null;
  let pairs = 0;
  const valuesLine = (prefix: string, keys: string[], text: string, lineNo: number) => {
    const words = text.split(/\s+/);
    if (keys.length !== words.length) {
      throw new SampleError(`"${prefix}:" has ${keys.length} names but ${words.length} values`, file, lineNo);
    }
    const bad: string[] = [];
    for (const [position, key] of keys.entries()) {
      const word = words[position] ?? '';
      const value = Number(word);
      if (word !== '' && inSampleRange(value)) counters[`${prefix}.${key}`] = value;
      else bad.push(`${key} ${quoteLine(word)}`);
    }
    pairs += 1;
    if (bad.length > 0) {
      const list = bad.slice(0, 3).join(', ') + (bad.length > 3 ? ` and ${bad.length - 3} more` : '');
      throw new SampleError(`"${prefix}:" ${list}: not a finite number in range, left out`, file, lineNo);
    }
  };
  return {
    line(text, lineNo) {
      const line = text.trim();
      if (line === '') return;
      const match = prefixed.exec(line);
      if (names === null) {
        if (!match) throw new SampleError(`expected "Prefix: Name ...", found ${quoteLine(line)}`, file);
        names = { prefix: match[1] ?? '', keys: (match[2] ?? '').split(/\s+/), lineNo };
        return;
      }
      const head = names;
      names = null;
      if (!match || match[1] !== head.prefix) {
        // The names line lost its values line: this line may start the next pair.
        if (match) names = { prefix: match[1] ?? '', keys: (match[2] ?? '').split(/\s+/), lineNo };
        throw new SampleError(`"${head.prefix}:" names line without its values line`, file, lineNo);
      }
      valuesLine(head.prefix, head.keys, match[2] ?? '', lineNo);
      return pairs >= MAX_PAIRS ? 'stop' : undefined;
    },
    end() {
      const dangling = names;
      if (Object.keys(counters).length === 0) {
        throw new SampleError('no "Prefix: Name ..." counter lines', file);
      }
      if (dangling) {
        throw new SampleError(
          `"${dangling.prefix}:" names line without its values line`,
          file,
          dangling.lineNo,
        );
      }
      return counters;
    },
  };
}

export function parseProcNet(text: string, file: string): KernelCounters {
  return readTextLines(text, file, procNetReader(file));
}

/** end − start for every counter present in both snapshots (counters only grow, except gauges like CurrEstab). */
export function counterDelta(start: KernelCounters, end: KernelCounters): KernelCounters {
  const delta: KernelCounters = {};
  for (const [key, endValue] of Object.entries(end)) {
    const startValue = start[key];
    if (startValue !== undefined) delta[key] = endValue - startValue;
  }
  return delta;
}

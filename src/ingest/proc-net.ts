import { SampleError } from '../errors.ts';
import { quoteLine, splitLines } from './lines.ts';
import type { KernelCounters } from './types.ts';

const prefixed = /^(\w+):\s+(.*)$/;

/**
 * Reads /proc/net/netstat or /proc/net/snmp: pairs of lines with the same `Prefix:`, names on the
 * first and values on the second, into counters keyed `TcpExt.ListenOverflows`, `Tcp.PassiveOpens`.
 */
export function parseProcNet(text: string, file: string): KernelCounters {
  const counters: KernelCounters = {};
  const lines = splitLines(text)
    .map((line, index) => ({ line: line.trim(), lineNo: index + 1 }))
    .filter(({ line }) => line !== '');
  for (let index = 0; index < lines.length; index += 2) {
    const names = lines[index];
    const values = lines[index + 1];
    if (!names) break;
    const head = prefixed.exec(names.line);
    const body = values ? prefixed.exec(values.line) : null;
    if (!head) {
      throw new SampleError(
        `expected "Prefix: Name ...", found ${quoteLine(names.line)}`,
        file,
        names.lineNo,
      );
    }
    if (!values || !body || body[1] !== head[1]) {
      throw new SampleError(
        `"${head[1]}:" names line without its values line`,
        file,
        values?.lineNo ?? names.lineNo,
      );
    }
    const keys = (head[2] ?? '').split(/\s+/);
    const numbers = (body[2] ?? '').split(/\s+/).map(Number);
    if (keys.length !== numbers.length) {
      throw new SampleError(
        `"${head[1]}:" has ${keys.length} names but ${numbers.length} values`,
        file,
        values.lineNo,
      );
    }
    if (numbers.some(Number.isNaN)) {
      throw new SampleError(
        `"${head[1]}:" values line has a value that is not a number`,
        file,
        values.lineNo,
      );
    }
    for (const [position, key] of keys.entries()) {
      counters[`${head[1]}.${key}`] = numbers[position] ?? Number.NaN;
    }
  }
  if (Object.keys(counters).length === 0) throw new SampleError('no "Prefix: Name ..." counter lines', file);
  return counters;
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

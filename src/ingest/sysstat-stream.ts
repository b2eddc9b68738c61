import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import chain, { none } from 'stream-chain';
import { parser } from 'stream-json';
import { pick } from 'stream-json/filters/pick.js';
import { streamValues } from 'stream-json/streamers/stream-values.js';
import { SampleError } from '../errors.ts';

export interface SysstatHostHandlers {
  /** Fields of `sysstat.hosts[0]` to hand to `onHeader` (sysstat writes them before `statistics`). */
  headerKeys: readonly string[];
  onHeader: (key: string, value: unknown) => void;
  onRecord: (record: unknown, index: number) => void;
}

type Picked = { kind: 'header'; key: string } | { kind: 'record' };

/** `1204` → `1,204 records`, the way a gap message counts what was read. */
function recordCount(records: number): string {
  return `${records.toLocaleString('en-US')} ${records === 1 ? 'record' : 'records'}`;
}

function isSystemError(error: unknown): boolean {
  return error instanceof Error && 'syscall' in error;
}

function breakMessage(error: unknown, records: number): string {
  const reason = error instanceof Error ? error.message : String(error);
  // NOTE: stream-json throws plain Errors ("Parser has expected a value") both for a file cut short
  // and for broken syntax; it cannot tell the two apart at the end of the input.
  const what = error instanceof SampleError ? reason : `malformed or truncated JSON (${reason})`;
  return `${what} after ${recordCount(records)}`;
}

/**
 * Streams `sysstat.hosts[0]` of `sadf -j` or `iostat -o JSON` output: the wanted header fields,
 * then each `statistics` entry, so memory holds one record at a time, not the file. Resolves to
 * the number of records. Throws a SampleError that counts the records read when the JSON or its
 * gzip breaks off; what the handlers were given before the break stays with the caller.
 */
export async function streamSysstatHost(
  input: Readable,
  file: string,
  { headerKeys, onHeader, onRecord }: SysstatHostHandlers,
): Promise<number> {
  const picked: Picked[] = [];
  let sawStatistics = false;

  // NOTE: pick calls the filter once per value start with the path so far, in document order;
  // the queue tells the handler whether each value it receives is a header field or a record.
  const filter = (stack: readonly unknown[]): boolean => {
    if (stack[0] !== 'sysstat' || stack[1] !== 'hosts' || stack[2] !== 0) return false;
    const key = stack[3];
    if (stack.length === 4 && typeof key === 'string' && headerKeys.includes(key)) {
      picked.push({ kind: 'header', key });
      return true;
    }
    if (key !== 'statistics') return false;
    if (stack.length === 4) sawStatistics = true;
    if (stack.length !== 5) return false;
    picked.push({ kind: 'record' });
    return true;
  };

  // NOTE: the handler runs inside the chain, as each value is assembled, so a record is counted
  // the moment it is parsed, not when a downstream buffer happens to be read before an error.
  let records = 0;
  let handlerError: unknown;
  const handle = ({ value }: { value: unknown }): typeof none => {
    const next = picked.shift();
    try {
      if (next?.kind === 'header') onHeader(next.key, value);
      else onRecord(value, records);
    } catch (error) {
      handlerError = error;
      throw error;
    }
    if (next?.kind !== 'header') records += 1;
    return none;
  };

  try {
    const tokens: Duplex = chain([parser({ streamValues: false }), pick({ filter }), streamValues(), handle]);
    await pipeline(input, tokens);
  } catch (error) {
    if (error === handlerError || isSystemError(error)) throw error;
    throw new SampleError(breakMessage(error, records), file);
  }
  if (!sawStatistics) throw new SampleError('not sysstat JSON: no sysstat.hosts[0].statistics', file);
  return records;
}

import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SampleError } from '../errors.ts';

export interface SysstatHostHandlers {
  /** Fields of `sysstat.hosts[0]` to hand to `onHeader` (sysstat writes them before `statistics`). */
  headerKeys: readonly string[];
  onHeader: (key: string, value: unknown) => void;
  /** One entry of `statistics`, with the line its text starts on. */
  onRecord: (record: unknown, index: number, lineNo: number) => void;
}

/** `1204` → `1,204 records`, the way a gap message counts what was read. */
function recordCount(records: number): string {
  return `${records.toLocaleString('en-US')} ${records === 1 ? 'record' : 'records'}`;
}

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const NEWLINE = 0x0a;

/** Depth of a record's braces inside `sysstat.hosts[0].statistics`: root, sysstat, hosts, host, statistics. */
const STATISTICS_DEPTH = 5;

/**
 * Splits `sysstat.hosts[0].statistics` of `sadf -j` or `iostat -o JSON` output into one text per
 * record, tracking only nesting and strings, and hands each to JSON.parse: one record in memory at
 * a time, and an order of magnitude faster than a token-level streaming parser on these files,
 * whose bulk is thousands of small records. The text before `statistics` (the host's header) is
 * parsed whole, closed off where `statistics` begins.
 */
class StatisticsSplitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Text not handed on yet: the header until `statistics` begins, then the record being read. */
  private pending = '';
  /** Where scanning resumes in `pending`. */
  private scanned = 0;
  private recordStart = -1;
  /** The line being scanned, and the one the record in progress starts on. */
  private lineNo = 1;
  private recordLine = 1;
  private phase: 'header' | 'records' | 'done' = 'header';
  records = 0;

  constructor(
    private readonly file: string,
    private readonly handlers: SysstatHostHandlers,
  ) {}

  push(chunk: string): void {
    if (this.phase === 'done') return;
    this.pending += chunk;
    if (this.phase === 'header') this.scanHeader();
    if (this.phase === 'records') this.scanRecords();
  }

  end(): void {
    if (this.phase === 'header') this.scanHeader(true);
    if (this.phase === 'records') this.scanRecords();
    if (this.phase === 'header')
      throw new SampleError('not sysstat JSON: no sysstat.hosts[0].statistics', this.file);
    if (this.phase === 'records') {
      throw new SampleError(
        `malformed or truncated JSON (the statistics array never closes) after ${recordCount(this.records)}`,
        this.file,
      );
    }
  }

  /** Finds `"statistics"` at the host object's depth, then parses the header before it. */
  private scanHeader(final = false): void {
    const text = this.pending;
    for (let i = this.scanned; i < text.length; i += 1) {
      const c = text.charCodeAt(i);
      if (c === NEWLINE) this.lineNo += 1;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (c === QUOTE) {
        if (this.depth === STATISTICS_DEPTH - 1) {
          // A key of the host object: `"statistics": [` may still be cut by the chunk's end.
          const ahead = text.slice(i, i + 64);
          const open = /^"statistics"\s*:\s*\[/.exec(ahead);
          if (open) {
            this.readHeader(text.slice(0, i));
            this.depth = STATISTICS_DEPTH;
            this.pending = text.slice(i + open[0].length);
            this.scanned = 0;
            this.phase = 'records';
            return;
          }
          if (
            !final &&
            ahead.length < 64 &&
            /^"(?:s(?:t(?:a(?:t(?:i(?:s(?:t(?:i(?:c(?:s(?:"\s*(?::\s*)?)?)?)?)?)?)?)?)?)?)?)?$/.test(ahead)
          ) {
            this.scanned = i;
            return;
          }
        }
        this.inString = true;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) this.depth += 1;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) this.depth -= 1;
    }
    this.scanned = text.length;
    if (text.length > 1_048_576)
      throw new SampleError('not sysstat JSON: no statistics in the first MiB', this.file);
  }

  private readHeader(prefix: string): void {
    let doc: unknown;
    try {
      const head = prefix.replace(/,\s*$/, '');
      doc = JSON.parse(`${head}${/\{\s*$/.test(head) ? '' : ','}"statistics":[]}]}}`);
    } catch {
      throw new SampleError(
        'not sysstat JSON: the text before statistics is not sysstat.hosts[0]',
        this.file,
      );
    }
    const host = (doc as { sysstat?: { hosts?: unknown[] } }).sysstat?.hosts?.[0];
    if (!host || typeof host !== 'object') {
      throw new SampleError('not sysstat JSON: no sysstat.hosts[0].statistics', this.file);
    }
    for (const key of this.handlers.headerKeys) {
      if (key in host) this.handlers.onHeader(key, (host as Record<string, unknown>)[key]);
    }
  }

  private scanRecords(): void {
    const text = this.pending;
    let i = this.scanned;
    let consumed = 0;
    for (; i < text.length; i += 1) {
      const c = text.charCodeAt(i);
      if (c === NEWLINE) this.lineNo += 1;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (this.depth === STATISTICS_DEPTH) {
          this.recordStart = i;
          this.recordLine = this.lineNo;
        }
        this.depth += 1;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        this.depth -= 1;
        if (this.depth === STATISTICS_DEPTH) {
          this.emit(text.slice(this.recordStart, i + 1));
          this.recordStart = -1;
          consumed = i + 1;
        } else if (this.depth < STATISTICS_DEPTH) {
          // the statistics array closed: every record is read; the rest of the file is not needed
          this.phase = 'done';
          this.pending = '';
          return;
        }
      }
    }
    // Keep only the record in progress (or nothing between records).
    if (this.recordStart >= 0) {
      this.pending = text.slice(this.recordStart);
      this.scanned = i - this.recordStart;
      this.recordStart = 0;
    } else {
      this.pending = '';
      this.scanned = 0;
      if (consumed < text.length && /[^\s,]/.test(text.slice(consumed))) {
        throw new SampleError(
          `malformed or truncated JSON (unexpected text between records) after ${recordCount(this.records)}`,
          this.file,
        );
      }
    }
  }

  private emit(recordText: string): void {
    let record: unknown;
    try {
      record = JSON.parse(recordText);
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
      throw new SampleError(
        `malformed or truncated JSON (${reason}) after ${recordCount(this.records)}`,
        this.file,
      );
    }
    this.handlers.onRecord(record, this.records, this.recordLine);
    this.records += 1;
  }
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
  handlers: SysstatHostHandlers,
): Promise<number> {
  const splitter = new StatisticsSplitter(file, handlers);
  const decoder = new StringDecoder('utf8');
  // Errors of the splitter and the handlers are the file's own story: passed on as they are.
  let own: unknown;
  const push = (text: string): void => {
    try {
      splitter.push(text);
    } catch (error) {
      own = error;
      throw error;
    }
  };
  try {
    for await (const chunk of input) push(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
  } catch (error) {
    if (error === own) throw error;
    // A stream that breaks (a gzip cut short) says how far the file got.
    if (error instanceof SampleError) {
      throw new SampleError(`${error.message} after ${recordCount(splitter.records)}`, file, error.line);
    }
    throw error;
  }
  push(decoder.end());
  splitter.end();
  return splitter.records;
}

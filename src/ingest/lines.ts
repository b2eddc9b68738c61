import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SampleError } from '../errors.ts';
import { type SampleSource, toSampleStream } from './gz.ts';
import { PartialSampleError } from './partial-sample-error.ts';

/**
 * The longest line a reader is handed; the rest of a longer line is dropped unread. No on-host
 * format has lines near it (sysctl values and log lines are at most a few KiB), and without it one
 * newline-free file would sit in memory whole.
 */
export const MAX_LINE_CHARS = 64 * 1024;

/** Lines of a text, without their `\n` / `\r\n`; a final newline does not make an extra empty line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function withoutCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * Lines of a byte stream, one at a time, so a big log never sits in memory whole: at most
 * `maxChars` of a line are kept (see MAX_LINE_CHARS). A stream error (a gzip cut short) rejects
 * the loop that reads; leaving the loop early destroys the stream, and its later errors go nowhere.
 */
export async function* readLines(stream: Readable, maxChars = MAX_LINE_CHARS): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  // Past maxChars the rest of the line is skipped until its newline.
  let skipping = false;
  const take = function* (text: string): Generator<string> {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
      const piece = text.slice(start, newline);
      start = newline + 1;
      if (skipping) {
        skipping = false;
        const line = pending;
        pending = '';
        yield withoutCr(line);
        continue;
      }
      const line = pending + piece;
      pending = '';
      yield withoutCr(line.length > maxChars ? line.slice(0, maxChars) : line);
    }
    if (skipping) return;
    pending += text.slice(start);
    if (pending.length > maxChars) {
      pending = pending.slice(0, maxChars);
      skipping = true;
    }
  };
  try {
    for await (const chunk of stream) {
      yield* take(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    }
    yield* take(decoder.end());
    if (pending !== '' || skipping) yield withoutCr(pending);
  } finally {
    stream.destroy();
  }
}

export { quoteLine } from './quote.ts';

/**
 * A line-by-line reader of one file format. `line` throws a SampleError for a line it cannot use:
 * the line is skipped and named in the file's gap, and the rest of the file still counts. It
 * returns `'stop'` when it needs no more lines (a snapshot read, or a cap reached). `end` gives
 * the result, or throws a SampleError when the file held nothing usable.
 */
export interface LineReader<T> {
  line(text: string, lineNo: number): undefined | 'stop';
  end(): T;
}

/** The lines a reader could not use: the first is named, the others counted. */
export class BadLines {
  first: SampleError | null = null;
  count = 0;
  note(error: SampleError): void {
    this.count += 1;
    this.first ??= error;
  }
}

function skippedMessage(bad: BadLines): string {
  const first = bad.first!;
  const more = bad.count === 1 ? '1 line skipped' : `${bad.count.toLocaleString('en-US')} lines skipped`;
  return `${first.message} (${more}; the rest of the file was read)`;
}

function finish<T>(reader: LineReader<T>, bad: BadLines, file: string): T {
  let value: T;
  try {
    value = reader.end();
  } catch (error) {
    // A file cut by a record cap says so itself, and keeps what came before.
    if (error instanceof PartialSampleError) throw error;
    // Nothing usable: the first bad line says more than "no lines".
    if (error instanceof SampleError && bad.first && error.line === undefined) {
      throw new SampleError(bad.first.message, file, bad.first.line);
    }
    throw error;
  }
  if (bad.first) throw new PartialSampleError(skippedMessage(bad), file, value, bad.first.line);
  return value;
}

interface Feed<T> {
  reader: LineReader<T>;
  bad: BadLines;
  file: string;
}

function feed<T>({ reader, bad, file }: Feed<T>, text: string, lineNo: number): boolean {
  try {
    return reader.line(text, lineNo) === 'stop';
  } catch (error) {
    if (!(error instanceof SampleError)) throw error;
    bad.note(new SampleError(error.message, file, error.line ?? lineNo));
    return false;
  }
}

/** Runs a LineReader over a text held whole (tests, small inputs). */
export function readTextLines<T>(text: string, file: string, reader: LineReader<T>): T {
  const bad = new BadLines();
  for (const [index, line] of splitLines(text).entries()) {
    if (feed({ reader, bad, file }, line, index + 1)) break;
  }
  return finish(reader, bad, file);
}

/**
 * Runs a LineReader over a file's bytes, streamed (gzip told by its magic bytes). A stream that
 * breaks off keeps what was read before the break: a PartialSampleError when there was any.
 */
export async function readStreamLines<T>(
  input: SampleSource,
  file: string,
  reader: LineReader<T>,
): Promise<T> {
  const bad = new BadLines();
  let lineNo = 0;
  try {
    for await (const line of readLines(toSampleStream(input, file))) {
      lineNo += 1;
      if (feed({ reader, bad, file }, line, lineNo)) break;
    }
  } catch (error) {
    if (!(error instanceof SampleError)) throw error;
    const broken = `${error.message} after ${lineNo.toLocaleString('en-US')} lines`;
    let partial: T;
    try {
      partial = reader.end();
    } catch {
      throw new SampleError(broken, file, error.line);
    }
    throw new PartialSampleError(broken, file, partial, error.line);
  }
  return finish(reader, bad, file);
}

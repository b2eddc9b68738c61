import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** Lines of a text, without their `\n` / `\r\n`; a final newline does not make an extra empty line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Lines of a byte stream, one at a time, so a big log never sits in memory whole; a stream error rejects. */
export function readLines(stream: Readable): AsyncIterable<string> {
  return createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
}

/** A bad line as a gap message quotes it: at most 60 characters, in double quotes. */
export function quoteLine(line: string): string {
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 57)}...` : line);
}

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { SampleError } from '../errors.ts';

/** What a parser accepts: the file's text, its raw bytes (gzipped or not), or a stream of either. */
export type SampleSource = string | Uint8Array | Readable;

// RFC 1952 §2.3.1: every gzip member starts with ID1 = 0x1f, ID2 = 0x8b.
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

async function readHead(path: string, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read({ buffer: Buffer.alloc(length), position: 0 });
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function gzipErrorMessage(error: Error & { code?: string }): string {
  // NOTE: zlib reports a gzip cut short as Z_BUF_ERROR "unexpected end of file".
  if (error.code === 'Z_BUF_ERROR') return 'unexpected end of gzip data';
  return `corrupt gzip data (${error.message})`;
}

/** Decompresses `source`; a cut or corrupt gzip surfaces as a SampleError on the returned stream. */
function gunzipSample(source: Readable, file: string): Readable {
  const gunzip = createGunzip();
  const out = new PassThrough();
  source.on('error', (error) => out.destroy(error));
  gunzip.on('error', (error) => out.destroy(new SampleError(gzipErrorMessage(error), file)));
  out.on('close', () => {
    source.destroy();
    gunzip.destroy();
  });
  source.pipe(gunzip).pipe(out);
  return out;
}

/** Opens a sample file as a stream of its (decompressed) bytes; gzip is told by magic bytes, not by name. */
export async function openSample(path: string, file: string): Promise<Readable> {
  const head = await readHead(path, 2);
  const stream = createReadStream(path);
  return isGzip(head) ? gunzipSample(stream, file) : stream;
}

function bytesOf(text: string | Uint8Array): Uint8Array {
  return typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
}

/** Any parser input as a byte stream, decompressing gzipped bytes. A stream is taken as already decompressed. */
export function toSampleStream(input: SampleSource, file: string): Readable {
  if (input instanceof Readable) return input;
  const bytes = bytesOf(input);
  const stream = Readable.from([bytes], { objectMode: false });
  return isGzip(bytes) ? gunzipSample(stream, file) : stream;
}

/**
 * The most text a whole-file reader holds: a saved Prometheus query of 11,000 points per series
 * (the API's cap) over a dozen series is about 3 MiB; past this a file is not a saved query.
 * NOTE: JSON.parse of range points takes about 20 times their text in memory.
 */
export const MAX_TEXT_BYTES = 8 * 1024 * 1024;

/**
 * Reads a whole (possibly gzipped) sample file as UTF-8 text, for documents that must be held at
 * once (JSON). A file whose (decompressed) text passes `maxBytes` is a SampleError, not read.
 */
export async function readSampleText(path: string, file: string, maxBytes = MAX_TEXT_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  const stream = await openSample(path, file);
  for await (const chunk of stream) {
    length += chunk.length;
    if (length > maxBytes) {
      stream.destroy();
      const mib = Math.round(maxBytes / 1024 / 1024);
      throw new SampleError(
        `more than ${mib} MiB of text: too large to be this kind of file, not read`,
        file,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The first `maxBytes` or so of a sample file's (decompressed) text, to tell its format by content. */
export async function readSampleHead(path: string, file: string, maxBytes = 4096): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  const stream = await openSample(path, file);
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= maxBytes) break;
    }
  } catch {
    // a head is a guess: a file that breaks off still shows its format in what came before
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

import { readFileSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SampleError } from '../../src/errors.ts';
import { isGzip, openSample, readSampleHead, readSampleText, toSampleStream } from '../../src/ingest/gz.ts';
import { hostSample, tempFolder } from './shared-files.ts';

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

describe('gz', () => {
  let dir = '';
  let cleanup = async () => {};
  beforeEach(async () => {
    ({ dir, cleanup } = await tempFolder());
  });
  afterEach(() => cleanup());

  it('tells gzip by its magic bytes', () => {
    expect(isGzip(gzipSync('x'))).toBe(true);
    expect(isGzip(Buffer.from('{"sysstat"'))).toBe(false);
    expect(isGzip(Buffer.alloc(1, 0x1f))).toBe(false);
  });

  it('opens plain and gzipped files alike, whatever their names say', async () => {
    const plain = readFileSync(hostSample('healthy', 'threads.log'), 'utf8');
    await writeFile(join(dir, 'threads.log'), gzipSync(plain));
    await writeFile(join(dir, 'fds.log.gz'), plain);
    expect(await readSampleText(join(dir, 'threads.log'), 'threads.log')).toBe(plain);
    expect(await readSampleText(join(dir, 'fds.log.gz'), 'fds.log.gz')).toBe(plain);
    expect(await text(toSampleStream(gzipSync(plain), 'x'))).toBe(plain);
    expect(await text(toSampleStream(plain, 'x'))).toBe(plain);
  });

  it('fails a cut gzip with "unexpected end of gzip data", not a hang', async () => {
    const gz = readFileSync(hostSample('healthy', 'sadf-A.json.gz'));
    await writeFile(join(dir, 'cut.json.gz'), gz.subarray(0, gz.length / 2));
    const stream = await openSample(join(dir, 'cut.json.gz'), 'cut.json.gz');
    const error = await text(stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SampleError);
    expect(error).toMatchObject({ message: 'unexpected end of gzip data', file: 'cut.json.gz' });
  });

  it('reads only the head of a (gzipped) file, for sniffing', async () => {
    await copyFile(hostSample('healthy', 'sadf-A.json.gz'), join(dir, 'x.gz'));
    const head = await readSampleHead(join(dir, 'x.gz'), 'x.gz', 64);
    expect(head).toHaveLength(64);
    expect(head.startsWith('{"sysstat": {')).toBe(true);
  });
});

import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { fileStats, Outputs, prepareOut } from '../../src/sample/outputs.ts';
import { tempFolder } from '../ingest/shared-files.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempFolder());
});
afterEach(() => cleanup());

async function outError(out: string): Promise<string> {
  const error = await prepareOut(out).catch((e: unknown) => e);
  return error instanceof ConfigError ? error.describe() : 'no error';
}

describe('prepareOut', () => {
  it('creates a new folder, nested, and takes an empty one', async () => {
    await prepareOut(join(dir, 'a', 'b'));
    expect(existsSync(join(dir, 'a', 'b'))).toBe(true);
    await prepareOut(join(dir, 'a', 'b'));
  });

  it('refuses a folder with files and a path that is a file', async () => {
    await writeFile(join(dir, 'file'), 'x');
    expect(await outError(dir)).toBe(
      `--out: folder is not empty: ${dir} (fleetlens sample writes a new folder)`,
    );
    expect(await outError(join(dir, 'file'))).toBe(`--out: not a folder: ${join(dir, 'file')}`);
  });
});

describe('Outputs', () => {
  it('never creates a file for a blank text or a log without lines', async () => {
    const outputs = new Outputs(dir);
    expect(await outputs.write('blank.txt', ' \n')).toBe(false);
    await outputs.append('fds.log', []);
    await outputs.close();
    expect(await readdir(dir)).toEqual([]);
    expect(outputs.has('fds.log')).toBe(false);
  });

  it('appends log lines across calls, and never overwrites a whole file', async () => {
    const outputs = new Outputs(dir);
    await outputs.append('fds.log', ['a', 'b']);
    await outputs.append('fds.log', ['c']);
    await outputs.write('host-info.txt', 'one\n');
    await expect(outputs.write('host-info.txt', 'two\n')).rejects.toThrow(/EEXIST/);
    await outputs.close();
    expect(await readFile(join(dir, 'fds.log'), 'utf8')).toBe('a\nb\nc\n');
    expect(await readFile(join(dir, 'host-info.txt'), 'utf8')).toBe('one\n');
    expect(outputs.has('fds.log')).toBe(true);
  });
});

describe('fileStats', () => {
  it('counts the lines of plain and gzipped files, a last line without newline too, and skips the manifest and folders', async () => {
    await writeFile(join(dir, 'a.log'), 'x\ny\n');
    await writeFile(join(dir, 'b.txt'), 'x\ny');
    await writeFile(join(dir, 'empty.txt'), '');
    await writeFile(join(dir, 'c.json.gz'), gzipSync('1\n2\n3\n'));
    await writeFile(join(dir, 'sample-manifest.json'), '{}\n');
    await mkdir(join(dir, 'sub'));
    const stats = await fileStats(dir, 'sample-manifest.json');
    expect(Object.keys(stats)).toEqual(['a.log', 'b.txt', 'c.json.gz', 'empty.txt']);
    expect(stats['a.log']).toEqual({ lines: 2, bytes: 4 });
    expect(stats['b.txt']?.lines).toBe(2);
    expect(stats['c.json.gz']?.lines).toBe(3);
    expect(stats['empty.txt']).toEqual({ lines: 0, bytes: 0 });
  });
});

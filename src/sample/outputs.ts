// The folder `fleetlens sample` writes: a new or empty folder, files created only when they have
// a line (an empty file would be a gap for diagnose), never an existing file overwritten.
import { type FileHandle, mkdir, open, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.ts';
import { openSample } from '../ingest/gz.ts';

/** Creates `out`, or takes it when it is an empty folder; anything else is a ConfigError on --out. */
export async function prepareOut(out: string): Promise<void> {
  const existing = await stat(out).catch(() => null);
  const outError = (message: string) => new ConfigError(message, undefined, undefined, '--out');
  if (existing && !existing.isDirectory()) throw outError(`not a folder: ${out}`);
  if (existing && (await readdir(out)).length > 0) {
    throw outError(`folder is not empty: ${out} (fleetlens sample writes a new folder)`);
  }
  await mkdir(out, { recursive: true });
}

/** The capture's files: whole files written once, logs appended to. */
export class Outputs {
  private readonly logs = new Map<string, FileHandle>();
  private readonly appended = new Set<string>();
  constructor(readonly dir: string) {}

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Writes a whole file unless `text` is blank; fails rather than overwrite. */
  async write(name: string, text: string): Promise<boolean> {
    if (text.trim() === '') return false;
    await writeFile(this.path(name), text, { flag: 'wx' });
    return true;
  }

  async append(name: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    let handle = this.logs.get(name);
    if (!handle) {
      handle = await open(this.path(name), 'a');
      this.logs.set(name, handle);
      this.appended.add(name);
    }
    await handle.write(`${lines.join('\n')}\n`);
  }

  /** Whether a log got at least one line. */
  has(name: string): boolean {
    return this.appended.has(name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.logs.values()].map((handle) => handle.close()));
    this.logs.clear();
  }
}

/** Lines of a file, of its uncompressed text when gzipped; streamed, as sadf JSON can be large. */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of (await openSample(path, path)) as AsyncIterable<Buffer>) {
    for (const byte of chunk) if (byte === 10) lines += 1;
    last = chunk.at(-1) ?? last;
  }
  return last === 10 ? lines : lines + 1;
}

/** Lines and bytes of every file in `dir` but `except` (folders are not counted). */
export async function fileStats(
  dir: string,
  except: string,
): Promise<Record<string, { lines: number; bytes: number }>> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isFile() && entry.name !== except)
    .map((entry) => entry.name)
    .sort();
  const stats = await Promise.all(
    names.map(async (name) => {
      const path = join(dir, name);
      const { size } = await stat(path);
      return [name, { lines: size === 0 ? 0 : await countLines(path), bytes: size }] as const;
    }),
  );
  return Object.fromEntries(stats);
}

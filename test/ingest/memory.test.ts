// A file of one line repeated for tens of MiB, of every line-based kind: its reader streams it,
// or caps what it keeps and says so, instead of holding the file. Each read runs in its own
// child process, which reports how far its resident set grew while reading (peak minus before).
// The bound is on memory, never on time. `npx tsx scripts/reader-memory.ts` runs the full 200 MiB
// files of the issue (every kind stays under 300 MiB RSS there).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.ts';
import {
  type RepeatedLineFile,
  repeatedLineFiles,
  writeRepeatedLineFile,
} from '../helpers/repeated-line-files.ts';

const FILE_MIB = 24;
/**
 * The growth a reader may cause on a 24 MiB file: the young generation's garbage (up to 48 MiB on
 * Node 20) plus what the reader keeps. Holding the file (its bytes, its text and its lines) takes
 * 105-480 MiB at this size on the readers as they were before they streamed.
 */
const MAX_GROWTH_MIB = 100;

// sadf and iostat JSON stream record by record and keep columns up to 200,000 records: their
// growth tracks the records kept, not the file, and is measured at 200 MiB by the bench.
const kinds = repeatedLineFiles.filter((spec) => spec.kind !== 'sysstat-json' && spec.kind !== 'iostat-json');

const work = mkdtempSync(join(tmpdir(), 'fleetlens-memory-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Measured {
  growthKiB: number;
  peakKiB: number;
  inputs: { file: string; records: number }[];
  gaps: string[];
}

async function measure(spec: RepeatedLineFile, index: number): Promise<Measured> {
  const dir = join(work, `${index}-${spec.kind}`);
  await writeRepeatedLineFile(dir, spec, FILE_MIB * 1024 * 1024);
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', packagePath('test', 'helpers', 'read-folder-rss.ts'), dir],
      { env: { ...process.env, FLEETLENS_LOG_LEVEL: 'silent' }, maxBuffer: 1024 * 1024 },
    );
    return JSON.parse(stdout) as Measured;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Two children at a time: the machine has two cores.
const results = new Map<string, Promise<Measured>>();
let chain: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
kinds.forEach((spec, index) => {
  const lane = index % 2;
  const run = chain[lane]!.then(() => measure(spec, index));
  chain[lane] = run.catch(() => undefined);
  results.set(`${spec.kind}:${spec.file}`, run);
});
chain = [];

describe(`reading a ${FILE_MIB} MiB file of one repeated line`, () => {
  it.each(kinds.map((spec) => [spec.kind, spec.file] as const))(
    `%s (%s) grows the reader's RSS by under ${MAX_GROWTH_MIB} MiB`,
    { timeout: 900_000 },
    async (kind, file) => {
      const measured = await results.get(`${kind}:${file}`)!;
      expect(Math.round(measured.growthKiB / 1024)).toBeLessThan(MAX_GROWTH_MIB);
      // Whatever it kept or refused, it said so: an input with its records, or a gap.
      expect(measured.inputs.length + measured.gaps.length).toBeGreaterThan(0);
    },
  );
});

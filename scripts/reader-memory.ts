// `npx tsx scripts/reader-memory.ts [MiB] [kind]`: for every on-host file kind, writes a file of one
// line repeated to MiB (200 by default, the issue's size), reads it in a child process as diagnose
// does, and prints how far the reader's RSS grew and its peak. Every kind stays under 300 MiB.
// test/ingest/memory.test.ts checks the same at 24 MiB on every run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../src/paths.ts';
import { repeatedLineFiles, writeRepeatedLineFile } from '../test/helpers/repeated-line-files.ts';

const sizeMiB = Number(process.argv[2] ?? 200);
const only = process.argv[3];
const LIMIT_MIB = 300;
let over = 0;
console.log(`| kind | file | MiB | RSS growth MiB | peak RSS MiB | records kept | gap |`);
console.log('|---|---|---:|---:|---:|---:|---|');
for (const spec of repeatedLineFiles) {
  if (only && spec.kind !== only) continue;
  const dir = mkdtempSync(join(tmpdir(), 'fleetlens-reader-memory-'));
  try {
    await writeRepeatedLineFile(dir, spec, sizeMiB * 1024 * 1024);
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', packagePath('test', 'helpers', 'read-folder-rss.ts'), dir],
      { encoding: 'utf8', env: { ...process.env, FLEETLENS_LOG_LEVEL: 'silent' } },
    );
    const r = JSON.parse(out) as {
      growthKiB: number;
      peakKiB: number;
      inputs: { records: number }[];
      gaps: string[];
    };
    const peakMiB = Math.round(r.peakKiB / 1024);
    if (peakMiB >= LIMIT_MIB) over += 1;
    const gap = (r.gaps[0] ?? '').slice(0, 70);
    console.log(
      `| ${spec.kind} | ${spec.file} | ${sizeMiB} | ${Math.round(r.growthKiB / 1024)} | ${peakMiB} | ${r.inputs[0]?.records ?? 0} | ${gap} |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
process.exitCode = over > 0 ? 1 : 0;

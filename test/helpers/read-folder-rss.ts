// Child process of the reader memory test and bench: reads one sample folder the way diagnose
// does, and prints how far its resident set grew while reading (peak minus the RSS before).
import { readFileSync } from 'node:fs';
import { readSampleDir } from '../../src/ingest/read-sample-dir.ts';

function statusKiB(field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/self/status`);
  return Number(match[1]);
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: read-folder-rss.ts DIR');
(globalThis as { gc?: () => void }).gc?.();
const beforeKiB = statusKiB('VmRSS');
// NOTE: writing 5 to clear_refs resets the peak (VmHWM) to the current RSS (proc(5), Linux ≥ 4.0),
// so the peak below is this read's alone, not the module loading's before it.
try {
  await import('node:fs/promises').then((fs) => fs.writeFile('/proc/self/clear_refs', '5'));
} catch {
  // without it the peak may include start-up; the growth is then an upper bound
}
const started = performance.now();
const bundle = await readSampleDir(dir);
const peakKiB = statusKiB('VmHWM');
process.stdout.write(
  `${JSON.stringify({
    beforeKiB,
    peakKiB,
    growthKiB: peakKiB - beforeKiB,
    ms: Math.round(performance.now() - started),
    inputs: bundle.inputs.map((input) => ({ file: input.file, records: input.records })),
    gaps: bundle.gaps.map((gap) => gap.message),
  })}\n`,
);

// On-host facts from the bundled captures in mocks/samples/, read once per test file.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveOnHost, type OnHostFacts } from '../../src/analysis/onhost/signals.ts';
import { readSampleDir } from '../../src/ingest/read-sample-dir.ts';
import { packagePath } from '../../src/paths.ts';

const cache = new Map<string, Promise<OnHostFacts>>();

export function sampleDir(name: string): string {
  return packagePath('mocks', 'samples', name);
}

export function onHostSample(name: string): Promise<OnHostFacts> {
  let facts = cache.get(name);
  if (!facts) {
    facts = readSampleDir(sampleDir(name)).then(deriveOnHost);
    cache.set(name, facts);
  }
  return facts;
}

/** A capture folder written from the given files (name → content) into a temp dir, then read as diagnose reads it. */
export async function onHostFromFiles(files: Record<string, string | Buffer>): Promise<OnHostFacts> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetlens-onhost-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return deriveOnHost(await readSampleDir(dir));
}

// Inside the healthy capture's window (08:40:51-08:43:15 UTC), so its sysstat can stand beside these files.
const T0 = Date.UTC(2026, 10, 24, 8, 41, 0);

/** The healthy capture's sysstat (2 idle vCPUs), for synthetic folders that need the CPU picture. */
export function idleSysstat(): Buffer {
  return readFileSync(join(sampleDir('healthy'), 'sadf-A.json.gz'));
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** A `threads.log` / `fds.log` with one line per second. */
export function countLogText(label: 'Threads' | 'FDs', values: readonly number[], pid = 4242): string {
  return values.map((v, i) => `${stamp(T0 + i * 1000)} - PID: ${pid}, ${label}: ${v}\n`).join('');
}

/** `lag.csv` at one row per 100 ms tick, from per-tick lags in seconds. */
export function lagCsvText(lags: readonly number[]): string {
  const rows = lags.map((lag, i) => {
    const t = T0 + i * 100;
    return `${new Date(t).toISOString()},${(t / 1000).toFixed(3)},${lag.toFixed(6)}`;
  });
  return `utc_iso,unix_ts,lag_seconds\n${rows.join('\n')}\n`;
}

/** A Python-logging line at `sec` seconds into the capture. */
export function appLine(sec: number, level: string, logger: string, message: string): string {
  return `${new Date(T0 + sec * 1000).toISOString()} ${level} ${logger} [4242:MainThread] ${message}`;
}

/** /proc/PID/limits with the given soft (= hard) values by name; the rest as on the host samples. */
export function procLimitsText(overrides: Record<string, number | 'unlimited'> = {}): string {
  const rows: [string, number | 'unlimited', string][] = [
    ['Max stack size', 8388608, 'bytes'],
    ['Max processes', 96365, 'processes'],
    ['Max open files', 20000, 'files'],
    ['Max address space', 'unlimited', 'bytes'],
  ];
  const lines = rows.map(([name, value, units]) => {
    const v = String(overrides[name] ?? value);
    return `${name.padEnd(26)}${v.padEnd(21)}${v.padEnd(21)}${units}`;
  });
  return `${'Limit'.padEnd(26)}${'Soft Limit'.padEnd(21)}${'Hard Limit'.padEnd(21)}Units\n${lines.join('\n')}\n`;
}

// The DuckDB file: one writer process at a time. A second audit waits (on the injected clock),
// then gives up with `locked`; two audits writing at once both land every run; a damaged file
// or a missing one is a one-line StoreError, never a stack.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.ts';
import { DEFAULT_STORE_DIR, defaultStorePath, openStore, StoreError } from '../../src/store/index.ts';
import { fleetResult } from '../helpers/history-builder.ts';
import { fakeClock } from '../helpers/store-clock.ts';

const dir = mkdtempSync(join(tmpdir(), 'fleetlens-duckdb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TSX = packagePath('node_modules', '.bin', 'tsx');
const here = (...parts: string[]) => packagePath('test', 'store', 'processes', ...parts);

function start(script: string, args: string[]): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(TSX, [here(script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return { child, lines };
}

async function nextLine(lines: AsyncIterator<string>): Promise<string> {
  const { value, done } = await lines.next();
  if (done) throw new Error('the child exited without a word');
  return value;
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error as StoreError,
  );

describe('the DuckDB history file', () => {
  it('lives in .fleetlens/history.duckdb beside the config file', () => {
    expect(defaultStorePath('/etc/fleetlens/prod.yaml')).toBe('/etc/fleetlens/.fleetlens/history.duckdb');
    expect(DEFAULT_STORE_DIR).toBe('.fleetlens');
  });

  it('gives up with `locked` after its wait when another process holds the file, retrying on the injected clock', async () => {
    const path = join(dir, 'locked.duckdb');
    const holder = start('hold-store.ts', [path]);
    try {
      expect(await nextLine(holder.lines)).toBe('held');
      const clock = fakeClock();
      const error = await failure(openStore(path, { clock, lockWaitMs: 2_000, retryDelayMs: 250 }));
      expect(error).toBeInstanceOf(StoreError);
      expect(error!.kind).toBe('locked');
      // 2 s of waiting at 250 ms: 8 sleeps, 9 attempts.
      expect(clock.sleeps).toBe(8);
      expect(error!.describe()).toMatch(
        /^history store .*locked\.duckdb: locked: process \d+ is writing to it; gave up after 2 s$/,
      );
    } finally {
      holder.child.stdin!.end('release\n');
      await exited(holder.child);
    }
  });

  it('gets the file as soon as the other process lets go within the wait', async () => {
    const path = join(dir, 'released.duckdb');
    const holder = start('hold-store.ts', [path]);
    expect(await nextLine(holder.lines)).toBe('held');
    const clock = fakeClock(0, async (count) => {
      if (count !== 3) return;
      holder.child.stdin!.write('release\n');
      expect(await nextLine(holder.lines)).toBe('released');
    });
    const store = await openStore(path, { clock, lockWaitMs: 10_000, retryDelayMs: 250 });
    await store.recordRun(fleetResult({ runId: 'after-wait', week: 0 }));
    expect((await store.listRuns()).map((r) => r.runId)).toEqual(['after-wait']);
    await store.close();
    expect(clock.sleeps).toBe(3);
    expect(await exited(holder.child)).toBe(0);
  });

  it('loses no run when two audit processes write to one file at once', async () => {
    const path = join(dir, 'two-writers.duckdb');
    const writers = ['aws', 'gcp'].map((cloud) => start('record-runs.ts', [path, cloud, '6', cloud]));
    for (const writer of writers) expect(await nextLine(writer.lines)).toBe('done');
    for (const writer of writers) expect(await exited(writer.child)).toBe(0);
    const store = await openStore(path);
    try {
      const runs = await store.listRuns();
      expect(runs).toHaveLength(12);
      expect(runs.filter((r) => r.providers[0] === 'aws')).toHaveLength(6);
      const last = (await store.getRun('aws-5'))!;
      expect(last.hosts).toHaveLength(9);
      expect(last.findings.every((f) => f.runCount === 6)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('says a damaged file is corrupt, in one line, and leaves it alone', async () => {
    const path = join(dir, 'garbage.duckdb');
    writeFileSync(path, 'this was never a database '.repeat(400));
    const error = await failure(openStore(path));
    expect(error).toBeInstanceOf(StoreError);
    expect(error!.kind).toBe('corrupt');
    expect(error!.describe().split('\n')).toHaveLength(1);
    expect(error!.describe()).toContain('move it aside and the next audit starts a new one');
  });

  it('does not create a store where history and diff only read', async () => {
    const path = join(dir, 'nowhere', 'history.duckdb');
    const error = await failure(openStore(path, { create: false }));
    expect(error?.kind).toBe('unreachable');
    mkdirSync(join(dir, 'nowhere'), { recursive: true });
    expect((await failure(openStore(path, { create: false })))?.kind).toBe('unreachable');
  });
});

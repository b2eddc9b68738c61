// The sharded-run ledger (issue 12 point 5) on a DuckDB file: the first shard fixes the run, a
// shard's files come back byte for byte (in parts past FILE_PART_BYTES), a shard run again replaces
// its earlier attempt, and a stored name that climbs out of the folder is refused.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbDriver } from '../../src/store/duckdb.ts';
import { openShardLedger, openStore, StoreError } from '../../src/store/index.ts';
import { FILE_PART_BYTES } from '../../src/store/shards.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-ledger-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const clock = { now: () => 1_800_000_000_000, sleep: async () => undefined };
const window = { fromMs: 1_000, toMs: 2_000, stepSec: 300 };

describe('the sharded-run ledger', () => {
  it("keeps the first shard's window and settings for the run", async () => {
    const ledger = await openShardLedger(join(dir, 'first.duckdb'), { clock });
    try {
      const first = await ledger.joinRun({ runId: 'r', window, settings: { since: '14d' } });
      const second = await ledger.joinRun({
        runId: 'r',
        window: { ...window, toMs: 9_999 },
        settings: { since: '7d' },
      });
      expect(second).toEqual(first);
      expect(second).toEqual({ runId: 'r', createdAtMs: clock.now(), window, settings: { since: '14d' } });
      expect(await ledger.getRun('other')).toBeNull();
    } finally {
      await ledger.close();
    }
  });

  it('gives back every file of a done shard byte for byte, a big one in parts', async () => {
    const from = join(dir, 'from');
    await mkdir(join(from, 'series'), { recursive: true });
    const big = randomBytes(2 * FILE_PART_BYTES + 5);
    await writeFile(join(from, 'series', 'aws-us-east-1.parquet'), big);
    await writeFile(join(from, 'manifest.json'), '{"a":1}');
    await writeFile(join(from, 'empty.json'), '');
    const ledger = await openShardLedger(join(dir, 'files.duckdb'), { clock });
    try {
      await ledger.joinRun({ runId: 'r', window, settings: {} });
      await ledger.startShard('r', 'aws:default/us-east-1', ['aws:default/us-east-1']);
      expect((await ledger.listShards('r')).map((s) => s.state)).toEqual(['running']);
      await ledger.finishShard('r', 'aws:default/us-east-1', from, { hosts: 3 });
      const [shard] = await ledger.listShards('r');
      expect(shard).toMatchObject({
        state: 'done',
        summary: { hosts: 3 },
        scopes: ['aws:default/us-east-1'],
      });
      const to = join(dir, 'to');
      expect(await ledger.readShardFiles('r', 'aws:default/us-east-1', to)).toBe(3);
      expect((await readFile(join(to, 'series', 'aws-us-east-1.parquet'))).equals(big)).toBe(true);
      expect(await readFile(join(to, 'manifest.json'), 'utf8')).toBe('{"a":1}');
      expect(await readFile(join(to, 'empty.json'), 'utf8')).toBe('');

      // The same shard again (a retried Job pod): its earlier row and files are gone.
      await ledger.startShard('r', 'aws:default/us-east-1', ['aws:default/us-east-1']);
      expect(await ledger.listShards('r')).toMatchObject([{ state: 'running', summary: null }]);
      expect(await ledger.readShardFiles('r', 'aws:default/us-east-1', join(dir, 'again'))).toBe(0);
      await ledger.failShard('r', 'aws:default/us-east-1', 'killed');
      expect(await ledger.listShards('r')).toMatchObject([{ state: 'failed', error: 'killed' }]);
    } finally {
      await ledger.close();
    }
  });

  it("prunes a sharded run's shards and files with the history's --keep", async () => {
    const file = join(dir, 'prune.duckdb');
    const from = join(dir, 'prune-from');
    await mkdir(from, { recursive: true });
    await writeFile(join(from, 'manifest.json'), '{}');
    for (const [runId, createdMs] of [
      ['old', 1_000_000],
      ['new', 5_000_000],
    ] as const) {
      const ledger = await openShardLedger(file, { clock: { ...clock, now: () => createdMs } });
      await ledger.joinRun({ runId, window, settings: {} });
      await ledger.startShard(runId, 'linode:default', ['linode:default']);
      await ledger.finishShard(runId, 'linode:default', from, {});
      await ledger.close();
    }
    const store = await openStore(file);
    await store.prune(2_000_000, 5_000_000);
    await store.close();
    const ledger = await openShardLedger(file, { clock });
    try {
      expect(await ledger.getRun('old')).toBeNull();
      expect(await ledger.listShards('old')).toEqual([]);
      expect(await ledger.readShardFiles('old', 'linode:default', join(dir, 'pruned'))).toBe(0);
      expect(await ledger.listShards('new')).toHaveLength(1);
      expect(await ledger.readShardFiles('new', 'linode:default', join(dir, 'kept'))).toBe(1);
    } finally {
      await ledger.close();
    }
  });

  it('refuses a stored file name that would leave the folder', async () => {
    const file = join(dir, 'evil.duckdb');
    await (await openShardLedger(file, { clock })).close();
    const driver = new DuckDbDriver(file);
    await driver.transaction((session) =>
      session.query(
        'INSERT INTO shard_files (run_id, shard_key, path, part, bytes) VALUES ($1, $2, $3, $4, $5)',
        ['r', 'k', '../../etc/evil', 0, Buffer.from('x')],
      ),
    );
    await driver.close();
    const ledger = await openShardLedger(file, { clock });
    try {
      const error = await ledger.readShardFiles('r', 'k', join(dir, 'evil')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).describe()).toContain('shard k holds a file named "../../etc/evil"');
    } finally {
      await ledger.close();
    }
  });
});

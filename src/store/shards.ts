// A sharded audit's ledger in the shared store (issue 12): the run (created by its first shard, whose
// window and settings every later shard takes), one row per shard with its state and heartbeat, and
// each finished shard's artifact files, in parts. A shard's files and its `done` are written in one
// transaction, so a shard is done exactly when its artifacts are whole.
import { mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { MetricWindow } from '../../providers/types.ts';
import { StoreError } from './errors.ts';
import { migrate } from './migrations.ts';
import { type Clock, type Row, type SqlDriver, systemClock } from './sql.ts';

/** Rows of a file: PostgreSQL and DuckDB both hold values far larger, a part bounds memory. */
export const FILE_PART_BYTES = 8 * 1024 * 1024;

export type ShardState = 'running' | 'done' | 'failed';

export interface ShardedRun {
  runId: string;
  createdAtMs: number;
  window: MetricWindow;
  /** The first shard's run settings (never a secret), as JSON. */
  settings: unknown;
}

export interface ShardRow {
  shardKey: string;
  /** The scopes the shard collects, `aws:default/eu-west-1` and the like. */
  scopes: string[];
  state: ShardState;
  startedAtMs: number;
  heartbeatAtMs: number;
  finishedAtMs: number | null;
  error: string | null;
  summary: unknown;
}

export interface ShardLedger {
  readonly location: string;
  /** The run as stored: created from `run` when no shard has created it yet. */
  joinRun(run: Omit<ShardedRun, 'createdAtMs'>): Promise<ShardedRun>;
  getRun(runId: string): Promise<ShardedRun | null>;
  /** A shard begins (again): an earlier attempt's row and files are replaced. */
  startShard(runId: string, shardKey: string, scopes: readonly string[]): Promise<void>;
  heartbeat(runId: string, shardKey: string): Promise<void>;
  /** Every file under `dir` and the state `done`, in one transaction. */
  finishShard(runId: string, shardKey: string, dir: string, summary: unknown): Promise<void>;
  failShard(runId: string, shardKey: string, error: string): Promise<void>;
  listShards(runId: string): Promise<ShardRow[]>;
  /** Writes a done shard's files under `toDir`, as they were under the shard's `dir`. */
  readShardFiles(runId: string, shardKey: string, toDir: string): Promise<number>;
  close(): Promise<void>;
}

export class SqlShardLedger implements ShardLedger {
  readonly location: string;

  constructor(
    private readonly driver: SqlDriver,
    private readonly clock: Clock = systemClock,
  ) {
    this.location = driver.location;
  }

  async open(): Promise<this> {
    await migrate(this.driver, this.clock.now());
    return this;
  }

  async joinRun(run: Omit<ShardedRun, 'createdAtMs'>): Promise<ShardedRun> {
    const { fromMs, toMs, stepSec } = run.window;
    await this.driver.transaction((session) =>
      session.query(
        `INSERT INTO sharded_runs (run_id, created_at_ms, window_from_ms, window_to_ms, step_sec, settings)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (run_id) DO NOTHING`,
        [run.runId, this.clock.now(), fromMs, toMs, stepSec, JSON.stringify(run.settings)],
      ),
    );
    const stored = await this.getRun(run.runId);
    if (!stored) throw new StoreError('corrupt', this.location, `run ${run.runId} was written and is gone`);
    return stored;
  }

  async getRun(runId: string): Promise<ShardedRun | null> {
    const rows = await this.driver.transaction((session) =>
      session.query('SELECT * FROM sharded_runs WHERE run_id = $1', [runId]),
    );
    const row = rows[0];
    if (!row) return null;
    return {
      runId,
      createdAtMs: Number(row.created_at_ms),
      window: {
        fromMs: Number(row.window_from_ms),
        toMs: Number(row.window_to_ms),
        stepSec: Number(row.step_sec),
      },
      settings: JSON.parse(String(row.settings)),
    };
  }

  async startShard(runId: string, shardKey: string, scopes: readonly string[]): Promise<void> {
    const nowMs = this.clock.now();
    await this.driver.transaction(async (session) => {
      await session.query('DELETE FROM shard_files WHERE run_id = $1 AND shard_key = $2', [runId, shardKey]);
      await session.query('DELETE FROM run_shards WHERE run_id = $1 AND shard_key = $2', [runId, shardKey]);
      await session.query(
        `INSERT INTO run_shards (run_id, shard_key, scopes, state, started_at_ms, heartbeat_at_ms)
         VALUES ($1, $2, $3, 'running', $4, $4)`,
        [runId, shardKey, JSON.stringify(scopes), nowMs],
      );
    });
  }

  async heartbeat(runId: string, shardKey: string): Promise<void> {
    await this.driver.transaction((session) =>
      session.query(
        "UPDATE run_shards SET heartbeat_at_ms = $3 WHERE run_id = $1 AND shard_key = $2 AND state = 'running'",
        [runId, shardKey, this.clock.now()],
      ),
    );
  }

  async finishShard(runId: string, shardKey: string, dir: string, summary: unknown): Promise<void> {
    const files = await listFiles(dir);
    await this.driver.transaction(async (session) => {
      await session.query('DELETE FROM shard_files WHERE run_id = $1 AND shard_key = $2', [runId, shardKey]);
      for (const file of files) {
        const path = relative(dir, file).split(sep).join('/');
        let part = 0;
        for await (const bytes of fileParts(file)) {
          await session.query(
            'INSERT INTO shard_files (run_id, shard_key, path, part, bytes) VALUES ($1, $2, $3, $4, $5)',
            [runId, shardKey, path, part, bytes],
          );
          part += 1;
        }
      }
      const nowMs = this.clock.now();
      await session.query(
        `UPDATE run_shards SET state = 'done', finished_at_ms = $3, heartbeat_at_ms = $3, summary = $4
         WHERE run_id = $1 AND shard_key = $2`,
        [runId, shardKey, nowMs, JSON.stringify(summary)],
      );
    });
  }

  async failShard(runId: string, shardKey: string, error: string): Promise<void> {
    const nowMs = this.clock.now();
    await this.driver.transaction((session) =>
      session.query(
        `UPDATE run_shards SET state = 'failed', finished_at_ms = $3, heartbeat_at_ms = $3, error = $4
         WHERE run_id = $1 AND shard_key = $2`,
        [runId, shardKey, nowMs, error],
      ),
    );
  }

  async listShards(runId: string): Promise<ShardRow[]> {
    const rows = await this.driver.transaction((session) =>
      session.query('SELECT * FROM run_shards WHERE run_id = $1 ORDER BY shard_key', [runId]),
    );
    return rows.map(shardRow);
  }

  async readShardFiles(runId: string, shardKey: string, toDir: string): Promise<number> {
    const parts = await this.driver.transaction((session) =>
      session.query(
        'SELECT path, count(*) AS parts FROM shard_files WHERE run_id = $1 AND shard_key = $2 GROUP BY path ORDER BY path',
        [runId, shardKey],
      ),
    );
    for (const row of parts) {
      const path = String(row.path);
      // NOTE: a path is the shard's own relative name; one that climbs out of the folder is refused.
      if (path.split('/').some((piece) => piece === '..' || piece === '') || path.startsWith('/'))
        throw new StoreError('corrupt', this.location, `shard ${shardKey} holds a file named "${path}"`);
      const target = join(toDir, ...path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, new Uint8Array());
      const handle = await open(target, 'a');
      try {
        for (let part = 0; part < Number(row.parts); part += 1) {
          const [chunk] = await this.driver.transaction((session) =>
            session.query(
              'SELECT bytes FROM shard_files WHERE run_id = $1 AND shard_key = $2 AND path = $3 AND part = $4',
              [runId, shardKey, path, part],
            ),
          );
          if (!(chunk?.bytes instanceof Uint8Array))
            throw new StoreError('corrupt', this.location, `shard ${shardKey}: ${path} lacks part ${part}`);
          await handle.write(chunk.bytes);
        }
      } finally {
        await handle.close();
      }
    }
    return parts.length;
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

function shardRow(row: Row): ShardRow {
  const state = String(row.state);
  return {
    shardKey: String(row.shard_key),
    scopes: JSON.parse(String(row.scopes)) as string[],
    state: state === 'done' || state === 'failed' ? state : 'running',
    startedAtMs: Number(row.started_at_ms),
    heartbeatAtMs: Number(row.heartbeat_at_ms),
    finishedAtMs: row.finished_at_ms === null ? null : Number(row.finished_at_ms),
    error: row.error === null ? null : String(row.error),
    summary: row.summary === null ? null : JSON.parse(String(row.summary)),
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

async function* fileParts(file: string): AsyncGenerator<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    let sent = false;
    for (;;) {
      const buffer = Buffer.alloc(FILE_PART_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, FILE_PART_BYTES, null);
      if (bytesRead === 0) break;
      sent = true;
      yield buffer.subarray(0, bytesRead);
    }
    // An empty file still has its one (empty) part, so it comes back.
    if (!sent) yield Buffer.alloc(0);
  } finally {
    await handle.close();
  }
}

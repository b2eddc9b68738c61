// The default store: one DuckDB file. DuckDB lets one process at a time open a file, so a store
// holds it from its first operation until close(): the CLI opens the store just before recording
// (and pruning) and closes it right after, so an audit holds the file for seconds, not for its
// whole collection. A second audit meanwhile retries on the injected clock, then gives up with
// `locked`. Two store objects of one process on one path take turns the same way.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { blobValue, type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { StoreError, type StoreErrorKind } from './errors.ts';
import {
  type Clock,
  firstLine,
  type Row,
  type SqlDriver,
  type SqlSession,
  type SqlValue,
  systemClock,
} from './sql.ts';

export interface DuckDbOptions {
  clock?: Clock;
  /** How long to wait for another process's lock on the file before `locked`. */
  lockWaitMs?: number;
  retryDelayMs?: number;
  /** False: a missing file is an error (`history` and `diff` never create a store). */
  create?: boolean;
}

export const DUCKDB_LOCK_WAIT_MS = 10_000;
export const DUCKDB_RETRY_DELAY_MS = 250;

// NOTE: DuckDB's file lock is per process: two instances of one process on one file would both get
// it and corrupt the file, so this process keeps its own list of the paths it holds.
const heldPaths = new Set<string>();

/** Which StoreError an engine message means; null for anything else (a bug: it keeps its stack). */
export function classifyDuckDbError(message: string): StoreErrorKind | null {
  if (/Could not set lock on file|Conflicting lock is held/i.test(message)) return 'locked';
  if (/database file with version number|storage version|newer version of DuckDB/i.test(message)) {
    return 'newer-schema';
  }
  if (
    /not a valid DuckDB database file|Could not read enough bytes|Corrupt|checksum|Serialization Error|Failed to load metadata/i.test(
      message,
    )
  ) {
    return 'corrupt';
  }
  if (/Cannot open file|No such file or directory|Permission denied|Read-only file system/i.test(message)) {
    return 'unreachable';
  }
  return null;
}

function holderOf(message: string): string {
  const pid = /\(PID (\d+)\)/.exec(message)?.[1];
  return pid ? `process ${pid}` : 'another process';
}

function toStoreError(error: unknown, path: string): unknown {
  if (error instanceof StoreError) return error;
  const message = firstLine(error);
  const kind = classifyDuckDbError(message);
  if (kind === null) return error;
  const text =
    kind === 'corrupt'
      ? `not a readable DuckDB history file (${message}); move it aside and the next audit starts a new one`
      : message;
  return new StoreError(kind, path, text, { cause: error });
}

// NOTE: DuckDB hands BIGINT back as a JS bigint; every number the store keeps fits a double.
function plain(value: unknown): SqlValue {
  if (typeof value === 'bigint') return Number(value);
  if (value === undefined) return null;
  return value as SqlValue;
}

class DuckDbSession implements SqlSession {
  constructor(private readonly connection: DuckDBConnection) {}

  async query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    // NOTE: DuckDB cannot infer a type for raw bytes; a blob value says BLOB.
    const values = params.map((p) => (p instanceof Uint8Array ? blobValue(p) : p));
    const reader = await this.connection.runAndReadAll(sql, values.length > 0 ? values : undefined);
    return reader.getRowObjectsJS().map((row) => {
      const out: Row = {};
      for (const [key, value] of Object.entries(row)) out[key] = plain(value);
      return out;
    });
  }
}

export class DuckDbDriver implements SqlDriver {
  readonly dialect = 'duckdb' as const;
  private readonly clock: Clock;
  private readonly lockWaitMs: number;
  private readonly retryDelayMs: number;
  private file: { instance: DuckDBInstance; connection: DuckDBConnection } | undefined;
  /** Operations on this store take turns on its one connection. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly location: string,
    private readonly options: DuckDbOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.lockWaitMs = options.lockWaitMs ?? DUCKDB_LOCK_WAIT_MS;
    this.retryDelayMs = options.retryDelayMs ?? DUCKDB_RETRY_DELAY_MS;
  }

  private async tryOpen(): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
    if (heldPaths.has(this.location)) {
      throw new StoreError('locked', this.location, `Conflicting lock is held (PID ${process.pid})`);
    }
    let instance: DuckDBInstance | undefined;
    try {
      instance = await DuckDBInstance.create(this.location);
      const connection = await instance.connect();
      heldPaths.add(this.location);
      return { instance, connection };
    } catch (error) {
      instance?.closeSync();
      throw toStoreError(error, this.location);
    }
  }

  private async openFile(): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
    if (this.file) return this.file;
    if (!existsSync(this.location)) {
      if (this.options.create === false) {
        throw new StoreError(
          'unreachable',
          this.location,
          'no history store here yet: an audit with a store creates it',
        );
      }
      mkdirSync(dirname(this.location), { recursive: true });
    }
    const deadlineMs = this.clock.now() + this.lockWaitMs;
    for (;;) {
      try {
        this.file = await this.tryOpen();
        return this.file;
      } catch (error) {
        if (!(error instanceof StoreError) || error.kind !== 'locked') throw error;
        if (this.clock.now() >= deadlineMs) {
          throw new StoreError(
            'locked',
            this.location,
            `${holderOf(error.message)} is writing to it; gave up after ${this.lockWaitMs / 1000} s`,
            { cause: error },
          );
        }
        await this.clock.sleep(this.retryDelayMs);
      }
    }
  }

  private withFile<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = async () => {
      const { connection } = await this.openFile();
      try {
        return await work(connection);
      } catch (error) {
        throw toStoreError(error, this.location);
      }
    };
    const mine = this.queue.then(run, run);
    this.queue = mine.catch(() => undefined);
    return mine;
  }

  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.withFile(async (connection) => {
      await connection.run('BEGIN TRANSACTION');
      try {
        const result = await work(new DuckDbSession(connection));
        await connection.run('COMMIT');
        return result;
      } catch (error) {
        await connection.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  async lockSchema(): Promise<void> {
    // One process holds the file at a time: nothing else can migrate meanwhile.
  }

  /** DuckDB reuses the blocks a delete frees once a checkpoint has written the change. */
  reclaim(): Promise<void> {
    return this.withFile(async (connection) => {
      await connection.run('FORCE CHECKPOINT');
    });
  }

  /** Checkpoints and lets go of the file: another process may open it from here on. */
  async close(): Promise<void> {
    await this.queue;
    const file = this.file;
    this.file = undefined;
    if (!file) return;
    try {
      file.connection.closeSync();
      file.instance.closeSync();
    } finally {
      heldPaths.delete(this.location);
    }
  }
}

// What the store needs from a SQL engine: one connection at a time, in a transaction or not.
// DuckDB (duckdb.ts) and PostgreSQL (postgres.ts) implement it; sql-store.ts is written once on it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dialect } from './migrations.ts';

/** Bytes are a BYTEA (PostgreSQL) or BLOB (DuckDB): a sharded run's artifact files. */
export type SqlValue = string | number | boolean | null | Uint8Array;
export type Row = Record<string, SqlValue>;

export interface SqlSession {
  /** `$1`, `$2`, ... placeholders in both engines; BIGINT comes back as a number. */
  query(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
}

export interface SqlDriver {
  readonly dialect: Dialect;
  /** The path, or the URL without its password. */
  readonly location: string;
  /** `work` on one connection between BEGIN and COMMIT; ROLLBACK when it throws. */
  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Serializes schema migrations between writers (PostgreSQL: an advisory lock for the transaction). */
  lockSchema(session: SqlSession): Promise<void>;
  /** After a prune: give the freed space back to the file (DuckDB) or leave it to autovacuum. */
  reclaim(): Promise<void>;
  close(): Promise<void>;
}

/** Time as a parameter (STYLE.md): the lock wait runs on a fake clock in tests. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep: (ms) => sleep(ms) };

// NOTE: PostgreSQL allows 65,535 parameters a statement; DuckDB prepares long statements slowly.
const MAX_PARAMS_PER_STATEMENT = 2_000;

/** Multi-row INSERTs, a few thousand parameters each. */
export async function insertRows(
  session: SqlSession,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly SqlValue[])[],
): Promise<void> {
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS_PER_STATEMENT / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const tuples = chunk.map(
      (_, row) => `(${columns.map((_, column) => `$${row * columns.length + column + 1}`).join(', ')})`,
    );
    await session.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`,
      chunk.flat(),
    );
  }
}

/** `$first, $first+1, ...` for an IN list. */
export function placeholders(count: number, first: number): string {
  return Array.from({ length: count }, (_, index) => `$${first + index}`).join(', ');
}

/** The first line of an engine's message: a StoreError is one line. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim();
}

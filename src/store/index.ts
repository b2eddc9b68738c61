// The one door to history (STYLE.md): `openStore(spec)` picks the engine from the spec, a path for
// DuckDB or a postgres:// URL for PostgreSQL, and returns a HistoryStore with its schema ready.
import { dirname, join, resolve } from 'node:path';
import { DuckDbDriver, type DuckDbOptions } from './duckdb.ts';
import { PostgresDriver, type PostgresOptions } from './postgres.ts';
import { type ShardLedger, SqlShardLedger } from './shards.ts';
import type { Clock } from './sql.ts';
import { SqlHistoryStore } from './sql-store.ts';
import type { HistoryStore } from './types.ts';

export { StoreError, type StoreErrorKind } from './errors.ts';
export { redactStoreUrl } from './postgres.ts';
export type { ShardedRun, ShardLedger, ShardRow, ShardState } from './shards.ts';
export { type Clock, systemClock } from './sql.ts';
export type * from './types.ts';

/** `--keep` default: about half a year of weekly audits. */
export const DEFAULT_KEEP_MS = 180 * 86_400_000;

export const DEFAULT_STORE_DIR = '.fleetlens';
export const DEFAULT_STORE_FILE = 'history.duckdb';

/** `.fleetlens/history.duckdb` beside the config file, so each config keeps its own history. */
export function defaultStorePath(configFile: string): string {
  return join(dirname(resolve(configFile)), DEFAULT_STORE_DIR, DEFAULT_STORE_FILE);
}

export function isPostgresUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

export interface OpenStoreOptions extends Omit<DuckDbOptions, 'clock'>, PostgresOptions {
  /** Reads "now" for recorded_at and waits out a DuckDB lock. */
  clock?: Clock;
}

/**
 * Opens (and creates or upgrades) the store at `spec`. Throws StoreError: `corrupt`, `locked`,
 * `newer-schema`, `unreachable`, `auth`.
 */
export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<HistoryStore> {
  const driver = isPostgresUrl(spec)
    ? new PostgresDriver(spec, options)
    : new DuckDbDriver(resolve(spec), options);
  const store = new SqlHistoryStore(driver, options.clock);
  try {
    return await store.open();
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error;
  }
}

/** The ledger of sharded runs in the same store (and schema) as the history. */
export async function openShardLedger(spec: string, options: OpenStoreOptions = {}): Promise<ShardLedger> {
  const driver = isPostgresUrl(spec)
    ? new PostgresDriver(spec, options)
    : new DuckDbDriver(resolve(spec), options);
  try {
    return await new SqlShardLedger(driver, options.clock).open();
  } catch (error) {
    await driver.close().catch(() => undefined);
    throw error;
  }
}

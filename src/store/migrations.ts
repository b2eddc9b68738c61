// The store's schema, one numbered migration at a time. Both engines get the same tables and
// columns; only indexes differ (DuckDB scans columns with zone maps, PostgreSQL needs them).
// A migration is never edited once released: add the next number.
import { StoreError } from './errors.ts';
import type { SqlDriver } from './sql.ts';

export type Dialect = 'duckdb' | 'postgres';

export interface Migration {
  version: number;
  name: string;
  statements: (dialect: Dialect) => string[];
}

const SUBJECT =
  'subject_provider TEXT NOT NULL, subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL, subject_name TEXT';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, coverage, hosts, findings, recommendations, gaps',
    statements: (dialect) => [
      `CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        started_at_ms BIGINT NOT NULL,
        finished_at_ms BIGINT NOT NULL,
        recorded_at_ms BIGINT NOT NULL,
        mode TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        window_from_ms BIGINT NOT NULL,
        window_to_ms BIGINT NOT NULL,
        step_sec INTEGER NOT NULL,
        providers TEXT NOT NULL,
        complete BOOLEAN NOT NULL,
        event_multiplier FLOAT8,
        hosts INTEGER NOT NULL,
        findings_info INTEGER NOT NULL,
        findings_low INTEGER NOT NULL,
        findings_medium INTEGER NOT NULL,
        findings_high INTEGER NOT NULL,
        findings_critical INTEGER NOT NULL,
        recommendations INTEGER NOT NULL,
        monthly_cost_delta_usd FLOAT8 NOT NULL,
        recommendations_with_unknown_cost INTEGER NOT NULL,
        gaps INTEGER NOT NULL,
        settings TEXT NOT NULL,
        rules TEXT NOT NULL
      )`,
      `CREATE TABLE run_coverage (
        run_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        hosts_listed INTEGER NOT NULL,
        series_expected INTEGER NOT NULL,
        series_received INTEGER NOT NULL,
        hosts_judged INTEGER NOT NULL,
        judged_share FLOAT8,
        complete BOOLEAN NOT NULL
      )`,
      `CREATE TABLE run_scopes (
        run_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        scope TEXT NOT NULL,
        failed BOOLEAN NOT NULL,
        reason TEXT
      )`,
      `CREATE TABLE hosts (
        run_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        host_id TEXT NOT NULL,
        name TEXT NOT NULL,
        region TEXT NOT NULL,
        zone TEXT,
        instance_type TEXT NOT NULL,
        state TEXT NOT NULL,
        vcpu FLOAT8,
        memory_mib FLOAT8,
        price_usd_per_hour FLOAT8,
        cpu_p95_pct FLOAT8,
        cpu_p99_5_pct FLOAT8,
        memory_peak_pct FLOAT8,
        group_id TEXT,
        scope_keys TEXT NOT NULL
      )`,
      `CREATE TABLE findings (
        run_id TEXT NOT NULL,
        finding_id TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        severity TEXT NOT NULL,
        category TEXT NOT NULL,
        ${SUBJECT},
        title TEXT NOT NULL,
        message TEXT NOT NULL,
        headline_label TEXT,
        headline_value FLOAT8,
        headline_unit TEXT,
        scope_keys TEXT NOT NULL,
        status TEXT NOT NULL,
        first_seen_ms BIGINT NOT NULL,
        run_count INTEGER NOT NULL,
        previous_id TEXT,
        details TEXT NOT NULL
      )`,
      `CREATE TABLE recommendations (
        run_id TEXT NOT NULL,
        recommendation_id TEXT NOT NULL,
        finding_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        ${SUBJECT},
        current_value TEXT NOT NULL,
        recommended TEXT NOT NULL,
        monthly_cost_delta_usd FLOAT8,
        risk INTEGER NOT NULL,
        superseded_by TEXT
      )`,
      `CREATE TABLE gaps (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        provider TEXT NOT NULL,
        what TEXT NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        details TEXT NOT NULL
      )`,
      ...(dialect === 'postgres'
        ? [
            'CREATE INDEX runs_started ON runs (started_at_ms)',
            'CREATE INDEX run_coverage_run ON run_coverage (run_id)',
            'CREATE INDEX run_scopes_run ON run_scopes (run_id)',
            'CREATE INDEX run_scopes_scope ON run_scopes (provider, scope)',
            'CREATE INDEX hosts_run ON hosts (run_id)',
            'CREATE INDEX hosts_host ON hosts (host_id)',
            'CREATE INDEX findings_run ON findings (run_id)',
            'CREATE INDEX findings_finding ON findings (finding_id)',
            'CREATE INDEX recommendations_run ON recommendations (run_id)',
            'CREATE INDEX gaps_run ON gaps (run_id)',
          ]
        : []),
    ],
  },
  {
    version: 2,
    name: 'sharded runs: the run, its shards, their artifact files',
    statements: (dialect) => [
      // The first shard of a run creates it: its window and settings hold for every shard after.
      `CREATE TABLE sharded_runs (
        run_id TEXT PRIMARY KEY,
        created_at_ms BIGINT NOT NULL,
        window_from_ms BIGINT NOT NULL,
        window_to_ms BIGINT NOT NULL,
        step_sec INTEGER NOT NULL,
        settings TEXT NOT NULL
      )`,
      `CREATE TABLE run_shards (
        run_id TEXT NOT NULL,
        shard_key TEXT NOT NULL,
        scopes TEXT NOT NULL,
        state TEXT NOT NULL,
        started_at_ms BIGINT NOT NULL,
        heartbeat_at_ms BIGINT NOT NULL,
        finished_at_ms BIGINT,
        error TEXT,
        summary TEXT,
        PRIMARY KEY (run_id, shard_key)
      )`,
      `CREATE TABLE shard_files (
        run_id TEXT NOT NULL,
        shard_key TEXT NOT NULL,
        path TEXT NOT NULL,
        part INTEGER NOT NULL,
        bytes ${dialect === 'postgres' ? 'BYTEA' : 'BLOB'} NOT NULL
      )`,
      ...(dialect === 'postgres'
        ? ['CREATE INDEX shard_files_shard ON shard_files (run_id, shard_key)']
        : []),
    ],
  },
];

export const LATEST_SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/** Tables holding one run's rows, children first (prune and replace delete in this order). */
export const RUN_TABLES = [
  'gaps',
  'recommendations',
  'findings',
  'hosts',
  'run_scopes',
  'run_coverage',
  'runs',
] as const;

/**
 * Brings the schema to LATEST_SCHEMA_VERSION in one transaction, each applied version recorded in
 * `schema_migrations`. A store from a newer fleetlens is refused, never written.
 */
export async function migrate(driver: SqlDriver, nowMs: number): Promise<{ applied: number[] }> {
  return driver.transaction(async (session) => {
    await driver.lockSchema(session);
    await session.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)',
    );
    const rows = await session.query('SELECT max(version) AS version FROM schema_migrations');
    const current = Number(rows[0]?.version ?? 0);
    if (current > LATEST_SCHEMA_VERSION) {
      throw new StoreError(
        'newer-schema',
        driver.location,
        `schema version ${current} was written by a newer fleetlens (this one knows up to ${LATEST_SCHEMA_VERSION}): upgrade fleetlens`,
      );
    }
    const applied: number[] = [];
    for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
      for (const statement of migration.statements(driver.dialect)) await session.query(statement);
      await session.query(
        'INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)',
        [migration.version, migration.name, nowMs],
      );
      applied.push(migration.version);
    }
    return { applied };
  });
}

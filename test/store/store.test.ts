// One test body, two stores: the DuckDB file and a real PostgreSQL must answer the same.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffRuns } from '../../src/history/diff.ts';
import { recommendationStability } from '../../src/history/stable.ts';
import { type HistoryStore, openStore, StoreError } from '../../src/store/index.ts';
import { LATEST_SCHEMA_VERSION } from '../../src/store/migrations.ts';
import {
  defaultFindingSpecs,
  FIRST_RUN_MS,
  type FindingSpec,
  fleetResult,
  WEEK_MS,
} from '../helpers/history-builder.ts';
import { type RunningPostgres, startPostgres } from '../helpers/postgres.ts';

interface Engine {
  name: string;
  /** A new, empty store location. */
  fresh(): Promise<string>;
  /** Runs one SQL statement on the store behind `spec`, outside fleetlens. */
  raw(spec: string, sql: string): Promise<void>;
}

let postgres: RunningPostgres | undefined;
const dir = mkdtempSync(join(tmpdir(), 'fleetlens-store-'));
let counter = 0;

const engines: Engine[] = [
  {
    name: 'duckdb',
    fresh: async () => join(dir, `h${++counter}`, 'history.duckdb'),
    raw: async (spec, sql) => {
      const instance = await DuckDBInstance.create(spec);
      const connection = await instance.connect();
      await connection.run(sql);
      connection.closeSync();
      instance.closeSync();
    },
  },
  {
    name: 'postgres',
    fresh: async () => postgres!.createDatabase(`h${++counter}`),
    raw: async (spec, sql) => {
      const client = new pg.Client({ connectionString: spec });
      await client.connect();
      await client.query(sql);
      await client.end();
    },
  },
];

beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(engines)('history store on $name', (engine) => {
  let spec: string;
  let store: HistoryStore;
  const base = defaultFindingSpecs(12);
  // Week 1: host 0 fixed, host 12 new, host 3 worse. Week 2 (per-account audit of aws only).
  const week1: FindingSpec[] = [
    ...base.slice(1).map((s) => (s.host === 3 ? { ...s, severity: 'critical' as const } : s)),
    { host: 12, rule: 0 },
  ];

  beforeAll(async () => {
    spec = await engine.fresh();
    store = await openStore(spec);
    await store.recordRun(fleetResult({ runId: 'run-0', week: 0, findings: base }));
    await store.recordRun(
      fleetResult({ runId: 'run-1', week: 1, findings: week1, hostNames: { 1: 'web-1-renamed' } }),
    );
  });
  afterAll(() => store?.close());

  it('lists runs newest first, with clouds, hosts, findings by severity, cost delta and coverage', async () => {
    const runs = await store.listRuns();
    expect(runs.map((r) => r.runId)).toEqual(['run-1', 'run-0']);
    const expected = fleetResult({ runId: 'run-1', week: 1, findings: week1 }).run.summary;
    expect(runs[0]).toMatchObject({
      startedAtMs: FIRST_RUN_MS + WEEK_MS,
      providers: ['aws', 'gcp', 'linode', 'ovh'],
      complete: true,
      hosts: 36,
      findingsBySeverity: expected.findingsBySeverity,
      monthlyCostDeltaUsd: expected.monthlyCostDeltaUsd,
      coverage: { aws: { hostsListed: 9, hostsJudged: 9, judgedShare: 1, failedScopes: [] } },
    });
    expect(await store.listRuns({ limit: 1 })).toHaveLength(1);
  });

  it('gives a run back as recorded: hosts with headline numbers, findings with statuses, recommendations, gaps', async () => {
    const run = (await store.getRun('run-1'))!;
    expect(run.hosts).toHaveLength(36);
    expect(run.hosts.find((h) => h.hostId === 'aws-0000')).toMatchObject({
      name: 'web-0',
      region: 'us-east-1',
      instanceType: 'm5.2xlarge',
      priceUsdPerHour: 0.384,
      cpuP95Pct: 20,
      cpuP99_5Pct: 29,
      memoryPeakPct: 61,
    });
    const statuses = Object.fromEntries(run.findings.map((f) => [f.subject.id, f.status]));
    expect(statuses).toMatchObject({ 'linode-0002': 'open', 'ovh-0003': 'worse', 'aws-0012': 'new' });
    expect(statuses['aws-0000']).toBeUndefined();
    expect(run.findings.find((f) => f.subject.id === 'linode-0002')).toMatchObject({
      runCount: 2,
      firstSeenMs: FIRST_RUN_MS,
      headline: { label: 'monthly saving', value: 102, unit: 'usd-per-month' },
    });
    expect(run.recommendations).toHaveLength(12);
    expect(run.recommendations[0]).toMatchObject({ kind: 'instance-type', supersededBy: null });
    expect(run.settings.providers.aws).toEqual({ regions: ['us-east-1', 'eu-west-1'] });
    expect(run.coverage.gcp?.scopes).toEqual(['us-central1', 'europe-west1']);
    expect(await store.getRun('no-such-run')).toBeNull();
  });

  it('diffs two stored runs the way the audit saw them', async () => {
    const diff = diffRuns((await store.getRun('run-0'))!, (await store.getRun('run-1'))!);
    expect(diff.new.map((f) => f.subject.id)).toEqual(['aws-0012']);
    expect(diff.resolved.map((f) => f.subject.id)).toEqual(['aws-0000']);
    expect(diff.worse.map((w) => w.finding.subject.id)).toEqual(['ovh-0003']);
  });

  it("follows a host renamed by tag (same cloud id), and a finding's headline over runs", async () => {
    const [trend] = await store.hostTrend('gcp-0001');
    expect(trend).toMatchObject({ provider: 'gcp', hostId: 'gcp-0001', name: 'web-1-renamed' });
    expect(trend!.points.map((p) => p.runId)).toEqual(['run-0', 'run-1']);
    expect((await store.hostTrend('web-1-renamed'))[0]!.points).toHaveLength(2);
    const run1 = (await store.getRun('run-1'))!;
    const worse = run1.findings.find((f) => f.subject.id === 'ovh-0003')!;
    const findingTrend = (await store.findingTrend(worse.id))!;
    expect(findingTrend.points.map((p) => [p.runId, p.severity, p.value])).toEqual([
      ['run-0', 'high', 53],
      ['run-1', 'critical', 53],
    ]);
    expect(await store.findingTrend('0000000000000000')).toBeNull();
  });

  it('keeps each per-account audit on its own line, and finds the previous run of a run not stored yet', async () => {
    const local = await openStore(await engine.fresh());
    try {
      await local.recordRun(fleetResult({ runId: 'aws-1', week: 0, clouds: ['aws'] }));
      await local.recordRun(
        fleetResult({ runId: 'gcp-1', week: 0, startedAtMs: FIRST_RUN_MS + 60_000, clouds: ['gcp'] }),
      );
      const recorded = await local.recordRun(fleetResult({ runId: 'aws-2', week: 1, clouds: ['aws'] }));
      expect(recorded.previous?.runId).toBe('aws-1');
      expect(recorded.comparison.changes.every((c) => c.finding.status === 'open')).toBe(true);
      expect(recorded.comparison.resolved).toEqual([]);
      expect(await local.previousRun('gcp-1')).toBeNull();
      const { toRunRecord } = await import('../../src/history/record.ts');
      const pending = toRunRecord(fleetResult({ runId: 'gcp-2', week: 2, clouds: ['gcp'] }));
      expect((await local.previousRun(pending))?.runId).toBe('gcp-1');
      expect((await local.lineage('aws-2', 5)).map((r) => r.runId)).toEqual(['aws-2', 'aws-1']);
    } finally {
      await local.close();
    }
  });

  it('replaces a run recorded again under the same id, and marks recommendations stable after 3 runs', async () => {
    const local = await openStore(await engine.fresh());
    try {
      for (const week of [0, 1, 2])
        await local.recordRun(fleetResult({ runId: `w${week}`, week, findings: base }));
      await local.recordRun(fleetResult({ runId: 'w2', week: 2, findings: base }));
      expect((await local.listRuns()).map((r) => r.runId)).toEqual(['w2', 'w1', 'w0']);
      const w2 = (await local.getRun('w2'))!;
      expect(w2.findings.every((f) => f.runCount === 3)).toBe(true);
      const stability = recommendationStability(await local.lineage('w2', 3));
      expect(stability).toHaveLength(12);
      expect(stability.every((s) => s.stable && s.runs === 3)).toBe(true);
    } finally {
      await local.close();
    }
  });

  it('prunes runs older than the keep duration, exactly', async () => {
    const local = await openStore(await engine.fresh());
    try {
      for (const week of [0, 1, 2, 3])
        await local.recordRun(fleetResult({ runId: `p${week}`, week, findings: base }));
      const nowMs = FIRST_RUN_MS + 3 * WEEK_MS;
      expect(await local.prune(2 * WEEK_MS, nowMs)).toEqual({ runsDeleted: 1 });
      expect((await local.listRuns()).map((r) => r.runId)).toEqual(['p3', 'p2', 'p1']);
      expect(await local.getRun('p0')).toBeNull();
      expect(await local.prune(2 * WEEK_MS, nowMs)).toEqual({ runsDeleted: 0 });
      expect((await local.hostTrend('aws-0000'))[0]!.points).toHaveLength(3);
    } finally {
      await local.close();
    }
  });

  it('refuses a store written by a newer fleetlens, with one line', async () => {
    const newer = await engine.fresh();
    await (await openStore(newer)).close();
    await engine.raw(
      newer,
      "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (99, 'from the future', 0)",
    );
    const error = await openStore(newer).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).kind).toBe('newer-schema');
    expect((error as StoreError).describe()).toContain(
      `schema version 99 was written by a newer fleetlens (this one knows up to ${LATEST_SCHEMA_VERSION})`,
    );
    expect((error as StoreError).describe().split('\n')).toHaveLength(1);
  });
});

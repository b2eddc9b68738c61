// The team store on a real PostgreSQL: four audits at once lose no row, credentials come from the
// URL or libpq's PG* variables and never show in a message, and a server that is down or refuses
// the password is a one-line StoreError.

import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.ts';
import { openStore, redactStoreUrl, StoreError } from '../../src/store/index.ts';
import { LATEST_SCHEMA_VERSION } from '../../src/store/migrations.ts';
import { fleetResult } from '../helpers/history-builder.ts';
import { type RunningPostgres, startPostgres } from '../helpers/postgres.ts';
import { freePort } from '../helpers/prometheus.ts';

let server: RunningPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error as StoreError,
  );

async function count(url: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
    return rows[0].n;
  } finally {
    await client.end();
  }
}

describe('the PostgreSQL history store', () => {
  it('takes four audit processes writing at once (one per cloud) without losing a row', async () => {
    const url = await server.createDatabase('concurrent');
    const runsEach = 5;
    const writers = (['aws', 'gcp', 'linode', 'ovh'] as const).map((cloud) => {
      const child = spawn(
        packagePath('node_modules', '.bin', 'tsx'),
        [packagePath('test', 'store', 'processes', 'record-runs.ts'), url, cloud, String(runsEach), cloud],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk));
      return new Promise<string>((resolve) => child.once('exit', (code) => resolve(`${code} ${out.trim()}`)));
    });
    expect(await Promise.all(writers)).toEqual(Array(4).fill('0 done'));
    // Each cloud's run: 9 hosts; findings on hosts 0..29 split 8/8/7/7; one recommendation each.
    expect(await count(url, 'runs')).toBe(4 * runsEach);
    expect(await count(url, 'hosts')).toBe(36 * runsEach);
    expect(await count(url, 'findings')).toBe(30 * runsEach);
    expect(await count(url, 'recommendations')).toBe(30 * runsEach);
    expect(await count(url, 'run_scopes')).toBe(2 * 4 * runsEach);
    expect(await count(url, 'schema_migrations')).toBe(LATEST_SCHEMA_VERSION);
    const store = await openStore(url);
    try {
      const last = (await store.getRun('linode-4'))!;
      // Each audit followed its own line: five runs of the same findings.
      expect(last.findings.every((f) => f.status === 'open' && f.runCount === runsEach)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("reads credentials from libpq's PG* variables when the URL leaves them out", async () => {
    const url = await server.createDatabase('from_env');
    const saved = { ...process.env };
    Object.assign(process.env, {
      PGHOST: '127.0.0.1',
      PGPORT: String(server.port),
      PGUSER: 'fleetlens',
      PGPASSWORD: server.password,
    });
    try {
      const store = await openStore('postgres:///from_env');
      await store.recordRun(fleetResult({ runId: 'env-1', week: 0 }));
      await store.close();
    } finally {
      process.env = saved;
    }
    expect(await count(url, 'runs')).toBe(1);
  });

  it('refuses a wrong password as `auth`, naming the URL without any password', async () => {
    const url = server.urlFor('postgres').replace(server.password, 'not-the-password');
    const error = await failure(openStore(url));
    expect(error).toBeInstanceOf(StoreError);
    expect(error!.kind).toBe('auth');
    expect(error!.describe()).toBe(
      `history store postgres://fleetlens:***@127.0.0.1:${server.port}/postgres: auth: password authentication failed for user "fleetlens"`,
    );
    expect(`${error!.describe()} ${error!.message} ${error!.store}`).not.toContain('not-the-password');
  });

  it('says a server that is not there is `unreachable`, in one line', async () => {
    const port = await freePort();
    const error = await failure(
      openStore(`postgresql://fleetlens:s3cret@127.0.0.1:${port}/x`, { connectTimeoutMs: 5_000 }),
    );
    expect(error?.kind).toBe('unreachable');
    expect(error!.describe()).toBe(
      `history store postgresql://fleetlens:***@127.0.0.1:${port}/x: unreachable: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('hides passwords in a URL, in the userinfo or a parameter', () => {
    expect(redactStoreUrl('postgres://audit:p%40ss@db.internal:5432/fleet?sslmode=require')).toBe(
      'postgres://audit:***@db.internal:5432/fleet?sslmode=require',
    );
    expect(redactStoreUrl('postgres://db.internal/fleet?user=audit&password=hunter2')).toBe(
      'postgres://db.internal/fleet?user=audit&password=***',
    );
    expect(redactStoreUrl('postgres://audit@db.internal/fleet')).toBe('postgres://audit@db.internal/fleet');
  });
});

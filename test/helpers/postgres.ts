// A real PostgreSQL (Debian's package) for the store tests: a fresh cluster in a temporary data
// directory, listening on a free loopback port (127.0.0.1 only) and a unix socket in that
// directory, stopped by its PID at the end. As root it runs as the `postgres` user (postgres
// refuses root): node spawns it with that uid, so the PID we hold is the server's own.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './prometheus.ts';

const INSTALL_HINT =
  "the PostgreSQL store tests need Debian's server package (`apt-get install -y postgresql`; " +
  '`npm test` and .ci/run install it when run as root)';

/** initdb and postgres: Debian's newest /usr/lib/postgresql/N/bin, else the PATH's. */
export function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((name) => /^\d+$/.test(name) && existsSync(join(base, name, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(base, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  return which.status === 0 ? join(which.stdout.trim(), '..') : null;
}

/** Fails (never skips) when the server is missing: CI must run these tests. */
export function requirePostgres(): string {
  const dir = postgresBinDir();
  if (!dir || !existsSync(join(dir, 'postgres')))
    throw new Error(`PostgreSQL server not found: ${INSTALL_HINT}`);
  return dir;
}

export interface RunningPostgres {
  /** `postgres://fleetlens:PASSWORD@127.0.0.1:PORT/DB` for a database of its own. */
  urlFor(database: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  password: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(`running as root and there is no postgres user to run the server as: ${INSTALL_HINT}`);
  }
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // SIGINT: PostgreSQL's fast shutdown (roll back open transactions, checkpoint, exit).
  process.kill(child.pid, 'SIGINT');
  const gone = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!gone) {
    process.kill(child.pid, 'SIGKILL');
    await exited;
  }
}

/**
 * initdb (password auth on TCP, trust on the socket), start, and wait until it answers: at most
 * `readyMs` and `attempts` tries, whichever comes first.
 */
export async function startPostgres(readyMs = 300_000, attempts = 3000): Promise<RunningPostgres> {
  const bin = requirePostgres();
  const owner = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'fleetlens-pg-'));
  const data = join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(dir, 'pwfile'), `${password}\n`);
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chownSync(join(dir, 'pwfile'), owner.uid, owner.gid);
  }
  chmodSync(dir, 0o700);
  const spawnOptions = { ...(owner ?? {}), cwd: dir, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } };
  const init = spawnSync(
    join(bin, 'initdb'),
    [
      '-D',
      data,
      '-U',
      'fleetlens',
      `--pwfile=${join(dir, 'pwfile')}`,
      '--auth-host=scram-sha-256',
      '--auth-local=trust',
      '-E',
      'UTF8',
    ],
    { ...spawnOptions, encoding: 'utf8' },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.error?.message}`);
  }
  const port = await freePort();
  const output: Buffer[] = [];
  const child = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir}`,
      '-c',
      'max_connections=40',
      // A throwaway cluster: durability is not what these tests check.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  const url = (database: string) => `postgres://fleetlens:${password}@127.0.0.1:${port}/${database}`;
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + readyMs;
  for (let attempt = 0; attempt < attempts && Date.now() < deadline; attempt += 1) {
    if (child.exitCode !== null) break;
    const client = new pg.Client({ connectionString: url('postgres'), connectionTimeoutMillis: 2_000 });
    const ready = await client.connect().then(
      () => true,
      () => false,
    );
    await client.end().catch(() => undefined);
    if (ready) {
      return {
        urlFor: url,
        async createDatabase(name: string) {
          const admin = new pg.Client({ connectionString: url('postgres') });
          await admin.connect();
          try {
            await admin.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
          } finally {
            await admin.end();
          }
          return url(name);
        },
        password,
        port,
        pid: child.pid!,
        stop,
      };
    }
    await sleep(100);
  }
  const tail = Buffer.concat(output).toString('utf8').split('\n').slice(-15).join('\n');
  await stop();
  throw new Error(`postgres did not accept connections within ${readyMs / 1000} s:\n${tail}`);
}

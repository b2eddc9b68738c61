// `fleetlens sample` against real processes this test starts, then `diagnose` on what it wrote.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { packagePath } from '../../src/paths.ts';
import { runDiagnose } from '../../src/run/diagnose.ts';
import {
  MANIFEST_FILE,
  parseSampleOptions,
  runSample,
  type SampleManifest,
  type SampleOptions,
} from '../../src/run/sample.ts';
import { findExecutable, pathDirs, SADC_DIRS } from '../../src/sample/tools.ts';
import { unusedPid } from '../helpers/pids.ts';

const started: ChildProcess[] = [];
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fleetlens-sample-'));
});
afterAll(async () => {
  // every process this file started, by its PID
  for (const child of started)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
});

function track(child: ChildProcess): ChildProcess {
  started.push(child);
  return child;
}

/** A node HTTP server on 127.0.0.1 with 5 extra fds and backlog 37; resolves with its PID and port. */
async function startServer(): Promise<{ pid: number; port: number }> {
  const code = `
    const fs = require('node:fs');
    const held = [0, 1, 2, 3, 4].map(() => fs.openSync('/dev/null', 'r'));
    const server = require('node:http').createServer((q, r) => r.end('ok'));
    server.listen({ host: '127.0.0.1', port: 0, backlog: 37 }, () => console.log(server.address().port));
    setTimeout(() => process.exit(0), 1_800_000).unref();
    setInterval(() => held.length, 1000);`;
  const child = track(spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', () => reject(new Error('test server exited')));
  });
  return { pid: child.pid!, port };
}

function options(pid: number, name: string, extra: Partial<SampleOptions> = {}): SampleOptions {
  return { pid, port: null, durationMs: 2_000, intervalMs: 1_000, out: join(root, name), ...extra };
}

async function manifestOf(out: string): Promise<SampleManifest> {
  return JSON.parse(await readFile(join(out, MANIFEST_FILE), 'utf8'));
}

async function diagnosisOf(out: string) {
  const [diagnosis] = (await runDiagnose([out], silentLogger)).diagnoses;
  const records = Object.fromEntries(diagnosis!.inputs.map((input) => [input.file, input.records]));
  const kinds = new Set(diagnosis!.inputs.map((input) => input.kind));
  return { diagnosis: diagnosis!, records, kinds };
}

async function until(condition: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function describeError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.describe();
    throw error;
  }
  return 'no error';
}

const sysstatHere =
  (await findExecutable('sadc', [...pathDirs(process.env.PATH), ...SADC_DIRS])) !== null &&
  (await findExecutable('sadf', pathDirs(process.env.PATH))) !== null;
const ssHere = (await findExecutable('ss', pathDirs(process.env.PATH))) !== null;

describe.concurrent('sampling a live process', () => {
  let server: { pid: number; port: number };
  beforeAll(async () => {
    server = await startServer();
  });

  it('writes every per-second log and snapshot, and diagnose reads the folder with no gap', async ({
    expect,
  }) => {
    const out = join(root, 'server');
    const result = await runSample(
      { ...options(server.pid, 'server', { durationMs: 3_000 }), port: server.port },
      silentLogger,
    );
    expect(result.warnings).toEqual([]);
    const { diagnosis, records, kinds } = await diagnosisOf(out);
    expect(diagnosis.gaps).toEqual([]);
    for (const kind of [
      'thread-log',
      'fd-log',
      'sockstat-log',
      'proc-net-netstat',
      'proc-net-snmp',
      'proc-limits',
      'fd-count',
      'sysctl',
      'host-info',
    ]) {
      expect(kinds).toContain(kind);
    }
    // A tick more than one interval late is skipped and counted (a loaded machine): every tick is
    // either a record in each log or a miss in the manifest, never both, never neither.
    const { samples } = await manifestOf(out);
    expect(samples.taken + samples.missed).toBe(3);
    expect(samples.taken).toBeGreaterThanOrEqual(1);
    expect(records['threads.log']).toBe(samples.taken);
    // the second witness of the thread count is read, not ignored
    expect(records['threads-proc-status.log']).toBe(samples.taken);
    expect(records['fds.log']).toBe(samples.taken);
    expect(records['proc-limits-start.txt']).toBeGreaterThan(10);
    expect(records['proc-net-netstat-end.txt']).toBeGreaterThan(10);
    expect(diagnosis.ignored).toEqual(['sample-manifest.json']);

    const fds = (await readFile(join(out, 'fds.log'), 'utf8')).trim().split('\n');
    expect(fds[0]).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d - PID: ${server.pid}, FDs: \\d+$`),
    );
    expect(Number(fds[0]!.split(': ').at(-1))).toBeGreaterThanOrEqual(5 + 3);

    const manifest = await manifestOf(out);
    expect(manifest).toMatchObject({
      pid: server.pid,
      port: server.port,
      command: 'node',
      intervalSec: 1,
      durationSec: 3,
      samples: { planned: 3, taken: samples.taken, missed: samples.missed },
      stoppedEarly: null,
      diagnoseCheck: { gaps: [] },
    });
    expect(manifest.files['threads.log']).toEqual({ lines: samples.taken, bytes: expect.any(Number) });
    expect(Object.keys(manifest.files).sort()).toEqual(
      (await readdir(out)).filter((f) => f !== MANIFEST_FILE).sort(),
    );
    expect(Date.parse(manifest.endedAt) - Date.parse(manifest.startedAt)).toBeGreaterThanOrEqual(3_000);

    if (ssHere) {
      // Send-Q of a listener is its backlog: the server's 37 (below any somaxconn)
      expect(records['listen-queue.log']).toBe(samples.taken);
      const line = (await readFile(join(out, 'listen-queue.log'), 'utf8')).split('\n')[0];
      expect(line).toMatch(new RegExp(` LISTEN 0 37 127\\.0\\.0\\.1:${server.port} 0\\.0\\.0\\.0:\\*$`));
      expect(records['ss-s-start.txt']).toBe(1);
    }
    if (sysstatHere) {
      // sadc and iostat start one baseline ahead: on a quiet machine sadf gives as many records as
      // the logs, iostat one more; the tools keep their own time, so a loaded machine may cut one short
      expect(records['sadf-A.json.gz']).toBeGreaterThanOrEqual(1);
      expect(records['sadf-A.json.gz']).toBeLessThanOrEqual(3);
      expect(records['iostat-x.json']).toBeGreaterThanOrEqual(1);
      expect(records['iostat-x.json']).toBeLessThanOrEqual(4);
      expect(records['pidstat-app.txt']).toBeGreaterThanOrEqual(1);
      expect(records['pidstat-app.txt']).toBeLessThanOrEqual(3);
      expect(manifest.tools.missing).not.toContain('sadc');
    } else {
      expect(manifest.notWritten.map((entry) => entry.file)).toContain('sadf-A.json.gz');
    }
  });

  it('skips missing tools and says so: no sysstat, no ss, the accept queue from /proc/net/tcp', async ({
    expect,
  }) => {
    const empty = join(root, 'empty-path');
    await mkdir(empty);
    const out = join(root, 'no-tools');
    const result = await runSample(
      { ...options(server.pid, 'no-tools'), port: server.port, env: { PATH: empty }, sadcDirs: [] },
      silentLogger,
    );
    expect(result.warnings).toEqual([]);
    const manifest = await manifestOf(out);
    expect(manifest.tools).toEqual({
      used: [],
      missing: ['ss', 'sadc', 'sadf', 'iostat', 'pidstat', 'uname', 'nproc', 'lscpu', 'free'],
    });
    expect(manifest.commands).toEqual([]);
    const notWritten = manifest.notWritten.map((entry) => entry.file);
    for (const file of [
      'sadf-A.json.gz',
      'iostat-x.json',
      'pidstat-app.txt',
      'ss-s-start.txt',
      'listen-queue.log',
    ]) {
      expect(notWritten).toContain(file);
    }
    expect(manifest.notes.join('\n')).toMatch(/no listener backlog/);
    const files = await readdir(out);
    expect(files).not.toContain('listen-queue.log');
    const proc = (await readFile(join(out, 'listen-queue-proc.log'), 'utf8')).trim().split('\n');
    expect(proc).toHaveLength(manifest.samples.taken);
    expect(proc[0]).toMatch(new RegExp(` LISTEN 0 \\? 127\\.0\\.0\\.1:${server.port} 0\\.0\\.0\\.0:\\*$`));

    const { diagnosis, records } = await diagnosisOf(out);
    expect(diagnosis.gaps).toEqual([]);
    expect(diagnosis.ignored).toContain('listen-queue-proc.log');
    expect(records['threads.log']).toBe(manifest.samples.taken);
    // the walk of /proc/sys has a time budget: on a loaded machine it may stop, and says so
    const partial = manifest.notes.some((note) => note.startsWith('sysctl-a.txt is partial'));
    if (!partial) expect(records['sysctl-a.txt']).toBeGreaterThan(100);
    expect(await readFile(join(out, 'host-info.txt'), 'utf8')).toMatch(
      /^\$ cat \/proc\/sys\/net\/core\/somaxconn\n\d+\n\n$/,
    );
  });

  it('says so when nothing listens on --port, rather than leave an empty log', async ({ expect }) => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const out = join(root, 'no-listener');
    const result = await runSample(
      { ...options(server.pid, 'no-listener', { durationMs: 1_000 }), port },
      silentLogger,
    );
    expect(result.warnings).toEqual([`no listener on port ${port} was seen: listen-queue.log not written`]);
    expect(result.manifest.notWritten).toContainEqual({
      file: 'listen-queue.log',
      reason: `no listener on port ${port} was seen`,
    });
    expect(await readdir(out)).not.toContain('listen-queue.log');
  });

  it('stops early when the process exits, keeps what it wrote and takes the end snapshots it still can', async ({
    expect,
  }) => {
    // it exits once the first sample is on disk, whatever the speed of this machine
    const child = track(spawn('sleep', ['600'], { stdio: 'ignore' }));
    const out = join(root, 'exits');
    const running = runSample(options(child.pid!, 'exits', { durationMs: 10_000 }), silentLogger);
    await until(async () => (await readFile(join(out, 'threads.log'), 'utf8').catch(() => '')) !== '');
    child.kill('SIGKILL');
    const result = await running;
    const manifest = await manifestOf(out);
    const { taken } = manifest.samples;
    expect(taken).toBeGreaterThanOrEqual(1);
    expect(taken).toBeLessThan(10);
    expect(result.warnings.join('\n')).toMatch(
      new RegExp(
        `PID ${child.pid} exited at .*: stopped after ${taken} of 10 samples; what was written is kept`,
      ),
    );
    expect(manifest.stoppedEarly?.reason).toBe('pid-exited');
    const files = await readdir(out);
    expect(files).toEqual(
      expect.arrayContaining(['threads.log', 'proc-limits-start.txt', 'proc-net-netstat-end.txt']),
    );
    expect(files).not.toContain('proc-limits-end.txt');
    expect(manifest.notWritten).toContainEqual({
      file: 'proc-limits-end.txt',
      reason: `PID ${child.pid} had exited`,
    });
    const { diagnosis, records } = await diagnosisOf(out);
    expect(diagnosis.gaps).toEqual([]);
    expect(records['threads.log']).toBe(taken);
  });

  it('takes a zombie (exited, not reaped by its parent) as exited', async ({ expect }) => {
    // the shell becomes `sleep 900`, which never reaps its child: killed, that child stays a zombie
    const parent = track(
      spawn('sh', ['-c', 'sleep 600 & echo $!; exec sleep 900'], { stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    const pid = await new Promise<number>((resolve) =>
      parent.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
    );
    const out = join(root, 'zombie');
    const running = runSample(options(pid, 'zombie', { durationMs: 10_000 }), silentLogger);
    await until(async () => existsSync(join(out, 'threads.log')));
    process.kill(pid, 'SIGKILL');
    const result = await running;
    expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z /);
    expect(result.manifest.stoppedEarly?.reason).toBe('pid-exited');
    expect(result.manifest.samples.taken).toBeLessThan(10);
    parent.kill('SIGKILL');
  });

  it('stops on an abort (as on SIGINT), stops its tools, and keeps a folder diagnose reads', async ({
    expect,
  }) => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1_500);
    const out = join(root, 'aborted');
    const result = await runSample(
      options(server.pid, 'aborted', { durationMs: 20_000, signal: controller.signal }),
      silentLogger,
    );
    expect(result.manifest.stoppedEarly?.reason).toBe('aborted');
    expect(result.manifest.samples.taken).toBeLessThanOrEqual(1);
    expect(result.warnings.join('\n')).toMatch(/stopped early \(aborted\) after [01] of 20 samples/);
    expect(result.manifest.files['proc-limits-end.txt']?.lines).toBeGreaterThan(10);
    expect((await diagnosisOf(out)).diagnosis.gaps).toEqual([]);
  });

  it('records what it may not read when the process belongs to another user', async ({ expect, skip }) => {
    // NOTE: /proc/PID/fd is readable only by the owner (and root): run the CLI as nobody against a
    // process of ours. Needs root to switch user, and nobody must be able to read this checkout.
    const nobody = { uid: 65534, gid: 65534 };
    const canRead =
      process.getuid?.() === 0 &&
      spawnSync(
        process.execPath,
        ['-e', `require('fs').accessSync(${JSON.stringify(packagePath('src', 'cli.ts'))})`],
        nobody,
      ).status === 0;
    if (!canRead) skip('needs root, and a checkout readable by nobody');
    const child = track(spawn('sleep', ['600'], { stdio: 'ignore' }));
    const home = join(root, 'nobody');
    await mkdir(home);
    await chmod(root, 0o755);
    await chmod(home, 0o777);
    const out = join(home, 'out');
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          '--import',
          'tsx',
          packagePath('src', 'cli.ts'),
          'sample',
          '--pid',
          String(child.pid),
          '--duration',
          '1s',
          '--out',
          out,
        ],
        {
          ...nobody,
          cwd: packagePath(),
          env: { ...process.env, HOME: home, FLEETLENS_LOG_LEVEL: 'warn' },
          timeout: 900_000,
        },
        (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
      );
    });
    child.kill('SIGKILL');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /fds\.log, app-fd-count-start\.txt, app-fd-count-end\.txt not written: \/proc\/\d+\/fd: EACCES/,
    );
    const manifest = await manifestOf(out);
    expect(manifest.notWritten.map((entry) => entry.file)).toEqual(
      expect.arrayContaining(['fds.log', 'app-fd-count-start.txt', 'app-fd-count-end.txt']),
    );
    const files = await readdir(out);
    expect(files).toEqual(expect.arrayContaining(['threads.log', 'proc-limits-start.txt', 'sockstat.log']));
    expect(files).not.toContain('fds.log');
    expect((await diagnosisOf(out)).diagnosis.gaps).toEqual([]);
  });
});

describe('refusing to start', () => {
  it('names a PID that does not exist, before writing anything', async () => {
    const pid = unusedPid();
    const out = join(root, 'no-such-pid');
    const error = await runSample(options(pid, 'no-such-pid'), silentLogger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).describe()).toBe(
      `--pid: no process with PID ${pid} (/proc/${pid} does not exist)`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('will not write into a folder that has files, and leaves them alone', async () => {
    const out = join(root, 'not-empty');
    await mkdir(out);
    await writeFile(join(out, 'keep.txt'), 'mine\n');
    const error = await runSample(options(process.pid, 'not-empty'), silentLogger).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).describe()).toBe(
      `--out: folder is not empty: ${out} (fleetlens sample writes a new folder)`,
    );
    expect(await readdir(out)).toEqual(['keep.txt']);
  });

  it.each([
    [{ duration: '2h' }, '--duration: at most 1h (the collector is bounded in time), found 7200s'],
    [{ duration: 'soon' }, '--duration: expected a duration such as 30s, 2m or 1h, found "soon"'],
    [{ interval: '500ms' }, '--interval: expected a duration such as 30s, 2m or 1h, found "500ms"'],
    [{ interval: '1.5s' }, '--interval: expected whole seconds, at least 1s, found 1.5s'],
    [{ interval: '5m' }, '--interval: longer than --duration'],
    [{ pid: '12a' }, '--pid: expected a process id, found "12a"'],
    [{ pid: '0' }, '--pid: expected a process id, found "0"'],
    [{ port: '70000' }, '--port: expected a port number 1-65535, found "70000"'],
  ])('rejects %o: %s', (raw, message) => {
    const base = { pid: '1', duration: '120s', interval: '1s', out: 'x' };
    expect(describeError(() => parseSampleOptions({ ...base, ...raw }))).toBe(message);
  });

  it('takes the documented defaults', () => {
    expect(
      parseSampleOptions({ pid: '42', port: '8000', duration: '120s', interval: '1s', out: 'o' }),
    ).toEqual({
      pid: 42,
      port: 8000,
      durationMs: 120_000,
      intervalMs: 1_000,
      out: 'o',
      children: true,
    });
    // commander's --no-children
    expect(
      parseSampleOptions({ pid: '42', duration: '120s', interval: '1s', out: 'o', children: false }).children,
    ).toBe(false);
  });

  it('exits 2 with one line from the CLI', async () => {
    const pid = unusedPid();
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        packagePath('node_modules', '.bin', 'tsx'),
        [packagePath('src', 'cli.ts'), 'sample', '--pid', String(pid), '--out', join(root, 'cli')],
        { env: { ...process.env, FLEETLENS_LOG_LEVEL: 'warn' }, timeout: 900_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `fleetlens: --pid: no process with PID ${pid} (/proc/${pid} does not exist)\n`,
    });
  });
});

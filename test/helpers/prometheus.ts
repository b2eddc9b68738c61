// A real Prometheus (Debian's package) serving a copy of a capture's prometheus-data, and a tiny
// loopback HTTP server for the answers a real one does not give on demand (500s, bad JSON).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packagePath } from '../../src/paths.ts';

export const SHARED_SAMPLES = packagePath('..', 'shared', 'host-samples');

const INSTALL_HINT =
  "the live-Prometheus tests need a real `prometheus` binary (Debian's package: " +
  '`apt-get update && apt-get install -y prometheus`; `npm test` and .ci/run install it when run as root)';

/** Fails (never skips) when the binary is missing: CI must run these tests. */
export function requirePrometheus(): void {
  const probe = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `prometheus is not installed or does not run (${probe.error?.message ?? probe.stderr}): ${INSTALL_HINT}`,
    );
  }
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface RunningPrometheus {
  url: string;
  pid: number;
  stop: () => Promise<void>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const gone = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!gone) {
    process.kill(child.pid, 'SIGKILL');
    await exited;
  }
}

/**
 * Starts Prometheus on a copy of `<sample>/prometheus-data` (2.42 rewrites the WAL on start) with an
 * empty scrape config, and waits until /-/ready answers (at most `readyMs`).
 */
export async function startPrometheus(
  sample: string,
  readyMs = 300_000,
  ruleFiles: readonly string[] = [],
): Promise<RunningPrometheus> {
  requirePrometheus();
  const dir = await mkdtemp(join(tmpdir(), `fleetlens-prom-${sample}-`));
  await cp(join(SHARED_SAMPLES, sample, 'prometheus-data'), join(dir, 'data'), { recursive: true });
  const rules =
    ruleFiles.length > 0 ? `rule_files:\n${ruleFiles.map((f) => `  - ${JSON.stringify(f)}\n`).join('')}` : '';
  await writeFile(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1m\n${rules}scrape_configs: []\n`,
  );
  const port = await freePort();
  const logFile = join(dir, 'prometheus.log');
  const output: Buffer[] = [];
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--storage.tsdb.retention.time=100y',
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  const stop = async () => {
    await stopChild(child);
    await writeFile(logFile, Buffer.concat(output)).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { url, pid: child.pid!, stop };
    await sleep(100);
  }
  const tail = Buffer.concat(output).toString('utf8').split('\n').slice(-15).join('\n');
  await stop();
  throw new Error(`prometheus on ${sample} did not become ready within ${readyMs / 1000} s:\n${tail}`);
}

/** The capture's window from the first and last lines of its threads.log (UTC wall-clock times). */
export async function threadsLogWindow(sample: string): Promise<{ fromMs: number; toMs: number }> {
  const lines = (await readFile(join(SHARED_SAMPLES, sample, 'threads.log'), 'utf8')).trim().split('\n');
  const timeOf = (line: string) => Date.parse(`${line.slice(0, 19).replace(' ', 'T')}Z`);
  return { fromMs: timeOf(lines[0]!), toMs: timeOf(lines.at(-1)!) };
}

export async function labelOf(sample: string): Promise<{ primary: string; fromMs: number; toMs: number }> {
  const label = JSON.parse(await readFile(join(SHARED_SAMPLES, 'labels', `${sample}.json`), 'utf8'));
  return {
    primary: label.ground_truth.primary_bottleneck,
    fromMs: Date.parse(label.window.start_utc),
    toMs: Date.parse(label.window.end_utc),
  };
}

export interface FakeServer {
  url: string;
  requests: { path: string; query: URLSearchParams; authorization: string | undefined }[];
  close: () => Promise<void>;
}

export type FakeHandler = (
  path: string,
  query: URLSearchParams,
  request: IncomingMessage,
) => { status: number; body: string; headers?: Record<string, string> };

/** A loopback HTTP server that answers each request with `handler`'s status and body. */
export async function fakePrometheus(handler: FakeHandler): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push({
      path: url.pathname,
      query: url.searchParams,
      authorization: request.headers.authorization,
    });
    const answer = handler(url.pathname, url.searchParams, request);
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A matrix answer with one series per entry. */
export function matrix(series: { metric: Record<string, string>; values: [number, string][] }[]): string {
  return JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: series } });
}

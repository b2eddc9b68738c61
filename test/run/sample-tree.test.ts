// `fleetlens sample --pid` on a real process tree this test starts: a parent with two children.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProcessTree } from '../../src/ingest/process-tree.ts';
import { silentLogger } from '../../src/log.ts';
import { runDiagnose } from '../../src/run/diagnose.ts';
import { runSample } from '../../src/run/sample.ts';

let root: string;
let parent: ChildProcess;
let childPids: number[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fleetlens-sample-tree-'));
  // two children that sleep (busy from the pool's point of view: blocked outside an idle wait)
  const code = `
    const { spawn } = require('node:child_process');
    const kids = [0, 1].map(() => spawn('sleep', ['600'], { stdio: 'ignore' }));
    console.log(kids.map((k) => k.pid).join(','));
    setTimeout(() => { for (const k of kids) k.kill('SIGKILL'); process.exit(0); }, 900000).unref();
    setInterval(() => {}, 1000);`;
  parent = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  childPids = await new Promise<number[]>((resolve, reject) => {
    parent.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim().split(',').map(Number)));
    parent.once('exit', () => reject(new Error('parent exited')));
  });
});

afterAll(async () => {
  for (const pid of childPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (parent.exitCode === null) parent.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
});

const options = (out: string, children: boolean) => ({
  pid: parent.pid!,
  port: null,
  durationMs: 3_000,
  intervalMs: 1_000,
  out: join(root, out),
  children,
});

describe('sample --pid on a process tree', () => {
  it('samples the PID and its descendants, records them, and diagnose reads the folder without a gap', async () => {
    const { manifest } = await runSample(options('tree', true), silentLogger);
    const tree = parseProcessTree(await readFile(join(root, 'tree', 'process-tree.jsonl'), 'utf8'), 'f');
    expect(tree.rootPid).toBe(parent.pid);
    expect(tree.processes.map((p) => p.pid).sort()).toEqual([parent.pid!, ...childPids].sort());
    expect(manifest.processes.map((p) => p.pid).sort()).toEqual([parent.pid!, ...childPids].sort());
    // the sleeping children are busy every second; the parent's event loop idles in epoll
    const busy = tree.totals.busyPids.map((pids) => [...pids].sort());
    expect(busy.every((pids) => JSON.stringify(pids) === JSON.stringify([...childPids].sort()))).toBe(true);
    expect(tree.totals.threads.every((t) => t >= 3)).toBe(true);
    const { diagnoses } = await runDiagnose([join(root, 'tree')], silentLogger);
    expect(diagnoses[0]!.gaps).toEqual([]);
    expect(diagnoses[0]!.inputs.find((i) => i.file === 'process-tree.jsonl')).toMatchObject({
      kind: 'process-tree',
    });
  });

  it('--no-children keeps today’s behaviour: the PID alone', async () => {
    const { manifest } = await runSample(options('alone', false), silentLogger);
    expect(manifest.children).toBe(false);
    expect(manifest.processes.map((p) => p.pid)).toEqual([parent.pid]);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Children,
  findExecutable,
  findTools,
  pathDirs,
  runTool,
  runToolToGzip,
  startTool,
  sysstatArgs,
  toolEnv,
} from '../../src/sample/tools.ts';
import { tempFolder } from '../ingest/shared-files.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempFolder());
});
afterAll(() => cleanup());

/** Gone, or a zombie Node has not reaped yet: either way no longer running. */
function running(pid: number): boolean {
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return stat !== '' && !/\)\s+[ZX]\s/.test(stat);
}

const env = toolEnv(process.env);

describe('finding tools', () => {
  it('takes the first executable of that name along the PATH, skipping files that are not executable', async () => {
    await writeFile(join(dir, 'tool-a'), '#!/bin/sh\n');
    await chmod(join(dir, 'tool-a'), 0o644);
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'tool-a'), '#!/bin/sh\necho a\n', { mode: 0o755 });
    expect(await findExecutable('tool-a', [dir, bin])).toBe(join(bin, 'tool-a'));
    expect(await findExecutable('no-such-tool', [dir, bin])).toBeNull();
  });

  it('looks for sadc outside PATH too, and reports every tool it did not find as null', async () => {
    const libexec = join(dir, 'libexec');
    await mkdir(libexec);
    await writeFile(join(libexec, 'sadc'), '#!/bin/sh\n', { mode: 0o755 });
    await writeFile(join(libexec, 'iostat'), '#!/bin/sh\n', { mode: 0o755 });
    const tools = await findTools(join(dir, 'nothing-here'), [libexec]);
    expect(tools.sadc).toBe(join(libexec, 'sadc'));
    // only sadc is looked up outside PATH
    expect(tools.iostat).toBeNull();
    expect(Object.values(tools).filter((path) => path !== null)).toHaveLength(1);
  });

  it('ignores empty and relative PATH entries', () => {
    expect(pathDirs('/usr/bin::bin:./x:/bin')).toEqual(['/usr/bin', '/bin']);
    expect(pathDirs(undefined)).toEqual([]);
  });

  it('runs tools in UTC, the C locale and ISO sysstat dates', () => {
    expect(toolEnv({ PATH: '/bin', TZ: 'Europe/Paris' })).toEqual({
      PATH: '/bin',
      TZ: 'UTC',
      LC_ALL: 'C',
      S_TIME_FORMAT: 'ISO',
    });
  });
});

describe('sysstat commands', () => {
  it('start sadc and iostat one baseline ahead, so sadf and pidstat give one record per sample', () => {
    expect(sysstatArgs(4242, 1, 120, '/tmp/x/sa.bin')).toEqual({
      sadc: ['-S', 'XALL', '1', '121', '/tmp/x/sa.bin'],
      iostat: ['-d', '-x', '-t', '-o', 'JSON', '1', '121'],
      pidstat: ['-h', '-u', '-w', '-r', '-p', '4242', '1', '120'],
      sadf: ['-j', '/tmp/x/sa.bin', '--', '-A'],
    });
  });
});

describe('running tools', () => {
  it('returns stdout and the exit code', async () => {
    const result = await runTool('/bin/sh', ['-c', 'echo "$TZ $LC_ALL"; exit 3'], {
      env,
      timeoutMs: 5_000,
      children: new Children(),
    });
    expect(result).toEqual({ stdout: 'UTC C\n', code: 3, timedOut: false });
  });

  it('kills a tool past its timeout, by its PID', async () => {
    const children = new Children();
    const started = performance.now();
    const result = await runTool('/bin/sh', ['-c', 'exec sleep 30'], { env, timeoutMs: 200, children });
    expect(result.timedOut).toBe(true);
    expect(result.code).toBeNull();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(children.size).toBe(0);
  });

  it('reports a tool that cannot start as a null exit code', async () => {
    const result = await runTool(join(dir, 'missing'), [], {
      env,
      timeoutMs: 1_000,
      children: new Children(),
    });
    expect(result.code).toBeNull();
  });

  it('stops a background tool with SIGINT, its stdout in a file, and forgets it once reaped', async () => {
    const children = new Children();
    const out = join(dir, 'background.txt');
    const tool = startTool('/bin/sh', ['-c', 'echo started; exec sleep 30'], {
      env,
      children,
      stdoutPath: out,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(running(tool.pid!)).toBe(true);
    await tool.stop(2_000);
    expect(running(tool.pid!)).toBe(false);
    expect(children.size).toBe(0);
    expect(await readFile(out, 'utf8')).toBe('started\n');
  });

  it('kills every child still running at once', async () => {
    const children = new Children();
    const tools = [1, 2].map(() =>
      startTool('/bin/sh', ['-c', 'exec sleep 30'], { env, children, stdoutPath: null }),
    );
    expect(children.size).toBe(2);
    children.killAll();
    await Promise.all(tools.map((tool) => tool.exited));
    expect(tools.map((tool) => running(tool.pid!))).toEqual([false, false]);
  });

  it('gzips a large output in-process and counts lines and a pattern across chunk boundaries', async () => {
    const out = join(dir, 'out.json.gz');
    const result = await runToolToGzip('/bin/sh', ['-c', 'yes \'{"timestamp": 1},\' | head -n 200000'], out, {
      env,
      timeoutMs: 10_000,
      children: new Children(),
      countPattern: '"timestamp"',
    });
    expect(result).toEqual({ code: 0, timedOut: false, lines: 200_000, matches: 200_000 });
    const text = gunzipSync(await readFile(out)).toString('utf8');
    expect(text.split('\n')).toHaveLength(200_001);
  });
});

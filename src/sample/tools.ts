// The outside tools `fleetlens sample` may run (ss, sysstat, uname, lscpu, free): finding them,
// running them with a time limit, and stopping every child by its own PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, createWriteStream, openSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

// sadc is not on PATH on most distributions: Debian/Ubuntu, RHEL/Fedora, Arch and SUSE keep it here.
export const SADC_DIRS: readonly string[] = [
  '/usr/lib/sysstat',
  '/usr/lib64/sa',
  '/usr/lib/sa',
  '/usr/libexec/sysstat',
  '/usr/local/lib/sa',
];

/** The folders of a PATH value, absolute ones only (a relative entry would depend on the cwd). */
export function pathDirs(pathValue: string | undefined): string[] {
  return (pathValue ?? '').split(delimiter).filter((dir) => dir !== '' && isAbsolute(dir));
}

/** The first executable `name` in `dirs`, or null. */
export async function findExecutable(name: string, dirs: readonly string[]): Promise<string | null> {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here: try the next folder
    }
  }
  return null;
}

/** Every outside tool `fleetlens sample` may use; each is optional. */
export const TOOL_NAMES = [
  'ss',
  'sadc',
  'sadf',
  'iostat',
  'pidstat',
  'uname',
  'nproc',
  'lscpu',
  'free',
] as const;
export type ToolName = (typeof TOOL_NAMES)[number];
export type Tools = Record<ToolName, string | null>;

/** Where each tool is (null when it is not installed): PATH, and for sadc also `sadcDirs`. */
export async function findTools(pathValue: string | undefined, sadcDirs: readonly string[]): Promise<Tools> {
  const dirs = pathDirs(pathValue);
  const found = await Promise.all(
    TOOL_NAMES.map((name) => findExecutable(name, name === 'sadc' ? [...dirs, ...sadcDirs] : dirs)),
  );
  return Object.fromEntries(TOOL_NAMES.map((name, index) => [name, found[index] ?? null])) as Tools;
}

/**
 * The sysstat commands of a capture of `samples` at `intervalSec`, in the public samples' shape.
 * NOTE: sadc's first record and iostat's first report are baselines (since boot), hence N + 1:
 * sadf then gives N records, as many as the logs have.
 */
export function sysstatArgs(pid: number, intervalSec: number, samples: number, saPath: string) {
  const every = String(intervalSec);
  return {
    sadc: ['-S', 'XALL', every, String(samples + 1), saPath],
    iostat: ['-d', '-x', '-t', '-o', 'JSON', every, String(samples + 1)],
    pidstat: ['-h', '-u', '-w', '-r', '-p', String(pid), every, String(samples)],
    sadf: ['-j', saPath, '--', '-A'],
  };
}

/**
 * The environment of every tool: UTC, the C locale, and ISO dates in sysstat output (sysstat(5)
 * S_TIME_FORMAT), as in the public host samples.
 */
export function toolEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, TZ: 'UTC', LC_ALL: 'C', S_TIME_FORMAT: 'ISO' };
}

/** Children of this run. Each is signalled by its own PID, and only while Node has not reaped it. */
export class Children {
  private readonly live = new Set<ChildProcess>();

  track<T extends ChildProcess>(child: T): T {
    this.live.add(child);
    child.once('exit', () => this.live.delete(child));
    return child;
  }

  get size(): number {
    return this.live.size;
  }

  /** Synchronous, so that it also works from a process 'exit' handler. */
  killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
    for (const child of this.live) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    }
  }
}

interface RunOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  children: Children;
}

export interface ToolResult {
  stdout: string;
  /** Exit code; null when it was killed or could not start. */
  code: number | null;
  timedOut: boolean;
}

const MAX_STDOUT_BYTES = 8 * 1024 * 1024;

/** Runs a short command and returns its stdout; killed (SIGKILL, by PID) past `timeoutMs`. */
export function runTool(file: string, args: readonly string[], options: RunOptions): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = options.children.track(
      spawn(file, args, { env: options.env, stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    const chunks: Buffer[] = [];
    let bytes = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_STDOUT_BYTES) chunks.push(chunk);
    });
    const finish = (code: number | null): void => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(chunks).toString('utf8'), code, timedOut });
    };
    child.once('error', () => finish(null));
    child.once('close', (code) => finish(code));
  });
}

export interface Background {
  pid: number | undefined;
  /** Settles when the tool has exited, with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** The end of its stderr, for a note when it fails. */
  stderrTail: () => string;
  /** SIGINT (sysstat tools close their JSON on it), then SIGKILL after `graceMs`. */
  stop: (graceMs: number) => Promise<number | null>;
}

/**
 * Starts a tool that runs for the whole capture, its stdout into `stdoutPath`. It runs in its own
 * process group (`detached`) so that a Ctrl-C at the terminal reaches only fleetlens, which then
 * stops it in order; it is still bounded by its own count if fleetlens itself is killed.
 */
export function startTool(
  file: string,
  args: readonly string[],
  options: Omit<RunOptions, 'timeoutMs'> & { stdoutPath: string | null },
): Background {
  const out = options.stdoutPath === null ? 'ignore' : openSync(options.stdoutPath, 'w');
  let child: ChildProcess;
  try {
    child = options.children.track(
      spawn(file, args, { env: options.env, stdio: ['ignore', out, 'pipe'], detached: true }),
    );
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('exit', (code) => resolve(code));
  });
  const stop = async (graceMs: number): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { pid: child.pid, exited, stderrTail: () => stderr.trim(), stop };
}

export interface GzipResult {
  code: number | null;
  timedOut: boolean;
  /** Lines of the uncompressed output. */
  lines: number;
  /** How often `countPattern` occurs in the uncompressed output. */
  matches: number;
}

/**
 * Runs a command and gzips its stdout into `outPath` in-process (`cmd | gzip > file` without a
 * shell or a gzip binary), counting lines and `countPattern` on the way.
 */
export async function runToolToGzip(
  file: string,
  args: readonly string[],
  outPath: string,
  options: RunOptions & { countPattern: string },
): Promise<GzipResult> {
  const child = options.children.track(
    spawn(file, args, { env: options.env, stdio: ['ignore', 'pipe', 'ignore'] }),
  );
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(null));
    child.once('close', (code) => resolve(code));
  });
  let lines = 0;
  let matches = 0;
  let carry = '';
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const pattern = options.countPattern;
      const text = carry + chunk.toString('latin1');
      lines += chunk.toString('latin1').split('\n').length - 1;
      let from = 0;
      for (let at = text.indexOf(pattern); at >= 0; at = text.indexOf(pattern, from)) {
        matches += 1;
        from = at + pattern.length;
      }
      // NOTE: a pattern cut by a chunk boundary starts in the last length-1 characters
      carry = text.slice(Math.max(from, text.length - pattern.length + 1));
      done(null, chunk);
    },
  });
  try {
    await pipeline(child.stdout, counter, createGzip(), createWriteStream(outPath));
  } finally {
    clearTimeout(timer);
  }
  return { code: await exited, timedOut, lines, matches };
}

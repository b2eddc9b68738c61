// The process `fleetlens sample` watches: does it exist, what may we read of it, is it still the
// same process. Problems the user can fix are ConfigErrors naming --pid (exit 2).
import { ConfigError } from '../errors.ts';
import {
  countFds,
  inOtherNetns,
  procPaths,
  type Read,
  readIdentity,
  readText,
  readThreadCounts,
} from './proc.ts';

/** A file of the usual set that a capture does not have, and why. */
export interface NotWritten {
  file: string;
  reason: string;
}

export interface Target {
  pid: number;
  /** With the PID, names one process: a reused PID is another process. */
  startTime: string;
  command: string | null;
  readable: { threads: boolean; fds: boolean; limits: boolean };
  /** The process's network namespace differs from ours: read /proc/PID/net and skip ss. */
  otherNetns: boolean;
  netDir: string;
  /** What cannot be read of it, file by file. */
  denied: NotWritten[];
  notes: string[];
}

function pidError(message: string): ConfigError {
  return new ConfigError(message, undefined, undefined, '--pid');
}

export function deniedHint(code: string): string {
  return code === 'EACCES' || code === 'EPERM'
    ? `${code}: owned by another user; run fleetlens sample as that user or as root`
    : code;
}

/** Checks that the PID is a live process and finds what of it may be read; throws when nothing can. */
export async function inspectTarget(pid: number): Promise<Target> {
  const identity = await readIdentity(pid);
  if (!identity.stat.ok) {
    const code = identity.stat.code;
    if (code !== 'ENOENT' && code !== 'ESRCH') {
      throw pidError(`cannot read /proc/${pid}/stat (${deniedHint(code)})`);
    }
    if (!(await readText('/proc/self/stat')).ok) throw pidError('fleetlens sample reads /proc: Linux only');
    throw pidError(`no process with PID ${pid} (/proc/${pid} does not exist)`);
  }
  if (identity.exited || identity.startTime === null) {
    throw pidError(`PID ${pid} has exited (a zombie not yet reaped by its parent)`);
  }
  const paths = procPaths(pid);
  const [threads, fds, limits] = await Promise.all([
    readThreadCounts(pid),
    countFds(pid),
    readText(paths.limits),
  ]);
  const denied: NotWritten[] = [];
  const deny = (read: Read<unknown>, path: string, files: string[]): void => {
    if (read.ok) return;
    for (const file of files) denied.push({ file, reason: `${path}: ${deniedHint(read.code)}` });
  };
  deny(threads.task, paths.task, ['threads.log']);
  deny(threads.status, paths.status, ['threads-proc-status.log']);
  deny(fds, paths.fd, ['fds.log', 'app-fd-count-start.txt', 'app-fd-count-end.txt']);
  deny(limits, paths.limits, ['proc-limits-start.txt', 'proc-limits-end.txt']);
  const threadsOk = threads.task.ok || threads.status.ok;
  if (!threadsOk && !fds.ok && !limits.ok) {
    throw pidError(`cannot read /proc/${pid} (${deniedHint(fds.ok ? 'unknown' : fds.code)})`);
  }
  const otherNetns = await inOtherNetns(pid);
  const notes =
    otherNetns === null
      ? [
          `could not tell whether PID ${pid} shares fleetlens's network namespace (no access to /proc/${pid}/ns/net); /proc/net of fleetlens's namespace was read`,
        ]
      : otherNetns
        ? [`PID ${pid} is in another network namespace: /proc/${pid}/net was read`]
        : [];
  return {
    pid,
    startTime: identity.startTime,
    command: identity.comm,
    readable: { threads: threadsOk, fds: fds.ok, limits: limits.ok },
    otherNetns: otherNetns === true,
    netDir: otherNetns === true ? paths.net : '/proc/net',
    denied,
    notes,
  };
}

/** Whether the PID still names the process we started with: not exited, not a zombie, not reused. */
export async function stillRunning(target: Pick<Target, 'pid' | 'startTime'>): Promise<boolean> {
  const identity = await readIdentity(target.pid);
  return !identity.exited && identity.startTime === target.startTime;
}

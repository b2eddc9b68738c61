// The process tree for `fleetlens sample`: the sampled PID and its descendants (a gunicorn or
// uvicorn master and its workers), read from /proc each interval. Pure parsers of /proc text
// and thin readers; nothing here writes to /proc or signals a process.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attempt, countFds, parseStatState, procPaths, type Read, readText } from './proc.ts';

/** More processes than any worker pool: a fork bomb or a wrong PID must not make a sample slow. */
export const MAX_TREE_PROCESSES = 256;

/**
 * USER_HZ, the unit of utime/stime in /proc/PID/stat: 100 on every Linux architecture fleetlens
 * runs on (x86_64, arm64; include/asm-generic/param.h), whatever the kernel's own HZ.
 */
export const CLOCK_TICKS_PER_SEC = 100;

/** The fields of /proc/PID/stat the tree needs (proc(5) numbering in the comments). */
export interface ProcStat {
  pid: number;
  comm: string; // (2), without its parentheses
  state: string; // (3)
  ppid: number; // (4)
  cpuTicks: number; // utime (14) + stime (15)
  threads: number; // num_threads (20)
  startTicks: string; // starttime (22): with the PID it names one process
}

/** /proc/PID/stat; null when it is not one (the command may hold spaces and `)`: fields count after its last `)`). */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = parseStatState(text);
  const [ppid, utime, stime, threads, start] = [fields[1], fields[11], fields[12], fields[17], fields[19]];
  const numbers = [ppid, utime, stime, threads].map(Number);
  if (!Number.isInteger(pid) || state === null || !start || !/^\d+$/.test(start)) return null;
  if (numbers.some((n) => !Number.isInteger(n) || n < 0)) return null;
  return {
    pid,
    comm: text.slice(open + 1, close),
    state,
    ppid: numbers[0]!,
    cpuTicks: numbers[1]! + numbers[2]!,
    threads: numbers[3]!,
    startTicks: start,
  };
}

// Syscall numbers of the waits a server idles in, and of the calls its work blocks in, for the
// architectures Node runs on here (arch/x86/entry/syscalls/syscall_64.tbl; the generic table
// include/uapi/asm-generic/unistd.h for arm64).
const SYSCALL_NAMES: Record<string, Record<number, string>> = {
  x64: {
    0: 'read',
    1: 'write',
    7: 'poll',
    17: 'pread64',
    23: 'select',
    34: 'pause',
    35: 'nanosleep',
    42: 'connect',
    43: 'accept',
    44: 'sendto',
    45: 'recvfrom',
    46: 'sendmsg',
    47: 'recvmsg',
    61: 'wait4',
    128: 'rt_sigtimedwait',
    202: 'futex',
    230: 'clock_nanosleep',
    232: 'epoll_wait',
    247: 'waitid',
    270: 'pselect6',
    271: 'ppoll',
    281: 'epoll_pwait',
    288: 'accept4',
    441: 'epoll_pwait2',
  },
  arm64: {
    22: 'epoll_pwait',
    63: 'read',
    64: 'write',
    72: 'pselect6',
    73: 'ppoll',
    95: 'waitid',
    98: 'futex',
    101: 'nanosleep',
    115: 'clock_nanosleep',
    137: 'rt_sigtimedwait',
    202: 'accept',
    203: 'connect',
    206: 'sendto',
    207: 'recvfrom',
    211: 'sendmsg',
    212: 'recvmsg',
    242: 'accept4',
    260: 'wait4',
    441: 'epoll_pwait2',
  },
};

/**
 * Where a server waits for work: its event loop's select/epoll, accept() on the listener, a
 * master waiting for its children, a pipe read. A worker blocked anywhere else (a socket read
 * on an upstream, poll() of a socket with a timeout, sleep, a lock) is busy from the pool's
 * point of view: it cannot take the next connection.
 */
const IDLE_WAITS = new Set([
  'select',
  'pselect6',
  'epoll_wait',
  'epoll_pwait',
  'epoll_pwait2',
  'accept',
  'accept4',
  'wait4',
  'waitid',
  'pause',
  'rt_sigtimedwait',
  'read',
]);

/**
 * /proc/PID/syscall: `running`, or the number of the call the main thread blocks in, named for
 * `arch`; `syscall-N` for one not in the table, null when unreadable or not one of those.
 */
export function parseSyscall(text: string, arch: string = process.arch): string | null {
  const first = text.trim().split(/\s+/)[0] ?? '';
  if (first === 'running') return 'running';
  if (!/^-?\d+$/.test(first)) return null;
  const number = Number(first);
  if (number < 0) return null; // -1: blocked in the kernel outside a syscall
  return SYSCALL_NAMES[arch]?.[number] ?? `syscall-${number}`;
}

/**
 * Whether a process is doing work this second: on CPU or in uninterruptible sleep, using at
 * least half a CPU over the interval, or blocked somewhere other than an idle wait. Without its
 * syscall (another user's process) only the state and CPU can tell.
 */
export function isBusy(state: string, cpuPct: number | null, syscall: string | null): boolean {
  if (state === 'R' || state === 'D') return true;
  if (cpuPct !== null && cpuPct >= 50) return true;
  if (syscall === null || syscall === 'running') return syscall === 'running';
  return !IDLE_WAITS.has(syscall);
}

/** One process in one sample. */
export interface ProcessSample {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
  syscall: string | null;
  threads: number;
  fds: number | null;
  /** Share of one CPU over the last interval; null on a process's first sample. */
  cpuPct: number | null;
  busy: boolean;
  /** pid + start time: a PID reused by a new process is a new identity. */
  identity: string;
  cpuTicks: number;
}

/** The PIDs of `rootPid` and its descendants, root first then breadth-first; at most MAX_TREE_PROCESSES. */
export function descendants(rootPid: number, parents: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    if (pid === rootPid) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const order: number[] = [rootPid];
  for (let i = 0; i < order.length && order.length < MAX_TREE_PROCESSES; i += 1) {
    const next = (children.get(order[i]!) ?? []).sort((a, b) => a - b);
    order.push(...next.slice(0, MAX_TREE_PROCESSES - order.length));
  }
  return order;
}

/**
 * The tree under `rootPid` from /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN): a few reads
 * per process of the tree instead of one per process of the host; null where the kernel has no
 * such file (then readParents scans /proc).
 */
export async function readTree(rootPid: number, root = '/proc'): Promise<number[] | null> {
  const order: number[] = [rootPid];
  for (let i = 0; i < order.length && order.length < MAX_TREE_PROCESSES; i += 1) {
    const pid = order[i]!;
    const tasks = await attempt(() => readdir(procPaths(pid, root).task));
    if (!tasks.ok) {
      if (i === 0) return null;
      continue;
    }
    const lists = await Promise.all(
      tasks.value.map((tid) =>
        attempt(() => readFile(join(procPaths(pid, root).task, tid, 'children'), 'utf8')),
      ),
    );
    if (i === 0 && lists.length > 0 && lists.every((l) => !l.ok && l.code === 'ENOENT')) return null;
    const children = lists.flatMap((l) =>
      l.ok
        ? l.value
            .trim()
            .split(/\s+/)
            .filter((x) => /^\d+$/.test(x))
            .map(Number)
        : [],
    );
    for (const child of [...new Set(children)].sort((a, b) => a - b)) {
      if (order.length >= MAX_TREE_PROCESSES) break;
      if (!order.includes(child)) order.push(child);
    }
  }
  return order;
}

/** Every process's parent, from /proc/<pid>/stat (one small read each; vanished ones are skipped). */
export async function readParents(root = '/proc'): Promise<Map<number, number>> {
  const entries = await readdir(root);
  const pids = entries.filter((name) => /^\d+$/.test(name)).map(Number);
  const stats = await Promise.all(pids.map((pid) => readText(procPaths(pid, root).stat)));
  const parents = new Map<number, number>();
  stats.forEach((stat) => {
    const parsed = stat.ok ? parseProcStat(stat.value) : null;
    if (parsed) parents.set(parsed.pid, parsed.ppid);
  });
  return parents;
}

/**
 * One process now: its stat, syscall and fd count. `previous` (its identity's last CPU ticks and
 * time) gives the CPU share; null when the process is gone.
 */
export async function readProcess(
  pid: number,
  timeMs: number,
  previous: { cpuTicks: number; timeMs: number } | undefined,
  root = '/proc',
  arch: string = process.arch,
): Promise<ProcessSample | null> {
  const paths = procPaths(pid, root);
  const [stat, syscall, fds] = await Promise.all([
    readText(paths.stat),
    attempt(() => readFile(join(paths.dir, 'syscall'), 'utf8')),
    countFds(pid, root),
  ]);
  const parsed = stat.ok ? parseProcStat(stat.value) : null;
  if (!parsed || parsed.state === 'Z' || parsed.state === 'X') return null;
  const elapsedSec = previous ? (timeMs - previous.timeMs) / 1000 : 0;
  const share =
    previous && elapsedSec > 0
      ? Math.round(((parsed.cpuTicks - previous.cpuTicks) / CLOCK_TICKS_PER_SEC / elapsedSec) * 1000) / 10
      : null;
  const cpuPct = share !== null && share >= 0 ? share : null;
  const call = syscall.ok ? parseSyscall(syscall.value, arch) : null;
  return {
    pid,
    ppid: parsed.ppid,
    comm: parsed.comm,
    state: parsed.state,
    syscall: call,
    threads: parsed.threads,
    fds: fds.ok ? fds.value : null,
    cpuPct,
    busy: isBusy(parsed.state, cpuPct, call),
    identity: `${pid}:${parsed.startTicks}`,
    cpuTicks: parsed.cpuTicks,
  };
}

/** Connections on a port from /proc/net/tcp{,6}: waiting in the accept queue (no inode yet) or taken. */
export interface PortConnections {
  /** remote address → inode (0 while the connection waits in the accept queue). */
  byPeer: Map<string, number>;
}

const ESTABLISHED = '01';
const CLOSE_WAIT = '08';

/**
 * Established connections to local `port`. NOTE: a connection the kernel has completed but the
 * app has not accepted has no socket file yet, so /proc/net/tcp prints inode 0 for it
 * (sock_i_ino of a child without sk_socket): queued and accepted tell apart without ss.
 */
export function parsePortConnections(text: string, port: number): PortConnections {
  const byPeer = new Map<string, number>();
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [, local, remote, state] = fields;
    const inode = Number(fields[9]);
    if (!local || !remote || (state !== ESTABLISHED && state !== CLOSE_WAIT)) continue;
    if (Number.parseInt(local.split(':')[1] ?? '', 16) !== port || !Number.isInteger(inode)) continue;
    byPeer.set(remote, inode);
  }
  return { byPeer };
}

export async function readPortConnections(netDir: string, port: number): Promise<Read<PortConnections>> {
  const tables = await Promise.all(['tcp', 'tcp6'].map((name) => readText(join(netDir, name))));
  const failed = tables.find((t) => !t.ok);
  if (tables.every((t) => !t.ok) && failed && !failed.ok) return { ok: false, code: failed.code };
  const byPeer = new Map<string, number>();
  for (const table of tables) {
    if (table.ok)
      for (const [peer, inode] of parsePortConnections(table.value, port).byPeer) byPeer.set(peer, inode);
  }
  return { ok: true, value: { byPeer } };
}

/**
 * What changed on the port since the last sample: connections that arrived (a peer not seen
 * before) and that the app accepted (an inode not seen before). Connections that came and went
 * between two samples are not seen: both counts are floors.
 */
export function portChange(
  before: PortConnections | null,
  now: PortConnections,
): { queued: number; accepted: number; arrived: number; acceptedNew: number } {
  let queued = 0;
  let arrived = 0;
  let acceptedNew = 0;
  for (const [peer, inode] of now.byPeer) {
    const was = before?.byPeer.get(peer);
    if (inode === 0) queued += 1;
    if (was === undefined) arrived += 1;
    if (inode !== 0 && (was === undefined || was === 0)) acceptedNew += 1;
  }
  return {
    queued,
    accepted: now.byPeer.size - queued,
    arrived: before ? arrived : 0,
    acceptedNew: before ? acceptedNew : 0,
  };
}

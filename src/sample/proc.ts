// Reading /proc for `fleetlens sample`: small parsers of /proc text (pure) and thin readers.
// Everything here only opens files for reading; nothing writes to /proc or signals a process.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { errorCode } from '../ingest/sample-files.ts';
import { type ProcListener, sysctlKey, sysctlLines } from './formats.ts';

/** A read that may fail: the value, or the system error code (`ENOENT`, `EACCES`, ...). */
export type Read<T> = { ok: true; value: T } | { ok: false; code: string };

/** Runs a read and keeps a system error as data; anything else (a bug) is thrown. */
export async function attempt<T>(read: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    const code = errorCode(error);
    if (code === undefined) throw error;
    return { ok: false, code };
  }
}

/** Paths of one process under a proc root (`/proc`, or a fake tree in tests). */
export function procPaths(pid: number, root = '/proc') {
  const dir = join(root, String(pid));
  return {
    dir,
    stat: join(dir, 'stat'),
    status: join(dir, 'status'),
    comm: join(dir, 'comm'),
    task: join(dir, 'task'),
    fd: join(dir, 'fd'),
    limits: join(dir, 'limits'),
    netns: join(dir, 'ns', 'net'),
    net: join(dir, 'net'),
  };
}

/** `Threads:\t18` in /proc/PID/status. */
export function parseStatusThreads(status: string): number | null {
  const match = /^Threads:\s+(\d+)\s*$/m.exec(status);
  return match ? Number(match[1]) : null;
}

/**
 * Field 22 of /proc/PID/stat, the start time in clock ticks since boot: with the PID it names
 * one process, so a PID reused by another process is told apart. NOTE: the command (field 2)
 * may hold spaces and parentheses, so fields are counted after its last `)`.
 */
export function parseStatStartTime(stat: string): string | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // after `)` come fields 3 (state) onwards: field 22 is the 20th of them
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const startTime = fields[19];
  return startTime !== undefined && /^\d+$/.test(startTime) ? startTime : null;
}

/** The bytes of one `%08X`-printed u32 of /proc/net/tcp in memory order (the kernel prints host order). */
function wordBytes(hex: string, littleEndian: boolean): number[] {
  const bytes = [0, 2, 4, 6].map((at) => Number.parseInt(hex.slice(at, at + 2), 16));
  return littleEndian ? bytes.reverse() : bytes;
}

/** RFC 5952 text of 16 address bytes: lower case, no leading zeros, the longest zero run as `::`. */
export function formatIpv6(bytes: readonly number[]): string {
  const groups = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  let best = { at: -1, length: 0 };
  for (let at = 0; at < 8; at += 1) {
    let length = 0;
    while (at + length < 8 && groups[at + length] === 0) length += 1;
    if (length > best.length && length >= 2) best = { at, length };
  }
  const text = groups.map((g) => g.toString(16));
  if (best.at < 0) return text.join(':');
  const head = text.slice(0, best.at).join(':');
  const tail = text.slice(best.at + best.length).join(':');
  return `${head}::${tail}`;
}

/** `0100007F:1F40` → `127.0.0.1:8000`; the IPv6 form in brackets, as ss prints it. */
export function procSocketAddress(hex: string, littleEndian = endianness() === 'LE'): string {
  const [address = '', portHex = ''] = hex.split(':');
  const port = Number.parseInt(portHex, 16);
  const words = address.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => wordBytes(word, littleEndian));
  if (bytes.length === 4) return `${bytes.join('.')}:${port}`;
  return `[${formatIpv6(bytes)}]:${port}`;
}

const LISTEN_STATE = '0A';

/**
 * The listening sockets on `port` in /proc/net/tcp or tcp6. On a listener the kernel prints the
 * accept queue as rx_queue (net/ipv4/tcp_ipv4.c, get_tcp4_sock: sk_ack_backlog); the backlog
 * itself is not there.
 */
export function parseProcNetTcp(text: string, port: number, littleEndian = endianness() === 'LE') {
  const listeners: ProcListener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [, local, , state, queues] = fields;
    if (!local || state !== LISTEN_STATE || !queues) continue;
    if (Number.parseInt(local.split(':')[1] ?? '', 16) !== port) continue;
    const localText = procSocketAddress(local, littleEndian);
    const v6 = localText.startsWith('[');
    listeners.push({
      local: localText,
      peer: v6 ? '[::]:*' : '0.0.0.0:*',
      acceptQueue: Number.parseInt(queues.split(':')[1] ?? '', 16),
    });
  }
  return listeners;
}

/** The thread count two ways: entries of /proc/PID/task (what `ps -T` lists) and `Threads:` of status. */
export async function readThreadCounts(pid: number, root = '/proc') {
  const paths = procPaths(pid, root);
  const [task, status] = await Promise.all([
    attempt(async () => (await readdir(paths.task)).length),
    attempt(async () => parseStatusThreads(await readFile(paths.status, 'utf8'))),
  ]);
  return { task, status };
}

/** Open descriptors: the entries of /proc/PID/fd (`ls /proc/PID/fd | wc -l`). */
export function countFds(pid: number, root = '/proc'): Promise<Read<number>> {
  return attempt(async () => (await readdir(procPaths(pid, root).fd)).length);
}

export function readText(path: string): Promise<Read<string>> {
  return attempt(() => readFile(path, 'utf8'));
}

/** Field 3 of /proc/PID/stat: `Z` (zombie) and `X` (dead) mean the process has exited. */
export function parseStatState(stat: string): string | null {
  return /\)\s+([A-Za-z])\s/.exec(stat)?.[1] ?? null;
}

/**
 * Who a PID is: its start time, whether it has exited (a zombie not yet reaped counts as exited)
 * and its command name; `stat` is the read itself, to tell a missing process from a denied one.
 */
export async function readIdentity(pid: number, root = '/proc') {
  const paths = procPaths(pid, root);
  const [stat, comm] = await Promise.all([readText(paths.stat), readText(paths.comm)]);
  const state = stat.ok ? parseStatState(stat.value) : null;
  return {
    stat,
    startTime: stat.ok ? parseStatStartTime(stat.value) : null,
    exited: !stat.ok || state === 'Z' || state === 'X',
    comm: comm.ok ? comm.value.trim() : null,
  };
}

/**
 * Whether the process is in another network namespace than the sampler: null when that cannot
 * be told (readlink of another user's ns/net needs ptrace access).
 */
export async function inOtherNetns(pid: number, root = '/proc'): Promise<boolean | null> {
  const [theirs, ours] = await Promise.all([
    attempt(() => readlink(procPaths(pid, root).netns)),
    attempt(() => readlink(join(root, 'self', 'ns', 'net'))),
  ]);
  return theirs.ok && ours.ok ? theirs.value !== ours.value : null;
}

// procps sysctl -a leaves these out unless --deprecated is given.
const DEPRECATED = new Set(['base_reachable_time', 'retrans_time']);
// NOTE: a read of vm/stat_refresh makes the kernel fold the per-CPU vm counters on every CPU
// (mm/vmstat.c, vmstat_refresh): a side effect, so it is never opened (sysctl -a leaves it out too).
const SIDE_EFFECTS = new Set(['vm/stat_refresh']);

/**
 * `sysctl -a` from /proc/sys in Node: `key = value` lines in name order. Files that cannot be
 * read (write-only ones such as vm.drop_caches, or values that need a capability) are skipped
 * and counted, as sysctl skips them. Stops at `deadlineMs` (epoch) with what it has.
 */
export async function readSysctlTree(root = '/proc/sys', deadlineMs = Number.POSITIVE_INFINITY) {
  const lines: string[] = [];
  let unreadable = 0;
  let complete = true;
  const walk = async (relative: string): Promise<void> => {
    if (Date.now() > deadlineMs) {
      complete = false;
      return;
    }
    const entries = await attempt(() => readdir(join(root, relative), { withFileTypes: true }));
    if (!entries.ok) {
      unreadable += 1;
      return;
    }
    const sorted = entries.value.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const skip = (name: string): boolean =>
      DEPRECATED.has(name) || SIDE_EFFECTS.has(relative ? `${relative}/${name}` : name);
    const files = sorted.filter((entry) => !entry.isDirectory() && !skip(entry.name));
    const values = await Promise.all(files.map((entry) => readText(join(root, relative, entry.name))));
    const byName = new Map(files.map((entry, index) => [entry.name, values[index]]));
    for (const entry of sorted) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        await walk(path);
        continue;
      }
      const value = byName.get(entry.name);
      if (!value) continue;
      if (value.ok) lines.push(...sysctlLines(sysctlKey(path), value.value));
      else unreadable += 1;
    }
  };
  await walk('');
  return { text: lines.length ? `${lines.join('\n')}\n` : '', keys: lines.length, unreadable, complete };
}

// Derived on-host facts: one pass over a HostSamples bundle into the series and counters the
// classifier and the rules read. Pure; no thresholds here (those live with the rules and scorers).

import { longestSegment } from '../../ingest/count-log.ts';
import type {
  CountLog,
  DerivedField,
  DiskSeries,
  HostSamples,
  KernelCounters,
  ProcLimits,
  PromSeries,
} from '../../ingest/types.ts';
import { max, min } from '../stats.ts';
import { type AcceptQueue, acceptQueue, type WorkerFacts, workerFacts } from './workers.ts';

export interface CpuFacts {
  cpuCount: number | null;
  timesMs: number[];
  intervalSec: number[];
  /** 100 - idle - iowait: time the CPUs ran something (iowait is idle time with I/O pending). */
  busyPct: number[];
  userPct: number[];
  systemPct: number[];
  iowaitPct: number[];
  stealPct: number[];
  runqSz: number[];
  blocked: number[];
  load1: number[];
  cswchPerSec: number[];
  psiCpuSome: number[];
  memUsedPct: number[];
}

export interface DiskFacts {
  device: string;
  source: 'sysstat' | 'iostat';
  series: DiskSeries;
}

export interface ListenFacts {
  /** TcpExt counters: end minus start over the capture; undefined without both files. */
  overflowsDelta?: number;
  dropsDelta?: number;
  synDropsDelta?: number; // TCPReqQFullDrop: a full SYN queue, a different problem
  listeners: { address: string; timesMs: number[]; recvQ: number[]; sendQ: number[] }[];
  somaxconn: number | null;
  tcpMaxSynBacklog: number | null;
  syncookies: number | null;
}

export interface OnHostFacts {
  dir: string;
  samples: HostSamples;
  window: { fromMs: number; toMs: number } | null;
  cpu: CpuFacts | null;
  disks: DiskFacts[];
  threads: CountLog | null;
  fds: CountLog | null;
  limits: ProcLimits | null;
  fdSoftLimit: number | null;
  nprocSoftLimit: number | null;
  stackSoftLimitBytes: number | null;
  threadsMax: number | null;
  pidMax: number | null;
  fileMax: number | null;
  listen: ListenFacts;
  counters: { start: KernelCounters | null; end: KernelCounters | null };
  /** The worker processes (process-tree.jsonl); null without the file. */
  workers: WorkerFacts | null;
  /** The listener's accept queue, one queue however many workers share it. */
  acceptQueue: AcceptQueue | null;
  /** The most fds one process of the tree held (RLIMIT_NOFILE is per process); null without a tree. */
  treeFdPeak: { count: number; pid: number } | null;
}

export function deriveOnHost(samples: HostSamples): OnHostFacts {
  const limits = samples.limitsEnd ?? samples.limitsStart ?? null;
  return {
    dir: samples.dir,
    samples,
    window: windowOf(samples),
    cpu: cpuFacts(samples),
    disks: diskFacts(samples),
    threads: treeCount(samples, 'threads') ?? (samples.threads ? longestSegment(samples.threads) : null),
    fds: treeCount(samples, 'fds') ?? (samples.fds ? longestSegment(samples.fds) : null),
    limits,
    fdSoftLimit: limits?.['Max open files']?.soft ?? null,
    nprocSoftLimit: limits?.['Max processes']?.soft ?? null,
    stackSoftLimitBytes: limits?.['Max stack size']?.soft ?? null,
    threadsMax: sysctlNumber(samples, 'kernel.threads-max'),
    pidMax: sysctlNumber(samples, 'kernel.pid_max'),
    fileMax: sysctlNumber(samples, 'fs.file-max'),
    listen: listenFacts(samples),
    counters: { start: samples.netstatStart ?? null, end: samples.netstatEnd ?? null },
    workers: workerFacts(samples.processTree),
    acceptQueue: acceptQueue(samples),
    treeFdPeak: treeFdPeak(samples),
  };
}

/**
 * Threads or fds summed over the process tree each second, as a count log of the root PID: a
 * pre-fork server's threads and held connections are in its workers, not its master. Null for a
 * tree of one process (threads.log and fds.log say the same) or without the file.
 */
function treeCount(samples: HostSamples, field: 'threads' | 'fds'): CountLog | null {
  const tree = samples.processTree;
  if (!tree || tree.rootPid === null || tree.processes.length < 2) return null;
  const { timesMs } = tree.totals;
  return {
    pids: [tree.rootPid],
    segments: [{ pid: tree.rootPid, start: 0, end: timesMs.length }],
    timesMs,
    values: tree.totals[field],
  };
}

function treeFdPeak(samples: HostSamples): { count: number; pid: number } | null {
  let best: { count: number; pid: number } | null = null;
  for (const p of samples.processTree?.processes ?? []) {
    const peak = max(p.fds.filter(Number.isFinite));
    if (peak !== undefined && (best === null || peak > best.count)) best = { count: peak, pid: p.pid };
  }
  return best;
}

export function sysctlNumber(samples: HostSamples, key: string): number | null {
  const raw = samples.sysctl?.[key];
  if (raw === undefined) return null;
  const value = Number(raw.trim().split(/\s+/)[0]);
  return Number.isFinite(value) ? value : null;
}

function cpuFacts(samples: HostSamples): CpuFacts | null {
  const s = samples.sysstat;
  if (!s || s.timesMs.length === 0) return null;
  const busyPct = s.cpu.idle.map((idle, i) => clampPct(100 - idle - (s.cpu.iowait[i] ?? 0)));
  return {
    cpuCount: s.cpuCount ?? samples.hostCpuCount ?? null,
    timesMs: s.timesMs,
    intervalSec: s.intervalSec,
    busyPct,
    userPct: s.cpu.usr.map((u, i) => u + (s.cpu.nice[i] ?? 0)),
    systemPct: s.cpu.sys.map((v, i) => v + (s.cpu.irq[i] ?? 0) + (s.cpu.soft[i] ?? 0)),
    iowaitPct: s.cpu.iowait,
    stealPct: s.cpu.steal,
    runqSz: s.runqSz,
    blocked: s.blocked,
    load1: s.ldavg1,
    cswchPerSec: s.cswchPerSec,
    psiCpuSome: s.psi.cpuSome,
    memUsedPct: s.memUsedPct,
  };
}

function clampPct(value: number): number {
  return Number.isFinite(value) ? Math.min(100, Math.max(0, value)) : Number.NaN;
}

/** Every block device, busiest first by peak %util; iostat where sysstat has no disk activity. */
function diskFacts(samples: HostSamples): DiskFacts[] {
  const fromSysstat = Object.entries(samples.sysstat?.disks ?? {}).map(([device, series]) => ({
    device,
    source: 'sysstat' as const,
    series,
  }));
  const seen = new Set(fromSysstat.map((d) => d.device));
  const fromIostat = Object.entries(samples.iostat ?? {})
    .filter(([device]) => !seen.has(device))
    .map(([device, series]) => ({ device, source: 'iostat' as const, series }));
  return [...fromSysstat, ...fromIostat]
    .filter((d) => !/^(loop|ram|sr|fd)\d/.test(d.device))
    .sort((a, b) => (max(b.series.utilPct) ?? 0) - (max(a.series.utilPct) ?? 0));
}

function listenFacts(samples: HostSamples): ListenFacts {
  return {
    overflowsDelta: counterDelta(samples, 'TcpExt.ListenOverflows'),
    dropsDelta: counterDelta(samples, 'TcpExt.ListenDrops'),
    synDropsDelta: counterDelta(samples, 'TcpExt.TCPReqQFullDrop'),
    listeners: Object.entries(samples.listenQueue?.listeners ?? {}).map(([address, l]) => ({
      address,
      ...l,
    })),
    somaxconn: sysctlNumber(samples, 'net.core.somaxconn'),
    tcpMaxSynBacklog: sysctlNumber(samples, 'net.ipv4.tcp_max_syn_backlog'),
    syncookies: sysctlNumber(samples, 'net.ipv4.tcp_syncookies'),
  };
}

/**
 * The capture's window: the span of the sampled files. An app log may reach back to the app's
 * start, hours before the capture, and a file on another clock is not the capture's; either is
 * used only when nothing else has times.
 */
function windowOf(samples: HostSamples): { fromMs: number; toMs: number } | null {
  const skewed = new Set(samples.skewedFiles ?? []);
  const sampled = samples.inputs.filter((input) => input.kind !== 'app-log' && !skewed.has(input.file));
  return spanOf(sampled) ?? spanOf(samples.inputs);
}

function spanOf(inputs: HostSamples['inputs']): { fromMs: number; toMs: number } | null {
  const times = inputs
    .flatMap((input) => [input.from, input.to])
    .filter((t): t is string => t !== null)
    .map(Date.parse);
  const finiteTimes = times.filter(Number.isFinite);
  if (finiteTimes.length === 0) return null;
  return { fromMs: min(finiteTimes)!, toMs: max(finiteTimes)! };
}

/**
 * Values of a saved Prometheus query, found by the metric named in its PromQL (from index.json)
 * or, failing that, in its file name: captures name their files differently.
 */
export function promValues(prom: HostSamples['prometheus'], metric: string): number[] {
  const entries = Object.entries(prom ?? {}).filter(
    ([stem, q]) => (q.query ?? '').includes(metric) || stem.includes(metric),
  );
  return entries.flatMap(([, q]) => q.series.flatMap((s) => s.values.filter(Number.isFinite)));
}

/** The series of a saved Prometheus query found as in promValues. */
export function promSeries(prom: HostSamples['prometheus'], metric: string): PromSeries[] {
  return Object.entries(prom ?? {})
    .filter(([stem, q]) => (q.query ?? '').includes(metric) || stem.includes(metric))
    .flatMap(([, q]) => q.series);
}

/**
 * Where a field's data came from, for evidence: the file's own name, or the Prometheus queries it
 * was derived from when no file gave it.
 */
export function sourceOf(samples: HostSamples, field: DerivedField, file: string): string {
  const derived = samples.derived?.find((d) => d.field === field);
  return derived ? `Prometheus: ${derived.queries.join(', ')}` : file;
}

/** A kernel counter's change over the capture (end minus start); undefined without both files. */
export function counterDelta(samples: HostSamples, key: string): number | undefined {
  const a = samples.netstatStart?.[key];
  const b = samples.netstatEnd?.[key];
  return a !== undefined && b !== undefined ? b - a : undefined;
}

/**
 * How long a loop was held, from its ticker: each tick wakes late by the time the loop was busy
 * elsewhere, so the lags at or above the threshold add up to the time it was blocked.
 */
export function heldTime(
  lag: { timesMs: number[]; lagSec: number[] },
  thresholdSec: number,
): { ticks: number; heldSec: number; spanSec: number } {
  const held = lag.lagSec.filter((v) => v >= thresholdSec);
  return {
    ticks: held.length,
    heldSec: held.reduce((sum, v) => sum + v, 0),
    spanSec: ((lag.timesMs.at(-1) ?? 0) - (lag.timesMs[0] ?? 0)) / 1000,
  };
}

export interface ThreadLimit {
  name: string;
  value: number;
  source: string;
  /** What to change to raise it. */
  knob: string;
}

/**
 * Every known ceiling on the process's threads, lowest first: RLIMIT_NPROC (counted per user),
 * the address-space limit over the stack size (each thread reserves RLIMIT_STACK of address space:
 * glibc's default stack), kernel.threads-max and kernel.pid_max. A cgroup pids.max is not in the
 * files; the log's `can't start new thread` speaks for it.
 */
export function threadLimits(f: OnHostFacts): ThreadLimit[] {
  const limits: ThreadLimit[] = [];
  if (f.nprocSoftLimit !== null) {
    limits.push({
      name: 'RLIMIT_NPROC (Max processes)',
      value: f.nprocSoftLimit,
      source: '/proc/PID/limits (counts every thread of the user)',
      knob: 'LimitNPROC= in the unit, or ulimit -u',
    });
  }
  const addressSpace = f.limits?.['Max address space']?.soft ?? null;
  if (addressSpace !== null && f.stackSoftLimitBytes) {
    limits.push({
      name: 'address space ÷ stack size',
      value: Math.floor(addressSpace / f.stackSoftLimitBytes),
      source: `Max address space ${addressSpace} B ÷ Max stack size ${f.stackSoftLimitBytes} B (/proc/PID/limits)`,
      knob: 'LimitAS= / ulimit -v, or a smaller thread stack (threading.stack_size)',
    });
  }
  if (f.threadsMax !== null) {
    limits.push({
      name: 'kernel.threads-max',
      value: f.threadsMax,
      source: 'sysctl -a',
      knob: 'sysctl kernel.threads-max',
    });
  }
  if (f.pidMax !== null) {
    limits.push({
      name: 'kernel.pid_max',
      value: f.pidMax,
      source: 'sysctl -a',
      knob: 'sysctl kernel.pid_max',
    });
  }
  return limits.sort((a, b) => a.value - b.value);
}

// The worker processes of a server, from process-tree.jsonl: which processes serve requests (the
// master's children in a pre-fork server such as gunicorn or `uvicorn --workers N`, the process
// itself when it has none), how many of them were busy each second, and the accept queue they
// share, judged once for all of them. Pure; the classifier and the advice weigh these facts.
import type { ProcessTree, TreeProcess } from '../../ingest/process-tree.ts';
import type { HostSamples } from '../../ingest/types.ts';
import { percentile, round } from '../stats.ts';

const median = (values: readonly number[]) => percentile(values, 50);

export type Layout = 'pre-fork' | 'single-process';

export interface WorkerStats {
  pid: number;
  comm: string;
  /** Share of its samples in which it was busy. */
  busyShare: number;
  /** Median CPU while busy: near 0 is a worker blocked waiting, near 100 one computing. */
  busyCpuPct: number | null;
  threadsMedian: number | null;
  /** The syscall it was most often in while busy (`recvfrom`, `poll`, `clock_nanosleep`, ...). */
  busyIn: string | null;
}

export interface WorkerFacts {
  layout: Layout;
  rootPid: number;
  workers: WorkerStats[];
  /** One slot per sample of the tree. */
  timesMs: number[];
  live: number[];
  busy: number[];
  /** Workers that appeared after the first sample (restarts: gunicorn's `Booting worker`). */
  restarted: number;
  exited: number;
}

/** One shared accept queue: the listener's Recv-Q each second (the deepest listener when there are several). */
export interface AcceptQueue {
  address: string;
  timesMs: number[];
  depth: number[];
  backlog: number[];
}

/** The worker processes: the root's children, or the root alone when it has none. */
function workerProcesses(tree: ProcessTree): TreeProcess[] {
  const children = tree.processes.filter((p) => p.ppid === tree.rootPid && p.pid !== tree.rootPid);
  return children.length > 0 ? children : tree.processes.filter((p) => p.pid === tree.rootPid);
}

function statsOf(p: TreeProcess): WorkerStats {
  const busyAt = p.busy.map((b, i) => (b ? i : -1)).filter((i) => i >= 0);
  const busyCpu = busyAt.map((i) => p.cpuPct[i] ?? Number.NaN).filter(Number.isFinite);
  const calls = new Map<string, number>();
  for (const i of busyAt) {
    const call = p.syscall[i] ?? 'unknown';
    calls.set(call, (calls.get(call) ?? 0) + 1);
  }
  const busyIn = [...calls.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  return {
    pid: p.pid,
    comm: p.comm,
    busyShare: p.busy.length === 0 ? 0 : round(busyAt.length / p.busy.length, 3),
    busyCpuPct: busyCpu.length > 0 ? round(median(busyCpu) ?? 0, 1) : null,
    threadsMedian: p.threads.length > 0 ? (median(p.threads) ?? null) : null,
    busyIn,
  };
}

export function workerFacts(tree: ProcessTree | undefined): WorkerFacts | null {
  if (!tree || tree.rootPid === null || tree.totals.timesMs.length === 0) return null;
  const all = workerProcesses(tree);
  if (all.length === 0) return null;
  // A helper child that never serves (multiprocessing's resource tracker under uvicorn) would
  // keep "every worker busy" from ever holding: the pool is the children seen busy at least once.
  const serving = all.filter((w) => w.busy.some(Boolean));
  const workers = serving.length > 0 ? serving : all;
  const pids = new Set(workers.map((w) => w.pid));
  const live: number[] = [];
  const busy: number[] = [];
  const bySecond = new Map<number, { live: number; busy: number }>();
  for (const w of workers) {
    w.timesMs.forEach((t, i) => {
      const slot = bySecond.get(t) ?? { live: 0, busy: 0 };
      slot.live += 1;
      if (w.busy[i]) slot.busy += 1;
      bySecond.set(t, slot);
    });
  }
  for (const t of tree.totals.timesMs) {
    live.push(bySecond.get(t)?.live ?? 0);
    busy.push(bySecond.get(t)?.busy ?? 0);
  }
  const firstMs = tree.totals.timesMs[0] ?? 0;
  return {
    layout: all.length === 1 && all[0]!.pid === tree.rootPid ? 'single-process' : 'pre-fork',
    rootPid: tree.rootPid,
    workers: workers.map(statsOf),
    timesMs: tree.totals.timesMs,
    live,
    busy,
    restarted: workers.filter((w) => w.firstMs > firstMs).length,
    exited: tree.processes.filter((p) => pids.has(p.pid) && p.exitedMs !== null).length,
  };
}

/**
 * The accept queue of the server's listener, judged once: the workers of a pre-fork server share
 * one listening socket, so its Recv-Q is one queue whatever the number of workers. With several
 * listeners (IPv4 and IPv6, or another port) the deepest one speaks.
 */
export function acceptQueue(samples: HostSamples): AcceptQueue | null {
  const listeners = Object.entries(samples.listenQueue?.listeners ?? {});
  if (listeners.length === 0) return null;
  const deepest = listeners
    .map(([address, l]) => ({ address, l, total: l.recvQ.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.total - a.total)[0]!;
  return {
    address: deepest.address,
    timesMs: deepest.l.timesMs,
    depth: deepest.l.recvQ,
    backlog: deepest.l.sendQ,
  };
}

/** Seconds in which every live worker was busy (with at least `minWorkers` of them). */
export function allBusySeconds(w: WorkerFacts, minWorkers = 1): boolean[] {
  return w.live.map((live, i) => live >= minWorkers && (w.busy[i] ?? 0) >= live);
}

/** Rates on the port from the tree's `port` lines: arrivals and accepts per second over a span. */
export function portRates(
  tree: ProcessTree | undefined,
  within: (timeMs: number) => boolean,
): { arrivedPerSec: number; acceptedPerSec: number; seconds: number } | null {
  const port = tree?.port;
  if (!port || port.timesMs.length < 2) return null;
  let arrived = 0;
  let accepted = 0;
  let seconds = 0;
  for (let i = 1; i < port.timesMs.length; i += 1) {
    const t = port.timesMs[i]!;
    if (!within(t)) continue;
    const dt = (t - port.timesMs[i - 1]!) / 1000;
    if (dt <= 0) continue;
    arrived += port.arrived[i] ?? 0;
    accepted += port.acceptedNew[i] ?? 0;
    seconds += dt;
  }
  return seconds > 0
    ? { arrivedPerSec: arrived / seconds, acceptedPerSec: accepted / seconds, seconds }
    : null;
}

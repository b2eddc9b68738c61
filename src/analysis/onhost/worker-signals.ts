// The signals the worker processes give (process-tree.jsonl): a pre-fork pool whose every worker
// is busy while connections wait in the shared accept queue (starvation of the worker pool), and
// one worker among idle ones held for long stretches without using the CPU (a blocked event loop
// in a `uvicorn --workers N` layout). A single-process app gives none of these: its pool, if any,
// is threads, and the thread signals speak for it.
import { longestRunSec, round, secondsWhere } from '../stats.ts';
import type { Signal } from './classify.ts';
import type { OnHostFacts } from './signals.ts';
import { allBusySeconds, type WorkerFacts, type WorkerStats } from './workers.ts';

function strength(value: number, full: number): number {
  return Math.min(1, Math.max(0, value / full));
}

function perWorker(workers: readonly WorkerStats[], limit = 4): string {
  const shown = workers.slice(0, limit).map((x) => {
    const cpu = x.busyCpuPct === null ? '' : `, ${x.busyCpuPct} % CPU`;
    return `PID ${x.pid} ${round(x.busyShare * 100)} %${x.busyIn ? ` (${x.busyIn}${cpu})` : ''}`;
  });
  const more = workers.length > limit ? `, +${workers.length - limit} more` : '';
  return `${shown.join(', ')}${more}`;
}

function preFork(f: OnHostFacts): WorkerFacts | null {
  const w = f.workers;
  return w && w.layout === 'pre-fork' && w.workers.length >= 2 ? w : null;
}

/** Seconds (by their whole-second stamp) in which every worker process was busy. */
function fullSeconds(w: WorkerFacts): Set<number> {
  const full = allBusySeconds(w, 2);
  return new Set(w.timesMs.filter((_, i) => full[i]).map((t) => Math.round(t / 1000)));
}

/** Whether the pool of worker processes was full: every one busy for a sustained run. */
export function workerPoolFull(f: OnHostFacts, sustained: number): boolean {
  const w = preFork(f);
  if (!w) return false;
  const intervals = w.timesMs.map((t, i) => (i === 0 ? 1 : (t - w.timesMs[i - 1]!) / 1000));
  return longestRunSec(allBusySeconds(w, 2).map(Number), intervals, (v) => v === 1) >= sustained / 2;
}

/**
 * Starvation of a pool of worker processes, in the order the evidence is read: the workers'
 * busy share, then the accept queue while they were all busy; gunicorn's own lines where present.
 * (Clients giving up and idle CPU follow in the thread-pool scorer, shared with thread pools.)
 */
export function workerPoolSignals(f: OnHostFacts, sustained: number): Signal[] {
  const w = preFork(f);
  if (!w) return [];
  const intervals = w.timesMs.map((t, i) => (i === 0 ? 1 : (t - w.timesMs[i - 1]!) / 1000));
  const allBusy = allBusySeconds(w, 2).map(Number);
  const run = longestRunSec(allBusy, intervals, (v) => v === 1);
  const signals: Signal[] = [
    {
      kind: 'worker-processes',
      signal: `every worker process busy (on CPU or blocked in I/O), longest run; ${w.workers.length} workers`,
      weight: 0.3 * strength(run, sustained),
      observed: `${round(run)} s; busy share ${perWorker(w.workers)}`,
    },
  ];
  const queue = f.acceptQueue;
  if (queue && run > 0) {
    const full = fullSeconds(w);
    const waiting = queue.depth.map((d, i) => {
      const second = Math.round((queue.timesMs[i] ?? 0) / 1000);
      return full.has(second) && d >= 1 && d < (queue.backlog[i] ?? Number.POSITIVE_INFINITY) ? 1 : 0;
    });
    const queueIntervals = queue.timesMs.map((t, i) => (i === 0 ? 1 : (t - queue.timesMs[i - 1]!) / 1000));
    const waitedSec = secondsWhere(waiting, queueIntervals, (v) => v === 1);
    const depthsWhileFull = queue.depth.filter((_, i) => waiting[i] === 1).sort((a, b) => a - b);
    const medianDepth = depthsWhileFull[Math.floor(depthsWhileFull.length / 2)] ?? 0;
    signals.push({
      kind: 'accept-queue',
      signal: `connections wait in the shared accept queue (${queue.address}, below its backlog) while every worker is busy`,
      weight: 0.25 * strength(waitedSec, sustained),
      observed: `${round(waitedSec)} s; depth median ${medianDepth}, max ${Math.max(0, ...queue.depth)} of backlog ${Math.max(0, ...queue.backlog)}`,
    });
  }
  const timeouts = f.samples.appLog?.eventCounts['worker-timeout'] ?? 0;
  if (timeouts > 0 || w.restarted > 0) {
    signals.push({
      kind: 'app-log',
      signal: 'gunicorn WORKER TIMEOUT / workers booted mid-capture (the arbiter killed busy workers)',
      weight: run > 0 ? 0.1 : 0,
      observed: `${timeouts} WORKER TIMEOUT, ${w.restarted} workers started after the first sample`,
    });
  }
  return signals;
}

/**
 * One event loop blocked among several worker processes: one worker busy for long stretches with
 * little CPU (blocked in a call, not computing) while the others idle. A pool with every worker
 * busy is not this (that is the pool's starvation).
 */
export function blockedWorkerSignal(f: OnHostFacts, sustained: number): Signal[] {
  const w = preFork(f);
  if (!w || workerPoolFull(f, sustained)) return [];
  const sorted = [...w.workers].sort((a, b) => b.busyShare - a.busyShare);
  const [worst, ...rest] = sorted;
  if (!worst) return [];
  // the others may be caught mid-request now and then; the held one is busy at least twice as often
  const blocked =
    worst.busyShare >= 0.3 &&
    (worst.busyCpuPct === null || worst.busyCpuPct < 50) &&
    rest.every((x) => x.busyShare <= worst.busyShare / 2);
  return [
    {
      kind: 'worker-processes',
      signal:
        'one worker process held (busy, little CPU) while the other workers are mostly idle: its loop is blocked',
      weight: blocked ? 0.4 : 0,
      observed: `busy share ${perWorker(sorted)}`,
    },
  ];
}

/**
 * The app's own CPU, from the tree: how much of one CPU its processes used (p95 of the per-second
 * sum) and whether its busy workers were blocked (asleep in a call) rather than runnable. When
 * they were, a busy host CPU is other work, not what holds this app back.
 */
export function appCpu(f: OnHostFacts): { p95Pct: number; busyBlocked: boolean } | null {
  const tree = f.samples.processTree;
  const w = f.workers;
  if (!tree || !w || tree.totals.cpuPct.length < 10) return null;
  const sorted = [...tree.totals.cpuPct].sort((a, b) => a - b);
  const p95Pct = sorted[Math.floor(sorted.length * 0.95)] ?? 0;
  const busy = w.workers.filter((x) => x.busyShare >= 0.3);
  const busyBlocked = busy.length > 0 && busy.every((x) => x.busyCpuPct !== null && x.busyCpuPct < 20);
  return { p95Pct, busyBlocked };
}

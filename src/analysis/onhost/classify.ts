// Names what limits a host from its on-host samples: each class is scored from several
// independent signals (never one string match), each signal's vote is recorded with what was
// observed, contrary signals subtract, and confidence falls when classes compete or inputs are
// missing. Thresholds cite their source (../shared/knowledge/thresholds.json).
import type { DiagnosisClass } from '../../../reports/json/schema.ts';
import type { AppLogEventKind } from '../../ingest/types.ts';
import {
  fractionWhere,
  longestRunSec,
  max,
  percentile,
  rollingMedian,
  round,
  secondsWhere,
  slopePerSec,
} from '../stats.ts';
import type { OnHostFacts } from './signals.ts';

export interface Signal {
  signal: string;
  weight: number;
  observed: string;
}

export interface ClassScore {
  class: DiagnosisClass;
  score: number;
  signals: Signal[];
}

export interface Classification {
  primary: DiagnosisClass;
  confidence: number;
  scores: ClassScore[];
}

/** A class is named only when its evidence adds up to at least this; below it the host is healthy. */
export const PRIMARY_THRESHOLD = 0.5;
/** Short captures: 30 s of a condition is "sustained" (the public captures are 126-152 s). */
const SUSTAINED_SEC = 30;

type Scorer = (f: OnHostFacts) => Signal[];

const scorers: Record<Exclude<DiagnosisClass, 'healthy'>, Scorer> = {
  'cpu-saturated': scoreCpu,
  'disk-saturated': scoreDisk,
  'listen-queue-overflow': scoreListenQueue,
  'threadpool-starvation': scoreThreadpool,
  'thread-exhaustion': scoreThreadExhaustion,
  'fd-exhaustion': scoreFd,
  'event-loop-blocked': scoreEventLoop,
  'gevent-loop-blocked': scoreGevent,
};

export function classify(f: OnHostFacts): Classification {
  const scores: ClassScore[] = Object.entries(scorers).map(([cls, scorer]) => {
    const signals = scorer(f).filter((s) => s.weight !== 0);
    const total = signals.reduce((sum, s) => sum + s.weight, 0);
    return { class: cls as DiagnosisClass, score: round(clamp01(total), 3), signals };
  });
  scores.sort((a, b) => b.score - a.score);
  const [top, second] = scores;
  const coverage = inputCoverage(f);
  if (!top || top.score < PRIMARY_THRESHOLD) {
    const worst = top?.score ?? 0;
    const healthy: ClassScore = {
      class: 'healthy',
      score: round(1 - worst, 3),
      signals: [
        {
          signal: 'no class reached the evidence threshold',
          weight: 1 - worst,
          observed: `highest: ${top?.class ?? 'none'} ${worst}`,
        },
      ],
    };
    return { primary: 'healthy', confidence: round((1 - worst) * coverage, 2), scores: [healthy, ...scores] };
  }
  // Two classes both well supported: the verdict is less certain than either score alone says.
  const competition = second && second.score >= PRIMARY_THRESHOLD ? second.score / 2 : 0;
  return { primary: top.class, confidence: round(clamp01(top.score * coverage - competition), 2), scores };
}

/** 1 with sysstat, thread/fd logs, kernel counters and the app log all present; less with each missing. */
function inputCoverage(f: OnHostFacts): number {
  if (f.samples.inputs.length === 0) return 0;
  const present = [
    f.cpu !== null,
    f.threads !== null || f.fds !== null,
    f.counters.end !== null,
    f.samples.appLog !== undefined,
  ];
  return 0.6 + 0.1 * present.filter(Boolean).length;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function strength(value: number, full: number): number {
  return clamp01(value / full);
}

// CPU: node-mixin NodeCPUHighUsage and pmie cpu.util both fire above 90 % busy; the USE method
// calls a run queue longer than the CPU count saturation. Busy excludes iowait (idle time).
function scoreCpu(f: OnHostFacts): Signal[] {
  const cpu = f.cpu;
  if (!cpu) return [];
  const ncpu = cpu.cpuCount ?? 1;
  const busyRun = longestRunSec(rollingMedian(cpu.busyPct), cpu.intervalSec, (v) => v >= 90);
  const queued = cpu.runqSz.map((q, i) => (q > ncpu && (cpu.busyPct[i] ?? 0) >= 80 ? 1 : 0));
  const queuedSec = secondsWhere(queued, cpu.intervalSec, (v) => v === 1);
  const psiSec = secondsWhere(cpu.psiCpuSome, cpu.intervalSec, (v) => v >= 10);
  const peakLoadPerCpu = (max(cpu.load1) ?? 0) / ncpu;
  return [
    {
      signal: 'CPU busy ≥ 90 % (excluding iowait), longest run',
      weight: 0.5 * strength(busyRun, SUSTAINED_SEC * 2),
      observed: `${busyRun} s`,
    },
    {
      signal: `run queue > ${ncpu} CPUs while busy`,
      weight: 0.25 * strength(queuedSec, SUSTAINED_SEC),
      observed: `${queuedSec} s`,
    },
    {
      signal: 'PSI cpu some avg10 ≥ 10 %',
      weight: 0.1 * strength(psiSec, SUSTAINED_SEC),
      observed: `${psiSec} s`,
    },
    {
      signal: 'peak 1-min load per CPU > 1',
      weight: peakLoadPerCpu > 1 ? 0.1 : 0,
      observed: round(peakLoadPerCpu, 2).toString(),
    },
  ];
}

// Disk: %util alone misleads on parallel devices (sar(1)), so the queue (aqu-sz > 1: Netflix;
// > 10: node-mixin NodeDiskIOSaturation) and await growth must agree. iowait is not required:
// Linux does not count libaio waits as iowait.
function scoreDisk(f: OnHostFacts): Signal[] {
  const disk = f.disks[0];
  if (!disk) return [];
  const s = disk.series;
  const interval = intervalsOf(s.timesMs);
  const util = rollingMedian(s.utilPct);
  const queue = rollingMedian(s.aquSz);
  const utilRun = longestRunSec(util, interval, (v) => v >= 90);
  const queueRun = longestRunSec(queue, interval, (v) => v >= 1);
  const deepQueue = secondsWhere(queue, interval, (v) => v >= 10);
  const busyAwait = percentile(
    s.awaitMs.filter((_, i) => (s.utilPct[i] ?? 0) >= 90),
    50,
  );
  const idleAwait = percentile(
    s.awaitMs.filter((v, i) => (s.utilPct[i] ?? 100) < 10 && v > 0),
    50,
  );
  const awaitGrowth =
    busyAwait !== undefined && idleAwait !== undefined && idleAwait > 0 ? busyAwait / idleAwait : undefined;
  const signals: Signal[] = [
    {
      signal: `${disk.device} %util ≥ 90 %, longest run`,
      weight: 0.35 * strength(utilRun, SUSTAINED_SEC),
      observed: `${utilRun} s`,
    },
    {
      signal: `${disk.device} queue (aqu-sz) ≥ 1, longest run`,
      weight: 0.25 * strength(queueRun, SUSTAINED_SEC),
      observed: `${queueRun} s`,
    },
    {
      signal: `${disk.device} queue ≥ 10`,
      weight: 0.1 * strength(deepQueue, SUSTAINED_SEC),
      observed: `${deepQueue} s`,
    },
    {
      signal: `${disk.device} await when busy vs idle`,
      weight: awaitGrowth !== undefined && awaitGrowth >= 2 ? 0.1 : 0,
      observed:
        awaitGrowth === undefined
          ? 'n/a'
          : `${round(busyAwait!, 2)} ms vs ${round(idleAwait!, 2)} ms (×${round(awaitGrowth, 1)})`,
    },
  ];
  if (f.cpu) {
    const blockedSec = secondsWhere(f.cpu.blocked, f.cpu.intervalSec, (v) => v >= 1);
    const iowaitSec = secondsWhere(f.cpu.iowaitPct, f.cpu.intervalSec, (v) => v >= 20);
    signals.push(
      {
        signal: 'tasks blocked on I/O (D state)',
        weight: 0.1 * strength(blockedSec, SUSTAINED_SEC),
        observed: `${blockedSec} s with ≥ 1`,
      },
      {
        signal: 'iowait ≥ 20 %',
        weight: 0.1 * strength(iowaitSec, SUSTAINED_SEC),
        observed: `${iowaitSec} s`,
      },
    );
  }
  return signals;
}

// Listen queue: pmie network.listenoverflows fires on any ListenOverflows > 0; `ss -ltn` shows a
// full accept queue as Recv-Q above Send-Q (the effective backlog).
function scoreListenQueue(f: OnHostFacts): Signal[] {
  const { listen } = f;
  const overflows = listen.overflowsDelta;
  const full = listen.listeners.map((l) => ({
    address: l.address,
    samples: l.recvQ.filter((q, i) => q >= (l.sendQ[i] ?? Infinity)).length,
    total: l.recvQ.length,
  }));
  const worst = full.sort((a, b) => b.samples - a.samples)[0];
  const signals: Signal[] = [
    {
      signal: 'TcpExt ListenOverflows over the capture',
      weight: overflows === undefined ? 0 : overflows > 0 ? 0.35 + 0.15 * strength(overflows, 100) : -0.1,
      observed: overflows === undefined ? 'no start/end counters' : String(overflows),
    },
  ];
  if (worst) {
    signals.push({
      signal: `accept queue at its backlog (${worst.address})`,
      weight: worst.samples >= 3 ? 0.3 * strength(worst.samples, 10) : 0,
      observed: `${worst.samples} of ${worst.total} samples`,
    });
  }
  if (f.cpu && (percentile(f.cpu.busyPct, 90) ?? 0) >= 90) {
    signals.push({
      signal: 'CPU saturated (a slow accept loop may be a CPU symptom)',
      weight: -0.2,
      observed: 'p90 busy ≥ 90 %',
    });
  }
  return signals;
}

/** Samples of a count log after the count first reached its maximum, and how many of them sit at it. */
function plateau(values: readonly number[]) {
  const peak = max(values) ?? 0;
  const firstAtPeak = values.indexOf(peak);
  const after = values.slice(firstAtPeak);
  const atPeak = after.filter((v) => v >= peak * 0.95).length;
  return {
    peak,
    firstAtPeak,
    after: after.length,
    flatShare: after.length === 0 ? 0 : atPeak / after.length,
  };
}

function lowestThreadLimit(f: OnHostFacts): number | null {
  const limits = [f.nprocSoftLimit, f.threadsMax, f.pidMax].filter((v): v is number => v !== null && v > 0);
  return limits.length === 0 ? null : Math.min(...limits);
}

// Pool starvation: a bounded pool (threads rise once, then stay flat well below any OS limit)
// while the work waiting for it keeps growing (connections held open, queue depth, in-flight
// requests), the CPU idles, and clients give up (resets, broken pipes, timeouts).
function scoreThreadpool(f: OnHostFacts): Signal[] {
  const signals: Signal[] = [];
  const threads = f.threads;
  const limit = lowestThreadLimit(f);
  let bounded = false;
  if (threads && threads.values.length >= 10) {
    const p = plateau(threads.values);
    bounded =
      p.peak >= 2 &&
      p.flatShare >= 0.9 &&
      p.after >= threads.values.length * 0.3 &&
      (limit === null || p.peak < limit * 0.5);
    signals.push({
      signal: 'threads flat at a plateau far below OS limits',
      weight: bounded ? 0.25 : 0,
      observed: `peak ${p.peak}, flat for ${round(p.flatShare * 100)} % of ${p.after} samples after it${limit ? `, lowest limit ${limit}` : ''}`,
    });
    const demand = demandSeries(f);
    if (demand && bounded) {
      const start = threads.timesMs[p.firstAtPeak] ?? 0;
      const during = demand.timesMs
        .map((t, i) => [t, demand.values[i]!] as const)
        .filter(([t]) => t >= start);
      const slope = slopePerSec(
        during.map(([t]) => t),
        during.map(([, v]) => v),
      );
      const grew = (max(during.map(([, v]) => v)) ?? 0) - (during[0]?.[1] ?? 0);
      const growing = slope !== undefined && slope > 0 && grew >= 2 * p.peak;
      signals.push({
        signal: `${demand.label} keeps growing while threads stay flat`,
        weight: growing ? 0.25 : 0,
        observed: `+${round(grew)} over the plateau (${slope === undefined ? 'n/a' : round(slope, 2)}/s) vs ${p.peak} threads`,
      });
    }
    if (p.flatShare < 0.6 && limit !== null && p.peak >= limit * 0.9) {
      signals.push({
        signal: 'threads climb to an OS limit (exhaustion, not a bounded pool)',
        weight: -0.3,
        observed: `peak ${p.peak} of ${limit}`,
      });
    }
  }
  const prom = f.samples.prometheus;
  const queue = promValues(prom, 'app_threadpool_queue_depth');
  let queued = false;
  if (queue.length > 0) {
    const peakQueue = max(queue) ?? 0;
    queued = peakQueue >= 10;
    signals.push({
      signal: 'thread-pool queue depth',
      weight: queued ? 0.2 : 0,
      observed: `peak ${peakQueue}`,
    });
  }
  // Workers busy, or failing that requests being served: pinned at the pool size means the pool is full.
  const workers = promValues(prom, 'app_threadpool_active_workers');
  const active = workers.length > 0 ? workers : promValues(prom, 'app_http_requests_in_flight');
  const maxWorkers = max(promValues(prom, 'app_threadpool_max_workers'));
  let pinned = false;
  if (active.length > 0) {
    const cap = maxWorkers && maxWorkers > 0 ? maxWorkers : (max(active) ?? 0);
    const share = fractionWhere(
      active.filter((v) => v > 0),
      (v) => v >= cap,
    );
    // A "pool" of one is a single-threaded server, not a pool.
    pinned = cap >= 2 && share >= 0.5;
    signals.push({
      signal: 'active workers pinned at the pool size',
      weight: pinned ? 0.1 : 0,
      observed: `${round(share * 100)} % of busy samples at ${cap}`,
    });
  }
  // Idle CPU and impatient clients support a pool verdict; alone they say nothing about a pool.
  if (!bounded && !queued && !pinned) return signals;
  const clientErrors = countEvents(f, ['connection-reset', 'timeout']);
  signals.push({
    signal: 'clients giving up (resets, broken pipes, timeouts in the app log)',
    weight: clientErrors >= 10 ? 0.15 : 0,
    observed: String(clientErrors),
  });
  if (f.cpu) {
    const p95 = percentile(f.cpu.busyPct, 95) ?? 0;
    signals.push({
      signal: 'CPU mostly idle (waiting, not working)',
      weight: p95 < 50 ? 0.1 : -0.3,
      observed: `p95 busy ${round(p95)} %`,
    });
  }
  return signals;
}

/**
 * What waits for the workers: connections the process holds (its open fds), else TCP sockets in use.
 * NOTE: an app's "requests in flight" usually counts requests being served, which a bounded pool
 * pins at its size; it says the pool is full, not how much waits behind it.
 */
function demandSeries(f: OnHostFacts): { label: string; timesMs: number[]; values: number[] } | null {
  if (f.fds && f.fds.values.length >= 10)
    return {
      label: 'open file descriptors (held connections)',
      timesMs: f.fds.timesMs,
      values: f.fds.values,
    };
  const sock = f.samples.sockstat;
  if (sock && sock.tcpInuse.length >= 10)
    return { label: 'TCP sockets in use', timesMs: sock.timesMs, values: sock.tcpInuse };
  return null;
}

// Thread exhaustion: `can't start new thread` (pthread_create EAGAIN), threads climbing to a limit
// (RLIMIT_NPROC, threads-max, pid_max; knowledge fact 8), context switches far above baseline
// (pmie cpu.context_switch: > 4000/s per CPU).
function scoreThreadExhaustion(f: OnHostFacts): Signal[] {
  const signals: Signal[] = [];
  const cantStart = countEvents(f, ['cant-start-thread']);
  signals.push({
    signal: "`can't start new thread` errors",
    weight: cantStart > 0 ? 0.5 : 0,
    observed: String(cantStart),
  });
  const threads = f.threads;
  if (threads && threads.values.length >= 10) {
    const limit = lowestThreadLimit(f);
    const peak = max(threads.values) ?? 0;
    const slope = slopePerSec(threads.timesMs, threads.values) ?? 0;
    const nearLimit = limit !== null && peak >= limit * 0.9;
    signals.push({
      signal: 'threads climbing to an OS limit',
      weight: nearLimit ? 0.3 : peak >= 1000 && slope > 1 ? 0.2 : 0,
      observed: `peak ${peak}${limit ? ` of ${limit}` : ''}, ${round(slope, 2)}/s`,
    });
  }
  if (f.cpu) {
    const ncpu = f.cpu.cpuCount ?? 1;
    const hot = secondsWhere(f.cpu.cswchPerSec, f.cpu.intervalSec, (v) => v > 4000 * ncpu);
    signals.push({
      signal: `context switches > 4000/s per CPU`,
      weight:
        cantStart > 0 || (threads && (max(threads.values) ?? 0) >= 500)
          ? 0.1 * strength(hot, SUSTAINED_SEC)
          : 0,
      observed: `${hot} s`,
    });
  }
  return signals;
}

// File descriptors: EMFILE is RLIMIT_NOFILE; pmie warns at 90 %, the node-mixin at 70/90 % of a limit.
function scoreFd(f: OnHostFacts): Signal[] {
  const signals: Signal[] = [];
  const emfile = countEvents(f, ['emfile', 'enfile']);
  signals.push({
    signal: 'EMFILE/ENFILE `Too many open files` errors',
    weight: emfile > 0 ? 0.5 : 0,
    observed: String(emfile),
  });
  const peak = f.fds ? max(f.fds.values) : undefined;
  if (peak !== undefined && f.fdSoftLimit) {
    const share = peak / f.fdSoftLimit;
    signals.push({
      signal: 'open fds against the soft limit',
      weight: share >= 0.9 ? 0.4 : share >= 0.7 ? 0.2 : 0,
      observed: `${peak} of ${f.fdSoftLimit} (${round(share * 100)} %)`,
    });
  }
  return signals;
}

// asyncio: "Executing <...> took N seconds" (debug mode, ≥ slow_callback_duration 0.1 s) and loop
// lag far above its baseline, on one thread, without a CPU shortage.
function scoreEventLoop(f: OnHostFacts): Signal[] {
  const slow = (f.samples.appLog?.events ?? []).filter((e) => e.kind === 'asyncio-slow-callback');
  const lag = promValues(f.samples.prometheus, 'app_event_loop_lag_max_1s_seconds');
  const lagP99 = percentile(lag, 99);
  const signals: Signal[] = [
    {
      signal: 'asyncio slow-callback warnings (≥ 0.1 s each)',
      weight: slow.length >= 3 ? 0.5 : slow.length > 0 ? 0.2 : 0,
      observed: `${slow.length}, longest ${round(max(slow.map((e) => e.seconds ?? 0)) ?? 0, 3)} s`,
    },
  ];
  if (lagP99 !== undefined) {
    signals.push({
      signal: 'event-loop lag p99 ≥ 100 ms',
      weight: lagP99 >= 0.1 ? 0.3 : 0,
      observed: `${round(lagP99 * 1000)} ms`,
    });
  }
  if (f.cpu && (percentile(f.cpu.busyPct, 90) ?? 0) >= 90)
    signals.push({
      signal: 'CPU saturated (lag may be a CPU symptom)',
      weight: -0.3,
      observed: 'p90 busy ≥ 90 %',
    });
  return signals;
}

// gevent: the monitor thread reports "Greenlet ... appears to be blocked" after max_blocking_time
// (0.1 s); gunicorn kills a worker that stops answering its arbiter ("WORKER TIMEOUT").
function scoreGevent(f: OnHostFacts): Signal[] {
  const blocked = countEvents(f, ['gevent-blocked']);
  const timeouts = countEvents(f, ['worker-timeout']);
  return [
    {
      signal: 'gevent monitor: greenlet appears to be blocked',
      weight: blocked >= 3 ? 0.6 : blocked > 0 ? 0.3 : 0,
      observed: String(blocked),
    },
    {
      signal: 'gunicorn WORKER TIMEOUT',
      weight: timeouts > 0 && blocked > 0 ? 0.2 : 0,
      observed: String(timeouts),
    },
  ];
}

function countEvents(f: OnHostFacts, kinds: readonly AppLogEventKind[]): number {
  return (f.samples.appLog?.events ?? []).filter((e) => kinds.includes(e.kind)).length;
}

function promValues(prom: OnHostFacts['samples']['prometheus'], name: string): number[] {
  return (prom?.[name]?.series ?? []).flatMap((s) => s.values.filter(Number.isFinite));
}

function intervalsOf(timesMs: readonly number[]): number[] {
  return timesMs.map((t, i) => {
    const next = timesMs[i + 1];
    const prev = timesMs[i - 1];
    const step = next !== undefined ? next - t : prev !== undefined ? t - prev : 1000;
    return Number.isFinite(step) && step > 0 ? step / 1000 : 1;
  });
}

// Names what limits a host from its on-host samples: each class is scored from several
// independent signals (never one string match), each signal's vote is recorded with what was
// observed, contrary signals subtract, and confidence falls when classes compete, inputs are
// missing or the capture is short. Thresholds cite their source (../shared/knowledge/thresholds.json).
import { sampleCorrelation } from 'simple-statistics';
import type { DiagnosisClass } from '../../../reports/json/schema.ts';
import { intervalsSec } from '../../ingest/time.ts';
import type { AppLogEventKind, DiskSeries } from '../../ingest/types.ts';
import {
  fractionWhere,
  longestRunSec,
  max,
  min,
  percentile,
  rollingMedian,
  round,
  secondsWhere,
  slopePerSec,
} from '../stats.ts';
import { counterDelta, heldTime, type OnHostFacts, promValues, sourceOf, threadLimits } from './signals.ts';
import { appCpu, blockedWorkerSignal, workerPoolFull, workerPoolSignals } from './worker-signals.ts';

/**
 * What a signal measures. Signals of one kind are one piece of evidence however many they are
 * (three readings of one lag ticker are still the ticker); `context` supports a verdict (the CPUs
 * have room) without being evidence of the class on its own.
 */
export type EvidenceKind =
  | 'cpu-utilisation'
  | 'cpu-saturation'
  | 'process-cpu'
  | 'disk-utilisation'
  | 'disk-queue'
  | 'disk-latency'
  | 'kernel-counters'
  | 'accept-queue'
  | 'thread-count'
  | 'fd-count'
  | 'connections'
  | 'tcp-states'
  | 'client-errors'
  | 'app-metrics'
  | 'app-log'
  | 'loop-lag'
  | 'worker-processes'
  | 'context';

export interface Signal {
  signal: string;
  weight: number;
  observed: string;
  /** Internal: dropped from the verdict's signals (the diagnose contract lists signal, weight, observed). */
  kind?: EvidenceKind;
}

export interface ClassScore {
  class: DiagnosisClass;
  score: number;
  signals: Signal[];
  /** The independent kinds of evidence that voted for the class. */
  kinds: EvidenceKind[];
}

export interface Classification {
  primary: DiagnosisClass;
  confidence: number;
  scores: ClassScore[];
  /** Why the confidence is below 1, one line each (empty when nothing held it back). */
  confidenceReasons: string[];
}

/** A class is named only when its evidence adds up to at least this; below it the host is healthy. */
export const PRIMARY_THRESHOLD = 0.5;

type Scorer = (f: OnHostFacts, sustained: number) => Signal[];

const scorers: Record<Exclude<DiagnosisClass, 'healthy' | 'insufficient-data'>, Scorer> = {
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
  const evidence = signalInputs(f);
  const sustained = sustainedSec(f);
  const scores: ClassScore[] = Object.entries(scorers).map(([cls, scorer]) => {
    const tagged = scorer(f, sustained).filter((s) => s.weight !== 0);
    const total = tagged.reduce((sum, s) => sum + s.weight, 0);
    const signals = tagged.map(({ kind: _kind, ...signal }) => signal);
    return { class: cls as DiagnosisClass, score: round(clamp01(total), 3), signals, kinds: kindsOf(tagged) };
  });
  scores.sort((a, b) => b.score - a.score);
  if (evidence.length === 0) return insufficient(f, scores);
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
          weight: round(1 - worst, 3),
          observed: `highest: ${top?.class ?? 'none'} ${worst}`,
        },
      ],
      kinds: [],
    };
    const reasons = [
      ...coverage.reasons,
      ...(worst > 0 ? [`${top!.class} scored ${worst} (below ${PRIMARY_THRESHOLD})`] : []),
    ];
    return {
      primary: 'healthy',
      confidence: round((1 - worst) * coverage.value, 2),
      scores: [healthy, ...scores],
      confidenceReasons: reasons,
    };
  }
  // Two classes both well supported: the verdict is less certain than either score alone says.
  const competition = second && second.score >= PRIMARY_THRESHOLD ? second.score / 2 : 0;
  const agreement = agreementOf(top, coverage.value, competition);
  const reasons = [
    ...(top.score < 1 ? [`${top.class} scored ${top.score} of 1`] : []),
    ...coverage.reasons,
    ...(competition > 0 ? [`${second!.class} also scored ${second!.score}: the two compete`] : []),
    agreement.reason,
  ];
  return {
    primary: top.class,
    confidence: round(agreement.confidence(clamp01(top.score * coverage.value - competition)), 2),
    scores,
    confidenceReasons: reasons,
  };
}

/** A class from one kind of evidence stays below this (times the input coverage). */
export const SINGLE_KIND_CAP = 0.65;

/** Signals that count as evidence: a real vote (≥ 0.05) of a kind other than context. */
function kindsOf(signals: readonly Signal[]): EvidenceKind[] {
  const kinds = signals
    .filter((s) => s.weight >= 0.05 && s.kind !== undefined && s.kind !== 'context')
    .map((s) => s.kind!);
  return [...new Set(kinds)];
}

// The input that would add a second kind of evidence to each class, in the order to suggest them.
const CONFIRMING: Partial<Record<DiagnosisClass, [EvidenceKind, string][]>> = {
  'event-loop-blocked': [
    ['app-log', 'asyncio debug mode (PYTHONASYNCIODEBUG=1: slow-callback warnings in the app log)'],
    ['loop-lag', "a loop-lag ticker (lag.csv) or the app's /metrics loop lag"],
    ['worker-processes', 'fleetlens sample on the master (which worker is blocked: process-tree.jsonl)'],
  ],
  'gevent-loop-blocked': [
    ['app-log', 'the gevent monitor thread (GEVENT_MONITOR_THREAD_ENABLE=1)'],
    ['loop-lag', 'a hub-lag ticker (lag.csv)'],
  ],
  'threadpool-starvation': [
    ['app-metrics', "the app's /metrics (pool queue depth and busy workers)"],
    ['worker-processes', 'fleetlens sample --pid on the master (which workers are busy)'],
    ['accept-queue', 'fleetlens sample --port (the accept queue)'],
    ['thread-count', 'thread counts (threads.log)'],
  ],
  'listen-queue-overflow': [
    ['kernel-counters', '/proc/net/netstat at both ends (ListenOverflows)'],
    ['accept-queue', 'ss -ltn of the port (listen-queue.log)'],
  ],
  'cpu-saturated': [
    ['cpu-saturation', 'the run queue and PSI (sadc -S XALL)'],
    ['process-cpu', 'the process CPU (pidstat)'],
  ],
  'disk-saturated': [
    ['disk-queue', 'iostat -x (aqu-sz)'],
    ['disk-latency', 'iostat -x (await)'],
  ],
  'thread-exhaustion': [
    ['app-log', "the app log (`can't start new thread`)"],
    ['thread-count', 'threads.log with /proc/PID/limits'],
  ],
  'fd-exhaustion': [
    ['app-log', 'the app log (EMFILE)'],
    ['fd-count', 'fds.log with /proc/PID/limits'],
  ],
};

/**
 * Confidence that means something: a class named from one kind of evidence stays under 0.7 and
 * says which input would confirm it; two or more independent kinds that agree lift it above 0.7
 * (scaled by how complete the inputs are, less what competes).
 */
function agreementOf(top: ClassScore, coverage: number, competition: number) {
  const kinds = top.kinds;
  if (kinds.length >= 2) {
    const lifted = (0.7 + 0.05 * Math.min(kinds.length - 1, 4)) * coverage - competition;
    return {
      reason: `${kinds.length} independent kinds of evidence agree: ${kinds.join(', ')}`,
      confidence: (raw: number) => clamp01(Math.max(raw, lifted)),
    };
  }
  const missing = (CONFIRMING[top.class] ?? [])
    .filter(([kind]) => !kinds.includes(kind))
    .map(([, input]) => input);
  const confirm = missing.length > 0 ? `; ${missing.join(', or ')} would confirm it` : '';
  return {
    reason: `named from one kind of evidence (${kinds[0] ?? 'context only'})${confirm}`,
    confidence: (raw: number) => Math.min(raw, SINGLE_KIND_CAP * coverage),
  };
}

/**
 * The inputs that carry some class's signal, by what they are: CPU or disk activity (sysstat,
 * iostat, pidstat, or Prometheus standing in for them), a thread or fd count over time, an fd
 * count snapshot with the limit to hold it against, kernel counters at both ends of the capture,
 * the listen queue, the app's log (its errors and runtime warnings) and its loop-lag ticker.
 * Limits, sysctl, host-info or `ss -s` alone carry none: they are what a signal is held against.
 * No such input means no diagnosis: `insufficient-data`, never `healthy`.
 */
export function signalInputs(f: OnHostFacts): string[] {
  const s = f.samples;
  const snapshot = s.fdCountEnd ?? s.fdCountStart;
  return [
    f.cpu !== null ? 'CPU activity' : null,
    f.disks.length > 0 ? 'disk activity' : null,
    s.pidstat ? 'the process CPU (pidstat)' : null,
    f.threads !== null ? 'thread counts' : null,
    f.fds !== null ? 'fd counts' : null,
    snapshot && f.fdSoftLimit !== null ? 'an fd count against its limit' : null,
    f.listen.overflowsDelta !== undefined ? 'kernel TCP counters at both ends' : null,
    f.listen.listeners.length > 0 ? 'the listen queue' : null,
    // A log with neither a timed line nor an event is not the app's log (binary junk, another file).
    s.appLog && (s.appLog.firstTimeMs !== null || Object.keys(s.appLog.eventCounts).length > 0)
      ? 'the app log'
      : null,
    s.lag && s.lag.lagSec.length > 0 ? 'loop lag' : null,
    Object.keys(s.prometheus ?? {}).length > 0 ? 'Prometheus series' : null,
  ].filter((input) => input !== null);
}

/** What a folder lacks for any verdict: every class scores 0 and the answer says which inputs failed. */
function insufficient(f: OnHostFacts, scores: ClassScore[]): Classification {
  const damaged = [...new Set(f.samples.gaps.map((g) => g.file))];
  const reasons = [
    'no input carries a signal of any class (CPU or disk activity, thread or fd counts, kernel counters, the listen queue, the app log, loop lag)',
    ...(f.samples.inputs.length > 0
      ? [`read but without a signal on their own: ${f.samples.inputs.map((i) => i.file).join(', ')}`]
      : []),
    ...(damaged.length > 0 ? [`unreadable or damaged: ${damaged.join(', ')}`] : []),
    ...(f.samples.ignored.length > 0 ? [`not recognised: ${f.samples.ignored.slice(0, 10).join(', ')}`] : []),
  ];
  const verdict: ClassScore = {
    class: 'insufficient-data',
    score: 1,
    signals: [{ signal: 'inputs that carry a signal', weight: 1, observed: 'none' }],
    kinds: [],
  };
  return {
    primary: 'insufficient-data',
    confidence: 0,
    scores: [verdict, ...scores.map((score) => ({ ...score, score: 0 }))],
    confidenceReasons: reasons,
  };
}

/**
 * How long a condition must hold to count as sustained: a tenth of the capture, at least 30 s (the
 * public captures are 126-152 s) and at most 15 min (the node-mixin's alert window).
 */
export function sustainedSec(f: OnHostFacts): number {
  return Math.min(900, Math.max(30, windowSecOf(f) * 0.1));
}

/** The CPU count: sysstat's, else the per-CPU columns', else lscpu's; null when unknown. */
export function cpuCountOf(f: OnHostFacts): number | null {
  const perCpu = Object.keys(f.samples.sysstat?.perCpuBusy ?? {}).length;
  return f.cpu?.cpuCount ?? (perCpu > 0 ? perCpu : null) ?? f.samples.hostCpuCount ?? null;
}

function windowSecOf(f: OnHostFacts): number {
  return f.window ? (f.window.toMs - f.window.fromMs) / 1000 : 0;
}

/**
 * 1 with sysstat, thread/fd logs, kernel counters and the app log all present, less with each
 * missing, and less again under a minute of capture: 15 s of samples cannot show a sustained
 * condition, so "healthy" from them is a weak claim. Each factor below 1 is a reason, in words.
 */
function inputCoverage(f: OnHostFacts): { value: number; reasons: string[] } {
  if (f.samples.inputs.length === 0) return { value: 0, reasons: ['no file was read'] };
  const present: [boolean, string][] = [
    [f.cpu !== null, 'CPU activity (sysstat)'],
    [f.threads !== null || f.fds !== null, 'thread and fd logs'],
    [f.counters.end !== null, 'kernel counters (/proc/net/netstat at the end)'],
    [f.samples.appLog !== undefined, 'the app log'],
  ];
  const missing = present.filter(([there]) => !there).map(([, what]) => what);
  const windowSec = windowSecOf(f);
  const length = Math.min(1, Math.max(0.2, windowSec / 60));
  const trust = trustOf(f.samples);
  const reasons = [
    ...(missing.length > 0 ? [`missing: ${missing.join(', ')}`] : []),
    ...(length < 1 ? [`the capture spans ${round(windowSec)} s, under a minute`] : []),
    ...trust.reasons,
  ];
  return { value: (0.6 + 0.1 * (present.length - missing.length)) * length * trust.value, reasons };
}

/**
 * Less trust in a folder with problems: a restarted process (its logs mix two PIDs), a file on
 * another clock, and each unreadable or cut-short file.
 */
function trustOf(samples: OnHostFacts['samples']): { value: number; reasons: string[] } {
  const pidChanged = [samples.threads, samples.fds].some((log) => (log?.segments.length ?? 0) > 1);
  const skewed = samples.skewedFiles ?? [];
  const badFiles = [...new Set(samples.gaps.filter((g) => g.kind === 'bad-sample').map((g) => g.file))];
  const reasons = [
    ...(pidChanged ? ['the PID changed mid-capture: only its longest run is judged'] : []),
    ...(skewed.length > 0 ? [`on another clock: ${skewed.join(', ')}`] : []),
    ...(badFiles.length > 0 ? [`damaged or partly read: ${badFiles.join(', ')}`] : []),
  ];
  const value =
    (pidChanged ? 0.85 : 1) * (skewed.length > 0 ? 0.9 : 1) * Math.max(0.8, 0.97 ** badFiles.length);
  return { value, reasons };
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function strength(value: number, full: number): number {
  return clamp01(value / full);
}

// CPU: node-mixin NodeCPUHighUsage and pmie cpu.util both fire above 90 % busy, but busy alone is
// utilisation; saturation is work waiting for a CPU (the USE method: run queue longer than the CPU
// count; PSI cpu some). Busy excludes iowait (idle time with I/O pending).
function scoreCpu(f: OnHostFacts, sustained: number): Signal[] {
  const cpu = f.cpu;
  if (!cpu) return [];
  const ncpu = cpuCountOf(f);
  const busyRun = longestRunSec(rollingMedian(cpu.busyPct), cpu.intervalSec, (v) => v >= 90);
  const psiSec = secondsWhere(cpu.psiCpuSome, cpu.intervalSec, (v) => v >= 10);
  const signals: Signal[] = [
    {
      kind: 'cpu-utilisation',
      signal: 'CPU busy ≥ 90 % (excluding iowait), longest run',
      weight: 0.35 * strength(busyRun, sustained * 2),
      observed: `${busyRun} s`,
    },
    {
      kind: 'cpu-saturation',
      signal: 'PSI cpu some avg10 ≥ 10 % (tasks waiting for a CPU)',
      weight: 0.15 * strength(psiSec, sustained),
      observed: `${psiSec} s`,
    },
  ];
  const hotSpot = perCpuHotSpotSec(f);
  if (hotSpot !== null) {
    signals.push({
      kind: 'process-cpu',
      signal: 'one CPU ≥ 95 % while the others have room (pmie per-CPU saturation), the app at a whole CPU',
      weight: 0.2 * strength(hotSpot, sustained),
      observed: `${hotSpot} s`,
    });
  }
  const app = appCpu(f);
  if (app?.busyBlocked && app.p95Pct < 25) {
    signals.push({
      kind: 'context',
      signal:
        "the sampled app's busy workers sleep in calls (not runnable) and use little CPU: the CPU load is other work",
      weight: -0.4,
      observed: `app p95 ${round(app.p95Pct)} % of one CPU (process-tree.jsonl)`,
    });
  }
  if (ncpu === null) {
    signals.push({ signal: 'run queue against the CPU count', weight: 0, observed: 'CPU count unknown' });
    return signals;
  }
  const queued = cpu.runqSz.map((q, i) => (q > ncpu && (cpu.busyPct[i] ?? 0) >= 80 ? 1 : 0));
  const queuedSec = secondsWhere(queued, cpu.intervalSec, (v) => v === 1);
  const peakLoadPerCpu = (max(cpu.load1) ?? 0) / ncpu;
  signals.push(
    {
      kind: 'cpu-saturation',
      signal: `run queue > ${ncpu} CPUs while busy`,
      weight: 0.25 * strength(queuedSec, sustained),
      observed: `${queuedSec} s`,
    },
    {
      kind: 'cpu-saturation',
      signal: 'peak 1-min load per CPU > 1',
      weight: peakLoadPerCpu > 1 ? 0.1 : 0,
      observed: round(peakLoadPerCpu, 2).toString(),
    },
  );
  return signals;
}

/**
 * Seconds in which one CPU ran ≥ 95 % busy while the rest averaged under 50 %, with the app's
 * process at ≥ 90 % of a CPU (pidstat): a single-threaded process bound by its one CPU, which the
 * all-CPU average hides. Null without per-CPU data or the app's CPU.
 */
function perCpuHotSpotSec(f: OnHostFacts): number | null {
  const perCpu = Object.values(f.samples.sysstat?.perCpuBusy ?? {});
  const app = f.samples.pidstat;
  if (perCpu.length < 2 || !app || !f.cpu) return null;
  const appCpuAt = appCpuBySecond(f);
  let seconds = 0;
  f.cpu.timesMs.forEach((t, i) => {
    const busy = perCpu.map((values) => values[i] ?? 0).sort((a, b) => b - a);
    const rest = busy.slice(1);
    const restMean = rest.reduce((sum, v) => sum + v, 0) / rest.length;
    const appCpu = appCpuAt.get(Math.round(t / 1000)) ?? 0;
    if ((busy[0] ?? 0) >= 95 && restMean < 50 && appCpu >= 90) seconds += f.cpu!.intervalSec[i] ?? 1;
  });
  return seconds;
}

/**
 * The app's %CPU each second from pidstat. `pidstat -A` lists every process: the app is the PID
 * the thread or fd log followed; without one, the busiest process of each second.
 */
function appCpuBySecond(f: OnHostFacts): Map<number, number> {
  const app = f.samples.pidstat;
  const bySecond = new Map<number, number>();
  if (!app) return bySecond;
  const pid = f.threads?.pids[0] ?? f.fds?.pids[0];
  app.timesMs.forEach((t, i) => {
    if (pid !== undefined && app.pids.includes(pid) && app.pid[i] !== pid) return;
    const second = Math.round(t / 1000);
    const cpu = app.cpuPct[i];
    if (cpu !== undefined && Number.isFinite(cpu))
      bySecond.set(second, Math.max(bySecond.get(second) ?? 0, cpu));
  });
  return bySecond;
}

// Disk: %util alone misleads on devices that serve requests in parallel (sar(1)): a fast NVMe is
// "100 % busy" with a few requests in flight. Saturation needs a queue that is deep (aqu-sz > 10:
// node-mixin NodeDiskIOSaturation) or one whose requests wait longer than when the disk idled.
// iowait is not required: Linux does not count async I/O waits as iowait. Every disk is judged and
// the worst one speaks.
function scoreDisk(f: OnHostFacts, sustained: number): Signal[] {
  const perDisk = f.disks.map((disk) => scoreOneDisk(disk.device, disk.series, sustained));
  const worst = perDisk.sort((a, b) => total(b) - total(a))[0];
  if (!worst) return [];
  const signals = [...worst];
  if (f.cpu && total(worst) > 0) {
    const blockedSec = secondsWhere(f.cpu.blocked, f.cpu.intervalSec, (v) => v >= 1);
    const iowaitSec = secondsWhere(f.cpu.iowaitPct, f.cpu.intervalSec, (v) => v >= 20);
    signals.push(
      {
        kind: 'cpu-saturation',
        signal: 'tasks blocked on I/O (D state)',
        weight: 0.1 * strength(blockedSec, sustained),
        observed: `${blockedSec} s with ≥ 1`,
      },
      {
        kind: 'cpu-saturation',
        signal: 'iowait ≥ 20 %',
        weight: 0.1 * strength(iowaitSec, sustained),
        observed: `${iowaitSec} s`,
      },
    );
  }
  return signals;
}

function scoreOneDisk(device: string, s: DiskSeries, sustained: number): Signal[] {
  const interval = intervalsSec(s.timesMs);
  const util = rollingMedian(s.utilPct);
  const queue = rollingMedian(s.aquSz);
  const utilRun = longestRunSec(util, interval, (v) => v >= 90);
  const queueRun = longestRunSec(queue, interval, (v) => v >= 1);
  const deepQueue = secondsWhere(queue, interval, (v) => v >= 10);
  const busyAwait = percentile(
    s.awaitMs.filter((_, i) => (util[i] ?? 0) >= 90),
    50,
  );
  const idleAwait = percentile(
    s.awaitMs.filter((v, i) => (util[i] ?? 100) < 10 && v > 0),
    50,
  );
  const growth =
    busyAwait !== undefined && idleAwait !== undefined && idleAwait > 0 ? busyAwait / idleAwait : undefined;
  return [
    {
      kind: 'disk-utilisation',
      signal: `${device} %util ≥ 90 %, longest run`,
      weight: 0.25 * strength(utilRun, sustained),
      observed: `${utilRun} s`,
    },
    {
      kind: 'disk-queue',
      signal: `${device} queue (aqu-sz) ≥ 1, longest run`,
      weight: 0.15 * strength(queueRun, sustained),
      observed: `${queueRun} s`,
    },
    {
      kind: 'disk-queue',
      signal: `${device} queue ≥ 10 (node-mixin)`,
      weight: 0.25 * strength(deepQueue, sustained),
      observed: `${deepQueue} s`,
    },
    {
      kind: 'disk-latency',
      signal: `${device} await when busy vs idle`,
      weight: growth !== undefined && growth >= 2 && utilRun > 0 ? 0.15 : 0,
      observed:
        growth === undefined
          ? 'n/a'
          : `${round(busyAwait!, 2)} ms vs ${round(idleAwait!, 2)} ms (×${round(growth, 1)})`,
    },
  ];
}

function total(signals: readonly Signal[]): number {
  return signals.reduce((sum, s) => sum + s.weight, 0);
}

// Listen queue: pmie network.listenoverflows fires on any ListenOverflows > 0; `ss -ltn` shows a
// full accept queue as Recv-Q at or above Send-Q (the effective backlog).
function scoreListenQueue(f: OnHostFacts): Signal[] {
  const { listen } = f;
  const overflows = listen.overflowsDelta;
  const full = listen.listeners.map((l) => ({
    address: l.address,
    samples: l.recvQ.filter((q, i) => q >= (l.sendQ[i] ?? Number.POSITIVE_INFINITY)).length,
    total: l.recvQ.length,
  }));
  const worst = full.sort((a, b) => b.samples - a.samples)[0];
  const signals: Signal[] = [
    {
      kind: 'kernel-counters',
      signal: 'TcpExt ListenOverflows over the capture',
      weight: overflows === undefined ? 0 : overflows > 0 ? 0.35 + 0.15 * strength(overflows, 100) : -0.1,
      observed: overflows === undefined ? 'no start/end counters' : String(overflows),
    },
  ];
  if (worst) {
    signals.push({
      kind: 'accept-queue',
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
  const stalls = countEvents(f, [
    'emfile',
    'enfile',
    'cant-start-thread',
    'gevent-blocked',
    'asyncio-slow-callback',
  ]);
  if ((overflows ?? 0) > 0 && stalls >= 3) {
    signals.push({
      kind: 'app-log',
      signal:
        'the accept loop itself fails or stalls (EMFILE, thread creation, a blocked loop): overflow is its symptom',
      weight: -0.25,
      observed: `${stalls} such events in the app log`,
    });
  }
  return signals;
}

/** Samples of a count log after the count first reached its maximum, and how many of them sit at it. */
function plateau(values: readonly number[]) {
  const peak = max(values) ?? 0;
  const firstAtPeak = values.indexOf(peak);
  const after = values.slice(firstAtPeak);
  // A helper thread coming and going must not break a plateau: one thread or 5 % of slack.
  const floor = peak - Math.max(1, peak * 0.05);
  const atPeak = after.filter((v) => v >= floor).length;
  return {
    peak,
    firstAtPeak,
    after: after.length,
    flatShare: after.length === 0 ? 0 : atPeak / after.length,
  };
}

/** The lowest known ceiling on the process's threads (see threadLimits); null when none is known. */
export function lowestThreadLimit(f: OnHostFacts): number | null {
  return threadLimits(f).find((limit) => limit.value > 0)?.value ?? null;
}

// Pool starvation: a bounded pool (threads rise once, then stay flat well below any OS limit)
// while work waits behind it (queue depth, clients giving up, latency) and the held connections
// keep growing, with the CPU idle. Connections alone are not waiting work: a keep-alive ramp on a
// healthy pool grows them too, so without a sign of waiting the verdict is held back.
function scoreThreadpool(f: OnHostFacts, sustained: number): Signal[] {
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
      kind: 'thread-count',
      signal: 'threads flat at a plateau far below OS limits',
      weight: bounded ? 0.2 : 0,
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
        kind: 'connections',
        signal: `${demand.label} keeps growing while threads stay flat`,
        weight: growing ? 0.2 : 0,
        observed: `+${round(grew)} over the plateau (${slope === undefined ? 'n/a' : round(slope, 2)}/s) vs ${p.peak} threads`,
      });
    }
    if (countEvents(f, ['cant-start-thread']) > 0) {
      signals.push({
        kind: 'app-log',
        signal: "thread creation failing (`can't start new thread`): the plateau is a limit, not a pool size",
        weight: -0.4,
        observed: String(countEvents(f, ['cant-start-thread'])),
      });
    }
    if (p.flatShare < 0.6 && limit !== null && p.peak >= limit * 0.9) {
      signals.push({
        kind: 'thread-count',
        signal: 'threads climb to an OS limit (exhaustion, not a bounded pool)',
        weight: -0.3,
        observed: `peak ${p.peak} of ${limit}`,
      });
    }
  }
  const prom = f.samples.prometheus;
  const queue = promValues(prom, 'threadpool_queue_depth');
  const queued = queue.length > 0 && (max(queue) ?? 0) >= 10;
  if (queue.length > 0) {
    signals.push({
      kind: 'app-metrics',
      signal: 'thread-pool queue depth',
      weight: queued ? 0.25 : 0,
      observed: `peak ${max(queue) ?? 0}`,
    });
  }
  // Workers busy, or failing that requests being served: pinned at the pool size means the pool is full.
  const workers = promValues(prom, 'threadpool_active_workers');
  const active = workers.length > 0 ? workers : promValues(prom, 'http_requests_in_flight');
  const maxWorkers = max(promValues(prom, 'threadpool_max_workers'));
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
      kind: 'app-metrics',
      signal: 'active workers pinned at the pool size',
      weight: pinned ? 0.1 : 0,
      observed: `${round(share * 100)} % of busy samples at ${cap}`,
    });
  }
  // A pool of worker processes (gunicorn sync, uvicorn --workers): every worker busy, the accept queue holding.
  signals.push(...workerPoolSignals(f, sustained));
  const poolFull = workerPoolFull(f, sustained);
  const acceptWaiting = signals.some((s) => s.kind === 'accept-queue' && s.weight > 0);
  // Idle CPU and impatient clients support a pool verdict; alone they say nothing about a pool.
  if (!bounded && !queued && !pinned && !poolFull) return signals;
  const clientErrors = countEvents(f, ['connection-reset', 'timeout']);
  const p99 = max(promValues(prom, 'http_request_duration'));
  const slow = p99 !== undefined && p99 >= 1;
  signals.push({
    kind: 'app-log',
    signal: 'clients giving up (resets, broken pipes, timeouts in the app log)',
    weight: clientErrors >= 10 ? 0.15 : 0,
    observed: String(clientErrors),
  });
  if (p99 !== undefined)
    signals.push({
      kind: 'app-metrics',
      signal: 'request latency p99 ≥ 1 s',
      weight: slow ? 0.1 : 0,
      observed: `${round(p99, 2)} s`,
    });
  if (!queued && !acceptWaiting && clientErrors < 10 && !slow) {
    signals.push({
      kind: 'context',
      signal: 'no sign of work waiting (queue depth, client errors, latency)',
      weight: -0.2,
      observed: 'none',
    });
  }
  const app = appCpu(f);
  if (app?.busyBlocked) {
    signals.push({
      kind: 'context',
      signal: 'the busy workers use little CPU (blocked in calls: waiting, not working)',
      weight: 0.1,
      observed: `app p95 ${round(app.p95Pct)} % of one CPU (process-tree.jsonl)`,
    });
  } else if (f.cpu) {
    const p95 = percentile(f.cpu.busyPct, 95) ?? 0;
    signals.push({
      kind: 'context',
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
  if (f.fds && f.fds.values.length >= 10) {
    return {
      label: 'open file descriptors (held connections)',
      timesMs: f.fds.timesMs,
      values: f.fds.values,
    };
  }
  const sock = f.samples.sockstat;
  if (sock && sock.tcpInuse.length >= 10)
    return { label: 'TCP sockets in use', timesMs: sock.timesMs, values: sock.tcpInuse };
  return null;
}

// Thread exhaustion: `can't start new thread` (pthread_create EAGAIN), threads climbing to a limit
// (RLIMIT_NPROC, threads-max, pid_max; knowledge fact 8), context switches far above baseline
// (pmie cpu.context_switch: > 4000/s per CPU).
function scoreThreadExhaustion(f: OnHostFacts, sustained: number): Signal[] {
  const signals: Signal[] = [];
  const cantStart = countEvents(f, ['cant-start-thread']);
  signals.push({
    kind: 'app-log',
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
      kind: 'thread-count',
      signal: 'threads climbing to an OS limit',
      weight: nearLimit ? 0.3 : peak >= 1000 && slope > 1 ? 0.2 : 0,
      observed: `peak ${peak}${limit ? ` of ${limit}` : ''}, ${round(slope, 2)}/s`,
    });
  }
  const tracking = threadsTrackConnections(f);
  if (tracking) {
    const harm = harmOf(f);
    const unboundedGrowth =
      tracking.r >= 0.9 && tracking.peak >= 100 && tracking.peak >= 5 * Math.max(1, tracking.base);
    signals.push({
      kind: 'thread-count',
      signal: 'threads rise and fall with the connections held (a thread per connection, no bound)',
      weight: unboundedGrowth ? (harm.length > 0 ? 0.3 : 0.15) : 0,
      observed: `r = ${round(tracking.r, 2)} against ${tracking.against}; ${tracking.base} → ${tracking.peak} threads${harm.length > 0 ? `; ${harm.join(', ')}` : '; no client harm seen'}`,
    });
    const maxWorkers = promValues(f.samples.prometheus, 'threadpool_max_workers');
    if (unboundedGrowth && maxWorkers.length > 0) {
      signals.push({
        kind: 'app-metrics',
        signal: 'the app reports no pool bound (threadpool_max_workers = 0)',
        weight: (max(maxWorkers) ?? 1) === 0 ? 0.1 : -0.2,
        observed: `max_workers ${max(maxWorkers)}`,
      });
    }
  }
  if (cantStart > 0 || (threads !== null && nearOsLimit(f)) || (tracking?.r ?? 0) >= 0.9) {
    const resets = countEvents(f, ['connection-reset']);
    const estabResets = counterDelta(f.samples, 'Tcp.EstabResets');
    signals.push({
      kind: 'client-errors',
      signal: 'clients refused or reset',
      weight: resets >= 10 || (estabResets ?? 0) >= 10 ? 0.1 : 0,
      observed: `${resets} in the app log${estabResets === undefined ? '' : `, Tcp.EstabResets +${estabResets}`}`,
    });
  }
  const ncpu = cpuCountOf(f);
  if (f.cpu && ncpu !== null) {
    const hot = secondsWhere(f.cpu.cswchPerSec, f.cpu.intervalSec, (v) => v > 4000 * ncpu);
    const manyThreads = cantStart > 0 || (threads !== null && (max(threads.values) ?? 0) >= 500);
    signals.push({
      kind: 'cpu-saturation',
      signal: 'context switches > 4000/s per CPU',
      weight: manyThreads ? 0.1 * strength(hot, sustained) : 0,
      observed: `${hot} s`,
    });
  }
  return signals;
}

/**
 * How closely the thread count follows the connections the process holds (its fds, else the
 * host's TCP sockets in use), sample by sample: a server that starts a thread per connection
 * tracks them, a pool does not.
 */
function threadsTrackConnections(
  f: OnHostFacts,
): { r: number; base: number; peak: number; against: string } | null {
  const threads = f.threads;
  if (!threads || threads.values.length < 10) return null;
  const demand = demandSeries(f);
  if (!demand) return null;
  const byTime = new Map(demand.timesMs.map((t, i) => [Math.round(t / 1000), demand.values[i]!]));
  const pairs = threads.timesMs.flatMap((t, i) => {
    const other = byTime.get(Math.round(t / 1000));
    return other === undefined ? [] : [[threads.values[i]!, other] as const];
  });
  if (pairs.length < 10) return null;
  const r = correlation(
    pairs.map(([a]) => a),
    pairs.map(([, b]) => b),
  );
  if (r === undefined) return null;
  return { r, base: min(threads.values) ?? 0, peak: max(threads.values) ?? 0, against: demand.label };
}

/** Signs that clients suffered: resets and timeouts in the log, slow requests, dropped connections. */
function harmOf(f: OnHostFacts): string[] {
  const harm: string[] = [];
  const errors = countEvents(f, ['connection-reset', 'timeout', 'cant-start-thread']);
  if (errors >= 10) harm.push(`${errors} client errors in the app log`);
  const p99 = max(promValues(f.samples.prometheus, 'http_request_duration'));
  if (p99 !== undefined && p99 >= 1) harm.push(`latency p99 up to ${round(p99, 1)} s`);
  const overflows = f.listen.overflowsDelta ?? 0;
  if (overflows > 0) harm.push(`${overflows} listen overflows`);
  const resets = counterDelta(f.samples, 'Tcp.EstabResets') ?? 0;
  if (resets >= 10) harm.push(`Tcp.EstabResets +${resets}`);
  return harm;
}

/** Pearson's r; undefined when either side is constant. */
function correlation(a: number[], b: number[]): number | undefined {
  const r = sampleCorrelation(a, b);
  return Number.isFinite(r) ? r : undefined;
}

function nearOsLimit(f: OnHostFacts): boolean {
  const limit = lowestThreadLimit(f);
  return f.threads !== null && limit !== null && (max(f.threads.values) ?? 0) >= limit * 0.9;
}

// File descriptors: EMFILE is RLIMIT_NOFILE; pmie warns at 90 %, the node-mixin at 70/90 % of a limit.
// A leak shows as descriptors that only climb, with the TCP sockets the process holds (CLOSE_WAIT:
// the peer closed, the app never did) climbing with them.
function scoreFd(f: OnHostFacts): Signal[] {
  const signals: Signal[] = [];
  const emfile = countEvents(f, ['emfile', 'enfile']);
  signals.push({
    kind: 'app-log',
    signal: 'EMFILE/ENFILE `Too many open files` errors',
    weight: emfile > 0 ? 0.5 : 0,
    observed: String(emfile),
  });
  const peak = peakFds(f);
  if (peak !== undefined && f.fdSoftLimit) {
    const share = peak.count / f.fdSoftLimit;
    // At the soft limit the next open() or accept() fails with EMFILE: that alone is exhaustion.
    signals.push({
      kind: 'fd-count',
      signal: 'open fds against the soft limit',
      weight: share >= 1 ? 0.5 : share >= 0.9 ? 0.4 : share >= 0.7 ? 0.2 : 0,
      observed: `${peak.count} of ${f.fdSoftLimit} (${round(share * 100)} %, ${peak.source})`,
    });
  }
  const fds = f.fds;
  if (
    fds &&
    fds.values.length >= 10 &&
    (emfile > 0 || (peak !== undefined && f.fdSoftLimit && peak.count >= f.fdSoftLimit * 0.5))
  ) {
    const first = fds.values[0] ?? 0;
    const logPeak = max(fds.values) ?? 0;
    const climb = logPeak - first;
    const firstAtPeak = fds.values.indexOf(logPeak);
    // Climbing to the peak over most of the capture, not one burst of connections.
    const steady =
      climb > 0 && firstAtPeak >= fds.values.length * 0.3 && (slopePerSec(fds.timesMs, fds.values) ?? 0) > 0;
    signals.push({
      kind: 'fd-count',
      signal: 'descriptors climb steadily (a leak, not a burst)',
      weight: steady ? 0.1 : 0,
      observed: `+${climb} from ${first}, peak reached at sample ${firstAtPeak + 1} of ${fds.values.length}`,
    });
    const closeWait = closeWaitGrowth(f);
    if (closeWait !== null) {
      signals.push({
        kind: 'tcp-states',
        signal: 'sockets left in CLOSE_WAIT grow (peer closed, the app did not)',
        weight: closeWait.grew >= 20 ? 0.1 : 0,
        observed: `${closeWait.from} → ${closeWait.to} (${closeWait.source})`,
      });
    }
  }
  return signals;
}

/**
 * The most descriptors the process held: the peak of fds.log, or of the count snapshots taken at
 * the start and end (app-fd-count-*.txt), whichever is higher; undefined with neither.
 */
export function peakFds(f: OnHostFacts): { count: number; source: string } | undefined {
  const candidates: { count: number; source: string }[] = [];
  // NOTE: with a process tree f.fds is the tree's sum; the limit is per process
  const logPeak = f.treeFdPeak ? f.treeFdPeak.count : f.fds ? max(f.fds.values) : undefined;
  const logSource = f.treeFdPeak ? `process-tree.jsonl, PID ${f.treeFdPeak.pid}` : 'fds.log';
  if (logPeak !== undefined) candidates.push({ count: logPeak, source: logSource });
  const { fdCountStart, fdCountEnd } = f.samples;
  if (fdCountEnd) candidates.push({ count: fdCountEnd.count, source: 'app-fd-count-end.txt' });
  if (fdCountStart) candidates.push({ count: fdCountStart.count, source: 'app-fd-count-start.txt' });
  return candidates.reduce<{ count: number; source: string } | undefined>(
    (best, c) => (best === undefined || c.count > best.count ? c : best),
    undefined,
  );
}

/** CLOSE_WAIT sockets at the start and end, from node_tcp_connection_states. */
function closeWaitGrowth(f: OnHostFacts): { from: number; to: number; grew: number; source: string } | null {
  const states = Object.values(f.samples.prometheus ?? {})
    .filter((q) => (q.query ?? '').includes('node_tcp_connection_states'))
    .flatMap((q) => q.series)
    .find((series) => series.labels.state === 'close_wait');
  if (states && states.values.length >= 2) {
    const from = states.values[0] ?? 0;
    const to = states.values.at(-1) ?? 0;
    return { from, to, grew: to - from, source: 'node_tcp_connection_states' };
  }
  // NOTE: ss -s cannot tell: its `estab` is Tcp CurrEstab, which counts CLOSE_WAIT with ESTABLISHED.
  return null;
}

// asyncio: "Executing <...> took N seconds" (debug mode only, ≥ slow_callback_duration 0.1 s) and
// loop lag far above its baseline, from the app's own ticker (lag.csv) or its metrics, on one
// thread, without a CPU shortage.
function scoreEventLoop(f: OnHostFacts, sustained: number): Signal[] {
  if (isGevent(f)) {
    return [
      { signal: 'the app runs gevent, not asyncio', weight: 0, observed: 'gevent worker or monitor reports' },
    ];
  }
  const slow = (f.samples.appLog?.events ?? []).filter((e) => e.kind === 'asyncio-slow-callback');
  const slowCount = countEvents(f, ['asyncio-slow-callback']);
  const signals: Signal[] = [
    {
      kind: 'app-log',
      signal: 'asyncio slow-callback warnings (≥ 0.1 s each)',
      weight: slowCount >= 3 ? 0.5 : slowCount > 0 ? 0.2 : 0,
      observed: `${slowCount}, longest ${round(max(slow.map((e) => e.seconds ?? 0)) ?? 0, 3)} s`,
    },
  ];
  const ticker = f.samples.lag?.lagSec ?? [];
  const lag = ticker.length > 0 ? ticker : promValues(f.samples.prometheus, 'event_loop_lag_max_1s_seconds');
  const lagP99 = percentile(lag, 99);
  if (lagP99 !== undefined) {
    const stall = max(lag) ?? 0;
    signals.push(
      {
        kind: 'loop-lag',
        signal: 'event-loop lag p99 ≥ 100 ms (≥ 250 ms: stronger)',
        weight: lagP99 >= 0.25 ? 0.35 : lagP99 >= 0.1 ? 0.3 : 0,
        observed: `${round(lagP99 * 1000)} ms (${ticker.length > 0 ? sourceOf(f.samples, 'lag', 'lag.csv') : 'event_loop_lag_max_1s_seconds'})`,
      },
      {
        kind: 'loop-lag',
        signal: 'a single stall ≥ 1 s',
        weight: stall >= 1 ? 0.1 : 0,
        observed: `${round(stall, 2)} s`,
      },
    );
    if (ticker.length > 0) signals.push(heldSignal(f.samples.lag!, 'loop'));
  }
  signals.push(...blockedWorkerSignal(f, sustained));
  signals.push(...loopCpuSignals(f, total(signals) > 0));
  return signals;
}

/** A loop that lags while the CPUs have room is blocked; lag on saturated CPUs may be the CPU's. */
function loopCpuSignals(f: OnHostFacts, lagging: boolean): Signal[] {
  const app = appCpu(f);
  if (lagging && app?.busyBlocked) {
    return [
      {
        kind: 'context',
        signal: 'the held worker sleeps in a call with little CPU (the loop waits, it does not compute)',
        weight: 0.1,
        observed: `app p95 ${round(app.p95Pct)} % of one CPU (process-tree.jsonl)`,
      },
    ];
  }
  if (!f.cpu || !lagging) return [];
  const p90 = percentile(f.cpu.busyPct, 90) ?? 0;
  if (p90 >= 90) {
    return [
      {
        kind: 'context',
        signal: 'CPU saturated (lag may be a CPU symptom)',
        weight: -0.3,
        observed: `p90 busy ${round(p90)} %`,
      },
    ];
  }
  return [
    {
      kind: 'context',
      signal: 'CPU has room (the loop waits, it does not compute)',
      weight: p90 < 70 ? 0.1 : 0,
      observed: `p90 busy ${round(p90)} %`,
    },
  ];
}

/**
 * How much of the capture the loop spent held: a ticker wakes late by the time the loop was busy,
 * so its lags of 100 ms or more add up to the blocked time. 5 % of the capture is a loop that
 * stops often, not one slow tick.
 */
function heldSignal(lag: { timesMs: number[]; lagSec: number[] }, what: string): Signal {
  const { heldSec, spanSec } = heldTime(lag, 0.1);
  const share = spanSec > 0 ? heldSec / spanSec : 0;
  return {
    kind: 'loop-lag',
    signal: `${what} held ≥ 5 % of the capture (sum of lags ≥ 100 ms)`,
    weight: share >= 0.05 ? 0.1 : 0,
    observed: `${round(heldSec, 1)} s of ${round(spanSec)} s (${round(share * 100, 1)} %)`,
  };
}

function isGevent(f: OnHostFacts): boolean {
  return /gevent/i.test(f.samples.appLog?.workerClass ?? '') || countEvents(f, ['gevent-blocked']) > 0;
}

// gevent: the monitor thread reports "Greenlet ... appears to be blocked" after max_blocking_time
// (0.1 s); gunicorn kills a worker that stops answering its arbiter ("WORKER TIMEOUT").
// Without the monitor thread (off by default) the hub's lag and gunicorn's worker class speak.
function scoreGevent(f: OnHostFacts): Signal[] {
  const blocked = countEvents(f, ['gevent-blocked']);
  const timeouts = countEvents(f, ['worker-timeout']);
  const workerClass = f.samples.appLog?.workerClass ?? null;
  const signals: Signal[] = [
    {
      kind: 'app-log',
      signal: 'gevent monitor: greenlet appears to be blocked',
      weight: blocked >= 3 ? 0.5 : blocked > 0 ? 0.25 : 0,
      observed: String(blocked),
    },
  ];
  if (!isGevent(f)) return signals;
  signals.push({
    kind: 'app-log',
    signal: 'gunicorn WORKER TIMEOUT (a worker stopped answering its arbiter)',
    weight: timeouts > 0 ? 0.15 : 0,
    observed: String(timeouts),
  });
  const lag = f.samples.lag?.lagSec ?? [];
  const lagP99 = percentile(lag, 99);
  if (lagP99 !== undefined) {
    signals.push(
      {
        kind: 'loop-lag',
        signal: `hub lag p99 ≥ 100 ms (${sourceOf(f.samples, 'lag', 'lag.csv')})`,
        weight: lagP99 >= 0.1 ? 0.3 : 0,
        observed: `${round(lagP99 * 1000)} ms`,
      },
      {
        kind: 'loop-lag',
        signal: 'a single hub stall ≥ 1 s',
        weight: (max(lag) ?? 0) >= 1 ? 0.05 : 0,
        observed: `${round(max(lag) ?? 0, 2)} s`,
      },
      heldSignal(f.samples.lag!, 'hub'),
    );
  }
  signals.push({
    kind: 'context',
    signal: 'gunicorn gevent workers',
    weight: /gevent/i.test(workerClass ?? '') && (blocked > 0 || (lagP99 ?? 0) >= 0.1) ? 0.1 : 0,
    observed: workerClass ?? 'not in the log',
  });
  signals.push(...loopCpuSignals(f, blocked > 0 || (lagP99 ?? 0) >= 0.1));
  return signals;
}

/** Events of these kinds in the app log, all of them (the log keeps only the first lines of each). */
function countEvents(f: OnHostFacts, kinds: readonly AppLogEventKind[]): number {
  const counts = f.samples.appLog?.eventCounts ?? {};
  return kinds.reduce((sum, kind) => sum + (counts[kind] ?? 0), 0);
}

// Kernel and runtime ceilings from a host's own samples: threads against RLIMIT_NPROC, threads-max
// and address space ÷ stack; open fds against nofile; the accept queue against the backlog and
// somaxconn; a bounded pool by Little's law; workers × threads against concurrency
// (worker-concurrency.ts); an event loop's held share against 100 %.
// A capture is minutes long: its peak stands for today's peak, and the source says which capture.
import type { OnHostEntry } from '../analysis/facts.ts';
import { established, gaugeByTime, ratePerSec } from '../analysis/onhost/advice.ts';
import { heldTime, threadLimits } from '../analysis/onhost/signals.ts';
import { poolSize } from '../analysis/rules/threadpool-starvation.ts';
import { max, percentile, slopePerSec } from '../analysis/stats.ts';
import type { CeilingKind, EventCheck, Unit } from '../model/index.ts';
import { judged, unknownCeiling } from './check.ts';
import { WORKERS_LABEL, workerConcurrencyCheck } from './worker-concurrency.ts';

/** asyncio's slow_callback_duration: a step held at least this long blocked everything else. */
const SLOW_STEP_SEC = 0.1;

export const ONHOST_KINDS: readonly { kind: CeilingKind; label: string; unit: Unit }[] = [
  { kind: 'threads', label: 'threads', unit: 'threads' },
  { kind: 'fds', label: 'open files', unit: 'file-descriptors' },
  { kind: 'accept-queue', label: 'accept queue', unit: 'connections' },
  { kind: 'pool', label: 'worker pool', unit: 'threads' },
  { kind: 'pool', label: WORKERS_LABEL, unit: 'connections' },
  { kind: 'event-loop', label: 'event loop', unit: 'percent' },
];

/** Every kernel and runtime ceiling, unknown with the reason where the host has no samples. */
export function onHostChecks(
  entry: OnHostEntry | undefined,
  n: number,
  why = 'no on-host samples',
): EventCheck[] {
  if (!entry) return ONHOST_KINDS.map((k) => unknownCeiling(k.kind, k.label, k.unit, why));
  return [
    threadsCheck(entry, n),
    fdsCheck(entry, n),
    acceptQueueCheck(entry, n),
    poolCheck(entry, n),
    workerConcurrencyCheck(entry, n),
    loopCheck(entry, n),
  ];
}

function captured(entry: OnHostEntry, file: string): string {
  const w = entry.facts.window;
  const span = w ? ` ${new Date(w.fromMs).toISOString()}..${new Date(w.toMs).toISOString()}` : '';
  return `${entry.facts.dir}/${file}${span}`;
}

export interface ThreadCeiling {
  limitName: string;
  knob: string;
}

function threadsCheck(entry: OnHostEntry, n: number): EventCheck {
  const today = max(entry.facts.threads?.values ?? []);
  if (today === undefined)
    return unknownCeiling('threads', 'threads', 'threads', 'no thread log in the capture');
  const lowest = threadLimits(entry.facts).find((l) => l.value > 0);
  if (!lowest)
    return unknownCeiling(
      'threads',
      'threads',
      'threads',
      'no thread limit in /proc/PID/limits or sysctl -a',
    );
  return judged(
    {
      kind: 'threads',
      label: `threads against ${lowest.name}`,
      today,
      limit: lowest.value,
      unit: 'threads',
      source: `peak of threads.log (${captured(entry, 'threads.log')}); ${lowest.name} ${lowest.value} from ${lowest.source}; raise with ${lowest.knob}`,
    },
    n,
  );
}

function fdsCheck(entry: OnHostEntry, n: number): EventCheck {
  const today = max(entry.facts.fds?.values ?? []);
  if (today === undefined)
    return unknownCeiling('fds', 'open files', 'file-descriptors', 'no fd log in the capture');
  const limit = entry.facts.fdSoftLimit;
  if (limit === null)
    return unknownCeiling('fds', 'open files', 'file-descriptors', 'no Max open files in /proc/PID/limits');
  return judged(
    {
      kind: 'fds',
      label: 'open files against nofile',
      today,
      limit,
      unit: 'file-descriptors',
      source: `peak of fds.log (${captured(entry, 'fds.log')}); Max open files (soft) ${limit} from /proc/PID/limits`,
    },
    n,
  );
}

/**
 * The fullest listener: its accept queue (ss Recv-Q) against the backlog it was given (ss Send-Q
 * of a LISTEN socket), which the kernel caps at net.core.somaxconn.
 */
function acceptQueueCheck(entry: OnHostEntry, n: number): EventCheck {
  const { listeners, somaxconn, overflowsDelta } = entry.facts.listen;
  const judgedListeners = listeners.flatMap((l) => {
    const backlog = max(l.sendQ);
    const queued = max(l.recvQ);
    if (backlog === undefined || queued === undefined) return [];
    const limit = somaxconn !== null ? Math.min(backlog, somaxconn) : backlog;
    return limit > 0 ? [{ address: l.address, backlog, queued, limit }] : [];
  });
  if (judgedListeners.length === 0)
    return unknownCeiling(
      'accept-queue',
      'accept queue',
      'connections',
      'no listen-queue log (ss -ltn) in the capture',
    );
  const fullest = judgedListeners.sort((a, b) => b.queued / b.limit - a.queued / a.limit)[0]!;
  const overflowed = overflowsDelta !== undefined && overflowsDelta > 0;
  return judged(
    {
      kind: 'accept-queue',
      label: `accept queue of ${fullest.address}`,
      today: fullest.queued,
      limit: fullest.limit,
      unit: 'connections',
      source: `peak Recv-Q of listen-queue.log (${captured(entry, 'listen-queue.log')}); backlog ${fullest.backlog} (Send-Q), net.core.somaxconn ${somaxconn ?? 'not captured'}`,
      ...(overflowed
        ? {
            note: `TcpExt.ListenOverflows rose by ${overflowsDelta} during the capture: the queue already overflows`,
          }
        : {}),
    },
    n,
  );
}

/**
 * Little's law: the work in the pool (busy workers + queued) is arrival rate × time in the pool,
 * so N times the arrivals at the same service time need N times the workers.
 */
function poolCheck(entry: OnHostEntry, n: number): EventCheck {
  const prom = entry.facts.samples.prometheus;
  const active = gaugeByTime(prom, 'threadpool_active_workers');
  if (!active)
    return unknownCeiling(
      'pool',
      'worker pool',
      'threads',
      'no pool metrics (threadpool_active_workers) in the capture',
    );
  const size = poolSize(entry, active);
  // The level busy workers sit at is the pool's size only when the pool was seen starved.
  if (!size || (size.source.startsWith('the level') && !established(entry, 'threadpool-starvation')))
    return unknownCeiling(
      'pool',
      'worker pool',
      'threads',
      'the pool size is not in the capture (no threadpool_max_workers, no workers= line)',
    );
  const law = littlesLaw(prom, active);
  if (!law)
    return unknownCeiling(
      'pool',
      'worker pool',
      'threads',
      'no completed-request rate (http_requests_total) in the capture',
    );
  return judged(
    {
      kind: 'pool',
      label: "worker pool (Little's law)",
      today: law.arrivalsPerSec * law.serviceSec,
      limit: size.size,
      unit: 'threads',
      source: `L = λW: λ ${round2(law.arrivalsPerSec)}/s (completions ${round2(law.completionsPerSec)}/s + queue growth ${round2(law.queueGrowthPerSec)}/s), W = busy ${round2(law.busy)} ÷ completions = ${round2(law.serviceSec)} s (${captured(entry, 'prometheus-queries')}); pool size ${size.size} from ${size.source}`,
    },
    n,
  );
}

interface LittlesLaw {
  completionsPerSec: number;
  queueGrowthPerSec: number;
  arrivalsPerSec: number;
  busy: number;
  serviceSec: number;
}

/**
 * λ and W from the capture: busy workers = completions × W (Little's law on the servers), and the
 * arrivals are the completions plus what piled up in the queue.
 */
function littlesLaw(
  prom: OnHostEntry['facts']['samples']['prometheus'],
  active: { timesMs: number[]; values: number[] },
): LittlesLaw | null {
  const completions = ratePerSec(prom, 'http_requests_total');
  const completionsPerSec = percentile(
    (completions?.values ?? []).filter((v) => v > 0),
    50,
  );
  const busy = percentile(active.values.filter(Number.isFinite), 50);
  if (completionsPerSec === undefined || busy === undefined || busy <= 0) return null;
  const queue = gaugeByTime(prom, 'threadpool_queue_depth');
  const queueGrowthPerSec = queue ? Math.max(0, slopePerSec(queue.timesMs, queue.values) ?? 0) : 0;
  const serviceSec = busy / completionsPerSec;
  const arrivalsPerSec = completionsPerSec + queueGrowthPerSec;
  return { completionsPerSec, queueGrowthPerSec, arrivalsPerSec, busy, serviceSec };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The share of the time the loop was held by slow steps: N times the work holds it N times as long. */
function loopCheck(entry: OnHostEntry, n: number): EventCheck {
  const lag = entry.facts.samples.lag;
  if (!lag || lag.lagSec.length < 2)
    return unknownCeiling(
      'event-loop',
      'event loop',
      'percent',
      'no loop-lag ticker (lag.csv) in the capture',
    );
  const held = heldTime(lag, SLOW_STEP_SEC);
  if (held.spanSec <= 0)
    return unknownCeiling('event-loop', 'event loop', 'percent', 'lag.csv spans no time');
  return judged(
    {
      kind: 'event-loop',
      label: 'event loop held by slow steps',
      today: (held.heldSec / held.spanSec) * 100,
      limit: 100,
      unit: 'percent',
      source: `lag ≥ ${SLOW_STEP_SEC} s summed over lag.csv (${captured(entry, 'lag.csv')}): ${Math.round(held.heldSec * 10) / 10} s held of ${Math.round(held.spanSec)} s`,
      note: 'past 100 % the loop never catches up: every request waits behind the slow steps',
    },
    n,
  );
}

// Workers × threads against concurrency: the requests a server can hold at once (worker processes
// × threads per worker, or × worker_connections for an async worker) against today's peak of
// requests in service (Little's law over the process tree, the app's in-flight gauge, or the busy
// worker processes). Each number says where it came from; without one of them the check is unknown.
import type { OnHostEntry } from '../analysis/facts.ts';
import { gaugeByTime } from '../analysis/onhost/advice.ts';
import { workerSizing } from '../analysis/onhost/worker-advice.ts';
import { max } from '../analysis/stats.ts';
import type { EventCheck } from '../model/index.ts';
import { judged, roundTo, unknownCeiling } from './check.ts';

export const WORKERS_LABEL = 'workers × threads';
const UNIT = 'connections' as const;

interface Count {
  value: number;
  from: string;
}

interface Capacity {
  workers: Count;
  perWorker: Count;
  /** What one worker holds many of: threads (gthread, puma) or connections (gevent, eventlet). */
  per: 'thread' | 'connection';
}

const ASYNC_CLASSES = /gevent|eventlet|tornado/i;

function unknownWorkers(why: string): EventCheck {
  return unknownCeiling('pool', WORKERS_LABEL, UNIT, why);
}

/** The worker processes: seen in the process tree, else the server's own settings or start-up lines. */
function workerCount(entry: OnHostEntry): Count | null {
  const tree = entry.facts.workers;
  const config = entry.facts.samples.appLog?.serverConfig;
  if (tree?.layout === 'pre-fork')
    return { value: tree.workers.length, from: 'worker processes serving in process-tree.jsonl' };
  if (config?.workers != null)
    return {
      value: config.workers,
      from: `workers in the ${config.server} configuration (app.log line ${config.lines.workers})`,
    };
  const booted = entry.facts.samples.appLog?.declaredWorkers ?? null;
  if (booted !== null && booted > 0 && entry.facts.samples.appLog?.workerClass)
    return { value: booted, from: 'workers gunicorn booted at start-up (app.log)' };
  if (tree?.layout === 'single-process') return { value: 1, from: 'a single process in process-tree.jsonl' };
  return null;
}

/** Requests one worker holds at once, from its class and settings; a reason when the capture does not say. */
function perWorker(entry: OnHostEntry): { count: Count; per: Capacity['per'] } | string {
  const log = entry.facts.samples.appLog;
  const config = log?.serverConfig;
  const workerClass = config?.workerClass ?? log?.workerClass ?? null;
  const classFrom = config?.workerClass
    ? `worker_class ${workerClass} (app.log line ${config.lines.workerClass})`
    : `\`Using worker: ${workerClass}\` (app.log)`;
  const threads = config?.threads ?? null;
  const threadsFrom = `threads ${threads} in the ${config?.server} configuration (app.log line ${config?.lines.threads})`;
  if (workerClass !== null && ASYNC_CLASSES.test(workerClass)) {
    const connections = config?.workerConnections ?? null;
    if (connections === null)
      return `the async worker's worker_connections are not in the capture (${classFrom}; gunicorn prints them with --log-level debug)`;
    return {
      count: {
        value: connections,
        from: `worker_connections ${connections} (app.log line ${config!.lines.workerConnections}), ${classFrom}`,
      },
      per: 'connection',
    };
  }
  // gunicorn runs a sync worker with --threads above 1 as gthread.
  if (
    threads !== null &&
    (workerClass === null || /sync|gthread/.test(workerClass) || config?.server === 'puma')
  )
    return { count: { value: threads, from: threadsFrom }, per: 'thread' };
  if (workerClass === 'sync')
    return { count: { value: 1, from: `${classFrom}: one request at a time` }, per: 'thread' };
  if (workerClass === 'gthread')
    return `gthread's threads per worker are not in the capture (${classFrom}; gunicorn prints its configuration with --log-level debug)`;
  if (workerClass !== null) return `the worker class ${workerClass} has no known concurrency per worker`;
  return 'no worker class or threads per worker in the capture (gunicorn prints `Using worker:`, puma its max threads); an asyncio worker (uvicorn) has no such cap, its event loop is judged instead';
}

/** Requests in service at today's peak, and how that was measured. */
function demandToday(entry: OnHostEntry, capacity: Capacity): Count | null {
  // Little's law (λ × W) counts what waited in the accept queue too: only for one-at-a-time workers,
  // where a worker's accepts are its completions.
  if (capacity.perWorker.value === 1) {
    const s = workerSizing(entry, 1);
    if (s)
      return {
        value: s.needed,
        from: `Little's law over the seconds every worker was busy: λ ${roundTo(s.arrivalsPerSec)} new connections/s × W = ${s.workers} workers ÷ ${roundTo(s.completionsPerSec)} accepts/s = ${roundTo(s.serviceSec)} s (process-tree.jsonl port lines)`,
      };
  }
  const inFlight = max(gaugeByTime(entry.facts.samples.prometheus, 'http_requests_in_flight')?.values ?? []);
  if (inFlight !== undefined && inFlight > 0)
    return { value: inFlight, from: 'peak http_requests_in_flight (prometheus-queries)' };
  const busy = max(entry.facts.workers?.busy ?? []);
  if (capacity.perWorker.value === 1 && busy !== undefined && busy > 0)
    return { value: busy, from: 'peak busy worker processes in process-tree.jsonl' };
  return null;
}

/** The check; unknown (never passed) where the capture lacks the workers, their concurrency or the demand. */
export function workerConcurrencyCheck(entry: OnHostEntry, n: number): EventCheck {
  const workers = workerCount(entry);
  if (!workers)
    return unknownWorkers(
      'no worker processes in the capture (no process-tree.jsonl from `fleetlens sample`, no server configuration in app.log)',
    );
  const each = perWorker(entry);
  if (typeof each === 'string') return unknownWorkers(each);
  const capacity: Capacity = { workers, perWorker: each.count, per: each.per };
  const demand = demandToday(entry, capacity);
  if (!demand)
    return unknownWorkers(
      'no measure of requests in service (no port counts in process-tree.jsonl, no http_requests_in_flight)',
    );
  const limit = workers.value * each.count.value;
  const perText = each.per === 'thread' ? 'threads' : 'connections';
  return judged(
    {
      kind: 'pool',
      label: `${WORKERS_LABEL}: ${workers.value} × ${each.count.value} ${perText}`,
      today: demand.value,
      limit,
      unit: UNIT,
      source: `concurrency = workers × ${perText} = ${workers.value} × ${each.count.value} = ${limit}: ${workers.value} from ${workers.from}; ${each.count.value} from ${each.count.from}. Demand today ${roundTo(demand.value)} at once: ${demand.from}`,
    },
    n,
  );
}

const LABEL_SHAPE = /^workers × threads: (\d+) × (\d+) (threads|connections)$/;

/**
 * The change for a workers × threads ceiling: keep the worker processes (each costs memory and a
 * CPU share) and raise what each holds to reach `wanted` at once; null for any other check.
 */
export function workerConcurrencyChange(check: EventCheck, wanted: number): string | null {
  const shape = LABEL_SHAPE.exec(check.label);
  if (!shape) return null;
  const workers = Number(shape[1]);
  const per = Math.max(Number(shape[2]) + 1, Math.ceil(wanted / workers));
  if (shape[3] === 'connections')
    return `worker_connections to ${per} (${workers} × ${per} = ${workers * per} at once)`;
  return `${workers} workers × ${per} threads = ${workers * per} at once (gunicorn -k gthread --threads ${per}), or an async worker class where the wait is I/O`;
}

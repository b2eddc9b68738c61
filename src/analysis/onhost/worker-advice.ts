// Sizing a starved pool of worker processes (gunicorn sync/gthread, uvicorn --workers) by Little's
// law: concurrency needed = arrival rate × service time. Arrivals come from the connections that
// reached the listener each second, service time from the busy workers' completions (a worker
// takes the next connection when it finishes one: W = busy workers ÷ accepts per second). The
// answer is in the server's own flags: `-w` × `--threads` for gthread, or an async worker where
// the wait is I/O and the code is cooperative (gevent: C extensions that do their own I/O block
// the hub). Pure; the threadpool-starvation finding carries it.
import type { RecommendationDraft } from '../define-rule.ts';
import type { OnHostEntry } from '../facts.ts';
import { round } from '../stats.ts';
import { established } from './advice.ts';
import { allBusySeconds, portRates } from './workers.ts';

/** The new concurrency is the Little's-law minimum times this (arrivals vary): the thread-pool rule's default. */
export const WORKER_HEADROOM = 1.25;

const IO_WAITS = new Set(['poll', 'ppoll', 'recvfrom', 'recvmsg', 'read', 'connect', 'sendto', 'futex']);

export interface WorkerSizing {
  workers: number;
  threadsPerWorker: number;
  arrivalsPerSec: number;
  completionsPerSec: number;
  serviceSec: number;
  needed: number;
  wanted: number;
  waitIsIo: boolean;
}

/** The Little's-law numbers over the seconds every worker was busy; null without the port's counts. */
export function workerSizing(entry: OnHostEntry, headroom = WORKER_HEADROOM): WorkerSizing | null {
  const w = entry.facts.workers;
  const tree = entry.facts.samples.processTree;
  if (w?.layout !== 'pre-fork' || w.workers.length < 2) return null;
  const full = allBusySeconds(w, 2);
  const fullSeconds = new Set(w.timesMs.filter((_, i) => full[i]).map((t) => Math.round(t / 1000)));
  const rates = portRates(tree, (t) => fullSeconds.has(Math.round(t / 1000)));
  if (!rates || rates.acceptedPerSec <= 0) return null;
  const threadsPerWorker = Math.max(1, Math.round(Math.min(...w.workers.map((x) => x.threadsMedian ?? 1))));
  const serviceSec = w.workers.length / rates.acceptedPerSec;
  const needed = rates.arrivedPerSec * serviceSec;
  const waitIsIo = w.workers.every((x) => (x.busyCpuPct ?? 0) < 20 && IO_WAITS.has(x.busyIn ?? ''));
  return {
    workers: w.workers.length,
    threadsPerWorker,
    arrivalsPerSec: rates.arrivedPerSec,
    completionsPerSec: rates.acceptedPerSec,
    serviceSec,
    needed,
    wanted: Math.max(w.workers.length + 1, Math.ceil(needed * headroom)),
    waitIsIo,
  };
}

/** The recommendation for a starved worker-process pool; null when the class is not established or no rate is known. */
export function workerPoolAdvice(entry: OnHostEntry, headroom = WORKER_HEADROOM): RecommendationDraft | null {
  if (!established(entry, 'threadpool-starvation')) return null;
  const s = workerSizing(entry, headroom);
  if (!s) return null;
  const current = s.workers * s.threadsPerWorker;
  const threads = Math.ceil(s.wanted / s.workers);
  const gthread = `gunicorn -k gthread -w ${s.workers} --threads ${threads} (${s.workers} × ${threads} = ${s.workers * threads} requests at once)`;
  const asyncWorker =
    'or, since the workers wait on I/O, an async worker (gunicorn -k gevent, or uvicorn with an async client) if the code is cooperative: ' +
    'gevent needs monkey.patch_all() before anything imports socket, and a C extension that does its own I/O (a database driver, grpc) blocks the hub and every request of that worker';
  return {
    kind: 'runtime',
    subject: entry.subject,
    current: `${s.workers} worker processes × ${s.threadsPerWorker} thread${s.threadsPerWorker === 1 ? '' : 's'} = ${current} requests at once`,
    recommended: s.waitIsIo
      ? `${gthread}; ${asyncWorker}`
      : `${gthread}, or -w ${s.wanted} if the work needs a CPU each (mind the CPU count)`,
    rationale:
      `While every worker was busy, connections arrived at ${round(s.arrivalsPerSec, 2)}/s and the workers took ${round(s.completionsPerSec, 2)}/s, ` +
      `so each request held a worker ${round(s.serviceSec, 2)} s. Little's law needs ${round(s.needed, 1)} requests in service at once; ${s.wanted} leaves ${Math.round((headroom - 1) * 100)} % headroom. ` +
      'This is a floor: arrivals counted while clients wait and give up are held back by the waiting, and connections shorter than the sampling interval are not seen; check the accept queue again after the change.',
    evidence: [
      {
        kind: 'arithmetic',
        label: "Worker pool sizing (Little's law)",
        steps: [
          {
            label: 'busy workers (N)',
            formula: 'worker processes all busy (process-tree.jsonl)',
            result: String(s.workers),
          },
          {
            label: 'arrivals (λ)',
            formula: 'new connections on the port per second while every worker was busy',
            result: `${round(s.arrivalsPerSec, 2)}/s`,
          },
          {
            label: 'completions (X)',
            formula: 'connections the workers accepted per second (each finished the one before)',
            result: `${round(s.completionsPerSec, 2)}/s`,
          },
          {
            label: 'service time (W)',
            formula: `N ÷ X = ${s.workers} ÷ ${round(s.completionsPerSec, 2)}`,
            result: `${round(s.serviceSec, 2)} s`,
          },
          {
            label: "Little's law minimum",
            formula: `λ × W = ${round(s.arrivalsPerSec, 2)} × ${round(s.serviceSec, 2)}`,
            result: `${round(s.needed, 1)} at once`,
          },
          {
            label: 'new concurrency',
            formula: `${round(s.needed, 1)} × ${headroom} headroom, rounded up`,
            result: String(s.wanted),
          },
        ],
      },
    ],
    monthlyCostDeltaUsd: 0,
    risk: 2,
  };
}

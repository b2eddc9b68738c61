// A bounded pool that cannot keep up: its workers are all busy, work queues behind them, the
// CPUs idle. Little's law sizes the pool: workers ≥ arrival rate × service time. The service time
// comes from the pool's own throughput while it was full (W = workers ÷ completions per second),
// the arrival rate from the completions plus the queue's growth. When the service time is spent
// waiting on an upstream, async I/O removes the need for the threads altogether.
import { z } from 'zod';
import { cite, runtimeFact } from '../../knowledge/index.ts';
import type { Evidence } from '../../model/index.ts';
import { defineRule, type RecommendationDraft } from '../define-rule.ts';
import { sampleSeriesEvidence, stat } from '../evidence.ts';
import type { OnHostEntry } from '../facts.ts';
import {
  classScore,
  established,
  eventExcerpt,
  eventsOf,
  gaugeByTime,
  medianWhere,
  ratePerSec,
  signalsTable,
} from '../onhost/advice.ts';
import { lowestThreadLimit } from '../onhost/classify.ts';
import { sourceOf } from '../onhost/signals.ts';
import { workerPoolAdvice } from '../onhost/worker-advice.ts';
import { hostLabel } from '../rule-helpers.ts';
import { max, percentile, round, slopePerSec } from '../stats.ts';

type Series = { timesMs: number[]; values: number[] };

export const threadpoolStarvation = defineRule({
  meta: {
    id: 'threadpool-starvation',
    title: 'Thread pool starved: work queues behind a full pool',
    category: 'reliability',
    defaultSeverity: 'high',
    requires: ['onhost'],
    options: z.object({
      headroom: z
        .number()
        .min(1)
        .default(1.25)
        .describe('The new pool size is the Little’s-law minimum times this (arrivals vary).'),
    }),
    messages: {
      starved:
        '{{host}}: the thread pool is the limit: {{pool}} workers busy while {{queued}} wait{{cpu}}{{errors}}',
    },
    docs: {
      rationale:
        'A bounded pool serves at most workers ÷ service time requests per second. Past that, requests wait in its queue ' +
        '(ThreadPoolExecutor’s queue is unbounded), latency grows with the queue, and clients time out while the CPUs stay idle: ' +
        'more CPU or a bigger instance does not help.',
      remediation:
        'Size the pool from Little’s law (workers ≥ arrival rate × service time, plus headroom), or make the slow call async so no thread waits on it. ' +
        'Give slow upstreams their own pool (a bulkhead) and a timeout, and bound the queue so excess work is refused (429/503) before its client gives up.',
      sources: [
        cite(runtimeFact('python-concurrent.futures', 'ThreadPoolExecutor max_workers')),
        cite(runtimeFact('python-concurrent.futures', 'ThreadPoolExecutor deadlock')),
        cite(runtimeFact('gunicorn', 'threads')),
        "Little's law L = λW (J. D. C. Little, Operations Research 9(3), 1961)",
      ],
    },
  },
  check(facts, ctx) {
    for (const entry of facts.onHost) {
      const { threads, samples } = entry.facts;
      const poolMetrics = gaugeByTime(samples.prometheus, 'threadpool_');
      if (!threads && !poolMetrics) {
        ctx.insufficientData('no thread log and no pool metrics', entry.subject);
        continue;
      }
      if (!established(entry, 'threadpool-starvation')) continue;
      report(entry, ctx);
    }
  },
});

function report(entry: OnHostEntry, ctx: Parameters<typeof threadpoolStarvation.check>[1]) {
  const { samples, threads, cpu } = entry.facts;
  const hostName = entry.host ? hostLabel(entry.host) : (entry.subject.name ?? entry.subject.id);
  const prom = samples.prometheus;
  const queue = gaugeByTime(prom, 'threadpool_queue_depth');
  const active =
    gaugeByTime(prom, 'threadpool_active_workers') ?? gaugeByTime(prom, 'http_requests_in_flight');
  const pool = poolSize(entry, active);
  const completions = ratePerSec(prom, 'http_requests_total');
  // While the pool was full each worker completes one request per service time: W = pool ÷ X.
  // Only samples that completed something count: a worker answering a client that already gave
  // up is busy too, but such a request is often not counted as served.
  const full = fullAt(active, pool?.size);
  const throughput = completions
    ? medianWhere(
        { timesMs: completions.timesMs, values: completions.values.map((v) => (v > 0 ? v : Number.NaN)) },
        full,
      )
    : undefined;
  const serviceSec = pool && throughput && throughput > 0 ? pool.size / throughput : undefined;
  const growth = queue ? queueGrowth(queue) : undefined;
  const arrivals = throughput !== undefined ? throughput + (growth?.perSec ?? 0) : undefined;
  const needed = arrivals !== undefined && serviceSec !== undefined ? arrivals * serviceSec : undefined;
  const wanted = needed !== undefined ? Math.ceil(needed * ctx.options.headroom) : undefined;
  const limit = lowestThreadLimit(entry.facts);

  const queuedPeak = queue ? (max(queue.values) ?? 0) : undefined;
  const errors = eventsOf(entry, ['connection-reset', 'timeout']);
  const cpuP95 = cpu ? round(percentile(cpu.busyPct, 95) ?? 0) : undefined;
  const score = classScore(entry, 'threadpool-starvation')!;

  const evidence: Evidence[] = [signalsTable(score)];
  if (pool) evidence.push(stat('pool size', pool.size, 'threads', pool.source));
  if (queue) {
    evidence.push(
      sampleSeriesEvidence(
        'Work waiting for a worker',
        queue.timesMs,
        queue.values,
        'count',
        'threadpool_queue_depth',
      ),
    );
  }
  if (active) {
    evidence.push(
      sampleSeriesEvidence(
        'Busy workers',
        active.timesMs,
        active.values,
        'threads',
        'threadpool_active_workers',
        pool ? { label: 'pool size', value: pool.size, bad: 'above' } : undefined,
      ),
    );
  }
  if (threads) {
    evidence.push(
      sampleSeriesEvidence(
        'Threads of the process',
        threads.timesMs,
        threads.values,
        'threads',
        sourceOf(entry.facts.samples, 'threads', 'threads.log'),
      ),
    );
  }
  if (errors.length > 0) evidence.push(eventExcerpt('Clients giving up', errors));

  const steps = [
    ...(pool ? [{ label: 'pool size', formula: pool.source, result: String(pool.size) }] : []),
    ...(throughput !== undefined
      ? [
          {
            label: 'completions while the pool was full (X)',
            formula:
              'median of http_requests_total per second, at the samples with every worker busy and requests completing',
            result: `${round(throughput, 2)}/s`,
          },
        ]
      : []),
    ...(serviceSec !== undefined
      ? [
          {
            label: 'service time (W)',
            formula: `${pool!.size} ÷ ${round(throughput!, 2)}/s`,
            result: `${round(serviceSec, 2)} s`,
          },
        ]
      : []),
    ...(growth
      ? [
          {
            label: 'queue growth',
            formula: `least-squares slope of threadpool_queue_depth while it rose to ${queuedPeak}`,
            result: `${round(growth.perSec, 2)}/s`,
          },
        ]
      : []),
    ...(arrivals !== undefined
      ? [
          {
            label: 'arrival rate (λ)',
            formula: `X + queue growth = ${round(throughput!, 2)} + ${round(growth?.perSec ?? 0, 2)}`,
            result: `${round(arrivals, 2)}/s`,
          },
        ]
      : []),
    ...(needed !== undefined && wanted !== undefined
      ? [
          {
            label: "Little's law minimum",
            formula: `λ × W = ${round(arrivals!, 2)} × ${round(serviceSec!, 2)}`,
            result: `${round(needed, 1)} workers`,
          },
          {
            label: 'new pool size',
            formula: `${round(needed, 1)} × ${ctx.options.headroom} headroom, rounded up`,
            result: `${wanted} workers`,
          },
        ]
      : []),
    ...(wanted !== undefined && limit !== null
      ? [
          {
            label: 'against the thread limits',
            formula: `${wanted} + the other threads (${pool ? Math.max(0, (max(threads?.values ?? []) ?? pool.size) - pool.size) : '?'}) vs the lowest OS limit ${limit}`,
            result: wanted * 2 < limit ? 'fits' : 'too close: go async instead',
          },
        ]
      : []),
  ];
  // A pool of worker processes (gunicorn sync, uvicorn --workers) is sized by its own arithmetic:
  // -w × --threads, not one process's ThreadPoolExecutor.
  const workerPool = workerPoolAdvice(entry, ctx.options.headroom);
  const recommendations: RecommendationDraft[] = workerPool
    ? [workerPool]
    : [
        {
          kind: 'runtime',
          subject: entry.subject,
          current: pool ? `thread pool of ${pool.size} workers` : 'a bounded thread pool',
          recommended:
            wanted !== undefined
              ? `thread pool of ${wanted} workers (ThreadPoolExecutor(max_workers=${wanted}), gunicorn --threads), or make the slow call async`
              : 'size the pool as arrival rate × service time (the capture has no request rate to compute it), or make the slow call async',
          rationale:
            wanted !== undefined
              ? `The pool completed ${round(throughput!, 2)} requests/s with all ${pool!.size} workers busy, so each request held a worker ${round(serviceSec!, 2)} s; ` +
                `${round(arrivals!, 2)}/s arrived. Little's law needs ${round(needed!, 1)} busy workers on average; ${wanted} leaves ${Math.round((ctx.options.headroom - 1) * 100)} % headroom. ` +
                'This is a floor: arrivals measured while clients wait are held back by the waiting, and come back sooner once waits shrink, so check the queue again after the change. ' +
                'If the service time is spent waiting on an upstream, an async client needs no threads at all; either way bound the queue so work whose client has given up is refused early.'
              : `The pool was full${queuedPeak !== undefined ? ` with up to ${queuedPeak} waiting` : ''} while the CPUs idled. Without a request-rate metric the pool size cannot be computed here: measure completions per second while it is full, then workers ≥ arrivals × (pool ÷ completions).`,
          evidence:
            steps.length > 0 ? [{ kind: 'arithmetic', label: "Pool sizing (Little's law)", steps }] : [],
          monthlyCostDeltaUsd: 0,
          risk: wanted !== undefined && limit !== null && wanted * 2 >= limit ? 3 : 2,
        },
      ];
  ctx.report({
    subject: entry.subject,
    messageId: 'starved',
    data: {
      host: hostName,
      pool: pool?.size ?? 'all',
      queued: queuedPeak !== undefined ? `up to ${queuedPeak} requests` : 'connections',
      cpu: cpuP95 !== undefined ? `; CPU p95 ${cpuP95} % busy` : '',
      errors: errors.length > 0 ? `; ${errors.length} client resets or timeouts in the app log` : '',
    },
    evidence,
    recommendations,
  });
}

/**
 * The pool's size: its own max-workers metric, what the app printed at start-up, or the level
 * the busy-worker gauge is pinned at.
 */
export function poolSize(entry: OnHostEntry, active: Series | null): { size: number; source: string } | null {
  const configured = max(gaugeByTime(entry.facts.samples.prometheus, 'threadpool_max_workers')?.values ?? []);
  if (configured !== undefined && configured > 0)
    return { size: configured, source: 'threadpool_max_workers' };
  const declared = entry.facts.samples.appLog?.declaredWorkers ?? null;
  if (declared !== null && declared > 0)
    return { size: declared, source: 'workers= in the app log at start-up' };
  const pinned = active ? max(active.values) : undefined;
  if (pinned !== undefined && pinned >= 2)
    return { size: pinned, source: 'the level busy workers were pinned at' };
  return null;
}

/** Whether every worker was busy at a time: all times count when the pool's gauge is missing. */
function fullAt(active: Series | null, size: number | undefined): (timeMs: number) => boolean {
  if (!active || size === undefined) return () => true;
  const busyAt = new Map(active.timesMs.map((t, i) => [t, active.values[i] ?? 0]));
  return (timeMs) => (busyAt.get(timeMs) ?? Number.NEGATIVE_INFINITY) >= size;
}

/** The queue's growth while it rose: the slope from its first non-empty sample to its peak. */
function queueGrowth(queue: Series): { perSec: number } | undefined {
  const peak = max(queue.values) ?? 0;
  const start = queue.values.findIndex((v) => v > 0);
  const end = queue.values.indexOf(peak);
  if (start === -1 || end - start < 5) return undefined;
  const slope = slopePerSec(queue.timesMs.slice(start, end + 1), queue.values.slice(start, end + 1));
  return slope !== undefined && slope > 0 ? { perSec: slope } : undefined;
}

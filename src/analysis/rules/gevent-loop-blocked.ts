// A gevent hub blocked by a call monkey-patching cannot make cooperative: C code that holds the
// thread (hashing, compression, a C database driver, a native sleep). Every greenlet of the worker
// waits for it. The monitor thread names the frame (`appears to be blocked`, after
// max_blocking_time 0.1 s). Two ways out: run that call in gevent's native threadpool, or leave
// gevent for gunicorn's gthread workers, with threads enough for the concurrency observed.
import { z } from 'zod';
import { cite, runtimeFact } from '../../knowledge/index.ts';
import type { Evidence } from '../../model/index.ts';
import { defineRule, type RecommendationDraft } from '../define-rule.ts';
import { sampleSeriesEvidence, stat, table } from '../evidence.ts';
import type { OnHostEntry } from '../facts.ts';
import {
  classScore,
  established,
  eventExcerpt,
  eventsOf,
  gaugeByTime,
  heldArithmetic,
  signalsTable,
  topCounts,
} from '../onhost/advice.ts';
import { sourceOf } from '../onhost/signals.ts';
import { hostLabel } from '../rule-helpers.ts';
import { max, min, percentile, round } from '../stats.ts';

export const geventLoopBlocked = defineRule({
  meta: {
    id: 'gevent-loop-blocked',
    title: 'gevent hub blocked by a call it cannot patch',
    category: 'reliability',
    defaultSeverity: 'high',
    requires: ['onhost'],
    options: z.object({
      headroom: z
        .number()
        .min(1)
        .default(1.5)
        .describe('gthread threads per worker = observed concurrency per worker × this.'),
    }),
    messages: {
      blocked: '{{host}}: the gevent hub was blocked{{reports}}{{frame}}; hub lag p99 {{lagP99}}{{timeouts}}',
    },
    docs: {
      rationale:
        'gevent multiplexes every connection of a worker on one thread by patching blocking calls into cooperative ones. A call it cannot patch ' +
        '(C extensions: hashing, compression, C database drivers without a green adapter) blocks the hub, and every other request of that worker waits; ' +
        'gunicorn may even kill the worker for missing its heartbeat (WORKER TIMEOUT).',
      remediation:
        'Run the blocking call in gevent’s native threadpool (`gevent.get_hub().threadpool.apply(fn, args)`), use a gevent-aware driver, ' +
        'or switch the service to gunicorn gthread workers (-k gthread --threads N) with N from the observed concurrency per worker.',
      sources: [
        cite(runtimeFact('gevent', 'blocking report text')),
        cite(runtimeFact('gevent', 'max_blocking_time')),
        cite(runtimeFact('gevent', 'monitor_thread')),
        cite(runtimeFact('gunicorn', 'worker classes')),
        cite(runtimeFact('gunicorn', 'threads')),
        cite(runtimeFact('gunicorn', 'arbiter log lines')),
      ],
    },
  },
  check(facts, ctx) {
    for (const entry of facts.onHost) {
      const { samples } = entry.facts;
      if (!samples.appLog && !samples.lag) {
        ctx.insufficientData('no app log and no lag.csv', entry.subject);
        continue;
      }
      if (!established(entry, 'gevent-loop-blocked')) continue;
      report(entry, ctx);
    }
  },
});

/** Concurrent requests seen: in-flight requests, else the TCP connections above the idle level. */
function observedConcurrency(entry: OnHostEntry): { value: number; source: string } | null {
  const inFlight = max(gaugeByTime(entry.facts.samples.prometheus, 'http_requests_in_flight')?.values ?? []);
  if (inFlight !== undefined && inFlight > 0)
    return { value: inFlight, source: 'peak of http_requests_in_flight' };
  const sock = entry.facts.samples.sockstat;
  if (sock && sock.tcpInuse.length >= 10) {
    const idle = min(sock.tcpInuse) ?? 0;
    const peak = percentile(sock.tcpInuse, 95) ?? 0;
    // Loopback load counts both ends of each connection; a remote client only one. Say which.
    if (peak > idle) {
      return {
        value: peak - idle,
        source: `P95 − minimum of TCP sockets in use (sockstat: ${peak} − ${idle}; on loopback both ends count, so this is an upper bound)`,
      };
    }
  }
  return null;
}

function report(entry: OnHostEntry, ctx: Parameters<typeof geventLoopBlocked.check>[1]) {
  const { samples } = entry.facts;
  const hostName = entry.host ? hostLabel(entry.host) : (entry.subject.name ?? entry.subject.id);
  const reports = eventsOf(entry, ['gevent-blocked']);
  const timeouts = eventsOf(entry, ['worker-timeout']);
  const frames = topCounts(reports.flatMap((e) => (e.frame ? [e.frame] : [])));
  const lag = samples.lag?.lagSec ?? [];
  const lagP99 = percentile(lag, 99);
  const score = classScore(entry, 'gevent-loop-blocked')!;

  const evidence: Evidence[] = [signalsTable(score)];
  if (reports.length > 0) {
    evidence.push(
      stat('blocked-hub reports', reports.length, 'count', 'gevent monitor thread (max_blocking_time 0.1 s)'),
    );
    if (frames.length > 0) {
      evidence.push(
        table(
          'Frames that blocked the hub (innermost frame of each report)',
          [
            { key: 'frame', label: 'frame' },
            { key: 'count', label: 'reports' },
          ],
          frames.map((f) => ({ frame: f.key, count: f.count })),
        ),
      );
    }
    evidence.push(eventExcerpt('gevent blocked-hub reports', reports));
  }
  if (timeouts.length > 0) evidence.push(eventExcerpt('gunicorn worker timeouts', timeouts));
  if (samples.lag && lag.length > 0) {
    evidence.push(
      sampleSeriesEvidence(
        'Hub lag',
        samples.lag.timesMs,
        lag,
        'seconds',
        sourceOf(samples, 'lag', 'lag.csv'),
        {
          label: 'max_blocking_time',
          value: 0.1,
          bad: 'above',
        },
      ),
    );
  }

  const top = frames[0]?.key;
  const held = heldArithmetic(samples.lag, 0.1, 'hub');
  const workers = samples.appLog?.declaredWorkers ?? null;
  const concurrency = observedConcurrency(entry);
  const perWorker = concurrency ? concurrency.value / Math.max(1, workers ?? 1) : undefined;
  const threads =
    perWorker !== undefined ? Math.max(2, Math.ceil(perWorker * ctx.options.headroom)) : undefined;
  const recommendations: RecommendationDraft[] = [
    {
      kind: 'runtime',
      subject: entry.subject,
      current: top ? `${top} runs on the gevent hub` : 'a blocking call runs on the gevent hub',
      recommended: `run ${top ? 'that call' : 'the blocking call'} in gevent's threadpool: gevent.get_hub().threadpool.apply(fn, args)`,
      rationale:
        `${reports.length > 0 ? `${reports.length} monitor reports` : 'The hub lag'} show the hub held by ${top ?? 'a call the monitor did not name'}. ` +
        "The threadpool runs it on a real thread while the hub keeps serving the worker's other connections; it is the smallest change." +
        (reports.length === 0
          ? ' The monitor thread is off by default: GEVENT_MONITOR_THREAD_ENABLE=1 for one capture names the frame.'
          : ''),
      evidence: held ? [held] : [],
      monthlyCostDeltaUsd: 0,
      risk: 1,
    },
  ];
  if (threads !== undefined && concurrency) {
    recommendations.push({
      kind: 'runtime',
      subject: entry.subject,
      current: `gunicorn -k gevent${workers !== null ? ` --workers ${workers}` : ''}`,
      recommended: `gunicorn -k gthread${workers !== null ? ` --workers ${workers}` : ''} --threads ${threads}`,
      rationale:
        `When much of the code makes such calls, threads are the honest model: gthread serves workers × threads requests at once. ` +
        `The capture peaked at about ${round(concurrency.value)} concurrent requests${workers !== null ? ` over ${workers} workers` : ''}; ` +
        `${threads} threads per worker cover that with ${Math.round((ctx.options.headroom - 1) * 100)} % headroom. Each thread costs a stack (8 MiB of address space by default).`,
      evidence: [
        {
          kind: 'arithmetic',
          label: 'gthread sizing',
          steps: [
            {
              label: 'observed concurrency',
              formula: concurrency.source,
              result: String(round(concurrency.value)),
            },
            {
              label: 'per worker',
              formula: `${round(concurrency.value)} ÷ ${workers ?? 1} worker${workers === 1 || workers === null ? '' : 's'}${workers === null ? ' (not in the log: assumed 1)' : ''}`,
              result: String(round(perWorker!, 1)),
            },
            {
              label: 'threads per worker',
              formula: `ceil(${round(perWorker!, 1)} × ${ctx.options.headroom}), at least 2`,
              result: String(threads),
            },
          ],
        },
      ],
      monthlyCostDeltaUsd: 0,
      risk: 2,
    });
  }
  ctx.report({
    subject: entry.subject,
    messageId: 'blocked',
    data: {
      host: hostName,
      reports: reports.length > 0 ? ` (${reports.length} monitor reports)` : '',
      frame: top ? `, mostly in ${top}` : '',
      lagP99: lagP99 !== undefined ? `${round(lagP99 * 1000)} ms` : 'unknown',
      timeouts: timeouts.length > 0 ? `; ${timeouts.length} gunicorn WORKER TIMEOUTs` : '',
    },
    evidence,
    recommendations,
  });
}

// Thread exhaustion: a thread per connection (or per task) with no bound, until the OS refuses
// the next one (`can't start new thread`: pthread_create fails with EAGAIN). The fix is a bound:
// a fixed pool sized well below the limit that was hit, with the excess queued or refused. Raising
// the limit only moves the failure, so it comes second and only for the limit actually hit.
import { z } from 'zod';
import { cite, runtimeFact, sysctlFact } from '../../knowledge/index.ts';
import type { Evidence } from '../../model/index.ts';
import { defineRule, type RecommendationDraft } from '../define-rule.ts';
import { sampleSeriesEvidence, stat, table } from '../evidence.ts';
import type { OnHostEntry } from '../facts.ts';
import {
  classScore,
  established,
  eventExcerpt,
  eventsOf,
  signalsTable,
  topCounts,
} from '../onhost/advice.ts';
import { sourceOf, threadLimits } from '../onhost/signals.ts';
import { hostLabel } from '../rule-helpers.ts';
import { max, percentile, round } from '../stats.ts';

export const threadExhaustion = defineRule({
  meta: {
    id: 'thread-exhaustion',
    title: 'Threads exhausted: the OS refused new threads',
    category: 'reliability',
    defaultSeverity: 'critical',
    requires: ['onhost'],
    options: z.object({
      poolShareOfLimit: z
        .number()
        .min(0.05)
        .max(0.9)
        .default(0.5)
        .describe('A bounded pool stays at or below this share of the limit that was hit.'),
    }),
    messages: {
      exhausted:
        '{{host}}: threads climbed to {{peak}}{{limit}} and {{failures}}; each connection gets its own thread with no bound',
    },
    docs: {
      rationale:
        'A server that starts a thread per connection (socketserver.ThreadingMixIn, http.server.ThreadingHTTPServer) has no ceiling of its own: ' +
        'under slow upstreams or many keep-alive clients the thread count follows the connections until RLIMIT_NPROC, kernel.threads-max, pid_max, ' +
        'a cgroup pids.max or the address space for 8 MiB stacks refuses the next one. Then new connections fail or are reset, and context switching grows with the threads.',
      remediation:
        'Bound the concurrency: a fixed pool (concurrent.futures.ThreadPoolExecutor, gunicorn gthread with --threads) well below the limit, and let the excess wait ' +
        'in a bounded queue or be refused. Raise the limit that was hit only as a stopgap, after the bound is in place.',
      sources: [
        cite(runtimeFact('python-threading', 'thread creation failure')),
        cite(runtimeFact('python-socketserver', 'ThreadingMixIn')),
        cite(sysctlFact('RLIMIT_NPROC')),
        cite(sysctlFact('kernel.threads-max')),
        cite(sysctlFact('RLIMIT_STACK')),
        cite(sysctlFact('systemd TasksMax')),
        'pmie kernel.all.pswitch > 4000/s per CPU: performancecopilot/pcp src/pmieconf/cpu/context_switch @918d12b68beca9b2',
      ],
    },
  },
  check(facts, ctx) {
    for (const entry of facts.onHost) {
      if (!entry.facts.threads && !entry.facts.samples.appLog) {
        ctx.insufficientData('no thread log and no app log', entry.subject);
        continue;
      }
      if (!established(entry, 'thread-exhaustion')) continue;
      report(entry, ctx);
    }
  },
});

function report(entry: OnHostEntry, ctx: Parameters<typeof threadExhaustion.check>[1]) {
  const { threads, cpu } = entry.facts;
  const hostName = entry.host ? hostLabel(entry.host) : (entry.subject.name ?? entry.subject.id);
  const failures = eventsOf(entry, ['cant-start-thread']);
  const peak = threads ? (max(threads.values) ?? 0) : null;
  const limits = threadLimits(entry.facts);
  // The limit that was hit: the lowest one the peak reached (a per-user limit also counts the
  // user's other processes, so the process itself may stop a little below it).
  const hit = peak !== null ? limits.find((l) => peak >= l.value * 0.9) : undefined;
  const score = classScore(entry, 'thread-exhaustion')!;

  const evidence: Evidence[] = [signalsTable(score)];
  if (threads) {
    evidence.push(
      sampleSeriesEvidence(
        'Threads of the process',
        threads.timesMs,
        threads.values,
        'threads',
        sourceOf(entry.facts.samples, 'threads', 'threads.log'),
        hit ? { label: hit.name, value: hit.value, bad: 'above' } : undefined,
      ),
    );
  }
  if (limits.length > 0) {
    evidence.push(
      table(
        'Thread limits',
        [
          { key: 'limit', label: 'limit' },
          { key: 'value', label: 'value', unit: 'threads' },
          { key: 'source', label: 'from' },
        ],
        limits.map((l) => ({ limit: l.name, value: l.value, source: l.source })),
      ),
    );
  }
  if (failures.length > 0) {
    evidence.push(eventExcerpt("Thread creation failures (`can't start new thread`)", failures));
    const frames = topCounts(
      failures.flatMap((e) => (e.frame ? [e.frame] : [])),
      3,
    );
    if (frames.length > 0) {
      evidence.push(
        table(
          'Where threads were started',
          [
            { key: 'frame', label: 'frame' },
            { key: 'count', label: 'failures' },
          ],
          frames.map((f) => ({ frame: f.key, count: f.count })),
        ),
      );
    }
  }
  const ncpu = entry.facts.cpu?.cpuCount ?? entry.facts.samples.hostCpuCount ?? null;
  if (cpu && cpu.cswchPerSec.length > 0) {
    evidence.push(
      stat(
        'context switches, p95',
        round(percentile(cpu.cswchPerSec, 95) ?? 0),
        'per-second',
        ncpu ? `sar -w cswch/s; pmie warns above 4000/s per CPU = ${4000 * ncpu}/s here` : 'sar -w cswch/s',
      ),
    );
  }

  const ceiling = hit ?? limits[0];
  const pool = ceiling ? Math.max(1, Math.floor(ceiling.value * ctx.options.poolShareOfLimit)) : undefined;
  const cappedPool =
    pool !== undefined && peak !== null
      ? Math.min(pool, Math.max(1, Math.floor(peak * ctx.options.poolShareOfLimit)))
      : pool;
  const recommendations: RecommendationDraft[] = [
    {
      kind: 'runtime',
      subject: entry.subject,
      current: 'a thread per connection, unbounded',
      recommended:
        cappedPool !== undefined
          ? `a bounded pool of at most ${cappedPool} threads (ThreadPoolExecutor(max_workers=${cappedPool}) or gunicorn -k gthread --threads) with a bounded queue`
          : 'a bounded pool (ThreadPoolExecutor or gunicorn -k gthread --threads) with a bounded queue',
      rationale:
        cappedPool !== undefined
          ? `Threads reached ${peak}${hit ? `, at ${hit.name} = ${hit.value}` : ''}. A pool of ${cappedPool} can never reach the limit; the excess waits in the queue or is refused with a clear error instead of a reset. ` +
            'Size it down further from the service time (workers ≥ arrivals × service time) once the bound is in place.'
          : 'No limit was found in the files (a cgroup pids.max or systemd TasksMax is not in them: `systemctl show -p TasksMax`); bound the pool well below whichever limit it is.',
      evidence:
        cappedPool !== undefined && ceiling
          ? [
              {
                kind: 'arithmetic',
                label: 'Pool bound',
                steps: [
                  { label: 'peak threads', formula: 'max of threads.log', result: String(peak ?? '?') },
                  {
                    label: 'limit',
                    formula: hit ? `${hit.name}, reached at the peak` : `${ceiling.name}, the lowest known`,
                    result: String(ceiling.value),
                  },
                  {
                    label: 'pool bound',
                    formula: `min(${ceiling.value}, ${peak ?? ceiling.value}) × ${ctx.options.poolShareOfLimit}`,
                    result: String(cappedPool),
                  },
                ],
              },
            ]
          : [],
      monthlyCostDeltaUsd: 0,
      risk: 2,
    },
  ];
  if (hit && peak !== null && hit.name.startsWith('RLIMIT_NPROC')) {
    const wanted = 2 ** Math.ceil(Math.log2(Math.max(hit.value * 2, peak * 2)));
    recommendations.push({
      kind: 'ulimit',
      subject: entry.subject,
      current: `nproc soft ${hit.value}`,
      recommended: `nproc soft ${wanted} (LimitNPROC=${wanted}), after the pool is bounded`,
      rationale: `RLIMIT_NPROC counts every thread of the user. It was reached at ${peak} threads; twice the peak, to a power of two, leaves room for the bounded pool plus the user's other processes. Raising it alone only delays the same failure.`,
      evidence: [
        {
          kind: 'arithmetic',
          label: 'nproc sizing',
          steps: [
            { label: 'peak threads', formula: 'max of threads.log', result: String(peak) },
            {
              label: 'new soft limit',
              formula: `max(2 × ${hit.value}, 2 × ${peak}), to a power of two`,
              result: String(wanted),
            },
          ],
        },
      ],
      monthlyCostDeltaUsd: 0,
      risk: 1,
    });
  }
  ctx.report({
    subject: entry.subject,
    messageId: 'exhausted',
    data: {
      host: hostName,
      peak: peak ?? 'an unknown count',
      limit: hit ? ` (${hit.name} ${hit.value})` : '',
      failures:
        failures.length > 0
          ? `${failures.length} "can't start new thread" errors followed`
          : 'the count stopped at the limit',
    },
    evidence,
    recommendations,
  });
}

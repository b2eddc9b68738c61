// An asyncio event loop blocked by synchronous work: while one callback or task step runs, every
// other connection on the loop waits. Debug mode names the step (`Executing <...> took N seconds`,
// at ≥ slow_callback_duration, 0.1 s); the loop's own lag says how long everything else waited.
// The fix is to move the blocking call off the loop, to an executor sized from how much blocking
// work arrives (Little's law), and the default executor's size says when the default is enough.
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
  heldArithmetic,
  signalsTable,
  topCounts,
} from '../onhost/advice.ts';
import { cpuCountOf } from '../onhost/classify.ts';
import { promValues, sourceOf } from '../onhost/signals.ts';
import { hostLabel } from '../rule-helpers.ts';
import { max, mean, min, percentile, round } from '../stats.ts';

export const eventLoopBlocked = defineRule({
  meta: {
    id: 'event-loop-blocked',
    title: 'asyncio event loop blocked by synchronous work',
    category: 'reliability',
    defaultSeverity: 'high',
    requires: ['onhost'],
    options: z.object({
      headroom: z
        .number()
        .min(1)
        .default(2)
        .describe(
          'Executor threads = average concurrent blocking calls × this (blocking calls come in bursts).',
        ),
    }),
    messages: {
      blocked: '{{host}}: the asyncio loop was blocked{{steps}}; loop lag p99 {{lagP99}}{{cpu}}',
    },
    docs: {
      rationale:
        'asyncio runs every coroutine of the process on one thread. A synchronous call inside a coroutine (time.sleep, a blocking socket or ' +
        'file read, a sync HTTP or DB client, heavy CPU) holds the loop: no other request makes progress, so latency grows for all of them while the CPU has room.',
      remediation:
        'Move the blocking call off the loop: `await asyncio.to_thread(fn, ...)` or `await loop.run_in_executor(pool, fn, ...)`, or use an async client. ' +
        'The default executor has min(32, CPUs + 4) threads and also runs getaddrinfo; give blocking work its own ThreadPoolExecutor when it needs more.',
      sources: [
        cite(runtimeFact('python-asyncio', 'loop.slow_callback_duration')),
        cite(runtimeFact('python-asyncio', 'debug mode')),
        cite(runtimeFact('python-asyncio', 'default executor')),
        cite(runtimeFact('python-concurrent.futures', 'ThreadPoolExecutor max_workers')),
      ],
    },
  },
  check(facts, ctx) {
    for (const entry of facts.onHost) {
      const { samples } = entry.facts;
      if (!samples.appLog && !samples.lag && !samples.prometheus) {
        ctx.insufficientData('no app log, lag.csv or loop metrics', entry.subject);
        continue;
      }
      if (!established(entry, 'event-loop-blocked')) continue;
      report(entry, ctx);
    }
  },
});

/**
 * What a slow step was, without the parts that change per request: the coroutine and where it
 * was (`handler() running at /srv/app.py:25`) or the callback (`Handle Server._accept()`).
 */
export function stepKey(line: string): string {
  const handle = /Executing (.+) took \d+\.\d{3} seconds/.exec(line)?.[1] ?? line;
  const coro = /coro=<([\w.<>]+)\(\) (?:running|done, defined) at ([^>\s]+)>/.exec(handle);
  if (coro) return `${coro[1]}() at ${coro[2]}`;
  const callback = /<(?:Timer)?Handle (?:when=\S+ )?([\w.<>]+)\([^)]*\)(?: at ([^>\s]+))?/.exec(handle);
  if (callback) return `${callback[1]}()${callback[2] ? ` at ${callback[2]}` : ''}`;
  return handle
    .replace(/0x[0-9a-f]+/g, '0x…')
    .replace(/name='[^']*'/g, '')
    .slice(0, 120);
}

function report(entry: OnHostEntry, ctx: Parameters<typeof eventLoopBlocked.check>[1]) {
  const { samples, cpu } = entry.facts;
  const hostName = entry.host ? hostLabel(entry.host) : (entry.subject.name ?? entry.subject.id);
  const slow = eventsOf(entry, ['asyncio-slow-callback']);
  const ticker = samples.lag?.lagSec ?? [];
  const lag = ticker.length > 0 ? ticker : promValues(samples.prometheus, 'event_loop_lag_max_1s_seconds');
  const lagP99 = percentile(lag, 99);
  const ncpu = cpuCountOf(entry.facts);
  const defaultExecutor = ncpu !== null ? Math.min(32, ncpu + 4) : null;
  const score = classScore(entry, 'event-loop-blocked')!;
  const steps = topCounts(slow.map((e) => stepKey(e.line)));

  const evidence: Evidence[] = [signalsTable(score)];
  if (slow.length > 0) {
    evidence.push(
      stat(
        'slow steps logged',
        slow.length,
        'count',
        'asyncio debug: Executing <...> took N seconds (≥ 0.1 s)',
      ),
      stat('longest step', round(max(slow.map((e) => e.seconds ?? 0)) ?? 0, 3), 'seconds'),
      table(
        'Steps that blocked the loop',
        [
          { key: 'step', label: 'coroutine or callback' },
          { key: 'count', label: 'times' },
          { key: 'seconds', label: 'mean s', unit: 'seconds' },
        ],
        steps.map((s) => ({
          step: s.key,
          count: s.count,
          seconds: round(
            mean(slow.filter((e) => stepKey(e.line) === s.key).map((e) => e.seconds ?? 0)) ?? 0,
            3,
          ),
        })),
      ),
      eventExcerpt('asyncio slow-callback warnings', slow),
    );
  }
  if (samples.lag && samples.lag.lagSec.length > 0) {
    evidence.push(
      sampleSeriesEvidence(
        'Event-loop lag',
        samples.lag.timesMs,
        samples.lag.lagSec,
        'seconds',
        sourceOf(samples, 'lag', 'lag.csv'),
        {
          label: 'slow_callback_duration',
          value: 0.1,
          bad: 'above',
        },
      ),
    );
  }

  // Little's law on the blocking work: calls per second × seconds each = calls in progress.
  const spanSec = slowSpanSec(slow);
  const perSec = spanSec > 0 ? slow.length / spanSec : undefined;
  const meanSec = mean(slow.map((e) => e.seconds ?? 0));
  const concurrent = perSec !== undefined && meanSec !== undefined ? perSec * meanSec : undefined;
  const threads =
    concurrent !== undefined ? Math.max(1, Math.ceil(concurrent * ctx.options.headroom)) : undefined;
  const top = steps[0];
  // A framework's request task (aiohttp's RequestHandler._handle_request) runs the app's handler
  // inside its own step: the step names the framework, the blocking call is in the handler.
  const where = top ? placeOf(top.key) : '';
  const held = heldArithmetic(samples.lag, 0.1, 'loop');
  const recommendations: RecommendationDraft[] = [];
  // Python threads share the GIL: CPU-bound steps need processes, not an executor of threads.
  const appCpuP90 = samples.pidstat ? percentile(samples.pidstat.cpuPct, 90) : undefined;
  const cpuBound = appCpuP90 !== undefined && appCpuP90 >= 80;
  if (top && threads !== undefined && cpuBound) {
    const processes = Math.max(1, Math.min(threads, ncpu ?? threads));
    recommendations.push({
      kind: 'runtime',
      subject: entry.subject,
      current: `CPU-bound work in ${where} on the event loop (the process at ${round(appCpuP90!)} % of a CPU)`,
      recommended: `await loop.run_in_executor(ProcessPoolExecutor(max_workers=${processes}), ...) for that work, or one server process per CPU`,
      rationale:
        `The app's process ran at ${round(appCpuP90!)} % of a CPU (pidstat p90) while the loop was blocked: the steps compute, they do not wait. ` +
        'Threads would share the GIL and keep the loop waiting; a process pool (or more server processes behind one port) runs the work on the idle CPUs.',
      evidence: [
        {
          kind: 'arithmetic',
          label: 'Process pool sizing',
          steps: [
            { label: 'app CPU, p90', formula: 'pidstat %CPU of the app', result: `${round(appCpuP90!)} %` },
            {
              label: 'work in progress (Little’s law)',
              formula: `${round(perSec!, 2)} steps/s × ${round(meanSec!, 3)} s`,
              result: String(round(concurrent!, 2)),
            },
            {
              label: 'processes',
              formula: `min(ceil(${round(concurrent!, 2)} × ${ctx.options.headroom}), ${ncpu ?? '?'} CPUs)`,
              result: String(processes),
            },
          ],
        },
      ],
      monthlyCostDeltaUsd: 0,
      risk: 2,
    });
  } else if (top && threads !== undefined) {
    const fits = defaultExecutor !== null && threads <= defaultExecutor;
    recommendations.push({
      kind: 'runtime',
      subject: entry.subject,
      current: `synchronous call in ${where} on the event loop`,
      recommended: fits
        ? `await asyncio.to_thread(...) / loop.run_in_executor(None, ...) for the blocking call in ${where} (the default executor's ${defaultExecutor} threads suffice)`
        : `await loop.run_in_executor(pool, ...) for the blocking call in ${where}, with pool = ThreadPoolExecutor(max_workers=${threads})`,
      rationale:
        `${slow.length} steps held the loop ${round(meanSec!, 3)} s on average, ${top.count} of them in ${top.key}. ` +
        `Off the loop that work keeps about ${round(concurrent!, 2)} threads busy; ${threads} thread${threads === 1 ? '' : 's'} (×${ctx.options.headroom} for bursts) ` +
        (fits
          ? `fit in the default executor (min(32, ${ncpu} CPUs + 4) = ${defaultExecutor}), which also runs DNS lookups.`
          : `are more than the default executor's ${defaultExecutor ?? 'min(32, CPUs + 4)'}, so give the blocking work its own pool.`) +
        ' Debug mode logs only steps ≥ 0.1 s, so shorter blocking calls add to this.' +
        (isLibrary(top.key)
          ? ` The step is the framework's own request task, so the call is in the app's handler code: \`py-spy dump --pid PID\` during a stall names its line.`
          : ''),
      evidence: [
        {
          kind: 'arithmetic',
          label: 'Executor sizing',
          steps: [
            {
              label: 'blocking calls per second',
              formula: `${slow.length} slow steps ÷ ${round(spanSec)} s from the first to the last`,
              result: `${round(perSec!, 2)}/s`,
            },
            {
              label: 'mean blocking time',
              formula: 'mean of "took N seconds"',
              result: `${round(meanSec!, 3)} s`,
            },
            {
              label: 'calls in progress (Little’s law)',
              formula: `${round(perSec!, 2)} × ${round(meanSec!, 3)}`,
              result: String(round(concurrent!, 2)),
            },
            {
              label: 'executor threads',
              formula: `ceil(${round(concurrent!, 2)} × ${ctx.options.headroom})`,
              result: String(threads),
            },
            {
              label: 'default executor',
              formula: ncpu !== null ? `min(32, ${ncpu} + 4)` : 'min(32, CPUs + 4)',
              result: defaultExecutor !== null ? String(defaultExecutor) : 'unknown CPU count',
            },
          ],
        },
      ],
      monthlyCostDeltaUsd: 0,
      risk: 1,
    });
  } else {
    recommendations.push({
      kind: 'runtime',
      subject: entry.subject,
      current: 'asyncio without debug mode: the blocking call is not named',
      recommended:
        'capture again with PYTHONASYNCIODEBUG=1 (or loop.set_debug(True)) to log each step ≥ 0.1 s with its coroutine, then move that call to an executor',
      rationale: `The loop lagged (p99 ${lagP99 !== undefined ? `${round(lagP99 * 1000)} ms` : 'unknown'}) with CPU to spare, but the app log names no step. Debug mode costs some speed; enable it for the capture only (or take py-spy dumps during a stall).`,
      evidence: held ? [held] : [],
      monthlyCostDeltaUsd: 0,
      risk: 0,
    });
  }
  const p90 = cpu ? percentile(cpu.busyPct, 90) : undefined;
  ctx.report({
    subject: entry.subject,
    messageId: 'blocked',
    data: {
      host: hostName,
      steps:
        slow.length > 0
          ? ` ${slow.length} times for up to ${round(max(slow.map((e) => e.seconds ?? 0)) ?? 0, 2)} s${top ? `, mostly in ${top.key}` : ''}`
          : '',
      lagP99: lagP99 !== undefined ? `${round(lagP99 * 1000)} ms` : 'unknown',
      cpu: p90 !== undefined ? ` while CPU p90 was ${round(p90)} % busy` : '',
    },
    evidence,
    recommendations,
  });
}

/** Library code: site-/dist-packages or the standard library's asyncio. */
function isLibrary(key: string): boolean {
  return /(?:site|dist)-packages\/|\/lib\/python3[\d.]*\/(?:asyncio|concurrent)\//.test(key);
}

function placeOf(key: string): string {
  return isLibrary(key) ? `the request handlers that ${key} runs` : key;
}

function slowSpanSec(slow: readonly { timeMs: number | null }[]): number {
  const times = slow.map((e) => e.timeMs).filter((t): t is number => t !== null);
  if (times.length < 2) return 0;
  return ((max(times) ?? 0) - (min(times) ?? 0)) / 1000;
}

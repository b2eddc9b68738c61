// Listen queue overflow: connections completed the handshake but the accept queue was full, so the
// kernel dropped them (TcpExt ListenOverflows; pmie network.listenoverflows fires on any > 0).
// The queue is min(the app's listen() backlog, net.core.somaxconn): the advice names which one bound
// it, sizes the backlog from the measured drops, and says first that a full queue means the accept
// loop (the workers) could not keep up; a bigger queue alone only adds waiting.
import { z } from 'zod';
import { cite, runtimeFact, sysctlFact } from '../../knowledge/index.ts';
import type { Evidence } from '../../model/index.ts';
import { defineRule, type RecommendationDraft } from '../define-rule.ts';
import { sampleSeriesEvidence, stat, table } from '../evidence.ts';
import type { OnHostEntry } from '../facts.ts';
import { hostLabel } from '../rule-helpers.ts';
import { max } from '../stats.ts';

export const listenQueueOverflow = defineRule({
  meta: {
    id: 'listen-queue-overflow',
    title: 'Listen (accept) queue overflowing',
    category: 'reliability',
    defaultSeverity: 'high',
    requires: ['onhost'],
    options: z.object({
      minOverflows: z
        .number()
        .int()
        .nonnegative()
        .default(1)
        .describe('ListenOverflows over the capture that make a finding (pmie: > 0).'),
    }),
    messages: {
      overflow:
        '{{host}}: {{overflows}} connections dropped on a full accept queue ({{listener}} full in {{fullSamples}} of {{samples}} samples, backlog {{backlog}}, bound by {{boundBy}})',
      counterOnly:
        '{{host}}: {{overflows}} connections dropped on a full accept queue (TcpExt ListenOverflows; no listen-queue log to name the listener)',
    },
    docs: {
      rationale:
        'A client whose handshake completes while the accept queue is full is dropped; it retries its SYN after 1 s, 3 s, 7 s: connect latency in seconds, then timeouts. ' +
        'The queue holds min(listen() backlog, net.core.somaxconn); a larger backlog is silently capped.',
      remediation:
        "First give the accept loop capacity (more workers or threads, no blocking work before accept()). Then raise the application's backlog " +
        '(gunicorn/uvicorn --backlog, socket.listen(n), socketserver request_queue_size) and keep net.core.somaxconn at least as large, both, ' +
        'because each alone is capped by the other.',
      sources: [
        cite(sysctlFact('net.core.somaxconn')),
        'pmie network.listenoverflows (> 0): performancecopilot/pcp src/pmieconf/network/tcplistenoverflows @918d12b68beca9b2',
        cite(runtimeFact('gunicorn', 'backlog')),
        cite(runtimeFact('python-socket', 'socket.listen')),
      ],
    },
  },
  check(facts, ctx) {
    for (const entry of facts.onHost) {
      const { listen } = entry.facts;
      const overflows = listen.overflowsDelta;
      if (overflows === undefined) {
        ctx.insufficientData('no /proc/net/netstat at both ends of the capture', entry.subject);
        continue;
      }
      if (overflows < ctx.options.minOverflows) continue;
      report(entry, overflows, ctx);
    }
  },
});

function report(entry: OnHostEntry, overflows: number, ctx: Parameters<typeof listenQueueOverflow.check>[1]) {
  const { listen, samples } = entry.facts;
  const hostName = entry.host ? hostLabel(entry.host) : (entry.subject.name ?? entry.subject.id);
  const listener = [...listen.listeners].sort((a, b) => fullCount(b) - fullCount(a))[0];
  const counters = table(
    'Kernel counters over the capture',
    [
      { key: 'counter', label: 'counter' },
      { key: 'start', label: 'start' },
      { key: 'end', label: 'end' },
      { key: 'delta', label: 'delta' },
    ],
    [
      'TcpExt.ListenOverflows',
      'TcpExt.ListenDrops',
      'TcpExt.TCPReqQFullDrop',
      'TcpExt.SyncookiesSent',
      'Tcp.PassiveOpens',
    ].flatMap((key) => {
      const start = samples.netstatStart?.[key];
      const end = samples.netstatEnd?.[key];
      return start === undefined || end === undefined
        ? []
        : [{ counter: key, start, end, delta: end - start }];
    }),
  );
  if (!listener) {
    ctx.report({
      subject: entry.subject,
      messageId: 'counterOnly',
      data: { host: hostName, overflows },
      evidence: [counters],
    });
    return;
  }
  const backlog = max(listener.sendQ) ?? 0;
  const fullSamples = fullCount(listener);
  const fullSeconds = fullSec(listener);
  const somaxconn = listen.somaxconn;
  // Send-Q of a listener is its effective backlog: equal to somaxconn means the sysctl capped the app.
  const boundBy =
    somaxconn !== null && backlog >= somaxconn ? 'net.core.somaxconn' : "the application's listen() backlog";
  // Seconds from the samples' own timestamps (the sampler may run at 1 s or 5 s). When the queue
  // filled between samples none shows it full: then the whole capture is the honest divisor.
  const captureSec = Math.max(1, ((listener.timesMs.at(-1) ?? 0) - (listener.timesMs[0] ?? 0)) / 1000);
  const divisorSec = fullSeconds > 0 ? fullSeconds : captureSec;
  const excessPerSec = Math.ceil(overflows / divisorSec);
  const wanted = nextPowerOfTwo(backlog + excessPerSec);
  const steps = [
    {
      label: 'effective backlog today',
      formula: `Send-Q of ${listener.address} (min of listen() backlog and somaxconn ${somaxconn ?? '?'})`,
      result: String(backlog),
    },
    {
      label: 'time the queue was full',
      formula: `samples with Recv-Q ≥ Send-Q, 1 s apart`,
      result: `${fullSamples} s`,
    },
    {
      label: 'excess arrivals while full',
      formula: `${overflows} ListenOverflows ÷ ${Math.round(divisorSec)} s${fullSeconds > 0 ? ' full' : ' (the whole capture: no sample caught it full)'}`,
      result: `${excessPerSec}/s`,
    },
    {
      label: 'backlog that absorbs one second of that excess',
      formula: `${backlog} + ${excessPerSec}, rounded up to a power of two`,
      result: String(wanted),
    },
  ];
  const arithmetic = { kind: 'arithmetic' as const, label: 'Accept-queue sizing', steps };
  const declared = samples.appLog?.declaredBacklog ?? null;
  const recommendations: RecommendationDraft[] = [
    {
      kind: 'runtime',
      subject: entry.subject,
      current: `listen() backlog ${declared ?? backlog}${declared === null ? ' (as seen in Send-Q)' : ''}`,
      recommended: `listen() backlog ${wanted} (gunicorn/uvicorn --backlog ${wanted}; socket.listen(${wanted}))`,
      rationale:
        `The queue was full for about ${Math.round(divisorSec)} s and dropped ${overflows} connections (${excessPerSec}/s beyond it). ` +
        'A backlog that absorbs a second of that excess turns drops into short waits; a sustained excess needs more accept capacity (workers), not a longer queue.',
      evidence: [arithmetic],
      monthlyCostDeltaUsd: 0,
      risk: 1,
    },
  ];
  // The effective queue is min(backlog, somaxconn), so a new backlog only counts if somaxconn is at
  // least as large (on kernels before 5.4 it is 128). When it already is, that is evidence, not a change.
  const capped = somaxconn === null || somaxconn < wanted;
  if (capped) {
    recommendations.push({
      kind: 'sysctl',
      subject: entry.subject,
      current: `net.core.somaxconn = ${somaxconn ?? 'unknown'}`,
      recommended: `net.core.somaxconn = ${wanted}`,
      rationale: `listen(2) silently caps any backlog at somaxconn: without this the new backlog of ${wanted} would be cut to ${somaxconn ?? 'the current value'}.`,
      evidence: [arithmetic, ...(somaxconn !== null ? [excerpt(samples.sysctl, 'net.core.somaxconn')] : [])],
      monthlyCostDeltaUsd: 0,
      risk: 0,
    });
  }
  const evidence: Evidence[] = [
    stat('ListenOverflows over the capture', overflows, 'count', '/proc/net/netstat end - start'),
    counters,
    sampleSeriesEvidence(
      `Accept queue of ${listener.address} (Recv-Q)`,
      listener.timesMs,
      listener.recvQ,
      'connections',
      `ss -ltn (${entry.facts.dir})`,
      { label: 'backlog', value: backlog },
    ),
    listenExcerpt(listener),
  ];
  if (somaxconn !== null && !capped) {
    evidence.push({
      kind: 'excerpt',
      label: 'Already right: net.core.somaxconn',
      source: 'sysctl -a',
      lines: [
        `net.core.somaxconn = ${somaxconn}: already ≥ the backlog of ${wanted}, so only the application's setting changes (keep it this high on every host of this service)`,
      ],
    });
  } else if (somaxconn !== null) evidence.push(excerpt(samples.sysctl, 'net.core.somaxconn'));
  ctx.report({
    subject: entry.subject,
    messageId: 'overflow',
    data: {
      host: hostName,
      overflows,
      listener: listener.address,
      fullSamples,
      samples: listener.recvQ.length,
      backlog,
      boundBy,
    },
    evidence,
    recommendations,
  });
}

/** Seconds the queue was full: each full sample counts until the next sample (1 s for the last). */
function fullSec(listener: { timesMs: number[]; recvQ: number[]; sendQ: number[] }): number {
  let total = 0;
  listener.recvQ.forEach((q, i) => {
    if (q < (listener.sendQ[i] ?? Number.POSITIVE_INFINITY)) return;
    const next = listener.timesMs[i + 1];
    const step = next !== undefined ? (next - listener.timesMs[i]!) / 1000 : 1;
    total += Number.isFinite(step) && step > 0 && step < 60 ? step : 1;
  });
  return total;
}

function fullCount(listener: { recvQ: number[]; sendQ: number[] }): number {
  return listener.recvQ.filter((q, i) => q >= (listener.sendQ[i] ?? Number.POSITIVE_INFINITY)).length;
}

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(2, n)));
}

function excerpt(sysctl: Record<string, string> | undefined, key: string): Evidence {
  return { kind: 'excerpt', label: key, source: 'sysctl -a', lines: [`${key} = ${sysctl?.[key] ?? '?'}`] };
}

function listenExcerpt(listener: {
  address: string;
  timesMs: number[];
  recvQ: number[];
  sendQ: number[];
}): Evidence {
  const full = listener.recvQ.flatMap((q, i) => (q >= listener.sendQ[i]! ? [i] : []));
  const lines = full
    .slice(0, 8)
    .map(
      (i) =>
        `${new Date(listener.timesMs[i]!).toISOString().slice(0, 19).replace('T', ' ')} LISTEN ${listener.recvQ[i]} ${listener.sendQ[i]} ${listener.address}`,
    );
  return {
    kind: 'excerpt',
    label: 'Samples with the queue full',
    source: 'listen-queue.log (ss -ltnH)',
    lines,
    totalLines: full.length,
  };
}

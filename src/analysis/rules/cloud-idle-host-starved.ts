// The cloud sees a quiet host (low CPU) while the host's own samples show it starved: a pool with
// work queued, a blocked event loop, a full accept queue, fds or threads at their limit. Such a
// host is never told to shrink: its idle CPU is the symptom. It is told the runtime fix, with both
// views side by side, because neither view alone gives the verdict.
import { z } from 'zod';
import type { DiagnosisClass } from '../../../reports/json/schema.ts';
import type { RecommendationKind } from '../../model/index.ts';
import { defineRule } from '../define-rule.ts';
import { table } from '../evidence.ts';
import { classScore, established } from '../onhost/advice.ts';
import { hostLabel } from '../rule-helpers.ts';
import { pointCount } from '../series-read.ts';
import { percentile, round } from '../stats.ts';

/** What each starved class needs instead of a smaller (or bigger) instance. */
const FIXES: Partial<Record<DiagnosisClass, { kind: RecommendationKind; fix: string; what: string }>> = {
  'threadpool-starvation': {
    kind: 'runtime',
    what: 'a starved worker pool',
    fix: "size the pool by Little's law (workers ≥ arrival rate × service time), or make the slow call async",
  },
  'event-loop-blocked': {
    kind: 'runtime',
    what: 'a blocked event loop',
    fix: 'move the blocking call off the loop (run_in_executor / asyncio.to_thread)',
  },
  'gevent-loop-blocked': {
    kind: 'runtime',
    what: 'a blocked gevent hub',
    fix: 'patch the blocking call (monkey.patch_all before imports) or move to the gthread worker',
  },
  'listen-queue-overflow': {
    kind: 'sysctl',
    what: 'a full accept queue',
    fix: "raise the app's listen backlog and net.core.somaxconn, and add workers to accept faster",
  },
  'fd-exhaustion': {
    kind: 'ulimit',
    what: 'file descriptors at their limit',
    fix: 'raise nofile (LimitNOFILE=) and close the leaked sockets',
  },
  'thread-exhaustion': {
    kind: 'ulimit',
    what: 'threads at their limit',
    fix: 'bound the threads the app starts (a pool), or raise RLIMIT_NPROC (LimitNPROC=)',
  },
};

export const cloudIdleHostStarved = defineRule({
  meta: {
    id: 'cloud-idle-host-starved',
    title: 'The cloud sees an idle host; the host is starved',
    category: 'reliability',
    defaultSeverity: 'high',
    requires: ['metrics', 'onhost'],
    options: z.object({
      quietCpuPct: z
        .number()
        .min(1)
        .max(80)
        .default(30)
        .describe('CPU P95 (cloud, per-period average) under which the cloud calls the host quiet.'),
    }),
    messages: {
      starved:
        '{{host}}: the cloud sees {{cpu}} % CPU (P95) while its own samples show {{what}} ({{verdict}}, confidence {{confidence}}): do not shrink it; {{fix}}',
    },
    docs: {
      rationale:
        'Cloud metrics see CPU, network and disk from outside; a host whose requests wait on a pool, a loop, the accept queue or a limit uses little CPU precisely because it is stuck. ' +
        'Rightsizing from the cloud view alone would shrink a host that is failing its clients. The join of both views names the real limit.',
      remediation:
        'Apply the runtime or kernel fix the on-host verdict names, keep the instance as it is meanwhile, and measure both views again before any resize.',
      sources: [
        'Compute Optimizer rightsizing looks at CPU, memory, network and EBS only (reference/anchors.md)',
        'USE method (B. Gregg): saturation of software resources (pools, queues, limits)',
        "Little's law L = λW (J. D. C. Little, 1961)",
      ],
    },
  },
  check(facts, ctx) {
    for (const entry of facts.onHost) {
      const host = entry.host;
      if (!host) {
        ctx.notApplicable('the folder is not mapped to a cloud host', entry.subject);
        continue;
      }
      const series = facts.series.get(host.id, 'cpu.util');
      if (!series || pointCount(series) === 0) {
        ctx.insufficientData('no cloud CPU for the host', entry.subject);
        continue;
      }
      const cpuP95 = percentile(series.values, 95) ?? 0;
      if (cpuP95 >= ctx.options.quietCpuPct) continue;
      const cls = entry.verdict.primary;
      const fix = FIXES[cls];
      if (!fix || !established(entry, cls)) continue;
      const score = classScore(entry, cls);
      const rows = [
        { view: 'cloud', measure: `CPU P95 (${series.source})`, value: `${round(cpuP95)} %` },
        { view: 'cloud', measure: 'verdict alone', value: 'quiet: a candidate to shrink' },
        {
          view: 'host',
          measure: `on-host verdict (${entry.facts.dir})`,
          value: `${cls}, confidence ${entry.verdict.confidence}`,
        },
        ...(score?.signals ?? [])
          .filter((s) => s.weight > 0)
          .slice(0, 4)
          .map((s) => ({ view: 'host', measure: s.signal, value: s.observed })),
      ];
      ctx.report({
        subject: entry.subject,
        messageId: 'starved',
        data: {
          host: hostLabel(host),
          cpu: round(cpuP95),
          what: fix.what,
          verdict: cls,
          confidence: entry.verdict.confidence,
          fix: fix.fix,
        },
        evidence: [
          table(
            'The cloud view and the host view, side by side',
            [
              { key: 'view', label: 'View' },
              { key: 'measure', label: 'Measure' },
              { key: 'value', label: 'Value' },
            ],
            rows,
          ),
        ],
        recommendations: [
          {
            kind: fix.kind,
            subject: entry.subject,
            current: `${host.instanceType}, ${cls}`,
            recommended: `keep ${host.instanceType}; ${fix.fix}`,
            rationale: `The cloud's ${round(cpuP95)} % CPU is the symptom of ${fix.what}, not spare capacity: a smaller instance would fail the same clients sooner.`,
            evidence: [
              {
                kind: 'arithmetic',
                label: 'Why the instance stays',
                steps: [
                  {
                    label: 'cloud CPU',
                    formula: `P95 of ${series.source}`,
                    result: `${round(cpuP95)} % (< ${ctx.options.quietCpuPct} %: quiet)`,
                  },
                  {
                    label: 'host verdict',
                    formula: `on-host classifier over ${entry.facts.dir}`,
                    result: `${cls} (${entry.verdict.confidence})`,
                  },
                  {
                    label: 'change',
                    formula: 'the limit the host hits, not the instance size',
                    result: fix.fix,
                  },
                ],
              },
            ],
            monthlyCostDeltaUsd: 0,
            risk: 1,
          },
        ],
      });
    }
  },
});

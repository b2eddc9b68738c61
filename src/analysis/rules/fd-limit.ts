// File descriptors near the process's limit: EMFILE ("Too many open files") is RLIMIT_NOFILE;
// the node-mixin warns at 70 % and goes critical at 90 % of a descriptor limit, pmie at 90 %.
// A count that climbs without a plateau is a leak: the leak is named first, since a higher
// nofile only moves the failure later; then the limit is sized from the observed peak.
import { z } from 'zod';
import { cite, sysctlFact } from '../../knowledge/index.ts';
import type { Evidence } from '../../model/index.ts';
import { defineRule, type RecommendationDraft } from '../define-rule.ts';
import { sampleSeriesEvidence, stat } from '../evidence.ts';
import type { OnHostEntry } from '../facts.ts';
import { sourceOf } from '../onhost/signals.ts';
import { hostLabel } from '../rule-helpers.ts';
import { max, min, round, slopePerSec } from '../stats.ts';

export const fdLimit = defineRule({
  meta: {
    id: 'fd-limit',
    title: 'File descriptors near the limit',
    category: 'reliability',
    defaultSeverity: 'high',
    requires: ['onhost'],
    options: z.object({
      warnShare: z
        .number()
        .min(0.1)
        .max(1)
        .default(0.7)
        .describe('Share of the soft limit that warns (node-mixin: 70 %).'),
      criticalShare: z
        .number()
        .min(0.1)
        .max(1)
        .default(0.9)
        .describe('Share that is critical (node-mixin and pmie: 90 %).'),
      headroom: z
        .number()
        .min(1)
        .default(2)
        .describe('The new soft limit is the observed peak times this, to a power of two.'),
    }),
    messages: {
      nearLimit:
        '{{host}}: {{peak}} open file descriptors against a soft limit of {{limit}} ({{share}} %){{emfile}}{{leak}}',
      emfile:
        '{{host}}: {{emfileCount}} "Too many open files" errors in the app log; peak {{peak}} descriptors, soft limit {{limit}}{{leak}}',
    },
    docs: {
      rationale:
        'Every socket, file and pipe is a descriptor. At the soft limit accept() and open() fail with EMFILE: new connections are refused or pile up in the listen queue.',
      remediation:
        'If the count grows without levelling off, find the leak (sockets not closed, CLOSE_WAIT piling up) before anything else. ' +
        "Then raise the soft limit (LimitNOFILE= in the systemd unit, or ulimit -n) above the peak with headroom; systemd's default hard limit (524288) allows that without privileges.",
      sources: [
        cite(sysctlFact('RLIMIT_NOFILE')),
        'node-mixin NodeFileDescriptorLimit (70 % / 90 %): prometheus/node_exporter docs/node-mixin/alerts/alerts.libsonnet @a7dcc3a0154518',
        'pmie filesys.vfs_files (90 %): performancecopilot/pcp src/pmieconf/filesys/vfs_files @918d12b68beca9b2',
      ],
    },
  },
  check(facts, ctx) {
    for (const entry of facts.onHost) {
      const { fds, fdSoftLimit } = entry.facts;
      const emfile = (entry.facts.samples.appLog?.events ?? []).filter((e) => e.kind === 'emfile');
      if (!fds || fds.values.length === 0) {
        if (emfile.length === 0) ctx.insufficientData('no fds.log', entry.subject);
        else reportEntry(entry, ctx, emfile.length);
        continue;
      }
      const peak = max(fds.values) ?? 0;
      if (fdSoftLimit === null) {
        ctx.insufficientData('no /proc/PID/limits to compare the fd count with', entry.subject);
        continue;
      }
      if (emfile.length === 0 && peak < ctx.options.warnShare * fdSoftLimit) continue;
      reportEntry(entry, ctx, emfile.length);
    }
  },
});

function reportEntry(entry: OnHostEntry, ctx: Parameters<typeof fdLimit.check>[1], emfileCount: number) {
  const { fds, fdSoftLimit } = entry.facts;
  const peak = fds ? (max(fds.values) ?? 0) : 0;
  const limit = fdSoftLimit ?? 0;
  const share = limit > 0 ? round((peak / limit) * 100) : 0;
  const slope = fds ? slopePerSec(fds.timesMs, fds.values) : undefined;
  const rising = fds !== null && slope !== undefined && slope > 0 && isStillRising(fds.values);
  const stuck = fds !== null && limit > 0 ? stuckAtLimit(fds, limit) : null;
  const leaking = rising || stuck !== null;
  const secondsLeft = rising && limit > peak ? Math.round((limit - peak) / slope!) : undefined;
  const leak = rising
    ? `; still rising at ${round(slope! * 60, 1)}/min with no plateau (a leak${secondsLeft !== undefined ? `: the limit is ${round(secondsLeft / 60, 1)} min away` : ''})`
    : stuck
      ? `; climbed steadily at ${round(stuck.perMin, 1)}/min to the limit and never came down (a leak: descriptors opened and never closed)`
      : '';
  const hostName = entry.host ? hostLabel(entry.host) : (entry.subject.name ?? entry.subject.id);
  // Never below today's soft limit: a missed peak (1 s sampling, or EMFILE without fds.log) must
  // not turn into advice to lower it.
  const wanted =
    2 ** Math.ceil(Math.log2(Math.max(1024, peak * ctx.options.headroom, limit * (emfileCount > 0 ? 2 : 1))));
  const hard = entry.facts.limits?.['Max open files']?.hard ?? null;
  const evidence: Evidence[] = [
    stat(
      'peak open descriptors',
      peak,
      'file-descriptors',
      sourceOf(entry.facts.samples, 'fds', 'fds.log (ls /proc/PID/fd | wc -l)'),
    ),
  ];
  if (fds) {
    evidence.push(
      sampleSeriesEvidence(
        'Open file descriptors',
        fds.timesMs,
        fds.values,
        'file-descriptors',
        `${sourceOf(entry.facts.samples, 'fds', 'fds.log')} (${entry.facts.dir})`,
        limit ? { label: 'soft limit', value: limit } : undefined,
      ),
    );
  }
  if (limit)
    evidence.push({
      kind: 'excerpt',
      label: 'Process limit',
      source: '/proc/PID/limits',
      lines: [`Max open files  ${limit}  ${entry.facts.limits?.['Max open files']?.hard ?? '?'}  files`],
    });
  const emfileLines = (entry.facts.samples.appLog?.events ?? []).filter((e) => e.kind === 'emfile');
  if (emfileLines.length > 0)
    evidence.push({
      kind: 'excerpt',
      label: 'EMFILE errors',
      source: 'app.log',
      lines: emfileLines.slice(0, 5).map((e) => e.line),
      totalLines: emfileLines.length,
    });
  // A limit that already covers the sizing is evidence ("already right"), not a recommendation.
  const alreadyRight = limit > 0 && wanted <= limit;
  if (alreadyRight) {
    evidence.push({
      kind: 'excerpt',
      label: 'Already right: nofile',
      source: '/proc/PID/limits',
      lines: [
        `nofile soft ${limit}: already ≥ ${wanted} (peak ${peak} × ${ctx.options.headroom}), no change`,
      ],
    });
  }
  const recommendations: RecommendationDraft[] = alreadyRight
    ? []
    : [
        {
          kind: 'ulimit',
          subject: entry.subject,
          current: `nofile soft ${limit || 'unknown'}`,
          recommended: `nofile soft ${wanted} (LimitNOFILE=${wanted})`,
          rationale: leaking
            ? `Fix the leak first: the count rose ${round(stuck ? stuck.perMin : slope! * 60, 1)}/min ${stuck ? `to the limit and stayed there for the last ${Math.round(stuck.heldSec)} s` : 'to the end of the capture'}; ` +
              'sockets the peer closed but the app never did sit in CLOSE_WAIT (`ss -tanp state close-wait`). ' +
              `Raising the limit to ${wanted} (peak ${peak} × ${ctx.options.headroom}, to a power of two) only buys time.`
            : `Peak ${peak} × ${ctx.options.headroom} headroom, to a power of two.`,
          evidence: [
            {
              kind: 'arithmetic',
              label: 'nofile sizing',
              steps: [
                { label: 'observed peak', formula: 'max of fds.log', result: String(peak) },
                {
                  label: 'new soft limit',
                  formula: `max(${peak} × ${ctx.options.headroom}, ${emfileCount > 0 ? `2 × the current ${limit} (EMFILE was hit)` : `the current ${limit}`}, 1024), rounded up to a power of two`,
                  result: String(wanted),
                },
                ...(hard !== null && wanted > hard
                  ? [
                      {
                        label: 'above the hard limit',
                        formula: `${wanted} > hard ${hard}`,
                        result: 'raise the hard limit too (LimitNOFILE=soft:hard)',
                      },
                    ]
                  : []),
              ],
            },
          ],
          monthlyCostDeltaUsd: 0,
          risk: 0,
        },
      ];
  const critical = emfileCount > 0 || (limit > 0 && peak >= ctx.options.criticalShare * limit);
  ctx.report({
    subject: entry.subject,
    messageId: emfileCount > 0 ? 'emfile' : 'nearLimit',
    data: {
      host: hostName,
      peak,
      limit: limit || 'unknown',
      share,
      emfileCount,
      emfile: emfileCount > 0 ? `, ${emfileCount} EMFILE errors` : '',
      leak,
    },
    severity: critical ? 'critical' : 'high',
    evidence,
    recommendations,
  });
}

/**
 * A leak that hit the wall: the count climbed (nearly every step up or level) to the soft limit
 * and never fell back below 90 % of it. A burst of connections rises and falls with the load.
 */
function stuckAtLimit(
  fds: { timesMs: number[]; values: number[] },
  limit: number,
): { perMin: number; heldSec: number } | null {
  const { values, timesMs } = fds;
  const atLimit = values.findIndex((v) => v >= limit * 0.98);
  if (values.length < 10 || atLimit < 3) return null;
  const climb = values.slice(0, atLimit + 1);
  const steps = climb.slice(1).map((v, i) => v - climb[i]!);
  const upOrLevel = steps.filter((d) => d >= 0).length / steps.length;
  const after = values.slice(atLimit);
  if (upOrLevel < 0.9 || (min(after) ?? 0) < limit * 0.9) return null;
  const start = climb.findIndex((v) => v > climb[0]!);
  const from = Math.max(0, start - 1);
  const climbSec = ((timesMs[atLimit] ?? 0) - (timesMs[from] ?? 0)) / 1000;
  return {
    perMin: climbSec > 0 ? ((values[atLimit]! - values[from]!) / climbSec) * 60 : 0,
    heldSec: ((timesMs.at(-1) ?? 0) - (timesMs[atLimit] ?? 0)) / 1000,
  };
}

/** The last fifth of the samples is still above everything before it: no plateau yet. */
function isStillRising(values: readonly number[]): boolean {
  const cut = Math.floor(values.length * 0.8);
  const before = max(values.slice(0, cut)) ?? 0;
  const tail = max(values.slice(cut)) ?? 0;
  return values.length >= 10 && tail > before;
}

// Burstable (T) instances out of CPU credits: once the balance is spent, a standard-mode instance is
// held at its baseline (e.g. 30 % per vCPU on a t3.large) and an unlimited-mode one is charged for
// surplus credits. The CPU demand seen while throttled is capped, so sizing uses the unthrottled periods.
// Credit arithmetic: one credit = one vCPU at 100 % for one minute; an instance earns
// baseline % × vCPUs × 60 / 100 credits an hour (EC2 burstable performance instances docs).
import { z } from 'zod';
import type { Host, MetricSeries } from '../../model/index.ts';
import { usd } from '../../recommend/money.ts';
import { allowedTypes, cheapestFitting, describePick, requirementsFor } from '../../recommend/sizing.ts';
import { defineRule } from '../define-rule.ts';
import { cpuPercentileLabel, seriesEvidence, stat } from '../evidence.ts';
import { type Facts, hostSubject } from '../facts.ts';
import { catalogType, hostLabel, runningHosts, sizingSignals, windowLabel } from '../rule-helpers.ts';
import { forEachPoint, pointCount } from '../series-read.ts';
import { countWhere, max, mean, percentile, round } from '../stats.ts';

export const burstableCreditsExhausted = defineRule({
  meta: {
    id: 'burstable-credits-exhausted',
    title: 'Burstable instance out of CPU credits',
    category: 'performance',
    defaultSeverity: 'high',
    requires: ['inventory', 'metrics', 'catalog'],
    options: z.object({
      exhaustedBelowCredits: z
        .number()
        .nonnegative()
        .default(1)
        .describe('A balance at or below this counts as spent.'),
      minExhaustedHours: z
        .number()
        .positive()
        .default(1)
        .describe('Hours out of credits before it is a finding.'),
    }),
    messages: {
      standard:
        '{{host}} ({{type}}) ran out of CPU credits for {{hours}} h over {{window}}: held at its {{baseline}} % baseline while its demand reached {{demand}} % ({{demandLabel}} while credits were left)',
      unlimited:
        '{{host}} ({{type}}) spent its CPU credits for {{hours}} h over {{window}} and ran on surplus credits (peak surplus balance {{surplus}}), billed at the unlimited-mode rate',
    },
    docs: {
      rationale:
        'A burstable type is sized for its baseline; a workload whose average CPU is above that baseline drains the credit balance, ' +
        'after which it is throttled to the baseline (standard mode) or billed per surplus vCPU-hour (unlimited mode).',
      remediation:
        'Move to a non-burstable type sized on the unthrottled demand (below), or, for short bursts only, unlimited mode. ' +
        'A larger T size raises the baseline but keeps the cliff.',
      sources: [
        'EC2 burstable performance instances, CPU credits and baseline utilization: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/burstable-credits-baseline-concepts.html',
        'CloudWatch metrics for burstable instances (CPUCreditBalance, CPUSurplusCreditBalance): https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/burstable-performance-instances-monitoring-cpu-credits.html',
      ],
    },
  },
  check(facts, ctx) {
    const burstable = facts.hosts.filter((h) => catalogType(facts, h)?.burstable);
    if (burstable.length === 0) {
      ctx.notApplicable('no burstable (T) instances in this fleet');
      return;
    }
    for (const host of runningHosts(facts, ctx.notApplicable, burstable)) {
      const balance = facts.series.get(host.id, 'cpu.credit.balance');
      if (!balance || pointCount(balance) === 0) {
        ctx.insufficientData('no CPUCreditBalance data', hostSubject(host));
        continue;
      }
      const exhausted = countWhere(balance.values, (v) => v <= ctx.options.exhaustedBelowCredits);
      const hours = (exhausted * balance.stepSec) / 3600;
      if (hours < ctx.options.minExhaustedHours) continue;
      reportHost(facts, host, balance, hours, ctx);
    }
  },
});

function reportHost(
  facts: Facts,
  host: Host,
  balance: MetricSeries,
  hours: number,
  ctx: Parameters<typeof burstableCreditsExhausted.check>[1],
) {
  const type = catalogType(facts, host)!;
  const baseline = type.baselineCpuPct ?? 0;
  const exhaustedAt = new Set<number>();
  forEachPoint(balance, (t, v) => {
    if (v <= ctx.options.exhaustedBelowCredits) exhaustedAt.add(t);
  });
  const cpu = facts.series.get(host.id, 'cpu.util');
  const cpuMax = facts.series.get(host.id, 'cpu.util.max');
  // While out of credits a standard-mode instance shows its baseline, not its demand: the demand is
  // seen where credits were left, and the window average is a floor of it.
  const free = (series: MetricSeries | undefined) => {
    const kept: number[] = [];
    forEachPoint(series, (t, v) => {
      if (!exhaustedAt.has(t)) kept.push(v);
    });
    return kept;
  };
  const freeMax = free(cpuMax);
  const demandPct = percentile(freeMax.length > 0 ? freeMax : (cpuMax?.values ?? []), 95) ?? 0;
  const avgAll = mean(cpu?.values ?? []) ?? 0;
  const surplus = Math.max(0, max(facts.series.get(host.id, 'cpu.credit.surplus')?.values ?? [0]) ?? 0);
  const earnedPerHour = (baseline / 100) * type.vcpu * 60;
  const spentPerHour = (avgAll / 100) * type.vcpu * 60;

  // Every period counts: the unthrottled peaks set the percentile; memory, network and EBS count too.
  const needs = requirementsFor(type, sizingSignals(facts, [host.id]), facts.sizing);
  needs.steps.unshift(
    {
      label: 'credits earned per hour',
      formula: `${baseline} % baseline × ${type.vcpu} vCPU × 60 min`,
      result: `${round(earnedPerHour, 1)} credits/h`,
    },
    {
      label:
        'credits spent per hour at the window average (a floor: throttled periods count at the baseline they got)',
      formula: `${round(avgAll, 1)} % × ${type.vcpu} vCPU × 60 min`,
      result: `${round(spentPerHour, 1)} credits/h`,
    },
  );
  const chosen = cheapestFitting(
    allowedTypes(type, [...facts.catalog.values()], { ...facts.sizing, allowBurstable: false }),
    needs.requirements,
  );
  const { risk, deltaUsd } = describePick(type, chosen, needs);
  const recommendations = chosen.pick
    ? [
        {
          kind: 'instance-type' as const,
          subject: hostSubject(host),
          current: type.name,
          recommended: chosen.pick.name,
          rationale:
            `Demand reached ${round(demandPct, 1)} % (${cpuPercentileLabel('cpu.util.max', 95)} while credits were left) against a ${baseline} % baseline, and the balance ran dry for ${round(hours, 1)} h: ` +
            `a non-burstable type sized on the observed peaks removes the cliff` +
            `${deltaUsd === null ? '' : ` for ${usd(deltaUsd)}/month`}.`,
          evidence: [{ kind: 'arithmetic' as const, label: `Replacing ${type.name}`, steps: needs.steps }],
          monthlyCostDeltaUsd: deltaUsd,
          risk,
        },
      ]
    : [];
  ctx.report({
    subject: hostSubject(host),
    messageId: surplus > 0 ? 'unlimited' : 'standard',
    data: {
      host: hostLabel(host),
      type: type.name,
      hours: round(hours, 1),
      window: windowLabel(facts),
      baseline,
      demand: round(demandPct, 1),
      demandLabel: cpuPercentileLabel('cpu.util.max', 95),
      surplus: round(surplus, 1),
    },
    evidence: [
      stat(
        'time with no credits left',
        Math.round(hours * 3600),
        'seconds',
        `periods with CPUCreditBalance ≤ ${ctx.options.exhaustedBelowCredits}, × ${balance.stepSec} s`,
      ),
      seriesEvidence(balance, 'CPU credit balance', { label: 'empty', value: 0, bad: 'below' }),
      ...(cpu ? [seriesEvidence(cpu, 'CPU utilization', { label: 'credit baseline', value: baseline })] : []),
    ],
    recommendations,
  });
}

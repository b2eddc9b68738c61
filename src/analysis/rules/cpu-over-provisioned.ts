// Over-provisioned instances: rightsizing with Compute Optimizer's documented defaults (per-5-minute
// maxima, P99.5 + 20 % CPU headroom, memory max + 20 %, ≥ 30 h of data, every dimension a ceiling).
// Group members are sized together so that no member is undersized (the GCP MIG recommender's rule),
// and the group's scaling is taken into account (krr PR #80: rightsizing under an autoscaler shifts
// the observed peak, so the group must be sized against its pooled demand, not one member's).
import { z } from 'zod';
import type { Group, Host } from '../../model/index.ts';
import { usd } from '../../recommend/money.ts';
import { rightsize, type SizingResult } from '../../recommend/sizing.ts';
import { defineRule } from '../define-rule.ts';
import { cpuPercentileLabel, percentileStat, seriesEvidence, stat } from '../evidence.ts';
import { type Facts, groupSubject, hostSubject } from '../facts.ts';
import {
  catalogType,
  costSeverity,
  hostLabel,
  instanceRecommendation,
  runningHosts,
  sizingSignals,
  values,
  windowLabel,
} from '../rule-helpers.ts';
import { presentValues } from '../series-read.ts';
import { max, percentile, round } from '../stats.ts';

export const cpuOverProvisioned = defineRule({
  meta: {
    id: 'cpu-over-provisioned',
    title: 'Instance over-provisioned',
    category: 'cost',
    defaultSeverity: 'medium',
    requires: ['inventory', 'metrics', 'catalog'],
    options: z.object({
      minMonthlySavingsUsd: z
        .number()
        .nonnegative()
        .default(5)
        .describe('Smaller savings are not worth a change window.'),
    }),
    messages: {
      host: '{{host}} ({{type}}) needs {{vcpus}} vCPU at P{{pct}} + headroom over {{window}}: {{recommended}} fits, {{savings}}/month',
      held: '{{host}} looks over-provisioned from the cloud (P{{pct}} of per-period CPU maxima {{cpu}} %), but its on-host samples show {{verdict}}: the idle CPU is a symptom, not spare capacity. Hold the resize until that is fixed, then measure again',
      group:
        'Group {{group}}: {{members}} × {{type}} need {{vcpus}} vCPU each at P{{pct}} + headroom over {{window}}: {{recommended}} fits, {{savings}}/month',
    },
    docs: {
      rationale:
        'Paying for vCPUs and memory the workload never uses. The size is chosen so that the P99.5 of per-5-minute CPU maxima plus 20 % headroom, ' +
        "peak memory plus 20 %, and the observed network and disk peaks all fit: Compute Optimizer's documented defaults, with the arithmetic shown.",
      remediation:
        'Change the instance type: a stop and start on AWS (EBS-backed) and Google Cloud, a resize on Linode and OVHcloud; for a group, its launch template or ' +
        'instance template and a rolling replacement. Where the cloud does not measure memory (no CloudWatch agent or Ops Agent; never on Linode) it is kept at its current size. ' +
        'Where on-host samples show the host is limited by something else (a starved pool, a blocked event loop, the disk, the listen queue), the resize is held: its low CPU is a symptom.',
      sources: [
        'AWS Compute Optimizer utilization preferences: https://docs.aws.amazon.com/compute-optimizer/latest/APIReference/API_CustomizableMetricParameters.html',
        'Compute Optimizer requirements (30 h of data): https://docs.aws.amazon.com/compute-optimizer/latest/ug/requirements.html',
        'GCP MIG recommender (no member undersized): https://cloud.google.com/compute/docs/instance-groups/apply-machine-type-recommendations-managed-instance-groups',
      ],
    },
  },
  check(facts, ctx) {
    const pct = facts.sizing.cpuPercentile;
    const running = runningHosts(facts, ctx.notApplicable);
    const listedGroups = new Set(facts.groups.map((g) => g.id));
    for (const host of running.filter((h) => h.groupId && !listedGroups.has(h.groupId))) {
      ctx.insufficientData(
        `member of group ${host.groupId}, which was not listed (see Data gaps): sized with its group only`,
        hostSubject(host),
      );
    }
    for (const host of running.filter((h) => !h.groupId)) {
      const current = catalogType(facts, host);
      if (!current) {
        ctx.insufficientData(
          `type ${host.instanceType} is in neither the API answer nor the bundled catalog`,
          hostSubject(host),
        );
        continue;
      }
      const result = rightsize(
        current,
        [...facts.catalog.values()],
        sizingSignals(facts, [host.id]),
        facts.sizing,
      );
      if (result.verdict === 'insufficient-data') {
        ctx.insufficientData(result.reason, hostSubject(host));
        continue;
      }
      if (!worthIt(result, 1, ctx.options.minMonthlySavingsUsd)) continue;
      const onHost = facts.onHost.find((e) => e.host?.id === host.id);
      if (onHost && onHost.verdict.primary !== 'healthy') {
        // The cloud sees low CPU; the host says work is waiting on something else. Shrinking it would
        // not save what it seems and would make the real limit harder to see.
        ctx.report({
          subject: hostSubject(host),
          messageId: 'held',
          data: {
            host: hostLabel(host),
            pct,
            cpu: round(percentileOf(facts, host, pct), 1),
            verdict: `${onHost.verdict.primary} (confidence ${Math.round(onHost.verdict.confidence * 100)} %)`,
          },
          severity: 'low',
          evidence: [
            ...hostEvidence(facts, host, pct),
            stat(
              'on-host verdict confidence',
              Math.round(onHost.verdict.confidence * 100),
              'percent',
              `classifier over ${onHost.facts.dir}`,
            ),
          ],
        });
        continue;
      }
      const recommendation = instanceRecommendation(result, hostSubject(host), 1, pct)!;
      ctx.report({
        subject: hostSubject(host),
        messageId: 'host',
        data: {
          host: hostLabel(host),
          type: host.instanceType,
          vcpus: round(result.requirements.find((r) => r.dimension === 'cpu')!.needed, 2),
          pct,
          window: windowLabel(facts),
          recommended: result.recommended!.name,
          savings: usd(-(result.monthlyDeltaUsd ?? 0)),
        },
        evidence: hostEvidence(facts, host, pct),
        severity: severityFor(result.monthlyDeltaUsd ?? 0),
        recommendations: [recommendation],
      });
    }
    for (const group of facts.groups)
      checkGroup(
        facts,
        group,
        running.filter((h) => h.groupId === group.id),
        ctx,
      );
  },
});

function checkGroup(
  facts: Facts,
  group: Group,
  members: readonly Host[],
  ctx: Parameters<typeof cpuOverProvisioned.check>[1],
) {
  const pct = facts.sizing.cpuPercentile;
  const types = [...new Set(members.map((m) => m.instanceType))];
  if (members.length === 0) return;
  if (types.length > 1) {
    ctx.notApplicable(
      `mixed instance types (${types.join(', ')}): size each type's members separately`,
      groupSubject(group),
    );
    return;
  }
  const current = facts.catalog.get(types[0]!);
  if (!current) {
    ctx.insufficientData(
      `type ${types[0]} is in neither the API answer nor the bundled catalog`,
      groupSubject(group),
    );
    return;
  }
  const result = rightsize(
    current,
    [...facts.catalog.values()],
    sizingSignals(
      facts,
      members.map((m) => m.id),
    ),
    facts.sizing,
  );
  if (result.verdict === 'insufficient-data') {
    ctx.insufficientData(result.reason, groupSubject(group));
    return;
  }
  const desired = values(facts, group.id, 'group.desired');
  const scaled = desired.length > 0 && (max(desired) ?? 0) > group.minSize;
  // A smaller type raises each member's CPU; a CPU-tracking policy then adds members, eating the saving
  // above the minimum (krr PR #80's feedback loop). Only the minimum's saving is certain: count that.
  const instances = scaled ? group.minSize : Math.max(group.desiredCapacity, members.length);
  if (!worthIt(result, instances, ctx.options.minMonthlySavingsUsd)) return;
  const note =
    desired.length === 0
      ? `Group size over the window not collected (enable GroupDesiredCapacity metrics); counted at the current ${instances} instances, min ${group.minSize}, max ${group.maxSize}. Under a CPU scaling policy smaller instances may mean more of them.`
      : scaled
        ? `The group scaled between ${group.minSize} and ${max(desired)} instances: under a CPU scaling policy smaller instances mean more of them, so only the minimum's saving (${group.minSize} instances, counted here) is certain.`
        : `The group stayed at ${instances} instances over the window; min ${group.minSize}, max ${group.maxSize}.`;
  const recommendation = instanceRecommendation(result, groupSubject(group), instances, pct, note)!;
  recommendation.risk = Math.min(4, recommendation.risk + (scaled || desired.length === 0 ? 1 : 0));
  ctx.report({
    subject: groupSubject(group),
    messageId: 'group',
    data: {
      group: group.name,
      members: instances,
      type: current.name,
      vcpus: round(result.requirements.find((r) => r.dimension === 'cpu')!.needed, 2),
      pct,
      window: windowLabel(facts),
      recommended: result.recommended!.name,
      savings: usd(-(recommendation.monthlyCostDeltaUsd ?? 0)),
    },
    evidence: [
      stat(
        'members sized together',
        members.length,
        'instances',
        `P${pct} over the pooled per-period CPU maxima of every member`,
      ),
      ...members.slice(0, 3).flatMap((m) => hostEvidence(facts, m, pct).slice(1)),
      ...(desired.length > 0
        ? [seriesEvidence(facts.series.get(group.id, 'group.desired')!, 'Desired capacity')]
        : []),
    ],
    severity: severityFor(recommendation.monthlyCostDeltaUsd ?? 0),
    recommendations: [recommendation],
  });
}

function worthIt(result: SizingResult, instances: number, minSavings: number): boolean {
  return (
    result.verdict === 'over-provisioned' &&
    result.monthlyDeltaUsd !== null &&
    -result.monthlyDeltaUsd * instances >= minSavings
  );
}

function hostEvidence(facts: Facts, host: Host, pct: number) {
  const cpuMax = facts.series.get(host.id, 'cpu.util.max');
  return cpuMax
    ? [
        percentileStat(
          cpuPercentileLabel('cpu.util.max', pct),
          presentValues(cpuMax, cpuMax.stepSec),
          pct,
          'percent',
          cpuMax.stepSec,
        ),
        seriesEvidence(cpuMax, `${hostLabel(host)} CPU (per-period maximum)`),
      ]
    : [];
}

function percentileOf(facts: Facts, host: Host, pct: number): number {
  return percentile(values(facts, host.id, 'cpu.util.max'), pct) ?? 0;
}

function severityFor(monthlyDeltaUsd: number) {
  return costSeverity(-monthlyDeltaUsd);
}

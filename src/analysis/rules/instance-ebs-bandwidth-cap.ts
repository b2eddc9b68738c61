// Every EBS volume of an instance shares the instance type's EBS bandwidth and IOPS. When the
// volumes together sit at that ceiling, a faster volume (gp3 throughput, io2 IOPS) buys nothing:
// the instance is the limit, and only a type with more EBS bandwidth moves it.
import { z } from 'zod';
import type { InstanceType } from '../../model/index.ts';
import { HOURS_PER_MONTH, roundUsd } from '../../recommend/money.ts';
import { allowedTypes } from '../../recommend/sizing.ts';
import { defineRule, type RecommendationDraft } from '../define-rule.ts';
import { pointsSeriesEvidence, stat } from '../evidence.ts';
import { type Facts, hostSubject, isRunning } from '../facts.ts';
import { hostLabel } from '../rule-helpers.ts';
import { forEachPoint, sumByTime } from '../series-read.ts';
import { percentile, round } from '../stats.ts';

type Dimension = 'throughput' | 'iops';

export const instanceEbsBandwidthCap = defineRule({
  meta: {
    id: 'instance-ebs-bandwidth-cap',
    title: "The volumes together are at the instance type's EBS limit",
    category: 'performance',
    defaultSeverity: 'high',
    requires: ['inventory', 'metrics', 'catalog'],
    options: z.object({
      atLimitShare: z
        .number()
        .min(0.5)
        .max(1)
        .default(0.9)
        .describe("Share of the type's EBS baseline, at the sizing percentile, that counts as at the limit."),
    }),
    messages: {
      capped:
        '{{host}}: its volumes together do {{demand}} at P{{pct}}, {{share}} % of the {{type}} EBS baseline of {{limit}}: a faster volume would not help',
    },
    docs: {
      rationale:
        'EC2 instance types have their own EBS bandwidth and IOPS ceilings (a baseline, and for smaller types a burst of 30 minutes a day), shared by every attached volume. ' +
        'When the summed EBSReadBytes + EBSWriteBytes (or ops) sit at that ceiling, the volume is not the bottleneck: upgrading it to gp3 or io2 changes nothing.',
      remediation:
        "Move to an instance type whose EBS baseline covers the peak with headroom (the catalog's EBS baseline column), or spread the I/O over instances. " +
        'Change the volume only once the instance is no longer the limit.',
      sources: [
        'https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html#gp_storage-ebs (EBS baseline and maximum bandwidth and IOPS per type)',
        'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-optimized.html',
        'Compute Optimizer: EBS throughput and IOPS are sizing dimensions (reference/anchors.md)',
      ],
    },
  },
  check(facts, ctx) {
    for (const host of facts.hosts) {
      if (host.provider !== 'aws' || !isRunning(host)) continue;
      const type = facts.catalog.get(host.instanceType);
      if (!type || type.ebsBaselineThroughputMBps === null || type.ebsBaselineIops === null) {
        ctx.notApplicable(`no EBS limits for ${host.instanceType} in the catalog`, hostSubject(host));
        continue;
      }
      const bytes = summed(facts, host.id, ['disk.read.bytes', 'disk.write.bytes']);
      const ops = summed(facts, host.id, ['disk.read.ops', 'disk.write.ops']);
      if (!bytes && !ops) {
        ctx.insufficientData('no EBSReadBytes/EBSReadOps for the instance', hostSubject(host));
        continue;
      }
      const pct = facts.sizing.cpuPercentile;
      const candidates: {
        dimension: Dimension;
        demand: number;
        limit: number;
        points: [number, number][];
      }[] = [];
      if (bytes)
        candidates.push({
          dimension: 'throughput',
          demand:
            percentile(
              bytes.map(([, v]) => v),
              pct,
            ) ?? 0,
          limit: type.ebsBaselineThroughputMBps * 1e6,
          points: bytes,
        });
      if (ops)
        candidates.push({
          dimension: 'iops',
          demand:
            percentile(
              ops.map(([, v]) => v),
              pct,
            ) ?? 0,
          limit: type.ebsBaselineIops,
          points: ops,
        });
      const worst = candidates.sort((a, b) => b.demand / b.limit - a.demand / a.limit)[0]!;
      const share = worst.demand / worst.limit;
      if (share < ctx.options.atLimitShare) continue;
      const text = (v: number) =>
        worst.dimension === 'throughput' ? `${round(v / 1e6, 1)} MB/s` : `${Math.round(v)} IOPS`;
      const pick = widerType(facts, type, worst.dimension, worst.demand * 1.2);
      const recommendations: RecommendationDraft[] = pick
        ? [
            {
              kind: 'instance-type',
              subject: hostSubject(host),
              current: `${type.name} (EBS baseline ${text(worst.limit)})`,
              recommended: `${pick.name} (EBS baseline ${text(worst.dimension === 'throughput' ? pick.ebsBaselineThroughputMBps! * 1e6 : pick.ebsBaselineIops!)})`,
              rationale: `The volumes need ${text(worst.demand)} at P${pct}, ${text(worst.demand * 1.2)} with 20 % headroom; ${pick.name} is the cheapest type of the same purpose whose EBS baseline covers it.`,
              evidence: [
                {
                  kind: 'arithmetic',
                  label: 'EBS bandwidth needed',
                  steps: [
                    {
                      label: `P${pct} of the summed volume I/O`,
                      formula: `EBS read + write per second`,
                      result: text(worst.demand),
                    },
                    {
                      label: 'with headroom',
                      formula: `${text(worst.demand)} × 1.2`,
                      result: text(worst.demand * 1.2),
                    },
                    {
                      label: 'cheapest type that covers it',
                      formula: 'EBS baseline ≥ need, same purpose class',
                      result: pick.name,
                    },
                  ],
                },
              ],
              monthlyCostDeltaUsd:
                pick.priceUsdPerHour === null || type.priceUsdPerHour === null
                  ? null
                  : roundUsd((pick.priceUsdPerHour - type.priceUsdPerHour) * HOURS_PER_MONTH),
              risk: 1,
            },
          ]
        : [];
      ctx.report({
        subject: hostSubject(host),
        messageId: 'capped',
        data: {
          host: hostLabel(host),
          demand: text(worst.demand),
          pct,
          share: Math.round(share * 100),
          type: type.name,
          limit: text(worst.limit),
        },
        evidence: [
          stat(
            `EBS ${worst.dimension} at P${pct}`,
            round(worst.dimension === 'throughput' ? worst.demand : worst.demand),
            worst.dimension === 'throughput' ? 'bytes-per-second' : 'ops-per-second',
            'summed over every attached volume (AWS/EC2 EBSRead* + EBSWrite*)',
          ),
          stat(
            `${type.name} EBS baseline`,
            worst.limit,
            worst.dimension === 'throughput' ? 'bytes-per-second' : 'ops-per-second',
            `${type.source} catalog`,
          ),
          pointsSeriesEvidence(
            {
              points: worst.points,
              stepSec: facts.window.stepSec,
              unit: worst.dimension === 'throughput' ? 'bytes-per-second' : 'ops-per-second',
              source: `AWS/EC2 EBSRead${worst.dimension === 'throughput' ? 'Bytes' : 'Ops'} + EBSWrite${worst.dimension === 'throughput' ? 'Bytes' : 'Ops'}`,
            },
            `Instance EBS ${worst.dimension}`,
            { label: `${type.name} EBS baseline`, value: worst.limit, bad: 'above' },
          ),
        ],
        recommendations,
      });
    }
  },
});

function summed(
  facts: Facts,
  hostId: string,
  metrics: readonly ('disk.read.bytes' | 'disk.write.bytes' | 'disk.read.ops' | 'disk.write.ops')[],
): [number, number][] | null {
  const series = metrics.map((metric) => facts.series.get(hostId, metric));
  if (series.every((s) => s === undefined)) return null;
  const points: [number, number][] = [];
  forEachPoint(sumByTime(series), (t, v) => points.push([t, v]));
  return points;
}

function widerType(
  facts: Facts,
  current: InstanceType,
  dimension: Dimension,
  need: number,
): InstanceType | undefined {
  const capacity = (t: InstanceType) =>
    dimension === 'throughput' ? (t.ebsBaselineThroughputMBps ?? 0) * 1e6 : (t.ebsBaselineIops ?? 0);
  return allowedTypes(current, [...facts.catalog.values()], facts.sizing)
    .filter((t) => capacity(t) >= need && t.priceUsdPerHour !== null)
    .sort((a, b) => a.priceUsdPerHour! - b.priceUsdPerHour!)[0];
}

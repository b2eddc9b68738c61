// io1/io2 → gp3 when the observed peaks fit gp3: provisioned-IOPS volumes bill every provisioned
// IOPS every month whether used or not; gp3 includes 3,000. Volumes whose peaks do not fit gp3
// stay as they are here; disk-saturated speaks for volumes at their limit.
import { z } from 'zod';
import type { Volume } from '../../model/index.ts';
import { planGp3, volumeCapacity, volumeMonthlyCost } from '../../recommend/ebs.ts';
import { usd } from '../../recommend/money.ts';
import { defineRule } from '../define-rule.ts';
import { stat } from '../evidence.ts';
import { volumeSubject } from '../facts.ts';
import {
  gp3Candidates,
  gp3MoveSteps,
  gp3SizingOptions,
  volumeLabel,
  type volumeLoad,
  volumeSeriesEvidence,
  volumeSpec,
  windowLabel,
} from '../rule-helpers.ts';
import { max, round } from '../stats.ts';

export const provisionedIopsToGp3 = defineRule({
  meta: {
    id: 'provisioned-iops-to-gp3',
    title: 'Provisioned-IOPS volume that gp3 would serve',
    category: 'cost',
    defaultSeverity: 'medium',
    requires: ['inventory', 'metrics'],
    options: z.object({
      ...gp3SizingOptions,
      overProvisionedShare: z
        .number()
        .min(0.1)
        .max(1)
        .default(0.6)
        .describe(
          'When the gp3 price is unknown, recommend only if the peak stays below this share of the provisioned IOPS.',
        ),
    }),
    messages: {
      toGp3:
        '{{volume}}: {{provisioned}} IOPS provisioned, {{peakIops}} IOPS and {{peakMiBps}} MiB/s at peak over {{window}}: gp3 at {{iops}} IOPS / {{throughput}} MiB/s serves it ({{cost}})',
    },
    docs: {
      rationale:
        'io1 and io2 bill each provisioned IOPS every month. When the volume never comes near them and its peaks fit gp3 ' +
        '(3,000 IOPS and 125 MiB/s included, up to 80,000 IOPS and 2,000 MiB/s), gp3 gives the same service for less.',
      remediation:
        'ModifyVolume to gp3 with the IOPS and throughput below (online). Keep io2 where sub-millisecond latency consistency or 99.999 % durability is a requirement, not just IOPS.',
      sources: [
        'EBS provisioned IOPS volumes: awsdocs/amazon-ec2-user-guide doc_source/provisioned-iops.md @e3707c43',
        'EBS prices (us-east-1, early 2026): aws/agent-toolkit-for-aws skills/core-skills/aws-billing-and-cost-management/references/ebs-optimization.md',
      ],
    },
  },
  check(facts, ctx) {
    const volumes = facts.volumes.filter((v) => v.type === 'io1' || v.type === 'io2');
    if (volumes.length === 0) {
      ctx.notApplicable('no io1 or io2 volumes');
      return;
    }
    for (const { volume, load } of gp3Candidates(
      facts,
      volumes,
      ctx.options.minHours,
      ctx.insufficientData,
      ctx.notApplicable,
    )) {
      check(volume, load, ctx.options);
    }

    function check(volume: Volume, load: ReturnType<typeof volumeLoad>, options: typeof ctx.options) {
      const { headroomPct } = options;
      const peakIops = max(load.iops) ?? 0;
      const peakMiBps = max(load.mibps) ?? 0;
      const plan = planGp3(volume.sizeGiB, peakIops, peakMiBps, 1 + headroomPct / 100);
      if (!plan.fits) return;
      const capacity = volumeCapacity(volume.type, volume.sizeGiB, volume.iops, volume.throughputMiBps);
      const before = volumeMonthlyCost(volume.type, volume.sizeGiB, volume.iops, null);
      const after = volumeMonthlyCost('gp3', plan.sizeGiB, plan.iops, plan.throughputMiBps);
      const delta =
        before.usd !== null && after.usd !== null ? Math.round((after.usd - before.usd) * 100) / 100 : null;
      // Without a known saving, only a volume far below its provisioned IOPS is worth moving.
      const overProvisioned =
        capacity.iops !== null && peakIops <= options.overProvisionedShare * capacity.iops;
      if (delta !== null ? delta >= 0 : !overProvisioned) return;
      const cost =
        delta !== null
          ? `${usd(delta)}/month`
          : `price of ${[...before.unknown, ...after.unknown].join(' and ')} not in the bundled catalog`;
      const steps = gp3MoveSteps(volume, load, { iops: peakIops, mibps: peakMiBps }, plan, before, after);
      const used = capacity.iops ? round((peakIops / capacity.iops) * 100) : null;
      ctx.report({
        subject: volumeSubject(volume),
        messageId: 'toGp3',
        data: {
          volume: volumeLabel(facts, volume),
          provisioned: volume.iops ?? '?',
          peakIops: round(peakIops),
          peakMiBps: round(peakMiBps, 1),
          window: windowLabel(facts),
          iops: plan.iops,
          throughput: plan.throughputMiBps,
          cost,
        },
        severity: delta !== null && delta <= -200 ? 'high' : 'medium',
        evidence: [
          stat('peak IOPS', round(peakIops), 'ops-per-second', `max of per-${load.stepSec}-s averages`),
          stat('share of provisioned IOPS used at peak', used, 'percent'),
          volumeSeriesEvidence(facts, load, 'iops', { label: 'provisioned', value: volume.iops ?? 0 }),
        ],
        recommendations: [
          {
            kind: 'volume',
            subject: volumeSubject(volume),
            current: volumeSpec(volume.type, volume.sizeGiB, volume.iops, capacity.throughputMiBps),
            recommended: volumeSpec('gp3', plan.sizeGiB, plan.iops, plan.throughputMiBps),
            rationale:
              `Peak use was ${used ?? '?'} % of the provisioned IOPS; gp3 sized on the observed peaks plus ${headroomPct} % headroom serves it; ${cost}. ` +
              `The peaks are ${load.stepSec}-s averages, which hide bursts inside them: before applying, check VolumeIOPSExceededCheck or 1-minute data (free on Nitro) for the busiest hours.`,
            evidence: [{ kind: 'arithmetic', label: `${volume.type} → gp3 for ${volume.id}`, steps }],
            monthlyCostDeltaUsd: delta,
            // Provisioned IOPS are often bought for bursts a 5-minute average cannot show.
            risk: load.stepSec >= 300 ? 2 : 1,
          },
        ],
      });
    }
  },
});

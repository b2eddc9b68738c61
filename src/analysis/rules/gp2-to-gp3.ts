// gp2 → gp3: gp3 gives 3,000 IOPS and 125 MiB/s at any size for less per GiB, but a gp2 volume
// above 170 GiB can reach 250 MiB/s, so a naive switch can halve its throughput (the ">170 GiB trap",
// yugabyte-db#7799). The gp3 IOPS and throughput here are sized from the volume's observed peaks.
import { z } from 'zod';
import { GP3, planGp3, volumeCapacity, volumeMonthlyCost } from '../../recommend/ebs.ts';
import { usd } from '../../recommend/money.ts';
import { defineRule } from '../define-rule.ts';
import { seriesEvidence, stat } from '../evidence.ts';
import { volumeSubject } from '../facts.ts';
import {
  gp3Candidates,
  gp3MoveSteps,
  gp3SizingOptions,
  volumeLabel,
  volumeSeriesEvidence,
  volumeSpec,
  windowLabel,
} from '../rule-helpers.ts';
import { max, round } from '../stats.ts';

export const gp2ToGp3 = defineRule({
  meta: {
    id: 'gp2-to-gp3',
    title: 'gp2 volume that gp3 serves better',
    category: 'cost',
    defaultSeverity: 'low',
    requires: ['inventory', 'metrics'],
    options: z.object({
      ...gp3SizingOptions,
    }),
    messages: {
      plain:
        '{{volume}}: peaks {{peakIops}} IOPS and {{peakMiBps}} MiB/s over {{window}} fit gp3 at {{iops}} IOPS / {{throughput}} MiB/s; {{cost}}',
      trap: '{{volume}} is over 170 GiB and peaked at {{peakMiBps}} MiB/s: a plain switch to gp3 (125 MiB/s) would throttle it; provision {{throughput}} MiB/s ({{cost}})',
    },
    docs: {
      rationale:
        'gp3 includes 3,000 IOPS and 125 MiB/s whatever its size and costs less per GiB than gp2, whose IOPS grow with size (3 per GiB) and burst on credits. ' +
        'But gp2 above 170 GiB reaches 250 MiB/s: gp3 must then be provisioned above its included 125 MiB/s, or the change cuts throughput.',
      remediation:
        'Modify the volume in place (ModifyVolume to gp3 with the IOPS and throughput below; no detach, no downtime). ' +
        'Wait for the modification to reach "optimizing" before another change to the same volume.',
      sources: [
        'EBS volume types (gp2 3 IOPS/GiB, 128/250 MiB/s by size; gp3 3,000 IOPS / 125 MiB/s included): awsdocs/amazon-ec2-user-guide doc_source/general-purpose.md @e3707c43',
        'gp3 limits 3,000-80,000 IOPS, 125-2,000 MiB/s: botocore ec2 CreateVolumeRequest (release 1.43.107)',
        'The 170 GiB trap in practice: yugabyte/yugabyte-db#7799',
      ],
    },
  },
  check(facts, ctx) {
    const gp2 = facts.volumes.filter((v) => v.type === 'gp2');
    if (gp2.length === 0) {
      ctx.notApplicable('no gp2 volumes');
      return;
    }
    const headroom = 1 + ctx.options.headroomPct / 100;
    for (const { volume, load } of gp3Candidates(
      facts,
      gp2,
      ctx.options.minHours,
      ctx.insufficientData,
      ctx.notApplicable,
    )) {
      const peakIops = max(load.iops) ?? 0;
      const peakMiBps = max(load.mibps) ?? 0;
      const capacity = volumeCapacity('gp2', volume.sizeGiB, null, null);
      const plan = planGp3(volume.sizeGiB, peakIops, peakMiBps, headroom);
      if (!plan.fits) continue; // beyond gp3: disk-saturated says what to do
      const before = volumeMonthlyCost('gp2', volume.sizeGiB, null, null);
      const after = volumeMonthlyCost('gp3', plan.sizeGiB, plan.iops, plan.throughputMiBps);
      const delta =
        before.usd !== null && after.usd !== null ? Math.round((after.usd - before.usd) * 100) / 100 : null;
      const trap = volume.sizeGiB > 170 && peakMiBps * headroom > GP3.includedMiBps;
      const storageOnly = volumeMonthlyCost('gp3', volume.sizeGiB, null, null).usd;
      const storageDelta =
        storageOnly !== null && before.usd !== null ? usd(storageOnly - before.usd) : 'unknown';
      const cost =
        delta !== null
          ? `${usd(delta)}/month`
          : `price of ${after.unknown.join(' and ')} not in the bundled catalog (storage alone: ${storageDelta}/month)`;
      const steps = gp3MoveSteps(volume, load, { iops: peakIops, mibps: peakMiBps }, plan, before, after);
      const burst = facts.series.get(volume.id, 'disk.burst.balance');
      ctx.report({
        subject: volumeSubject(volume),
        messageId: trap ? 'trap' : 'plain',
        data: {
          volume: volumeLabel(facts, volume),
          peakIops: round(peakIops),
          peakMiBps: round(peakMiBps, 1),
          window: windowLabel(facts),
          iops: plan.iops,
          throughput: plan.throughputMiBps,
          cost,
        },
        severity: trap ? 'medium' : 'low',
        evidence: [
          stat('peak IOPS', round(peakIops), 'ops-per-second', `max of per-${load.stepSec}-s averages`),
          stat(
            'peak throughput',
            round(peakMiBps, 1),
            'mib-per-second',
            `max of per-${load.stepSec}-s averages`,
          ),
          volumeSeriesEvidence(facts, load, 'mibps', { label: 'gp3 included', value: GP3.includedMiBps }),
          ...(burst
            ? [seriesEvidence(burst, 'gp2 burst balance', { label: 'empty', value: 0, bad: 'below' })]
            : []),
        ],
        recommendations: [
          {
            kind: 'volume',
            subject: volumeSubject(volume),
            current: volumeSpec('gp2', volume.sizeGiB, capacity.iops, capacity.throughputMiBps),
            recommended: volumeSpec('gp3', plan.sizeGiB, plan.iops, plan.throughputMiBps),
            rationale: `gp3 sized on the observed peaks plus ${ctx.options.headroomPct} % headroom${trap ? ', with throughput above the included 125 MiB/s because this gp2 volume (> 170 GiB) could reach 250 MiB/s and did go past 125' : ''}; ${cost}.`,
            evidence: [{ kind: 'arithmetic', label: `gp2 → gp3 for ${volume.id}`, steps }],
            monthlyCostDeltaUsd: delta,
            risk: trap ? 1 : 0,
          },
        ],
      });
    }
  },
});

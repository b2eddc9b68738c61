// A volume attached to nothing bills its provisioned size (and IOPS) every month and serves no one.
// Compute Optimizer reports it as an `Unattached` idle finding, the GCP recommender as an idle disk
// (unattached ≥ 15 days), Trusted Advisor as an underutilized EBS volume (../shared/reference/anchors.md).
import { z } from 'zod';
import type { Volume } from '../../model/index.ts';
import { usd } from '../../recommend/money.ts';
import { volumeCost } from '../../recommend/volume-cost.ts';
import { defineRule } from '../define-rule.ts';
import { stat } from '../evidence.ts';
import { volumeSubject } from '../facts.ts';
import { costSeverity, volumeSpec } from '../rule-helpers.ts';

export const unattachedVolume = defineRule({
  meta: {
    id: 'unattached-volume',
    title: 'Volume attached to nothing',
    category: 'cost',
    defaultSeverity: 'low',
    requires: [],
    options: z.object({
      minMonthlyUsd: z
        .number()
        .nonnegative()
        .default(1)
        .describe('An unattached volume that costs less than this a month is not worth a finding.'),
    }),
    messages: {
      unattached: '{{volume}} is attached to no instance and bills {{cost}}/month ({{formula}})',
    },
    docs: {
      rationale:
        'Block storage bills for what is provisioned, attached or not. A volume left behind by a deleted instance or a finished migration costs its full price every month ' +
        'and serves nothing. The price comes from the bundled catalogs with the arithmetic shown; the inventory does not say since when it is detached, so check that first.',
      remediation:
        'Find the owner from its tags or labels and when it was detached (AWS CloudTrail DetachVolume, Google Cloud audit logs, the Linode or OVHcloud event log). ' +
        'Snapshot it if its data may be needed (a snapshot bills by data stored, usually far less), then delete the volume.',
      sources: [
        'Compute Optimizer idle recommendations (Unattached EBS volumes, 32-day lookback): https://docs.aws.amazon.com/compute-optimizer/latest/ug/view-idle-recommendations.html',
        'GCP recommender idle disks (unattached for 15 days or more): ../shared/reference/anchors.md "GCP Recommender"',
        'Trusted Advisor "Underutilized Amazon EBS Volumes" (unattached, or < 1 IOPS a day for 7 days): ../shared/reference/anchors.md §2.3',
        'Amazon EBS pricing (provisioned storage billed until the volume is deleted): https://aws.amazon.com/ebs/pricing/',
      ],
    },
  },
  check(facts, ctx) {
    if (facts.volumes.length === 0) {
      if (facts.unavailable.inventory) ctx.insufficientData(facts.unavailable.inventory);
      else ctx.notApplicable('no volumes listed');
      return;
    }
    for (const volume of facts.volumes.filter((v) => v.attachedTo.length === 0)) {
      const cost = volumeCost(volume);
      if (cost.usd !== null && (cost.usd === 0 || cost.usd < ctx.options.minMonthlyUsd)) continue;
      const month = cost.usd === null ? `unknown (${cost.unknown.join(', ')})` : usd(cost.usd);
      const arithmetic = {
        kind: 'arithmetic' as const,
        label: `What ${volume.id} costs a month`,
        steps: [
          {
            label: `${volume.type} ${volume.sizeGiB} GiB, attached to nothing`,
            formula: cost.formula,
            result: month,
          },
          {
            label: 'snapshot before deleting',
            formula: 'billed by data stored; not in the bundled catalogs',
            result: 'not counted',
          },
        ],
      };
      ctx.report({
        subject: volumeSubject(volume),
        messageId: 'unattached',
        data: {
          volume: describe(volume),
          cost: cost.usd === null ? 'an unknown amount' : usd(cost.usd),
          formula: cost.formula,
        },
        severity: costSeverity(cost.usd),
        // The arithmetic goes with the recommendation; the finding states the figure.
        evidence: [stat('billed a month', cost.usd, 'usd-per-month', cost.formula)],
        recommendations: [
          {
            kind: 'volume',
            subject: volumeSubject(volume),
            current: `${volumeSpec(volume.type, volume.sizeGiB, volume.iops, volume.throughputMiBps)}, attached to nothing`,
            recommended: 'snapshot it if its data may be needed, then delete it',
            rationale:
              `Attached to no instance, it serves nothing and bills ${month} a month. ` +
              `Check first since when it is detached and who owns it${ownerHint(volume)}; snapshot storage is not counted.`,
            evidence: [arithmetic],
            monthlyCostDeltaUsd: cost.usd === null ? null : -cost.usd,
            risk: 1,
          },
        ],
      });
    }
  },
});

function describe(volume: Volume): string {
  const name = volume.tags.Name;
  return `${name ? `${name} (${volume.id})` : volume.id} (${volume.type} ${volume.sizeGiB} GiB in ${volume.region})`;
}

function ownerHint(volume: Volume): string {
  const keys = Object.keys(volume.tags).filter((k) => !k.startsWith('ovh:'));
  return keys.length > 0 ? ` (tags: ${keys.slice(0, 5).join(', ')})` : ' (it has no tags)';
}

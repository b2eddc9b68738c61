// A stopped or powered-off instance that still bills. What bills depends on the cloud: a stopped
// EC2 instance pays for its EBS volumes (and Elastic IPs); a stopped (TERMINATED) or SUSPENDED
// Compute Engine VM for its persistent disks; a powered-off Linode for its whole plan; a SHUTOFF
// OVHcloud instance as if it were running (only a SHELVED one stops paying, but for its snapshot).
// Compute Optimizer and the GCP recommender flag the same (../shared/reference/anchors.md §2.1, GCP).
import { z } from 'zod';
import type { Host, ProviderId } from '../../model/index.ts';
import type { MonthlyCost } from '../../recommend/ebs.ts';
import { usd } from '../../recommend/money.ts';
import { instanceMonthlyCost, sumCosts, volumeCost } from '../../recommend/volume-cost.ts';
import { defineRule } from '../define-rule.ts';
import { stat, table } from '../evidence.ts';
import { type Facts, hostSubject, isRunning } from '../facts.ts';
import { catalogType, costSeverity, hostLabel } from '../rule-helpers.ts';

interface OffBilling {
  /** States (as the adapter maps them) in which the instance is off but still exists. */
  states: readonly string[];
  /** Whether the instance itself bills while off. */
  billsPlan: (host: Host) => boolean;
  /** What the cloud calls the block storage that keeps billing, singular. */
  disk: string;
  recommended: (host: Host) => string;
  /** What bills too that the inventory does not list. */
  alsoBills: string;
}

/** OVHcloud statuses of a shelved instance: only its snapshot bills (the adapter keeps the raw status). */
const OVH_SHELVED = new Set(['SHELVED', 'SHELVED_OFFLOADED']);

export const OFF_BILLING: Record<ProviderId, OffBilling> = {
  aws: {
    states: ['stopped'],
    billsPlan: () => false,
    disk: 'EBS volume',
    recommended: () => 'snapshot the EBS volumes, then terminate the instance and delete the volumes',
    alsoBills: 'Elastic IP addresses associated with it bill as well: release them.',
  },
  gcp: {
    // A stopped Compute Engine VM reports TERMINATED; the adapter lower-cases the status.
    states: ['terminated', 'stopped', 'suspended'],
    billsPlan: () => false,
    disk: 'persistent disk',
    recommended: () => 'snapshot the persistent disks, then delete the instance and its disks',
    alsoBills:
      'A reserved static external IP bills as well, and a SUSPENDED VM pays for its preserved memory: release or delete them.',
  },
  linode: {
    states: ['offline', 'stopped'],
    billsPlan: () => true,
    disk: 'Block Storage volume',
    recommended: () => 'take a snapshot or backup of what must be kept, then delete the Linode',
    alsoBills: 'Backups, if enabled, bill with the plan.',
  },
  ovh: {
    states: ['stopped'],
    billsPlan: (host) => !OVH_SHELVED.has(host.tags['ovh:status'] ?? ''),
    disk: 'Block Storage volume',
    recommended: (host) =>
      OVH_SHELVED.has(host.tags['ovh:status'] ?? '')
        ? 'snapshot the Block Storage volumes, then delete them'
        : 'shelve the instance (only its snapshot bills), or snapshot and delete it',
    alsoBills: 'Attached Block Storage volumes keep billing after a shelve, and a snapshot bills by size.',
  },
};

export const stoppedInstanceBilled = defineRule({
  meta: {
    id: 'stopped-instance-billed',
    title: 'Stopped instance still billed',
    category: 'cost',
    defaultSeverity: 'low',
    requires: ['inventory'],
    options: z.object({
      minMonthlyUsd: z
        .number()
        .nonnegative()
        .default(1)
        .describe('A stopped instance that costs less than this a month is not worth a finding.'),
    }),
    messages: {
      disks:
        '{{host}} ({{type}}) is {{state}}, yet it still pays for its {{disks}}: {{cost}}/month ({{formula}})',
      plan: '{{host}} ({{type}}) is {{state}}, yet {{cloud}} bills it as if it ran: {{cost}}/month for the plan{{andDisks}} ({{formula}})',
    },
    docs: {
      rationale:
        'Stopping an instance does not stop every bill. AWS stops charging instance hours but keeps charging the EBS volumes and Elastic IPs; ' +
        'Google Cloud keeps charging the persistent disks and static IPs of a stopped (TERMINATED) or SUSPENDED VM; Linode bills a powered-off Linode its full plan ' +
        'until it is deleted; OVHcloud bills a SHUTOFF instance as if it ran, and only a shelved one stops paying, but for its snapshot. ' +
        'The cost is priced from the bundled catalogs with the arithmetic shown; snapshot storage is not in them and is not counted.',
      remediation:
        'Confirm with the owner (tags or labels) that it is not kept on purpose (a warm pool, a standby, a forensic hold). Then snapshot what must be kept and delete the instance and its disks ' +
        '(AWS: terminate, with the volumes deleted or snapshotted; Google Cloud: delete the VM and disks; Linode: delete the Linode after a snapshot or backup). ' +
        'On OVHcloud, shelve it to stop paying for the instance while keeping it restorable, or snapshot and delete it. Release reserved IP addresses it leaves behind.',
      sources: [
        'AWS, stop and start instances (no instance charge while stopped; EBS volumes and Elastic IPs still billed): https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Stop_Start.html',
        'Google Cloud, instance life cycle (TERMINATED: attached disks and reserved IPs still billed): https://cloud.google.com/compute/docs/instances/instance-life-cycle',
        'Google Cloud, suspend and resume (suspended memory and disks billed): https://cloud.google.com/compute/docs/instances/suspend-resume-instance',
        'Linode billing (powered-off Linodes are billed until deleted): https://techdocs.akamai.com/cloud-computing/docs/understanding-how-billing-works',
        'OVHcloud, shelve an instance (a shut-off instance is still billed; shelved, only the snapshot is): https://help.ovhcloud.com/csm/en-public-cloud-compute-shelve-instance',
        'Compute Optimizer idle and Steampipe thrifty "disks on stopped instances": ../shared/reference/anchors.md §2.1 and §2.5',
      ],
    },
  },
  check(facts, ctx) {
    for (const host of facts.hosts) {
      if (isRunning(host)) continue;
      const billing = OFF_BILLING[host.provider];
      if (!billing.states.includes(host.state)) {
        ctx.notApplicable(`${host.state}: in transit or gone, not a stopped instance`, hostSubject(host));
        continue;
      }
      if (host.groupId) {
        ctx.notApplicable(
          `member of group ${host.groupId}: a group keeps stopped instances on purpose (warm pool, standby)`,
          hostSubject(host),
        );
        continue;
      }
      const cost = offCost(facts, host, billing);
      // Nothing priced bills (no volumes, say): no finding, however low the option.
      if (cost.total.usd !== null && (cost.total.usd === 0 || cost.total.usd < ctx.options.minMonthlyUsd))
        continue;
      report(host, billing, cost, ctx);
    }
  },
});

interface OffCost {
  plan: MonthlyCost | null;
  volumes: { id: string; type: string; sizeGiB: number; cost: MonthlyCost }[];
  disks: MonthlyCost;
  total: MonthlyCost;
  /** What the recommended action stops paying (a shelve keeps the volumes). */
  saved: MonthlyCost;
}

function offCost(facts: Facts, host: Host, billing: OffBilling): OffCost {
  const plan = billing.billsPlan(host) ? instanceMonthlyCost(catalogType(facts, host)) : null;
  const volumes = facts.volumes
    .filter((v) => v.provider === host.provider && v.attachedTo.some((a) => a.hostId === host.id))
    .map((v) => ({ id: v.id, type: v.type, sizeGiB: v.sizeGiB, cost: volumeCost(v) }));
  const disks = sumCosts(volumes.map((v) => v.cost));
  const total = sumCosts([...(plan ? [plan] : []), ...(volumes.length > 0 ? [disks] : [])]);
  const shelve = host.provider === 'ovh' && plan !== null;
  return { plan, volumes, disks, total, saved: shelve ? plan : total };
}

function report(
  host: Host,
  billing: OffBilling,
  cost: OffCost,
  ctx: Parameters<typeof stoppedInstanceBilled.check>[1],
) {
  const month = (c: MonthlyCost) => (c.usd === null ? `unknown (${c.unknown.join(', ')})` : usd(c.usd));
  const steps = [
    ...(cost.plan
      ? [
          {
            label: `${host.instanceType} plan while off`,
            formula: cost.plan.formula,
            result: month(cost.plan),
          },
        ]
      : []),
    ...cost.volumes.map((v) => ({
      label: `${v.id} (${v.type} ${v.sizeGiB} GiB)`,
      formula: v.cost.formula,
      result: month(v.cost),
    })),
    { label: 'billed a month while off', formula: cost.total.formula, result: month(cost.total) },
    {
      label: 'saved by the recommended action',
      formula:
        cost.saved === cost.total || cost.volumes.length === 0
          ? 'everything above'
          : 'the plan only: the volumes keep billing',
      result: month(cost.saved),
    },
    {
      label: 'snapshot storage',
      formula: 'priced by size; not in the bundled catalogs',
      result: 'not counted',
    },
  ];
  const arithmetic = {
    kind: 'arithmetic' as const,
    label: `What ${hostLabel(host)} costs while ${host.state}`,
    steps,
  };
  const total = cost.total.usd;
  const common = {
    host: hostLabel(host),
    type: host.instanceType,
    state: host.state,
    cost: total === null ? 'an unknown amount' : usd(total),
    formula: cost.total.formula,
  };
  ctx.report({
    subject: hostSubject(host),
    ...(cost.plan
      ? {
          messageId: 'plan' as const,
          data: {
            ...common,
            cloud: CLOUD_NAMES[host.provider],
            andDisks: cost.volumes.length > 0 ? ` and its ${plural(cost.volumes.length, billing.disk)}` : '',
          },
        }
      : {
          messageId: 'disks' as const,
          data: { ...common, disks: plural(cost.volumes.length, billing.disk) },
        }),
    severity: costSeverity(total),
    evidence: [
      stat('billed a month while off', total, 'usd-per-month', cost.total.formula),
      ...(cost.volumes.length > 0
        ? [
            table(
              `Volumes attached to ${hostLabel(host)}`,
              [
                { key: 'id', label: 'Volume' },
                { key: 'type', label: 'Type' },
                { key: 'size', label: 'Size', unit: 'gib' },
                { key: 'monthly', label: 'Monthly', unit: 'usd-per-month' },
              ],
              cost.volumes.map((v) => ({ id: v.id, type: v.type, size: v.sizeGiB, monthly: v.cost.usd })),
            ),
          ]
        : []),
    ],
    recommendations: [
      {
        kind: 'instance-type',
        subject: hostSubject(host),
        current: `${host.instanceType}, ${host.state}`,
        recommended: billing.recommended(host),
        rationale:
          `${hostLabel(host)} is ${host.state} and still costs ${common.cost} a month; ` +
          `${cost.saved.usd === null ? 'the saving is not fully priced' : `this saves ${usd(cost.saved.usd)} a month`}` +
          ` (snapshot storage not counted). ${billing.alsoBills}`,
        evidence: [arithmetic],
        monthlyCostDeltaUsd: cost.saved.usd === null ? null : -cost.saved.usd,
        risk: 1,
      },
    ],
  });
}

const CLOUD_NAMES: Record<ProviderId, string> = {
  aws: 'AWS',
  gcp: 'Google Cloud',
  linode: 'Linode',
  ovh: 'OVHcloud',
};

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

// Idle instances, with the GCP idle-VM recommender's published thresholds: CPU below 0.03 vCPU for
// 97 % of the time, received traffic below 2,000 B/s and sent below 1,000 B/s for 95 % of it.
// Group members are left to the group: an idle member means the group's minimum is too high.
import { z } from 'zod';
import type { Host } from '../../model/index.ts';
import { volumeMonthlyCost } from '../../recommend/ebs.ts';
import { monthly, usd } from '../../recommend/money.ts';
import { defineRule } from '../define-rule.ts';
import { seriesEvidence, stat } from '../evidence.ts';
import { type Facts, hostSubject } from '../facts.ts';
import { catalogType, hostLabel, values, windowLabel } from '../rule-helpers.ts';
import { fractionWhere, round } from '../stats.ts';

export const idleInstance = defineRule({
  meta: {
    id: 'idle-instance',
    title: 'Idle instance',
    category: 'cost',
    defaultSeverity: 'medium',
    requires: ['inventory', 'metrics'],
    options: z.object({
      cpuVcpus: z
        .number()
        .positive()
        .default(0.03)
        .describe('CPU below this many vCPUs counts as idle (GCP).'),
      cpuShare: z
        .number()
        .min(0.5)
        .max(1)
        .default(0.97)
        .describe('Share of the time CPU must be idle (GCP: 97 %).'),
      rxBytesPerSec: z
        .number()
        .positive()
        .default(2000)
        .describe('Received traffic below this counts as idle (GCP).'),
      txBytesPerSec: z
        .number()
        .positive()
        .default(1000)
        .describe('Sent traffic below this counts as idle (GCP).'),
      netShare: z
        .number()
        .min(0.5)
        .max(1)
        .default(0.95)
        .describe('Share of the time traffic must be idle (GCP: 95 %).'),
      minHours: z
        .number()
        .positive()
        .default(24)
        .describe('Hours of data needed (GCP evaluates after 1 day).'),
    }),
    messages: {
      idle: '{{host}} ({{type}}) was idle for {{window}}: CPU under {{cpuPct}} % ({{cpuVcpus}} vCPU) {{cpuShare}} % of the time, traffic under {{rx}}/{{tx}} B/s {{netShare}} % of it; {{cost}}',
    },
    docs: {
      rationale:
        "An instance that neither computes nor talks is paid for doing nothing. The thresholds are the GCP idle-VM recommender's, applied to CloudWatch data.",
      remediation:
        'Confirm with the owner (tags or labels), snapshot what must be kept, then stop or delete it. A stopped instance still pays for its disks (EBS, Persistent Disk, Block Storage); a powered-off Linode and a stopped OVHcloud instance are billed in full until deleted (or shelved, on OVHcloud).',
      sources: [
        'GCP idle VM recommendations: https://cloud.google.com/compute/docs/instances/idle-vm-recommendations-overview',
      ],
    },
  },
  check(facts, ctx) {
    const o = ctx.options;
    for (const host of facts.hosts.filter((h) => h.state === 'running' && !h.groupId)) {
      const cpu = values(facts, host.id, 'cpu.util');
      const hours = (cpu.length * facts.window.stepSec) / 3600;
      if (hours < o.minHours) {
        ctx.insufficientData(`${round(hours)} h of CPU data; needs ${o.minHours} h`, hostSubject(host));
        continue;
      }
      const type = catalogType(facts, host);
      const vcpu = host.vcpu ?? type?.vcpu;
      if (!vcpu) {
        ctx.insufficientData(`vCPU count of ${host.instanceType} unknown`, hostSubject(host));
        continue;
      }
      const cpuLimitPct = (o.cpuVcpus / vcpu) * 100;
      const cpuIdle = fractionWhere(cpu, (v) => v < cpuLimitPct);
      const rxIdle = fractionWhere(values(facts, host.id, 'net.in.bytes'), (v) => v < o.rxBytesPerSec);
      const txIdle = fractionWhere(values(facts, host.id, 'net.out.bytes'), (v) => v < o.txBytesPerSec);
      if (cpuIdle < o.cpuShare || rxIdle < o.netShare || txIdle < o.netShare) continue;
      reportIdle(facts, host, { cpuLimitPct, cpuIdle, rxIdle, txIdle }, ctx);
    }
  },
});

function reportIdle(
  facts: Facts,
  host: Host,
  shares: { cpuLimitPct: number; cpuIdle: number; rxIdle: number; txIdle: number },
  ctx: Parameters<typeof idleInstance.check>[1],
) {
  const type = catalogType(facts, host);
  const instanceUsd = type?.priceUsdPerHour != null ? monthly(type.priceUsdPerHour) : null;
  const volumes = facts.volumes.filter((v) => host.volumeIds.includes(v.id));
  const volumeCosts = volumes.map((v) => volumeMonthlyCost(v.type, v.sizeGiB, v.iops, v.throughputMiBps).usd);
  const volumesUsd = volumeCosts.every((c) => c !== null) ? volumeCosts.reduce((a, b) => a! + b!, 0)! : null;
  const delta = instanceUsd === null ? null : Math.round(-(instanceUsd + (volumesUsd ?? 0)) * 100) / 100;
  const cost =
    delta === null
      ? 'price unknown'
      : `${usd(delta)}/month if terminated${volumesUsd === null ? ' (volume prices partly unknown, not counted)' : ''}`;
  const o = ctx.options;
  const cpuSeries = facts.series.get(host.id, 'cpu.util');
  ctx.report({
    subject: hostSubject(host),
    messageId: 'idle',
    data: {
      host: hostLabel(host),
      type: host.instanceType,
      window: windowLabel(facts),
      cpuPct: round(shares.cpuLimitPct, 2),
      cpuVcpus: o.cpuVcpus,
      cpuShare: round(shares.cpuIdle * 100),
      rx: o.rxBytesPerSec,
      tx: o.txBytesPerSec,
      netShare: round(Math.min(shares.rxIdle, shares.txIdle) * 100),
      cost,
    },
    evidence: [
      stat(
        'share of periods with CPU below the idle line',
        round(shares.cpuIdle * 100, 1),
        'percent',
        `CPU < ${round(shares.cpuLimitPct, 2)} % (= ${o.cpuVcpus} vCPU)`,
      ),
      stat(
        'share of periods with received traffic below the idle line',
        round(shares.rxIdle * 100, 1),
        'percent',
        `< ${o.rxBytesPerSec} B/s`,
      ),
      stat(
        'share of periods with sent traffic below the idle line',
        round(shares.txIdle * 100, 1),
        'percent',
        `< ${o.txBytesPerSec} B/s`,
      ),
      ...(cpuSeries ? [seriesEvidence(cpuSeries, 'CPU utilization')] : []),
    ],
    recommendations: [
      {
        kind: 'instance-type',
        subject: hostSubject(host),
        current: `${host.instanceType}, running`,
        recommended: 'stop or terminate (idle)',
        rationale: `Idle by the GCP thresholds for ${windowLabel(facts)}; ${cost}. Stopping keeps the volumes and their cost.`,
        evidence: [
          {
            kind: 'arithmetic',
            label: 'Cost of keeping it',
            steps: [
              {
                label: 'instance',
                formula:
                  type?.priceUsdPerHour != null ? `$${type.priceUsdPerHour}/h × 730 h` : 'price unknown',
                result: instanceUsd === null ? 'unknown' : usd(instanceUsd),
              },
              {
                label: 'volumes',
                formula: volumes.map((v) => `${v.type} ${v.sizeGiB} GiB`).join(' + ') || 'none',
                result: volumesUsd === null ? 'unknown' : usd(volumesUsd),
              },
            ],
          },
        ],
        monthlyCostDeltaUsd: delta,
        risk: 2,
      },
    ],
  });
}

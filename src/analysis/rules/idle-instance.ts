// Idle instances, with the GCP idle-VM recommender's published thresholds: CPU below 0.03 vCPU for
// 97 % of the time, received traffic below 2,000 B/s and sent below 1,000 B/s for 95 % of it.
// Group members are left to the group: an idle member means the group's minimum is too high.
import { z } from 'zod';
import type { Host, MetricName, ProviderId } from '../../model/index.ts';
import { usd } from '../../recommend/money.ts';
import { instanceMonthlyCost, sumCosts, volumeCost } from '../../recommend/volume-cost.ts';
import { defineRule } from '../define-rule.ts';
import { seriesEvidence, stat } from '../evidence.ts';
import { type Facts, hostSubject } from '../facts.ts';
import { catalogType, hostLabel, removalVerb, runningHosts, values, windowLabel } from '../rule-helpers.ts';
import { fractionWhere, hoursOf, round } from '../stats.ts';

/**
 * Each cloud's own names for the CPU and traffic the idle test reads, as its console shows them
 * (the adapters map them onto cpu.util, net.in.bytes and net.out.bytes).
 */
export const IDLE_METRICS: Record<ProviderId, string> = {
  aws: 'CloudWatch AWS/EC2 CPUUtilization, NetworkIn and NetworkOut',
  gcp: 'Cloud Monitoring compute.googleapis.com/instance/cpu/utilization, instance/network/received_bytes_count and sent_bytes_count',
  linode: 'Linode /stats cpu and netv4/netv6 in and out',
  ovh: 'OVHcloud instance monitoring cpu:used, net:rx and net:tx',
};

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
      idle: '{{host}} ({{type}}) was idle for {{window}}: CPU under {{cpuPct}} % ({{cpuVcpus}} vCPU) {{cpuShare}} % of the time, traffic under {{rx}}/{{tx}} B/s {{netShare}} % of it ({{metrics}}); {{cost}}',
    },
    docs: {
      rationale:
        "An instance that neither computes nor talks is paid for doing nothing. The thresholds are the GCP idle-VM recommender's, applied to each cloud's own CPU and traffic metrics: " +
        'CloudWatch CPUUtilization, NetworkIn and NetworkOut on AWS; Cloud Monitoring instance/cpu/utilization and network bytes on Google Cloud; /stats on Linode; the instance monitoring API on OVHcloud.',
      remediation:
        'Confirm with the owner (tags or labels), snapshot what must be kept, then stop or delete it. A stopped instance still pays for its disks (EBS, Persistent Disk, Block Storage); a powered-off Linode and a stopped OVHcloud instance are billed in full until deleted (or shelved, on OVHcloud).',
      sources: [
        'GCP idle VM recommendations: https://cloud.google.com/compute/docs/instances/idle-vm-recommendations-overview',
      ],
    },
  },
  check(facts, ctx) {
    const o = ctx.options;
    // Group members are left to the group: an idle member means the group's minimum is too high.
    const standalone = facts.hosts.filter((h) => !h.groupId);
    for (const host of runningHosts(facts, ctx.notApplicable, standalone)) {
      const cpu = values(facts, host.id, 'cpu.util');
      const hours = hoursOf(cpu);
      if (hours < o.minHours) {
        ctx.insufficientData(`${round(hours)} h of CPU data; needs ${o.minHours} h`, hostSubject(host));
        continue;
      }
      const missing = (['net.in.bytes', 'net.out.bytes'] as const).filter(
        (metric) => values(facts, host.id, metric).length === 0,
      );
      if (missing.length > 0) {
        // Idle means no CPU and no traffic; low CPU alone is a batch host between runs.
        ctx.insufficientData(
          `no ${missing.join(' or ')} data: idleness needs traffic too`,
          hostSubject(host),
        );
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
  const instance = instanceMonthlyCost(type);
  const instanceUsd = instance.usd;
  const volumes = facts.volumes.filter((v) => host.volumeIds.includes(v.id));
  const volumesCost = sumCosts(volumes.map((v) => volumeCost(v)));
  const volumesUsd = volumes.length === 0 ? 0 : volumesCost.usd;
  const delta = instanceUsd === null ? null : Math.round(-(instanceUsd + (volumesUsd ?? 0)) * 100) / 100;
  const verb = removalVerb(host.provider);
  const cost =
    delta === null
      ? 'price unknown'
      : `${usd(delta)}/month if ${verb}d${volumesUsd === null ? ' (volume prices partly unknown, not counted)' : ''}`;
  const o = ctx.options;
  const cpuSeries = facts.series.get(host.id, 'cpu.util');
  const sourceOf = (metric: MetricName) => facts.series.get(host.id, metric)?.source ?? 'not collected';
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
      metrics: IDLE_METRICS[host.provider],
      cost,
    },
    evidence: [
      stat(
        'share of periods with CPU below the idle line',
        round(shares.cpuIdle * 100, 1),
        'percent',
        `CPU < ${round(shares.cpuLimitPct, 2)} % (= ${o.cpuVcpus} vCPU); ${sourceOf('cpu.util')}`,
      ),
      stat(
        'share of periods with received traffic below the idle line',
        round(shares.rxIdle * 100, 1),
        'percent',
        `< ${o.rxBytesPerSec} B/s; ${sourceOf('net.in.bytes')}`,
      ),
      stat(
        'share of periods with sent traffic below the idle line',
        round(shares.txIdle * 100, 1),
        'percent',
        `< ${o.txBytesPerSec} B/s; ${sourceOf('net.out.bytes')}`,
      ),
      ...(cpuSeries ? [seriesEvidence(cpuSeries, 'CPU utilization')] : []),
    ],
    recommendations: [
      {
        kind: 'instance-type',
        subject: hostSubject(host),
        current: `${host.instanceType}, running`,
        recommended: `${verb} (idle), after a snapshot of what must be kept`,
        rationale: `Idle by the GCP thresholds for ${windowLabel(facts)} (${IDLE_METRICS[host.provider]}); ${cost}. ${STOPPING[host.provider]}`,
        evidence: [
          {
            kind: 'arithmetic',
            label: 'Cost of keeping it',
            steps: [
              {
                label: 'instance',
                formula: instance.formula,
                result: instanceUsd === null ? 'unknown' : usd(instanceUsd),
              },
              {
                label: 'volumes',
                formula:
                  volumes.length === 0
                    ? 'none'
                    : volumes.map((v) => `${v.type} ${v.sizeGiB} GiB`).join(' + ') +
                      ` = ${volumesCost.formula}`,
                result: volumesUsd === null ? `unknown (${volumesCost.unknown.join(', ')})` : usd(volumesUsd),
              },
              {
                label: `saved if ${verb}d`,
                formula: 'instance + volumes',
                result: delta === null ? 'unknown' : usd(-delta),
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

/** What stopping instead of deleting saves on each cloud (remediation says the same at length). */
const STOPPING: Record<ProviderId, string> = {
  aws: 'Stopping instead saves the instance hours but keeps paying for the EBS volumes (and any Elastic IP).',
  gcp: 'Stopping instead saves the instance hours but keeps paying for the persistent disks (and any static IP).',
  linode: 'Powering it off saves nothing: a Linode bills its full plan until it is deleted.',
  ovh: 'Stopping (SHUTOFF) saves nothing: OVHcloud bills a stopped instance as running; shelving leaves only the snapshot billed.',
};

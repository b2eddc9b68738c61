// Instance and disk ceilings from the cloud's metrics and the catalogs: CPU (burstable baseline and
// credit hours), memory, network (baseline and burst), EBS bandwidth and IOPS per instance type,
// and each volume's IOPS and throughput (gp2 burst balance hours). Pure: facts in, checks out.
import type { Facts } from '../analysis/facts.ts';
import { presentValues, sumByTime } from '../analysis/series-read.ts';
import { max, min, percentile } from '../analysis/stats.ts';
import type { EventCheck, Host, InstanceType, MetricName, Volume } from '../model/index.ts';
import { volumeCapacity } from '../recommend/ebs.ts';
import { judged, roundTo, unknownCeiling } from './check.ts';

// https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html#gp2-burst-bucket: 5.4 million I/O credits.
const GP2_BUCKET_IO_CREDITS = 5_400_000;
const MIB = 1024 * 1024;

/** The series' values at the sizing percentile (Compute Optimizer: P99.5 of 5-minute values). */
export function peakOf(facts: Facts, subjectId: string, metric: MetricName): number | undefined {
  const series = facts.series.get(subjectId, metric);
  return series ? percentile(series.values, facts.sizing.cpuPercentile) : undefined;
}

/** Two rate series added up time by time (reads + writes), then the percentile: peaks that coincide. */
export function summedPeak(facts: Facts, subjectIds: readonly string[], metrics: readonly MetricName[]) {
  const sum = sumByTime(subjectIds.flatMap((id) => metrics.map((metric) => facts.series.get(id, metric))));
  return sum ? percentile(sum.values, facts.sizing.cpuPercentile) : undefined;
}

export function cpuCheck(facts: Facts, host: Host, type: InstanceType | undefined, n: number): EventCheck {
  const metric = facts.series.get(host.id, 'cpu.util.max') ? 'cpu.util.max' : 'cpu.util';
  const today = peakOf(facts, host.id, metric);
  if (today === undefined) return unknownCeiling('cpu', 'CPU', 'percent', 'no CPU series for this host');
  const pct = `P${facts.sizing.cpuPercentile}`;
  if (type?.burstable && type.baselineCpuPct !== null) {
    return judged(
      {
        kind: 'cpu',
        label: `CPU against the ${type.name} baseline`,
        today,
        limit: type.baselineCpuPct,
        unit: 'percent',
        source: `${pct} of ${metric} (${facts.series.get(host.id, metric)?.source}); baseline ${type.baselineCpuPct} % per vCPU (${type.source} catalog)`,
        note: creditNote(facts, host, type, today * n),
      },
      n,
    );
  }
  const limit = 100 / (1 + facts.sizing.cpuHeadroomPct / 100);
  return judged(
    {
      kind: 'cpu',
      label: 'CPU',
      today,
      limit,
      unit: 'percent',
      source: `${pct} of ${metric} (${facts.series.get(host.id, metric)?.source}); limit 100 % ÷ (1 + ${facts.sizing.cpuHeadroomPct} % sizing headroom)`,
    },
    n,
  );
}

/** How long the credit balance lasts above the baseline: earned at the baseline, spent at the demand. */
function creditNote(facts: Facts, host: Host, type: InstanceType, demandPct: number): string {
  const baseline = type.baselineCpuPct ?? 0;
  if (demandPct <= baseline) return 'the projected peak stays under the baseline: no credits spent';
  const balance = max(facts.series.get(host.id, 'cpu.credit.balance')?.values ?? []);
  if (balance === undefined) return 'credit balance not reported: how long credits last is unknown';
  // One credit = one vCPU at 100 % for a minute.
  const burnPerHour = ((demandPct - baseline) / 100) * type.vcpu * 60;
  return `credits last ${roundTo(balance / burnPerHour)} h at the projected peak (balance ${Math.round(balance)} credits, net burn ${roundTo(burnPerHour)} credits/h), then the CPU is held at the ${baseline} % baseline`;
}

export function memoryCheck(facts: Facts, host: Host, n: number): EventCheck {
  const cloud = facts.series.get(host.id, 'mem.used');
  const values = presentValues(cloud, facts.window.stepSec);
  const today = max(values);
  if (!cloud || today === undefined)
    return unknownCeiling(
      'memory',
      'memory',
      'percent',
      'no memory metric: the cloud sees guest memory only through an agent (CloudWatch agent, Ops Agent)',
    );
  // The quietest reading is memory held whatever the traffic (the OS, caches, a heap at rest): only the rest grows.
  const floor = min(values) ?? 0;
  const limit = 100 / (1 + facts.sizing.memoryHeadroomPct / 100);
  return judged(
    {
      kind: 'memory',
      label: 'memory',
      today,
      floor,
      limit,
      unit: 'percent',
      source: `max ${roundTo(today)} % of mem.used (${cloud.source}), of which the window's minimum ${roundTo(floor)} % is held as is and the rest grows × N; limit 100 % ÷ (1 + ${facts.sizing.memoryHeadroomPct} % headroom)`,
    },
    n,
  );
}

export function networkCheck(
  facts: Facts,
  host: Host,
  type: InstanceType | undefined,
  n: number,
): EventCheck {
  const inPeak = peakOf(facts, host.id, 'net.in.bytes');
  const outPeak = peakOf(facts, host.id, 'net.out.bytes');
  if (inPeak === undefined && outPeak === undefined)
    return unknownCeiling('network', 'network', 'bytes-per-second', 'no network series for this host');
  if (!type || type.networkBaselineGbps === null)
    return unknownCeiling(
      'network',
      'network',
      'bytes-per-second',
      `no network bandwidth for ${host.instanceType} in the catalog`,
    );
  // Each direction has the full bandwidth: the busier one is what hits it.
  const busier = (outPeak ?? 0) >= (inPeak ?? 0) ? 'out' : 'in';
  const today = Math.max(inPeak ?? 0, outPeak ?? 0);
  const baseline = (type.networkBaselineGbps * 1e9) / 8;
  const burst = type.networkPeakGbps !== null ? (type.networkPeakGbps * 1e9) / 8 : null;
  const bursts = burst !== null && burst > baseline;
  return judged(
    {
      kind: 'network',
      label: `network ${busier} against the baseline`,
      today,
      limit: baseline,
      unit: 'bytes-per-second',
      source: `P${facts.sizing.cpuPercentile} of net.${busier}.bytes; baseline ${type.networkBaselineGbps} Gbit/s (${type.source} catalog)`,
      ...(bursts
        ? {
            note: `bursts to ${type.networkPeakGbps} Gbit/s (×${roundTo(burst / today)}) only while network credits last: minutes (about 5 to 60), not an event's hours`,
          }
        : {}),
    },
    n,
  );
}

/** How each cloud names its catalog and the disks that share an instance's storage bandwidth. */
const INSTANCE_DISKS: Readonly<Record<Host['provider'], { catalog: string; disks: string }>> = {
  aws: { catalog: 'AWS', disks: 'EBS' },
  gcp: { catalog: 'GCP', disks: 'persistent-disk' },
  linode: { catalog: 'Linode', disks: 'block-storage' },
  ovh: { catalog: 'OVHcloud', disks: 'block-storage' },
};

/**
 * The instance's own disk ceilings (throughput and IOPS) when the catalog has no number for them:
 * both listed as unknown with the reason, so a cloud without per-instance limits is never passed.
 */
function noInstanceDiskLimit(host: Host, hasMetrics: boolean): EventCheck[] {
  const { catalog, disks } = INSTANCE_DISKS[host.provider];
  const why = `the ${catalog} catalog has no per-instance ${disks} limit for ${host.instanceType}${hasMetrics ? '' : ' (and no disk metrics for this host)'}`;
  return [
    unknownCeiling('ebs-bandwidth', `${disks} throughput per instance`, 'bytes-per-second', why),
    unknownCeiling('ebs-bandwidth', `${disks} IOPS per instance`, 'ops-per-second', why),
  ];
}

/** EBS bandwidth and IOPS of the instance type: every attached volume's I/O shares them. */
export function ebsChecks(facts: Facts, host: Host, type: InstanceType | undefined, n: number): EventCheck[] {
  const ids = [host.id];
  const bytes = summedPeak(facts, ids, ['disk.read.bytes', 'disk.write.bytes']);
  const ops = summedPeak(facts, ids, ['disk.read.ops', 'disk.write.ops']);
  const hasMetrics = bytes !== undefined || ops !== undefined;
  // NOTE: only the AWS catalog carries per-instance disk limits (gcp-disk-types.json lists per-VM
  // persistent-disk limits among its gaps; the Linode and OVHcloud catalogs have none).
  if (
    host.provider !== 'aws' ||
    !type ||
    type.ebsBaselineThroughputMBps === null ||
    type.ebsBaselineIops === null
  )
    return noInstanceDiskLimit(host, hasMetrics);
  if (!hasMetrics)
    return [
      unknownCeiling('ebs-bandwidth', 'EBS bandwidth', 'bytes-per-second', 'no EBS metrics for this host'),
    ];
  const burstNote = (maxValue: number | null, unit: string) =>
    maxValue !== null &&
    maxValue > (unit === 'MB/s' ? type.ebsBaselineThroughputMBps! : type.ebsBaselineIops!)
      ? `the type bursts to ${maxValue} ${unit} for 30 minutes a day at most: an event lasts longer`
      : undefined;
  const checks: EventCheck[] = [];
  if (bytes !== undefined) {
    const note = burstNote(type.ebsMaxThroughputMBps, 'MB/s');
    checks.push(
      judged(
        {
          kind: 'ebs-bandwidth',
          label: 'EBS throughput',
          today: bytes,
          limit: type.ebsBaselineThroughputMBps * 1e6,
          unit: 'bytes-per-second',
          source: `P${facts.sizing.cpuPercentile} of EBSReadBytes + EBSWriteBytes per second; baseline ${type.ebsBaselineThroughputMBps} MB/s (${type.source} catalog)`,
          ...(note ? { note } : {}),
        },
        n,
      ),
    );
  }
  if (ops !== undefined) {
    const note = burstNote(type.ebsMaxIops, 'IOPS');
    checks.push(
      judged(
        {
          kind: 'ebs-bandwidth',
          label: 'EBS IOPS',
          today: ops,
          limit: type.ebsBaselineIops,
          unit: 'ops-per-second',
          source: `P${facts.sizing.cpuPercentile} of EBSReadOps + EBSWriteOps per second; baseline ${type.ebsBaselineIops} IOPS (${type.source} catalog)`,
          ...(note ? { note } : {}),
        },
        n,
      ),
    );
  }
  return checks;
}

/** Each attached volume's IOPS and throughput against its type's model. */
export function volumeChecks(facts: Facts, host: Host, n: number): EventCheck[] {
  const volumes = facts.volumes.filter((v) => host.volumeIds.includes(v.id));
  return volumes.flatMap((volume) => oneVolume(facts, volume, n));
}

function oneVolume(facts: Facts, volume: Volume, n: number): EventCheck[] {
  const ops = summedPeak(facts, [volume.id], ['disk.read.ops', 'disk.write.ops']);
  const bytes = summedPeak(facts, [volume.id], ['disk.read.bytes', 'disk.write.bytes']);
  const label = `${volume.id} (${volume.type} ${volume.sizeGiB} GiB)`;
  if (ops === undefined && bytes === undefined)
    return [
      unknownCeiling('volume', label, 'ops-per-second', 'no IOPS or throughput metrics for this volume'),
    ];
  const cap = volumeCapacity(volume.type, volume.sizeGiB, volume.iops, volume.throughputMiBps);
  const checks: EventCheck[] = [];
  const pct = `P${facts.sizing.cpuPercentile}`;
  if (ops !== undefined) {
    checks.push(
      cap.iops === null
        ? unknownCeiling('volume', `${label} IOPS`, 'ops-per-second', cap.basis)
        : judged(
            {
              kind: 'volume',
              label: `${label} IOPS`,
              today: ops,
              limit: cap.iops,
              unit: 'ops-per-second',
              source: `${pct} of read + write ops per second; ${cap.basis}`,
              ...gp2BurstNote(volume, cap.iops, cap.burstIops, ops * n),
            },
            n,
          ),
    );
  }
  if (bytes !== undefined) {
    checks.push(
      cap.throughputMiBps === null
        ? unknownCeiling('volume', `${label} throughput`, 'mib-per-second', cap.basis)
        : judged(
            {
              kind: 'volume',
              label: `${label} throughput`,
              today: bytes / MIB,
              limit: cap.throughputMiBps,
              unit: 'mib-per-second',
              source: `${pct} of read + write bytes per second; ${cap.basis}`,
            },
            n,
          ),
    );
  }
  return checks;
}

/** gp2 above its baseline spends the 5.4 M I/O credit bucket: how many hours a full bucket lasts. */
function gp2BurstNote(volume: Volume, baseIops: number, burstIops: number | null, demandIops: number) {
  if (volume.type !== 'gp2' || burstIops === null || burstIops <= baseIops || demandIops <= baseIops)
    return {};
  if (demandIops > burstIops)
    return { note: `above the ${burstIops} IOPS burst too: the volume is held at its limit` };
  const hours = GP2_BUCKET_IO_CREDITS / (demandIops - baseIops) / 3600;
  return {
    note: `bursts to ${burstIops} IOPS on credits: a full bucket lasts ${roundTo(hours)} h at the projected ${Math.round(demandIops)} IOPS, then ${baseIops}`,
  };
}

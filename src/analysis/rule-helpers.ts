// Small pieces several rules share: reading series as values, the window in words, and turning a
// sizing result into a recommendation with its arithmetic.
import { z } from 'zod';
import type {
  ArithmeticEvidence,
  Host,
  InstanceType,
  MetricName,
  SeriesEvidence,
  Subject,
  Volume,
} from '../model/index.ts';
import { type Gp3Plan, type MonthlyCost, volumeCapacity } from '../recommend/ebs.ts';
import { usd } from '../recommend/money.ts';
import type { SizingResult, SizingSignals } from '../recommend/sizing.ts';
import type { RecommendationDraft } from './define-rule.ts';
import { seriesEvidence } from './evidence.ts';
import type { Facts } from './facts.ts';

export function values(facts: Facts, subjectId: string, metric: MetricName): number[] {
  return facts.series.get(subjectId, metric)?.points.map(([, v]) => v) ?? [];
}

/** Seconds of data a series covers (points × step). */
export function coveredSec(facts: Facts, subjectId: string, metric: MetricName): number {
  const series = facts.series.get(subjectId, metric);
  return series ? series.points.length * series.stepSec : 0;
}

export function windowLabel(facts: Facts): string {
  const hours = (facts.window.toMs - facts.window.fromMs) / 3_600_000;
  return hours >= 48 ? `${Math.round(hours / 24)} days` : `${Math.round(hours)} h`;
}

export function hostLabel(host: Pick<Host, 'id' | 'name'>): string {
  return host.name && host.name !== host.id ? `${host.name} (${host.id})` : host.id;
}

export function sizingSignals(facts: Facts, hostIds: readonly string[]): SizingSignals {
  const pooled = (metric: MetricName) => hostIds.flatMap((id) => values(facts, id, metric));
  // Read + write per period, joined on the timestamp (a series may miss a point the other has).
  const sumOf = (a: MetricName, b: MetricName) =>
    hostIds.flatMap((id) => {
      const byTime = new Map<number, number>();
      for (const metric of [a, b]) {
        for (const [t, v] of facts.series.get(id, metric)?.points ?? [])
          byTime.set(t, (byTime.get(t) ?? 0) + v);
      }
      return [...byTime.values()];
    });
  const mem = pooled('mem.used');
  const cpuSeries = hostIds.map((id) => facts.series.get(id, 'cpu.util.max'));
  const hoursOf = (s: (typeof cpuSeries)[number]) => (s ? (s.points.length * s.stepSec) / 3600 : 0);
  return {
    cpuMaxPct: pooled('cpu.util.max'),
    stepSec: cpuSeries.find(Boolean)?.stepSec ?? facts.window.stepSec,
    ...(hostIds.length > 1 ? { coveredHours: Math.min(...cpuSeries.map(hoursOf)) } : {}),
    ...(mem.length > 0 ? { memUsedPct: mem } : {}),
    netInBps: pooled('net.in.bytes'),
    netOutBps: pooled('net.out.bytes'),
    ebsOps: sumOf('disk.read.ops', 'disk.write.ops'),
    ebsBps: sumOf('disk.read.bytes', 'disk.write.bytes'),
  };
}

export function catalogType(facts: Facts, host: Host): InstanceType | undefined {
  return facts.catalog.get(host.instanceType);
}

export function instanceRecommendation(
  result: SizingResult,
  subject: Subject,
  instances: number,
  cpuPercentile: number,
  note?: string,
): RecommendationDraft | undefined {
  if (!result.recommended) return undefined;
  const perInstance = result.monthlyDeltaUsd;
  const total = perInstance === null ? null : Math.round(perInstance * instances * 100) / 100;
  const count = instances > 1 ? ` on each of ${instances} instances` : '';
  const unmeasured =
    result.unmeasured.length > 0
      ? ` ${result.unmeasured.join(' and ')} not measured: held at the current capacity.`
      : '';
  return {
    kind: 'instance-type',
    subject,
    current: result.current.name,
    recommended: result.recommended.name,
    rationale:
      `${result.reason}${count}. Sized on P${cpuPercentile} of per-period CPU maxima plus headroom, every dimension a ceiling;` +
      ` ${total === null ? 'price unknown for one of the types' : `${usd(total)}/month`}.${unmeasured}${note ? ` ${note}` : ''}`,
    evidence: [result.arithmetic],
    monthlyCostDeltaUsd: total,
    risk: result.risk,
  };
}

export interface VolumeLoad {
  /** Per-period read + write ops per second and MiB per second, aligned by time. */
  iops: number[];
  mibps: number[];
  timesMs: number[];
  points: number;
  hours: number;
}

export function volumeLoad(facts: Facts, volumeId: string): VolumeLoad {
  const byTime = new Map<number, { ops: number; bytes: number }>();
  const add = (metric: MetricName, key: 'ops' | 'bytes') => {
    for (const [t, v] of facts.series.get(volumeId, metric)?.points ?? []) {
      const slot = byTime.get(t) ?? { ops: 0, bytes: 0 };
      slot[key] += v;
      byTime.set(t, slot);
    }
  };
  add('disk.read.ops', 'ops');
  add('disk.write.ops', 'ops');
  add('disk.read.bytes', 'bytes');
  add('disk.write.bytes', 'bytes');
  const times = [...byTime.keys()].sort((a, b) => a - b);
  return {
    timesMs: times,
    iops: times.map((t) => byTime.get(t)!.ops),
    mibps: times.map((t) => byTime.get(t)!.bytes / 1_048_576),
    points: times.length,
    hours: (times.length * facts.window.stepSec) / 3600,
  };
}

export function volumeLabel(facts: Facts, volume: Volume): string {
  const host = facts.hosts.find((h) => volume.attachedTo.some((a) => a.hostId === h.id));
  return `${volume.id} (${volume.type} ${volume.sizeGiB} GiB${host ? ` on ${hostLabel(host)}` : ''})`;
}

export function volumeSpec(
  type: string,
  sizeGiB: number,
  iops: number | null,
  throughputMiBps: number | null,
): string {
  const perf = [
    iops !== null ? `${iops} IOPS` : null,
    throughputMiBps !== null ? `${throughputMiBps} MiB/s` : null,
  ].filter(Boolean);
  return `${type} ${sizeGiB} GiB${perf.length > 0 ? `, ${perf.join(', ')}` : ''}`;
}

/** When a volume counts as saturated (disk-saturated's defaults; the cost rules use the same test). */
export const VOLUME_SATURATION = { busyPct: 90, atLimitShare: 0.9, queueDepth: 1, minSaturatedHours: 1 };

/**
 * Periods in which the volume sat at its IOPS or throughput limit while queueing or busy. The
 * cost rules skip such a volume: disk-saturated sizes it from the capped peak instead.
 */
export function saturatedPeriods(
  facts: Facts,
  volume: Volume,
  o: typeof VOLUME_SATURATION = VOLUME_SATURATION,
): number[] {
  const load = volumeLoad(facts, volume.id);
  const capacity = volumeCapacity(volume.type, volume.sizeGiB, volume.iops, volume.throughputMiBps);
  const busy = new Map(facts.series.get(volume.id, 'disk.busy')?.points ?? []);
  const queue = new Map(facts.series.get(volume.id, 'disk.queue')?.points ?? []);
  const balance = new Map(facts.series.get(volume.id, 'disk.burst.balance')?.points ?? []);
  return load.timesMs.filter((t, i) => {
    // While gp2/st1/sc1 credits last the volume may run at its burst limit: that is not saturation.
    const bursting = (balance.get(t) ?? 0) > 0;
    const iopsLimit = bursting ? (capacity.burstIops ?? capacity.iops) : capacity.iops;
    const throughputLimit = bursting
      ? (capacity.burstThroughputMiBps ?? capacity.throughputMiBps)
      : capacity.throughputMiBps;
    const atIops = iopsLimit !== null && load.iops[i]! >= o.atLimitShare * iopsLimit;
    const atThroughput = throughputLimit !== null && load.mibps[i]! >= o.atLimitShare * throughputLimit;
    return (
      (atIops || atThroughput) && ((queue.get(t) ?? 0) >= o.queueDepth || (busy.get(t) ?? 0) >= o.busyPct)
    );
  });
}

export function isSaturated(facts: Facts, volume: Volume): boolean {
  return (
    (saturatedPeriods(facts, volume).length * facts.window.stepSec) / 3600 >=
    VOLUME_SATURATION.minSaturatedHours
  );
}

/** Per-volume IOPS or MiB/s as series evidence, with the volume's limit drawn across it. */
export function volumeSeriesEvidence(
  facts: Facts,
  load: VolumeLoad,
  what: 'iops' | 'mibps',
  reference?: { label: string; value: number },
): SeriesEvidence {
  const iops = what === 'iops';
  return seriesEvidence(
    {
      points: load.timesMs.map((t, i) => [t, (iops ? load.iops : load.mibps)[i]!]),
      stepSec: facts.window.stepSec,
      unit: iops ? 'ops-per-second' : 'mib-per-second',
      source: iops
        ? 'AWS/EBS VolumeReadOps + VolumeWriteOps Sum ÷ period'
        : 'AWS/EBS VolumeReadBytes + VolumeWriteBytes Sum ÷ period',
    },
    iops ? 'IOPS' : 'Throughput',
    reference,
  );
}

/** Options the gp3-sizing rules share. */
export const gp3SizingOptions = {
  headroomPct: z
    .number()
    .min(0)
    .max(100)
    .default(20)
    .describe('Added to the observed peak IOPS and throughput.'),
  minHours: z
    .number()
    .positive()
    .default(30)
    .describe('Hours of volume data needed (Compute Optimizer: 30 h attached).'),
};

/**
 * The volumes a gp3-sizing rule may judge, with their load: saturated ones are left to
 * disk-saturated (which sizes from the capped peak), thin ones are reported as lacking data.
 */
export function* gp3Candidates(
  facts: Facts,
  volumes: readonly Volume[],
  minHours: number,
  insufficientData: (reason: string, subject: Subject) => void,
): Generator<{ volume: Volume; load: VolumeLoad }> {
  for (const volume of volumes) {
    if (isSaturated(facts, volume)) continue;
    const load = volumeLoad(facts, volume.id);
    if (load.hours < minHours) {
      insufficientData(`${Math.round(load.hours * 10) / 10} h of volume data; needs ${minHours} h`, {
        provider: volume.provider,
        kind: 'volume',
        id: volume.id,
      });
      continue;
    }
    yield { volume, load };
  }
}

/** The arithmetic of moving a volume to gp3: what it is, what it did, the plan, both costs. */
export function gp3MoveSteps(
  facts: Facts,
  volume: Volume,
  load: VolumeLoad,
  peaks: { iops: number; mibps: number },
  plan: Gp3Plan,
  before: MonthlyCost,
  after: MonthlyCost,
): ArithmeticEvidence['steps'] {
  const capacity = volumeCapacity(volume.type, volume.sizeGiB, volume.iops, volume.throughputMiBps);
  const month = (cost: MonthlyCost) => (cost.usd === null ? 'unknown' : `${usd(cost.usd)}/month`);
  const unknown = (cost: MonthlyCost) =>
    cost.unknown.length ? ` + ${cost.unknown.join(' + ')} (price unknown)` : '';
  return [
    {
      label: `${volume.type} today`,
      formula: capacity.basis,
      result: `${capacity.iops} IOPS, ${capacity.throughputMiBps} MiB/s`,
    },
    {
      label: 'observed peaks',
      formula: `max of ${load.points} per-${facts.window.stepSec}-s averages`,
      result: `${Math.round(peaks.iops)} IOPS, ${Math.round(peaks.mibps * 10) / 10} MiB/s`,
    },
    ...plan.steps,
    { label: `${volume.type} cost`, formula: before.formula + unknown(before), result: month(before) },
    { label: 'gp3 cost', formula: after.formula + unknown(after), result: month(after) },
  ];
}

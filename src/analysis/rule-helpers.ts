// Small pieces several rules share: reading series as values, the window in words, and turning a
// sizing result into a recommendation with its arithmetic.
import { z } from 'zod';
import type {
  ArithmeticEvidence,
  Host,
  InstanceType,
  MetricName,
  ProviderId,
  SeriesEvidence,
  Subject,
  Volume,
} from '../model/index.ts';
import { type Gp3Plan, type MonthlyCost, volumeCapacity } from '../recommend/ebs.ts';
import { usd } from '../recommend/money.ts';
import type { SizingResult, SizingSignals } from '../recommend/sizing.ts';
import type { RecommendationDraft } from './define-rule.ts';
import { pointsSeriesEvidence } from './evidence.ts';
import { type Facts, hostSubject, isRunning, volumeSubject } from './facts.ts';
import { sourceOf } from './onhost/signals.ts';
import { forEachPoint, pointCount, presentValues, sumByTime, valueAtMs } from './series-read.ts';
import type { StepValues, Values } from './stats.ts';

/**
 * A series' values, carrying the series' own step: `secondsWhere`, `longestRunSec` and `hoursOf`
 * count them at that step, so an hourly series is never counted at the window's 5 minutes.
 */
export function values(facts: Facts, subjectId: string, metric: MetricName): StepValues<Float64Array> {
  return presentValues(facts.series.get(subjectId, metric), facts.window.stepSec);
}

/** Seconds of data a series covers (points × its own step). */
export function coveredSec(facts: Facts, subjectId: string, metric: MetricName): number {
  const series = facts.series.get(subjectId, metric);
  return series ? pointCount(series) * series.stepSec : 0;
}

/** Hours of data a series covers (points × its own step). */
export function coveredHours(facts: Facts, subjectId: string, metric: MetricName): number {
  return coveredSec(facts, subjectId, metric) / 3600;
}

/**
 * The hosts whose cloud metrics a rule can judge: running ones. Every other host gets a
 * not-applicable reason instead of a silent skip or an "insufficient data" (a stopped host has no
 * metrics by design; stopped-instance-billed speaks for what it still costs).
 */
export function runningHosts(
  facts: Facts,
  notApplicable: (reason: string, subject: Subject) => void,
  hosts: readonly Host[] = facts.hosts,
): Host[] {
  const running: Host[] = [];
  for (const host of hosts) {
    if (isRunning(host)) running.push(host);
    else notApplicable(`${host.state}, not running: no metrics to judge`, hostSubject(host));
  }
  return running;
}

/** What each cloud calls removing an instance for good (its console's button). */
export function removalVerb(provider: ProviderId): 'terminate' | 'delete' {
  return provider === 'aws' ? 'terminate' : 'delete';
}

/** A cost finding's severity by what it costs a month: $200 and up high, $25 and up medium. */
export function costSeverity(monthlyUsd: number | null): 'high' | 'medium' | 'low' {
  if (monthlyUsd === null) return 'low';
  return monthlyUsd >= 200 ? 'high' : monthlyUsd >= 25 ? 'medium' : 'low';
}

export function windowLabel(facts: Facts): string {
  const hours = (facts.window.toMs - facts.window.fromMs) / 3_600_000;
  return hours >= 48 ? `${Math.round(hours / 24)} days` : `${Math.round(hours)} h`;
}

export function hostLabel(host: Pick<Host, 'id' | 'name'>): string {
  return host.name && host.name !== host.id ? `${host.name} (${host.id})` : host.id;
}

/**
 * Memory used per period for sizing: the cloud's `mem.used`, or, where the cloud has none (no
 * agent; never on Linode), the host's own samples (sar %memused). Null when neither has it.
 */
export function memorySignal(
  facts: Facts,
  hostId: string,
): { values: Values; hours: number; source: string } | null {
  const cloud = facts.series.get(hostId, 'mem.used');
  const points = pointCount(cloud);
  if (cloud && points > 0) {
    return {
      values: presentValues(cloud, cloud.stepSec),
      hours: (points * cloud.stepSec) / 3600,
      source: cloud.source,
    };
  }
  const entry = facts.onHost.find((e) => e.host?.id === hostId);
  const cpu = entry?.facts.cpu;
  const samples = cpu ? cpu.memUsedPct.filter(Number.isFinite) : [];
  if (!entry || !cpu || samples.length === 0) return null;
  // A damaged record's interval (missing, NaN, not positive) counts as 1 s, as in stats.ts.
  const intervalAt = (i: number) => {
    const step = cpu.intervalSec[i];
    return step !== undefined && Number.isFinite(step) && step > 0 ? step : 1;
  };
  const seconds = cpu.memUsedPct.reduce(
    (total, v, i) => (Number.isFinite(v) ? total + intervalAt(i) : total),
    0,
  );
  const file = entry.facts.samples.inputs.find((i) => i.kind.startsWith('sysstat'))?.file ?? 'sysstat';
  return {
    values: samples,
    hours: seconds / 3600,
    source: `on-host ${sourceOf(entry.facts.samples, 'sysstat', `${file} %memused`)} in ${entry.facts.dir}`,
  };
}

export function sizingSignals(facts: Facts, hostIds: readonly string[]): SizingSignals {
  // One host's values are read in place; a group's members are pooled into one array.
  const pooled = (parts: readonly Values[]): Values => (parts.length === 1 ? parts[0]! : concatValues(parts));
  const metricOf = (metric: MetricName) => pooled(hostIds.map((id) => values(facts, id, metric)));
  // Read + write per period, joined on the timestamp (a series may miss a point the other has).
  const sumOf = (a: MetricName, b: MetricName) =>
    pooled(
      hostIds.map((id) =>
        presentValues(sumByTime([facts.series.get(id, a), facts.series.get(id, b)]), facts.window.stepSec),
      ),
    );
  // A group's memory counts only when every member has it: a peak over some members is no peak.
  const memory = hostIds.map((id) => memorySignal(facts, id));
  const measured = memory.every((m) => m !== null) ? (memory as NonNullable<(typeof memory)[number]>[]) : [];
  const cpuSeries = hostIds.map((id) => facts.series.get(id, 'cpu.util.max'));
  return {
    cpuMaxPct: metricOf('cpu.util.max'),
    stepSec: cpuSeries.find(Boolean)?.stepSec ?? facts.window.stepSec,
    // Each member's own points × its own step; pooling members never adds hours of evidence.
    ...(hostIds.length > 1
      ? { coveredHours: Math.min(...hostIds.map((id) => coveredHours(facts, id, 'cpu.util.max'))) }
      : {}),
    ...(measured.length > 0
      ? {
          memUsedPct: pooled(measured.map((m) => m.values)),
          memory: {
            source: [...new Set(measured.map((m) => m.source))].join('; '),
            hours: Math.min(...measured.map((m) => m.hours)),
          },
        }
      : {}),
    netInBps: metricOf('net.in.bytes'),
    netOutBps: metricOf('net.out.bytes'),
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
  const unmeasured = result.held
    .map((h) => ` ${capitalize(h.dimension)} ${h.why}: held at no less than the current capacity.`)
    .join('');
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
  /** The volume series' own step (the window's when it has none). */
  stepSec: number;
  hours: number;
  /** The provider metrics behind the IOPS and the throughput, as the console names them. */
  sources: { iops: string; mibps: string };
}

const VOLUME_METRICS = ['disk.read.ops', 'disk.write.ops', 'disk.read.bytes', 'disk.write.bytes'] as const;

/**
 * Per unit's series, what was already worked out of them: several rules, the sizing and the event
 * review ask for the same volume's load and saturated periods. An entry goes with its series.
 */
const loads = new WeakMap<Facts['series'], Map<string, VolumeLoad>>();
const saturated = new WeakMap<
  Facts['series'],
  WeakMap<Volume, WeakMap<typeof VOLUME_SATURATION, number[]>>
>();

/** The volume's IOPS and MiB/s per period; read-only, as its series are (worked out once a unit). */
export function volumeLoad(facts: Facts, volumeId: string): VolumeLoad {
  const known = entryOf(loads, facts.series, () => new Map<string, VolumeLoad>());
  return entryOf(known, volumeId, () => computeVolumeLoad(facts, volumeId));
}

/** The map's entry for `key`, made and kept on first use. */
function entryOf<K extends object | string, V>(
  map: { get(key: K): V | undefined; set(key: K, value: V): unknown },
  key: K,
  make: () => V,
): V {
  const known = map.get(key);
  if (known !== undefined) return known;
  const made = make();
  map.set(key, made);
  return made;
}

function computeVolumeLoad(facts: Facts, volumeId: string): VolumeLoad {
  const present = VOLUME_METRICS.map((metric) => facts.series.get(volumeId, metric));
  const stepSec = present.find(Boolean)?.stepSec ?? facts.window.stepSec;
  const sourceOfPair = (a: number, b: number, fallback: string) =>
    [present[a]?.source, present[b]?.source].filter(Boolean).join(' + ') || fallback;
  // Every time any of the four has a point; a metric missing there counts 0 (as ops or bytes).
  const all = sumByTime(present);
  const ops = sumByTime(present.slice(0, 2));
  const bytes = sumByTime(present.slice(2));
  const timesMs: number[] = [];
  const iops: number[] = [];
  const mibps: number[] = [];
  forEachPoint(all, (t) => {
    timesMs.push(t);
    iops.push(valueAtMs(ops, t) ?? 0);
    mibps.push((valueAtMs(bytes, t) ?? 0) / 1_048_576);
  });
  const times = timesMs;
  return {
    timesMs,
    iops,
    mibps,
    points: times.length,
    stepSec,
    hours: (times.length * stepSec) / 3600,
    sources: {
      iops: sourceOfPair(0, 1, 'read + write ops per second'),
      mibps: sourceOfPair(2, 3, 'read + write bytes per second'),
    },
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
  const byVolume = entryOf(saturated, facts.series, () => new WeakMap());
  const byOptions = entryOf(byVolume, volume, () => new WeakMap<typeof VOLUME_SATURATION, number[]>());
  return entryOf(byOptions, o, () => computeSaturatedPeriods(facts, volume, o));
}

function computeSaturatedPeriods(facts: Facts, volume: Volume, o: typeof VOLUME_SATURATION): number[] {
  const load = volumeLoad(facts, volume.id);
  const capacity = volumeCapacity(volume.type, volume.sizeGiB, volume.iops, volume.throughputMiBps);
  const busy = facts.series.get(volume.id, 'disk.busy');
  const queue = facts.series.get(volume.id, 'disk.queue');
  const balance = facts.series.get(volume.id, 'disk.burst.balance');
  return load.timesMs.filter((t, i) => {
    // While gp2/st1/sc1 credits last the volume may run at its burst limit: that is not saturation.
    const bursting = (valueAtMs(balance, t) ?? 0) > 0;
    const iopsLimit = bursting ? (capacity.burstIops ?? capacity.iops) : capacity.iops;
    const throughputLimit = bursting
      ? (capacity.burstThroughputMiBps ?? capacity.throughputMiBps)
      : capacity.throughputMiBps;
    const atIops = iopsLimit !== null && load.iops[i]! >= o.atLimitShare * iopsLimit;
    const atThroughput = throughputLimit !== null && load.mibps[i]! >= o.atLimitShare * throughputLimit;
    return (
      (atIops || atThroughput) &&
      ((valueAtMs(queue, t) ?? 0) >= o.queueDepth || (valueAtMs(busy, t) ?? 0) >= o.busyPct)
    );
  });
}

export function isSaturated(facts: Facts, volume: Volume): boolean {
  return saturatedHours(facts, volume) >= VOLUME_SATURATION.minSaturatedHours;
}

/** Hours the volume sat at its limit: saturated periods × the volume series' own step. */
export function saturatedHours(
  facts: Facts,
  volume: Volume,
  o: typeof VOLUME_SATURATION = VOLUME_SATURATION,
): number {
  return (saturatedPeriods(facts, volume, o).length * volumeLoad(facts, volume.id).stepSec) / 3600;
}

/** Per-volume IOPS or MiB/s as series evidence, with the volume's limit drawn across it. */
export function volumeSeriesEvidence(
  // NOTE: unused since the load carries its own step and sources; kept so callers need not change.
  _facts: Facts,
  load: VolumeLoad,
  what: 'iops' | 'mibps',
  reference?: { label: string; value: number },
): SeriesEvidence {
  const iops = what === 'iops';
  return pointsSeriesEvidence(
    {
      points: load.timesMs.map((t, i) => [t, (iops ? load.iops : load.mibps)[i]!]),
      stepSec: load.stepSec,
      unit: iops ? 'ops-per-second' : 'mib-per-second',
      source: iops ? load.sources.iops : load.sources.mibps,
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
  notApplicable: (reason: string, subject: Subject) => void,
): Generator<{ volume: Volume; load: VolumeLoad }> {
  for (const volume of volumes) {
    const idle = whyNoVolumeMetrics(facts, volume);
    if (idle) {
      notApplicable(idle, volumeSubject(volume));
      continue;
    }
    if (isSaturated(facts, volume)) continue;
    const load = volumeLoad(facts, volume.id);
    if (load.hours < minHours) {
      insufficientData(
        `${Math.round(load.hours * 10) / 10} h of volume data; needs ${minHours} h`,
        volumeSubject(volume),
      );
      continue;
    }
    yield { volume, load };
  }
}

/**
 * Why a volume has no I/O metrics to judge, if that is by design: attached to nothing
 * (unattached-volume speaks for it) or only to hosts that are not running.
 */
export function whyNoVolumeMetrics(facts: Facts, volume: Volume): string | undefined {
  if (volume.attachedTo.length === 0) return 'attached to no instance: no I/O to judge';
  const hosts = volume.attachedTo
    .map((a) => facts.hosts.find((h) => h.id === a.hostId))
    .filter((h): h is Host => h !== undefined);
  if (hosts.length > 0 && hosts.every((h) => !isRunning(h))) {
    return `attached only to ${hosts.map((h) => `${hostLabel(h)}, ${h.state}`).join('; ')}: no I/O to judge`;
  }
  return undefined;
}

/** The arithmetic of moving a volume to gp3: what it is, what it did, the plan, both costs. */
export function gp3MoveSteps(
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
      formula: `max of ${load.points} per-${load.stepSec}-s averages`,
      result: `${Math.round(peaks.iops)} IOPS, ${Math.round(peaks.mibps * 10) / 10} MiB/s`,
    },
    ...plan.steps,
    { label: `${volume.type} cost`, formula: before.formula + unknown(before), result: month(before) },
    { label: 'gp3 cost', formula: after.formula + unknown(after), result: month(after) },
  ];
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function concatValues(parts: readonly Values[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

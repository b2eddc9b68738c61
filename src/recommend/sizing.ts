// Instance rightsizing with Compute Optimizer's documented defaults (../shared/reference/anchors.md
// §2.1): size on the per-5-minute maximum, P99.5 of CPU + 20 % headroom, memory max + 20 %, at least
// 30 h of data; network and EBS bandwidth and IOPS are ceilings too; the cheapest type of the
// allowed families that fits every dimension wins; risk is the maximum per-dimension risk (0-4).
// Compute Optimizer does not publish its arithmetic; this module writes every step out.

import { cpuPercentileLabel } from '../analysis/evidence.ts';
import { max, percentile, round, type Values } from '../analysis/stats.ts';
import type { SizingConfig } from '../config/schema.ts';
import type { ArithmeticEvidence, InstanceType } from '../model/index.ts';
import { monthly, roundUsd, usd } from './money.ts';

export interface SizingSignals {
  /** Per-period maxima of CPU, percent of the current type's vCPUs. */
  cpuMaxPct: Values;
  stepSec: number;
  /**
   * Hours of data behind the signals. For a group this is the least any member has: pooling ten
   * members' three hours each is not thirty hours of evidence. Default: points × step.
   */
  coveredHours?: number;
  /** Per-period maxima of memory used, percent; absent without an agent or on-host samples. */
  memUsedPct?: Values;
  /** Where the memory figures came from and the hours they cover (the cloud's agent, or on-host samples). */
  memory?: { source: string; hours: number };
  /** Network bytes per second, in and out, per period. */
  netInBps?: Values;
  netOutBps?: Values;
  /** Instance EBS operations and bytes per second (read + write), per period. */
  ebsOps?: Values;
  ebsBps?: Values;
}

export type Dimension = 'cpu' | 'memory' | 'network' | 'ebs-iops' | 'ebs-throughput';

export interface Requirement {
  dimension: Dimension;
  /** What the workload needs at the sizing percentile, before headroom, in the capacity's unit. */
  observed: number;
  needed: number;
  unit: string;
}

export interface SizingResult {
  verdict: 'over-provisioned' | 'under-provisioned' | 'optimized' | 'insufficient-data' | 'no-fit';
  reason: string;
  requirements: Requirement[];
  current: InstanceType;
  recommended: InstanceType | null;
  /** Per instance; multiply by the instance count for a group. */
  monthlyDeltaUsd: number | null;
  risk: number;
  arithmetic: ArithmeticEvidence;
  /** Dimensions that could not be measured and so were held at the current type's capacity. */
  unmeasured: Dimension[];
  /** Dimensions held at no less than the current capacity, each with why (not measured, or too briefly). */
  held: HeldDimension[];
}

export interface HeldDimension {
  dimension: Dimension;
  why: string;
}

const STORAGE_FAMILIES = /^(i\d|im\d|is\d|d\d|h\d)/;

/** Families a recommendation may pick from: configured, or same architecture, same purpose class. */
export function allowedTypes(
  current: InstanceType,
  catalog: readonly InstanceType[],
  options: SizingConfig,
): InstanceType[] {
  return catalog.filter((t) => {
    if (t.provider !== current.provider) return false;
    if (options.families) return options.families.includes(t.family);
    if (t.arch !== current.arch) return false; // a Graviton move is a migration, not a resize
    if (t.burstable && !options.allowBurstable) return false;
    if (t.name.endsWith('.metal')) return false;
    return purposeClass(t) === purposeClass(current);
  });
}

const GCP_CLASSES: readonly [RegExp, string][] = [
  [/^(c2|c2d|c3|c3d|c4|h3)$/, 'compute'],
  [/^(m1|m2|m3|x4)$/, 'memory'],
  [/^(a2|a3|g2)$/, 'accelerator'],
  [/^z3$/, 'storage'],
];

/**
 * What a type is for, per cloud: a resize stays within it. AWS local-NVMe storage types only
 * replace each other; a Linode dedicated-CPU plan never becomes a shared one (shared CPUs are
 * contended); OVH keeps its range letter (b general, c CPU, r RAM, i IOPS, t GPU, d discovery);
 * GCP keeps general-purpose, compute-, memory- and accelerator-optimized series apart.
 */
export function purposeClass(type: InstanceType): string {
  switch (type.provider) {
    case 'aws':
      return STORAGE_FAMILIES.test(type.family) ? 'storage' : 'general';
    case 'linode':
      return type.family === 'nanode' ? 'standard' : type.family;
    case 'ovh':
      return type.family.charAt(0);
    case 'gcp':
      return GCP_CLASSES.find(([pattern]) => pattern.test(type.family))?.[1] ?? 'general';
  }
}

export interface Requirements {
  requirements: Requirement[];
  unmeasured: Dimension[];
  held: HeldDimension[];
  steps: ArithmeticEvidence['steps'];
  hours: number;
}

/** What the workload needs in every dimension, from its signals, with the arithmetic written out. */
export function requirementsFor(
  current: InstanceType,
  signals: SizingSignals,
  options: SizingConfig,
): Requirements {
  const steps: ArithmeticEvidence['steps'] = [];
  const cpuPct = options.cpuPercentile;
  const hours = signals.coveredHours ?? (signals.cpuMaxPct.length * signals.stepSec) / 3600;
  steps.push({
    label: 'data',
    formula:
      signals.coveredHours === undefined
        ? `${signals.cpuMaxPct.length} points × ${signals.stepSec} s`
        : `${signals.cpuMaxPct.length} points pooled; the member with the least data has`,
    result: `${round(hours)} h`,
  });
  const requirements: Requirement[] = [];
  const unmeasured: Dimension[] = [];
  const held: HeldDimension[] = [];

  const headroom = 1 + options.cpuHeadroomPct / 100;
  const cpuObserved = percentile(signals.cpuMaxPct, cpuPct);
  if (cpuObserved === undefined) {
    unmeasured.push('cpu');
    requirements.push({ dimension: 'cpu', observed: current.vcpu, needed: current.vcpu, unit: 'vCPU' });
  } else {
    const vcpuUsed = (current.vcpu * cpuObserved) / 100;
    steps.push({
      label: cpuPercentileLabel('cpu.util.max', cpuPct),
      formula: `nearest rank of ${signals.cpuMaxPct.length} points`,
      result: `${round(cpuObserved)} %`,
    });
    steps.push({
      label: 'vCPUs needed',
      formula: `${current.vcpu} vCPU × ${round(cpuObserved)} % × ${headroom.toFixed(2)} headroom`,
      result: `${round(vcpuUsed * headroom, 2)} vCPU`,
    });
    requirements.push({ dimension: 'cpu', observed: vcpuUsed, needed: vcpuUsed * headroom, unit: 'vCPU' });
  }

  const memHeadroom = 1 + options.memoryHeadroomPct / 100;
  const memPeak = signals.memUsedPct && signals.memUsedPct.length > 0 ? max(signals.memUsedPct) : undefined;
  const memHours = signals.memory?.hours ?? hours;
  const from = signals.memory ? ` (${signals.memory.source})` : '';
  if (memPeak !== undefined && memHours >= options.minHours) {
    const used = (current.memoryMiB * memPeak) / 100;
    steps.push({
      label: 'memory needed',
      formula: `${gib(current.memoryMiB)} GiB × ${round(memPeak)} % peak${from} × ${memHeadroom.toFixed(2)} headroom`,
      result: `${gib(used * memHeadroom)} GiB`,
    });
    requirements.push({ dimension: 'memory', observed: used, needed: used * memHeadroom, unit: 'MiB' });
  } else if (memPeak !== undefined) {
    // A short capture's peak is a floor of the window's: it may grow memory, never shrink it.
    const used = (current.memoryMiB * memPeak) / 100;
    const needed = Math.max(current.memoryMiB, used * memHeadroom);
    const span = formatHours(memHours);
    held.push({
      dimension: 'memory',
      why: `measured for ${span} only${from}, short of the ${options.minHours} h sizing needs`,
    });
    steps.push({
      label: 'memory needed',
      formula: `${round(memPeak)} % peak over ${span}${from}: shorter than ${options.minHours} h, so a floor; max(current ${gib(current.memoryMiB)} GiB, ${gib(used)} GiB × ${memHeadroom.toFixed(2)})`,
      result: `${gib(needed)} GiB`,
    });
    requirements.push({ dimension: 'memory', observed: used, needed, unit: 'MiB' });
  } else {
    unmeasured.push('memory');
    held.push({ dimension: 'memory', why: 'not measured (no memory metric, no on-host samples)' });
    steps.push({
      label: 'memory needed',
      formula: 'not measured (no memory metric, no on-host samples): keep the current memory',
      result: `${gib(current.memoryMiB)} GiB`,
    });
    requirements.push({
      dimension: 'memory',
      observed: current.memoryMiB,
      needed: current.memoryMiB,
      unit: 'MiB',
    });
  }
  addThroughput(requirements, steps, 'network', signals.netInBps, signals.netOutBps, cpuPct, headroom);
  addEbs(requirements, steps, signals, cpuPct, headroom, DISK_NAMES[current.provider]);
  return { requirements, unmeasured, held, steps, hours };
}

export interface Pick {
  pick: InstanceType | undefined;
  poolSize: number;
  families: string;
  /** Dimensions the catalog gives no limit for on the pick, accepted because every known limit covers the need. */
  unknownOnPick: Dimension[];
}

/** The cheapest priced type of the pool that meets every requirement (ties: more vCPU, more memory). */
export function cheapestFitting(pool: readonly InstanceType[], requirements: readonly Requirement[]): Pick {
  const priced = pool.filter((t) => t.priceUsdPerHour !== null);
  // A type the catalog gives no limit for (m7i/c7i EBS figures) may only pass on a need that even
  // the smallest known limit of that dimension covers; otherwise "unknown" would mean "fits".
  const floors = new Map<Dimension, number>();
  for (const r of requirements) {
    const known = priced.map((t) => capacity(t, r.dimension)).filter((c): c is number => c !== null);
    if (known.length > 0) floors.set(r.dimension, Math.min(...known));
  }
  const fitsHere = (t: InstanceType, r: Requirement) => {
    const cap = capacity(t, r.dimension);
    return cap !== null ? cap >= r.needed : r.needed <= (floors.get(r.dimension) ?? Number.POSITIVE_INFINITY);
  };
  const fitting = priced.filter((t) => requirements.every((r) => fitsHere(t, r)));
  fitting.sort(
    (a, b) =>
      a.priceUsdPerHour! - b.priceUsdPerHour! ||
      generation(b) - generation(a) ||
      b.vcpu - a.vcpu ||
      b.memoryMiB - a.memoryMiB,
  );
  const pick = fitting[0];
  return {
    pick,
    poolSize: priced.length,
    families: [...new Set(priced.map((t) => t.family))].sort().join(', '),
    unknownOnPick: pick
      ? requirements.filter((r) => capacity(pick, r.dimension) === null).map((r) => r.dimension)
      : [],
  };
}

/** Appends the choice, the cost change and the risk to the arithmetic. */
export function describePick(
  current: InstanceType,
  chosen: Pick,
  needs: Requirements,
): { risk: number; deltaUsd: number | null } {
  const { steps } = needs;
  const pick = chosen.pick;
  if (!pick) {
    steps.push({
      label: 'cheapest fitting type',
      formula: `among ${chosen.poolSize} priced types of ${chosen.families}`,
      result: 'none fits',
    });
    return { risk: 4, deltaUsd: null };
  }
  steps.push({
    label: 'cheapest fitting type',
    formula: `among ${chosen.poolSize} priced types of ${chosen.families}`,
    result: `${pick.name} (${pick.vcpu} vCPU, ${gib(pick.memoryMiB)} GiB, $${pick.priceUsdPerHour}/h)`,
  });
  if (chosen.unknownOnPick.length > 0) {
    steps.push({
      label: 'limits not in the catalog',
      formula: `${pick.name}: ${chosen.unknownOnPick.join(', ')} unknown; accepted because the need is below every known type's limit`,
      result: 'check before applying',
    });
  }
  const risk = Math.max(
    riskScore(pick, needs.requirements, needs.unmeasured),
    chosen.unknownOnPick.length > 0 || needs.held.length > 0 ? 1 : 0,
  );
  const deltaUsd =
    current.priceUsdPerHour === null ? null : monthly(pick.priceUsdPerHour! - current.priceUsdPerHour);
  steps.push({
    label: 'monthly cost change per instance',
    formula:
      current.priceUsdPerHour === null
        ? `price of ${current.name} unknown`
        : `($${pick.priceUsdPerHour} - $${current.priceUsdPerHour}) × 730 h`,
    result: deltaUsd === null ? 'unknown' : usd(deltaUsd),
  });
  steps.push({
    label: 'performance risk',
    formula: 'highest need / capacity of any dimension on the new type',
    result: `${risk} of 4`,
  });
  return { risk, deltaUsd: deltaUsd === null ? null : roundUsd(deltaUsd) };
}

export function rightsize(
  current: InstanceType,
  catalog: readonly InstanceType[],
  signals: SizingSignals,
  options: SizingConfig,
): SizingResult {
  const needs = requirementsFor(current, signals, options);
  const arithmetic = (): ArithmeticEvidence => ({
    kind: 'arithmetic',
    label: `Sizing of ${current.name}`,
    steps: needs.steps,
  });
  const base = {
    current,
    recommended: null,
    monthlyDeltaUsd: null,
    risk: 0,
    requirements: needs.requirements,
    unmeasured: needs.unmeasured,
    held: needs.held,
  };
  if (needs.hours < options.minHours) {
    return {
      ...base,
      verdict: 'insufficient-data',
      reason: `${round(needs.hours)} h of CPU data; sizing needs ${options.minHours} h (Compute Optimizer's minimum)`,
      arithmetic: arithmetic(),
    };
  }
  const chosen = cheapestFitting(allowedTypes(current, catalog, options), needs.requirements);
  const { risk, deltaUsd } = describePick(current, chosen, needs);
  const pick = chosen.pick;
  if (!pick)
    return {
      ...base,
      verdict: 'no-fit',
      reason: 'no allowed type meets every requirement',
      risk,
      arithmetic: arithmetic(),
    };
  const currentFits = needs.requirements.every((r) => fits(current, r));
  // Without the current price "cheaper" cannot be shown, so only an undersized type gets a verdict.
  const verdict = !currentFits
    ? 'under-provisioned'
    : pick.name === current.name || deltaUsd === null || deltaUsd >= 0
      ? 'optimized'
      : 'over-provisioned';
  const reason =
    verdict === 'under-provisioned'
      ? `${current.name} does not meet: ${needs.requirements
          .filter((r) => !fits(current, r))
          .map((r) => r.dimension)
          .join(', ')}`
      : verdict === 'optimized'
        ? current.priceUsdPerHour === null
          ? `the price of ${current.name} is not known, so no cheaper type can be shown`
          : 'no cheaper allowed type meets every requirement'
        : `${pick.name} meets every requirement for less`;
  return {
    ...base,
    verdict,
    reason,
    recommended: verdict === 'optimized' ? null : pick,
    monthlyDeltaUsd: verdict === 'optimized' ? 0 : deltaUsd,
    risk,
    arithmetic: arithmetic(),
  };
}

export function capacity(type: InstanceType, dimension: Dimension): number | null {
  switch (dimension) {
    case 'cpu':
      return type.vcpu;
    case 'memory':
      return type.memoryMiB;
    case 'network':
      return type.networkBaselineGbps === null ? null : (type.networkBaselineGbps * 1e9) / 8; // bytes/s
    case 'ebs-iops':
      return type.ebsBaselineIops;
    case 'ebs-throughput':
      return type.ebsBaselineThroughputMBps === null ? null : type.ebsBaselineThroughputMBps * 1e6; // bytes/s
  }
}

/** Whether the current type meets a need; a limit the catalog does not give is not held against it. */
function fits(type: InstanceType, requirement: Requirement): boolean {
  const cap = capacity(type, requirement.dimension);
  return cap === null || cap >= requirement.needed;
}

/** The digit of a family name (m5 → 5, c6i → 6): at the same price the newer generation wins. */
function generation(type: InstanceType): number {
  return Number(/\d+/.exec(type.family)?.[0] ?? 0);
}

/**
 * Compute Optimizer's 0-4 scale: the highest projected use of any measured dimension on the new
 * type. A dimension that was not measured (held at the current capacity) counts as 1: not zero,
 * since nobody looked, but not the 4 a "100 % used" reading would give.
 */
export function riskScore(
  type: InstanceType,
  requirements: readonly Requirement[],
  unmeasured: readonly Dimension[],
): number {
  let risk = unmeasured.length > 0 ? 1 : 0;
  for (const r of requirements) {
    if (unmeasured.includes(r.dimension)) continue;
    const cap = capacity(type, r.dimension);
    if (cap === null || cap === 0) continue;
    const use = r.observed / cap;
    risk = Math.max(risk, use >= 1 ? 4 : use >= 0.85 ? 3 : use >= 0.7 ? 2 : use >= 0.5 ? 1 : 0);
  }
  return risk;
}

function addThroughput(
  requirements: Requirement[],
  steps: ArithmeticEvidence['steps'],
  dimension: 'network',
  inBps: Values | undefined,
  outBps: Values | undefined,
  pct: number,
  headroom: number,
) {
  if (!inBps?.length && !outBps?.length) return;
  const peak = Math.max(percentile(inBps ?? [], pct) ?? 0, percentile(outBps ?? [], pct) ?? 0);
  steps.push({
    label: 'network needed',
    formula: `P${pct} of the busier direction × ${headroom.toFixed(2)}`,
    result: `${round((peak * headroom * 8) / 1e6, 1)} Mbit/s`,
  });
  requirements.push({ dimension, observed: peak, needed: peak * headroom, unit: 'bytes/s' });
}

/** What each cloud calls the block storage an instance's disk limits apply to. */
const DISK_NAMES: Record<InstanceType['provider'], string> = {
  aws: 'EBS',
  gcp: 'Persistent Disk',
  linode: 'disk',
  ovh: 'disk',
};

function addEbs(
  requirements: Requirement[],
  steps: ArithmeticEvidence['steps'],
  signals: SizingSignals,
  pct: number,
  headroom: number,
  disk: string,
) {
  const ops = signals.ebsOps?.length ? percentile(signals.ebsOps, pct) : undefined;
  if (ops !== undefined) {
    steps.push({
      label: `${disk} IOPS needed`,
      formula: `P${pct} ${round(ops)} IOPS × ${headroom.toFixed(2)}`,
      result: `${Math.ceil(ops * headroom)} IOPS`,
    });
    requirements.push({ dimension: 'ebs-iops', observed: ops, needed: ops * headroom, unit: 'IOPS' });
  }
  const bytes = signals.ebsBps?.length ? percentile(signals.ebsBps, pct) : undefined;
  if (bytes !== undefined) {
    steps.push({
      label: `${disk} throughput needed`,
      formula: `P${pct} ${round(bytes / 1e6, 1)} MB/s × ${headroom.toFixed(2)}`,
      result: `${round((bytes * headroom) / 1e6, 1)} MB/s`,
    });
    requirements.push({
      dimension: 'ebs-throughput',
      observed: bytes,
      needed: bytes * headroom,
      unit: 'bytes/s',
    });
  }
}

function formatHours(hours: number): string {
  return hours >= 1 ? `${round(hours, 1)} h` : `${Math.max(1, Math.round(hours * 60))} min`;
}

function gib(mib: number): string {
  return String(round(mib / 1024, 1));
}

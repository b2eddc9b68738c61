import type { Load } from '../../scenarios/schema.ts';
import { seriesOf, shapeUpperBound } from '../../scenarios/shapes.ts';
import {
  type CpuCreditParams,
  type CpuCreditStep,
  cpuCreditStep,
  gp2BurstIops,
  gp2CreditBucket,
  gp2Step,
  maxCpuCredits,
  SteppedSimulation,
} from './bursts.ts';
import type { FleetInstance, FleetVolume } from './fleet.ts';

// The ground truth behind the metrics, one value per minute: what a volume is asked for and what
// it delivers under its caps, and the T-instance credit state. metrics.ts turns these signals
// into CloudWatch metrics at each metric's resolution.

export type Signal = (epochSec: number) => number;

export function alignUp(epochSec: number, stepSec: number): number {
  return Math.ceil(epochSec / stepSec) * stepSec;
}

/** A gauge sampled at `resolutionSec`: the mean of the minutes it covers. */
export function gauge(signal: Signal, resolutionSec: number): Signal {
  if (resolutionSec <= 60) return signal;
  const minutes = resolutionSec / 60;
  return (t) => {
    let sum = 0;
    for (let k = 0; k < minutes; k += 1) sum += signal(t + 60 * k);
    return sum / minutes;
  };
}

/** A counter sampled at `resolutionSec` from a per-second rate: the total over the interval. */
export function counter(ratePerSec: Signal, resolutionSec: number): Signal {
  if (resolutionSec <= 60) return (t) => ratePerSec(t) * resolutionSec;
  const minutes = resolutionSec / 60;
  return (t) => {
    let sum = 0;
    for (let k = 0; k < minutes; k += 1) sum += ratePerSec(t + 60 * k) * 60;
    return sum;
  };
}

export function loadSignal(load: Load | undefined, key: string, max = Number.POSITIVE_INFINITY): Signal {
  if (load === undefined) return () => 0;
  const series = seriesOf(load, key);
  return (t) => Math.min(max, series(t));
}

/** No sample of the load exceeds this (0 when there is no load). */
export function loadUpperBound(load: Load | undefined): number {
  return load === undefined ? 0 : shapeUpperBound(load);
}

export interface VolumeIoSample {
  readIops: number;
  writeIops: number;
  readMiBps: number;
  writeMiBps: number;
}

export interface VolumeSignals {
  demand: (t: number) => VolumeIoSample;
  delivered: (t: number) => VolumeIoSample;
  capIops: Signal;
  queue: Signal;
  busyPct: Signal;
  readLatencyMs: Signal;
  writeLatencyMs: Signal;
  burstBalancePct: Signal | undefined;
}

// Service-time floors for the default latency: SSD about a millisecond, HDD several.
const latencyFloorMs: Record<FleetVolume['spec']['type'], number> = {
  gp2: 1,
  gp3: 1,
  io1: 0.5,
  io2: 0.5,
  st1: 5,
  sc1: 8,
  standard: 10,
};

function gp2Simulation(volume: FleetVolume, demandIops: Signal, anchorSec: number) {
  const baseline = volume.reportedIops ?? 100;
  // Volumes of 1,000 GiB and more have a baseline of 3,000 IOPS or more: no burst, no BurstBalance.
  if (volume.spec.type !== 'gp2' || baseline >= gp2BurstIops) return undefined;
  const startSec = alignUp(Math.max(anchorSec, volume.attachTimeSec), 60);
  const advance = (balance: number, t: number) => {
    const step = gp2Step(balance, baseline, demandIops(t), 60);
    return { state: step.balance, out: { ...step, balanceBefore: balance } };
  };
  // A volume never asked for more than its baseline keeps a full bucket: every step's output is
  // the first one, and the walk from the anchor (a minute at a time) is skipped.
  const io = volume.spec.io;
  if (loadUpperBound(io.readIops) + loadUpperBound(io.writeIops) <= baseline) {
    const full = advance(gp2CreditBucket, startSec).out;
    return { at: (t: number) => (t < startSec ? undefined : full) };
  }
  return new SteppedSimulation(startSec, 60, gp2CreditBucket, advance);
}

export function volumeSignals(volume: FleetVolume, key: string, anchorSec: number): VolumeSignals {
  const io = volume.spec.io;
  const read = loadSignal(io.readIops, `${key}/readIops`);
  const write = loadSignal(io.writeIops, `${key}/writeIops`);
  const readMiBps = loadSignal(io.readMiBps, `${key}/readMiBps`);
  const writeMiBps = loadSignal(io.writeMiBps, `${key}/writeMiBps`);
  const demand = (t: number): VolumeIoSample => ({
    readIops: read(t),
    writeIops: write(t),
    readMiBps: readMiBps(t),
    writeMiBps: writeMiBps(t),
  });
  const demandIops: Signal = (t) => read(t) + write(t);
  const sim = gp2Simulation(volume, demandIops, anchorSec);
  const capIops: Signal = (t) => sim?.at(t)?.capIops ?? volume.maxIops;
  // A sample's latency, queue and busy time each read the minute's delivered I/O again: the last
  // minute asked is kept (the signals are pure, so the answer is the same).
  let lastSec = Number.NaN;
  let lastSample: VolumeIoSample | undefined;
  const delivered = (t: number): VolumeIoSample => {
    if (t === lastSec && lastSample) return lastSample;
    lastSec = t;
    lastSample = deliveredAt(t);
    return lastSample;
  };
  const deliveredAt = (t: number): VolumeIoSample => {
    const want = demand(t);
    const iopsFactor = Math.min(1, capIops(t) / Math.max(1e-9, want.readIops + want.writeIops));
    const mibFactor = Math.min(1, volume.maxMiBps / Math.max(1e-9, want.readMiBps + want.writeMiBps));
    return {
      readIops: want.readIops * iopsFactor,
      writeIops: want.writeIops * iopsFactor,
      readMiBps: want.readMiBps * mibFactor,
      writeMiBps: want.writeMiBps * mibFactor,
    };
  };
  const floorMs = latencyFloorMs[volume.spec.type];
  const explicitQueue = io.queue === undefined ? undefined : loadSignal(io.queue, `${key}/queue`);
  const deliveredIops: Signal = (t) => {
    const sample = delivered(t);
    return sample.readIops + sample.writeIops;
  };
  // NOTE: Little's law ties the defaults together: queue = IOPS x latency.
  const derivedLatencyMs: Signal = (t) => {
    const iops = deliveredIops(t);
    if (explicitQueue === undefined || iops <= 0) return floorMs;
    return Math.max(floorMs, (explicitQueue(t) / iops) * 1000);
  };
  const readLatencyMs =
    io.readLatencyMs === undefined ? derivedLatencyMs : loadSignal(io.readLatencyMs, `${key}/readLatencyMs`);
  const writeLatencyMs =
    io.writeLatencyMs === undefined
      ? derivedLatencyMs
      : loadSignal(io.writeLatencyMs, `${key}/writeLatencyMs`);
  const queue: Signal =
    explicitQueue ??
    ((t) => {
      const sample = delivered(t);
      return (sample.readIops * readLatencyMs(t) + sample.writeIops * writeLatencyMs(t)) / 1000;
    });
  const busyPct =
    io.busyPct === undefined
      ? (t: number) => Math.min(100, queue(t) * 100)
      : loadSignal(io.busyPct, `${key}/busy`, 100);
  const burstBalancePct = sim
    ? (t: number) => ((sim.at(t)?.balanceBefore ?? gp2CreditBucket) / gp2CreditBucket) * 100
    : undefined;
  return { demand, delivered, capIops, queue, busyPct, readLatencyMs, writeLatencyMs, burstBalancePct };
}

export interface CreditSignals {
  /** Per 5-minute step, at the step's start time. */
  at: (t: number) => CpuCreditStep;
}

function creditSimulation(
  instance: FleetInstance,
  rawCpu: Signal,
  anchorSec: number,
  mode: CpuCreditParams['mode'],
  initialBalance: number | undefined,
): CreditSignals {
  const params: CpuCreditParams = {
    vcpu: instance.type.vcpu,
    baselineCpuPct: instance.type.baselineCpuPct ?? 0,
    mode,
  };
  const launchedAfterAnchor = instance.launchTimeSec >= anchorSec;
  const startSec = alignUp(Math.max(anchorSec, instance.launchTimeSec), 300);
  // T3/T3a/T4g earn no launch credits: a new instance starts empty, a long-running one is assumed full.
  const balance = initialBalance ?? (launchedAfterAnchor ? 0 : maxCpuCredits(params));
  const fiveMinuteCpu = gauge(rawCpu, 300);
  const sim = new SteppedSimulation(startSec, 300, { balance, surplus: 0 }, (state, t) => {
    const step = cpuCreditStep(params, state, fiveMinuteCpu(t), 5);
    return { state: { balance: step.balance, surplus: step.surplus }, out: step };
  });
  const before: CpuCreditStep = { balance, surplus: 0, usage: 0, charged: 0, cpuFactor: 1 };
  return { at: (t) => sim.at(t) ?? before };
}

function explicitCredits(instance: FleetInstance, key: string, cpu: Signal): CreditSignals | undefined {
  const spec = instance.spec.credits;
  if (spec === undefined || !('balance' in spec)) return undefined;
  const balance = loadSignal(spec.balance, `${key}/creditBalance`);
  const fiveMinuteCpu = gauge(cpu, 300);
  const usage = spec.usage
    ? loadSignal(spec.usage, `${key}/creditUsage`)
    : (t: number) => (fiveMinuteCpu(t) / 100) * instance.type.vcpu * 5;
  const surplus = loadSignal(spec.surplus, `${key}/creditSurplus`);
  return {
    at: (t) => ({ balance: balance(t), usage: usage(t), surplus: surplus(t), charged: 0, cpuFactor: 1 }),
  };
}

export function instanceCredits(instance: FleetInstance, key: string, rawCpu: Signal, anchorSec: number) {
  if (!instance.type.burstable || instance.type.baselineCpuPct === null) return undefined;
  const explicit = explicitCredits(instance, key, rawCpu);
  if (explicit) return explicit;
  const spec = instance.spec.credits;
  const mode = spec && 'mode' in spec ? spec.mode : 'unlimited';
  const initial = spec && 'mode' in spec ? spec.initialBalance : undefined;
  return creditSimulation(instance, rawCpu, anchorSec, mode, initial);
}

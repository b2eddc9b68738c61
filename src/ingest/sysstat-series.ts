import { appendKeyed } from './columns.ts';
import { appendDisks, type DiskSample, finishDisks } from './disk-series.ts';
import type { SysstatSeries } from './types.ts';

type CpuField = keyof SysstatSeries['cpu'];
type PsiField = keyof SysstatSeries['psi'];
type ScalarField =
  | 'runqSz'
  | 'plistSz'
  | 'ldavg1'
  | 'blocked'
  | 'cswchPerSec'
  | 'procPerSec'
  | 'memUsedPct'
  | 'memAvailKiB'
  | 'majfltPerSec'
  | 'pswpoutPerSec'
  | 'fileNr'
  | 'tcpSockets'
  | 'tcpTimeWait';

const cpuFields = [
  'usr',
  'nice',
  'sys',
  'iowait',
  'steal',
  'irq',
  'soft',
  'idle',
] as const satisfies CpuField[];
const psiFields = ['cpuSome', 'ioSome', 'ioFull', 'memSome', 'memFull'] as const satisfies PsiField[];
const scalarFields = [
  'runqSz',
  'plistSz',
  'ldavg1',
  'blocked',
  'cswchPerSec',
  'procPerSec',
  'memUsedPct',
  'memAvailKiB',
  'majfltPerSec',
  'pswpoutPerSec',
  'fileNr',
  'tcpSockets',
  'tcpTimeWait',
] as const satisfies ScalarField[];

/** One sysstat record, whichever format it came from; what it lacks becomes NaN in the series. */
export interface SysstatSample {
  timeMs: number;
  intervalSec: number;
  cpu: Partial<Record<CpuField, number>>;
  perCpuBusy: Record<string, number>;
  scalars: Partial<Record<ScalarField, number>>;
  psi: Partial<Record<PsiField, number>>;
  disks: Record<string, DiskSample>;
}

export interface SysstatHost {
  nodename: string | null;
  release: string | null;
  cpuCount: number | null;
}

export function emptySample(timeMs: number, intervalSec: number): SysstatSample {
  return { timeMs, intervalSec, cpu: {}, perCpuBusy: {}, scalars: {}, psi: {}, disks: {} };
}

/** Per-CPU busy percent as SysstatSeries defines it: what is neither idle nor waiting on I/O. */
export function busyPct(idle: number, iowait: number): number {
  return 100 - idle - iowait;
}

export function emptySeries(host: SysstatHost): SysstatSeries {
  const column = (): number[] => [];
  return {
    ...host,
    timesMs: [],
    intervalSec: [],
    cpu: {
      usr: column(),
      nice: column(),
      sys: column(),
      iowait: column(),
      steal: column(),
      irq: column(),
      soft: column(),
      idle: column(),
    },
    perCpuBusy: {},
    runqSz: column(),
    plistSz: column(),
    ldavg1: column(),
    blocked: column(),
    cswchPerSec: column(),
    procPerSec: column(),
    memUsedPct: column(),
    memAvailKiB: column(),
    majfltPerSec: column(),
    pswpoutPerSec: column(),
    fileNr: column(),
    tcpSockets: column(),
    tcpTimeWait: column(),
    psi: { cpuSome: column(), ioSome: column(), ioFull: column(), memSome: column(), memFull: column() },
    disks: {},
  };
}

/** Appends one record to every column of the series, keeping all arrays parallel. */
export function appendSample(series: SysstatSeries, sample: SysstatSample): void {
  const index = series.timesMs.length;
  series.timesMs.push(sample.timeMs);
  series.intervalSec.push(sample.intervalSec);
  for (const field of cpuFields) series.cpu[field].push(sample.cpu[field] ?? Number.NaN);
  for (const field of scalarFields) series[field].push(sample.scalars[field] ?? Number.NaN);
  for (const field of psiFields) series.psi[field].push(sample.psi[field] ?? Number.NaN);
  appendKeyed(series.perCpuBusy, sample.perCpuBusy, index);
  appendDisks(series.disks, sample.disks, index);
}

/** Call once all records are in: gives each disk its time column. */
export function finishSeries(series: SysstatSeries): SysstatSeries {
  finishDisks(series.disks, series.timesMs);
  return series;
}

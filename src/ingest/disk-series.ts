import type { DiskSeries } from './types.ts';

type DiskField = Exclude<keyof DiskSeries, 'timesMs'>;

/** Devices one series may have: far more than a host's disks and partitions. */
const MAX_DEVICES = 256;

/** One record's statistics for one device; a missing field becomes NaN in the series. */
export type DiskSample = Partial<Record<DiskField, number>>;

const diskFields = [
  'tps',
  'readKiBps',
  'writeKiBps',
  'readOpsPerSec',
  'writeOpsPerSec',
  'aquSz',
  'awaitMs',
  'utilPct',
] as const satisfies readonly DiskField[];

function emptyDiskSeries(length: number): DiskSeries {
  const nan = (): number[] => Array.from({ length }, () => Number.NaN);
  return {
    timesMs: [],
    tps: nan(),
    readKiBps: nan(),
    writeKiBps: nan(),
    readOpsPerSec: nan(),
    writeOpsPerSec: nan(),
    aquSz: nan(),
    awaitMs: nan(),
    utilPct: nan(),
  };
}

/**
 * Adds record `index` to every device: devices new in this record get NaN for the records before,
 * devices absent from it get NaN here, so all arrays stay parallel to the record times.
 */
export function appendDisks(
  disks: Record<string, DiskSeries>,
  samples: Readonly<Record<string, DiskSample>>,
  index: number,
): void {
  let devices = Object.keys(disks).length;
  for (const [device, sample] of Object.entries(samples)) {
    const known = Object.hasOwn(disks, device);
    // A damaged file can name endless devices; each new one costs eight columns as long as the series.
    if (!known && devices >= MAX_DEVICES) continue;
    if (!known) devices += 1;
    const series = known ? disks[device]! : emptyDiskSeries(index);
    disks[device] = series;
    for (const field of diskFields) series[field][index] = sample[field] ?? Number.NaN;
  }
  for (const series of Object.values(disks)) {
    for (const field of diskFields) {
      if (series[field].length <= index) series[field][index] = Number.NaN;
    }
  }
}

/** Gives every device its copy of the record times once all records are in. */
export function finishDisks(disks: Record<string, DiskSeries>, timesMs: readonly number[]): void {
  for (const series of Object.values(disks)) series.timesMs = [...timesMs];
}

import { z } from 'zod';
import { SampleError } from '../errors.ts';
import { firstOutOfRange } from './columns.ts';
import type { DiskSample } from './disk-series.ts';
import { type SampleSource, toSampleStream } from './gz.ts';
import { BadLines } from './lines.ts';
import { PartialSampleError } from './partial-sample-error.ts';
import { MAX_JSON_RECORDS, RecordCap } from './record-cap.ts';
import {
  appendSample,
  busyPct,
  emptySample,
  emptySeries,
  finishSeries,
  type SysstatHost,
  type SysstatSample,
} from './sysstat-series.ts';
import { streamSysstatHost } from './sysstat-stream.ts';
import { isSampleTime, utcMs } from './time.ts';
import type { SysstatSeries } from './types.ts';

export interface SysstatJson {
  series: SysstatSeries;
  /** Caveats about the data that are not errors (e.g. local times read as UTC). */
  notes: string[];
}

// Permissive: a field sysstat did not write (older version, activity not collected) reads as NaN.
const Metric = z.number().catch(Number.NaN);
const OptionalMetric = z.number().optional().catch(undefined);

function activity<T extends z.ZodType>(shape: T) {
  return shape.optional().catch(undefined);
}

const Timestamp = z.object({
  date: z.string(),
  time: z.string(),
  utc: z.number().optional(),
  tz: z.string().optional(),
  interval: Metric,
});

const CpuLoad = z.object({
  cpu: z.union([z.string(), z.number()]).transform(String),
  // sar -u writes user/system, sar -u ALL (and -A) usr/sys
  usr: OptionalMetric,
  user: OptionalMetric,
  nice: Metric,
  sys: OptionalMetric,
  system: OptionalMetric,
  iowait: Metric,
  steal: Metric,
  irq: Metric,
  soft: Metric,
  idle: Metric,
});

const Disk = z.object({
  'disk-device': z.string(),
  tps: Metric,
  rkB: OptionalMetric,
  wkB: OptionalMetric,
  rd_sec: OptionalMetric,
  wr_sec: OptionalMetric,
  'aqu-sz': OptionalMetric,
  'avgqu-sz': OptionalMetric,
  await: Metric,
  'util-percent': Metric,
});

const PsiLine = z.object({ some_avg10: Metric, full_avg10: Metric });
const Psi = z.object({
  'psi-cpu': activity(PsiLine),
  'psi-io': activity(PsiLine),
  'psi-mem': activity(PsiLine),
});

const SadfRecord = z.object({
  timestamp: Timestamp,
  'cpu-load': activity(z.array(CpuLoad)),
  'cpu-load-all': activity(z.array(CpuLoad)),
  'process-and-context-switch': activity(z.object({ proc: Metric, cswch: Metric })),
  paging: activity(z.object({ majflt: Metric })),
  'swap-pages': activity(z.object({ pswpout: Metric })),
  memory: activity(z.object({ 'memused-percent': Metric, avail: Metric })),
  kernel: activity(z.object({ 'file-nr': Metric })),
  queue: activity(z.object({ 'runq-sz': Metric, 'plist-sz': Metric, 'ldavg-1': Metric, blocked: Metric })),
  disk: activity(z.array(Disk)),
  network: activity(z.object({ 'net-sock': activity(z.object({ tcpsck: Metric, 'tcp-tw': Metric })) })),
  psi: activity(Psi),
  // some sysstat builds write the PSI activities at the top level of the record
  ...Psi.shape,
});
type SadfRecord = z.infer<typeof SadfRecord>;

const headerKeys = ['nodename', 'release', 'number-of-cpus', 'timezone'] as const;

function isUtcZone(zone: unknown): boolean {
  return zone === 'UTC' || zone === 'GMT';
}

function cpuSample(sample: SysstatSample, loads: z.infer<typeof CpuLoad>[]): void {
  for (const load of loads) {
    if (load.cpu === 'all' || load.cpu === '-1') {
      sample.cpu = {
        usr: load.usr ?? load.user ?? Number.NaN,
        nice: load.nice,
        sys: load.sys ?? load.system ?? Number.NaN,
        iowait: load.iowait,
        steal: load.steal,
        irq: load.irq,
        soft: load.soft,
        idle: load.idle,
      };
    } else {
      sample.perCpuBusy[load.cpu] = busyPct(load.idle, load.iowait);
    }
  }
}

// NOTE: sectors are 512 bytes, so the old rd_sec/wr_sec fields are KiB × 2.
function diskSample(disk: z.infer<typeof Disk>): DiskSample {
  return {
    tps: disk.tps,
    readKiBps: disk.rkB ?? (disk.rd_sec ?? Number.NaN) * 0.5,
    writeKiBps: disk.wkB ?? (disk.wr_sec ?? Number.NaN) * 0.5,
    aquSz: disk['aqu-sz'] ?? disk['avgqu-sz'] ?? Number.NaN,
    awaitMs: disk.await,
    utilPct: disk['util-percent'],
  };
}

function toSample(record: SadfRecord): SysstatSample {
  const { timestamp } = record;
  const sample = emptySample(utcMs(`${timestamp.date} ${timestamp.time}`), timestamp.interval);
  cpuSample(sample, record['cpu-load-all'] ?? record['cpu-load'] ?? []);
  const queue = record.queue;
  const sock = record.network?.['net-sock'];
  sample.scalars = {
    runqSz: queue?.['runq-sz'],
    plistSz: queue?.['plist-sz'],
    ldavg1: queue?.['ldavg-1'],
    blocked: queue?.blocked,
    cswchPerSec: record['process-and-context-switch']?.cswch,
    procPerSec: record['process-and-context-switch']?.proc,
    memUsedPct: record.memory?.['memused-percent'],
    memAvailKiB: record.memory?.avail,
    majfltPerSec: record.paging?.majflt,
    pswpoutPerSec: record['swap-pages']?.pswpout,
    fileNr: record.kernel?.['file-nr'],
    tcpSockets: sock?.tcpsck,
    tcpTimeWait: sock?.['tcp-tw'],
  };
  const psiCpu = record.psi?.['psi-cpu'] ?? record['psi-cpu'];
  const psiIo = record.psi?.['psi-io'] ?? record['psi-io'];
  const psiMem = record.psi?.['psi-mem'] ?? record['psi-mem'];
  sample.psi = {
    cpuSome: psiCpu?.some_avg10,
    ioSome: psiIo?.some_avg10,
    ioFull: psiIo?.full_avg10,
    memSome: psiMem?.some_avg10,
    memFull: psiMem?.full_avg10,
  };
  for (const disk of record.disk ?? []) sample.disks[disk['disk-device']] = diskSample(disk);
  return sample;
}

function zoneNotes(localTimes: boolean, header: Record<string, unknown>): string[] {
  if (!localTimes || isUtcZone(header.timezone)) return [];
  return [`times are local (timezone ${String(header.timezone ?? 'unknown')}) and were read as UTC`];
}

function hostOf(header: Record<string, unknown>): SysstatHost {
  const text = (value: unknown): string | null => (typeof value === 'string' ? value.slice(0, 255) : null);
  const cpus = header['number-of-cpus'];
  return {
    nodename: text(header.nodename),
    release: text(header.release),
    cpuCount: typeof cpus === 'number' && Number.isSafeInteger(cpus) && cpus > 0 ? cpus : null,
  };
}

/**
 * Reads `sadf -j` output (plain or gzipped) into a SysstatSeries, streaming: memory grows with the
 * retained columns, not with the file. Times are `date` + `time` read as UTC; sadf writes UTC
 * unless run with -t, and a file whose records are local times in a zone other than UTC/GMT is
 * still read as UTC, with a note saying so.
 *
 * A file that breaks off (cut gzip, truncated JSON) throws a PartialSampleError whose `partial`
 * holds the records read before the break, so a caller can keep them beside the gap.
 */
export async function parseSysstatJson(input: SampleSource, file: string): Promise<SysstatJson> {
  const series = emptySeries({ nodename: null, release: null, cpuCount: null });
  let localTimes = false;
  const skipped = new BadLines();
  const cap = new RecordCap(file, MAX_JSON_RECORDS);
  const onRecord = (value: unknown, index: number, lineNo: number): void => {
    if (cap.reached) throw cap.error();
    const parsed = SadfRecord.safeParse(value);
    if (!parsed.success) {
      throw new SampleError(`not sadf -j output: statistics[${index}] has no timestamp date/time`, file);
    }
    const { timestamp } = parsed.data;
    // A damaged value skips its record; the others still count.
    const damaged = firstOutOfRange(value);
    const sample = toSample(parsed.data);
    if (damaged !== null || !(Number.isNaN(sample.timeMs) || isSampleTime(sample.timeMs))) {
      const what = damaged ?? `timestamp ${timestamp.date} ${timestamp.time}`.slice(0, 60);
      skipped.note(
        new SampleError(`statistics[${index}]: ${what} is out of range, record skipped`, file, lineNo),
      );
      return;
    }
    if (timestamp.utc === 0 || (timestamp.tz !== undefined && !isUtcZone(timestamp.tz))) localTimes = true;
    appendSample(series, sample);
    cap.count();
  };

  const header: Record<string, unknown> = {};
  const onHeader = (key: string, value: unknown): void => {
    header[key] = value;
  };
  try {
    await streamSysstatHost(toSampleStream(input, file), file, { headerKeys, onHeader, onRecord });
  } catch (error) {
    if (error instanceof SampleError && series.timesMs.length > 0) {
      Object.assign(series, hostOf(header));
      const partial: SysstatJson = { series: finishSeries(series), notes: zoneNotes(localTimes, header) };
      throw new PartialSampleError(error.message, file, partial, error.line);
    }
    throw error;
  }
  Object.assign(series, hostOf(header));
  const result = { series: finishSeries(series), notes: zoneNotes(localTimes, header) };
  if (skipped.first) {
    if (series.timesMs.length === 0) throw skipped.first;
    const more = skipped.count > 1 ? ` (${skipped.count} records skipped)` : '';
    throw new PartialSampleError(`${skipped.first.message}${more}`, file, result, skipped.first.line);
  }
  return result;
}

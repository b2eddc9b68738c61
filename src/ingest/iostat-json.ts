import { z } from 'zod';
import { SampleError } from '../errors.ts';
import { firstOutOfRange } from './columns.ts';
import { appendDisks, type DiskSample, finishDisks } from './disk-series.ts';
import { type SampleSource, toSampleStream } from './gz.ts';
import { BadLines } from './lines.ts';
import { PartialSampleError } from './partial-sample-error.ts';
import { MAX_JSON_RECORDS, RecordCap } from './record-cap.ts';
import { streamSysstatHost } from './sysstat-stream.ts';
import { isoMs, isSampleTime, utcMs } from './time.ts';
import type { DiskSeries } from './types.ts';

export interface IostatJson {
  /** One slot per `statistics` entry; NaN where iostat printed no timestamp (run without -t). */
  timesMs: number[];
  disks: Record<string, DiskSeries>;
}

const Metric = z.number().catch(Number.NaN);
const OptionalMetric = z.number().optional().catch(undefined);

const Device = z.object({
  disk_device: z.string(),
  'r/s': Metric,
  'w/s': Metric,
  'd/s': OptionalMetric,
  'rkB/s': Metric,
  'wkB/s': Metric,
  r_await: OptionalMetric,
  w_await: OptionalMetric,
  await: OptionalMetric,
  'aqu-sz': OptionalMetric,
  'avgqu-sz': OptionalMetric,
  util: Metric,
});

const IostatRecord = z.object({
  timestamp: z.string().optional().catch(undefined),
  disk: z.array(Device),
});

const slashDate = /^(\d\d)\/(\d\d)\/(\d\d|\d{4}) (\d\d):(\d\d):(\d\d)(?: ([AP]M))?$/;

// iostat -t prints ISO 8601 with S_TIME_FORMAT=ISO (`2026-11-24T08:40:57+0000`), else the C
// locale's `11/24/26 08:40:57` (local time, read here as UTC like every zone-less sample time).
function timestampMs(text: string | undefined): number {
  if (text === undefined) return Number.NaN;
  const iso = isoMs(text);
  if (!Number.isNaN(iso)) return iso;
  const match = slashDate.exec(text);
  if (!match) return utcMs(text);
  const [, month, day, year, hour, minute, second, half] = match;
  const fullYear = year?.length === 2 ? `20${year}` : year;
  const hour24 = half ? (Number(hour) % 12) + (half === 'PM' ? 12 : 0) : Number(hour);
  return utcMs(`${fullYear}-${month}-${day} ${String(hour24).padStart(2, '0')}:${minute}:${second}`);
}

// NOTE: iostat has no overall await in -x since sysstat 12; the mean of r_await and w_await
// weighted by r/s and w/s is what the old `await` column was.
function weightedAwaitMs(device: z.infer<typeof Device>): number {
  if (device.r_await === undefined || device.w_await === undefined) return device.await ?? Number.NaN;
  const ops = device['r/s'] + device['w/s'];
  return ops > 0 ? (device['r/s'] * device.r_await + device['w/s'] * device.w_await) / ops : 0;
}

function diskSample(device: z.infer<typeof Device>): DiskSample {
  return {
    tps: device['r/s'] + device['w/s'] + (device['d/s'] ?? 0),
    readKiBps: device['rkB/s'],
    writeKiBps: device['wkB/s'],
    readOpsPerSec: device['r/s'],
    writeOpsPerSec: device['w/s'],
    aquSz: device['aqu-sz'] ?? device['avgqu-sz'] ?? Number.NaN,
    awaitMs: weightedAwaitMs(device),
    utilPct: device.util,
  };
}

/**
 * Reads `iostat -d -x [-t] -o JSON` output (plain or gzipped, streamed) into per-device series.
 * The first entry is iostat's since-boot average and is kept, so slots match `statistics` entries.
 */
export async function parseIostatJson(input: SampleSource, file: string): Promise<IostatJson> {
  const timesMs: number[] = [];
  const disks: Record<string, DiskSeries> = {};
  const skipped = new BadLines();
  const cap = new RecordCap(file, MAX_JSON_RECORDS);
  const onRecord = (value: unknown, index: number, lineNo: number): void => {
    if (cap.reached) throw cap.error();
    const parsed = IostatRecord.safeParse(value);
    if (!parsed.success) {
      throw new SampleError(`not iostat JSON: statistics[${index}] has no disk list with disk_device`, file);
    }
    const timeMs = timestampMs(parsed.data.timestamp);
    // A damaged value skips its record; the others still count.
    const damaged = firstOutOfRange(value);
    if (damaged !== null || !(Number.isNaN(timeMs) || isSampleTime(timeMs))) {
      const what = damaged ?? `timestamp ${JSON.stringify(parsed.data.timestamp?.slice(0, 40))}`;
      skipped.note(
        new SampleError(`statistics[${index}]: ${what} is out of range, record skipped`, file, lineNo),
      );
      return;
    }
    const samples: Record<string, DiskSample> = {};
    for (const device of parsed.data.disk) samples[device.disk_device] = diskSample(device);
    appendDisks(disks, samples, timesMs.length);
    timesMs.push(timeMs);
    cap.count();
  };
  try {
    await streamSysstatHost(toSampleStream(input, file), file, {
      headerKeys: [],
      onHeader: () => {},
      onRecord,
    });
  } catch (error) {
    // Stopped at the cap: what was read counts, beside the gap that says so.
    if (!(error instanceof PartialSampleError)) throw error;
    finishDisks(disks, timesMs);
    throw new PartialSampleError(error.message, file, { timesMs, disks });
  }
  finishDisks(disks, timesMs);
  if (skipped.first) {
    if (timesMs.length === 0) throw skipped.first;
    const more = skipped.count > 1 ? ` (${skipped.count} records skipped)` : '';
    throw new PartialSampleError(
      `${skipped.first.message}${more}`,
      file,
      { timesMs, disks },
      skipped.first.line,
    );
  }
  return { timesMs, disks };
}

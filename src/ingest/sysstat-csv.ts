import { SampleError } from '../errors.ts';
import { numberOf } from './columns.ts';
import type { SampleSource } from './gz.ts';
import { type LineReader, readStreamLines } from './lines.ts';
import { RecordCap } from './record-cap.ts';
import {
  appendSample,
  busyPct,
  emptySample,
  emptySeries,
  finishSeries,
  type SysstatSample,
} from './sysstat-series.ts';
import { checkTime, utcMs } from './time.ts';
import type { SysstatSeries } from './types.ts';

export interface SysstatCsv {
  series: SysstatSeries;
  notes: string[];
}

/** One data row of a `sadf -d` table: a field by its header name, as a number (NaN if absent). */
type Row = { value: (column: string) => number; text: (column: string) => string | undefined };

interface Table {
  /** Tells this activity's table by its header columns. */
  matches: (columns: readonly string[]) => boolean;
  apply: (row: Row, sample: SysstatSample) => void;
}

const has =
  (...names: string[]) =>
  (columns: readonly string[]): boolean =>
    names.every((name) => columns.includes(name));

/** The first of several column names a sysstat version may use. */
function either(row: Row, ...columns: string[]): number {
  for (const column of columns) {
    const value = row.value(column);
    if (!Number.isNaN(value)) return value;
  }
  return Number.NaN;
}

// NOTE: sectors are 512 bytes, so the old rd_sec/s and wr_sec/s columns are KiB/s × 2.
function kibPerSec(row: Row, kibColumn: string, sectorColumn: string): number {
  const kib = row.value(kibColumn);
  return Number.isNaN(kib) ? row.value(sectorColumn) * 0.5 : kib;
}

const cpuTable: Table = {
  matches: has('CPU', '%idle', '%iowait'),
  apply: (row, sample) => {
    const cpu = row.text('CPU') ?? '';
    const idle = row.value('%idle');
    const iowait = row.value('%iowait');
    if (cpu !== '-1' && cpu !== 'all') {
      sample.perCpuBusy[cpu] = busyPct(idle, iowait);
      return;
    }
    sample.cpu = {
      usr: either(row, '%usr', '%user'),
      nice: row.value('%nice'),
      sys: either(row, '%sys', '%system'),
      iowait,
      steal: row.value('%steal'),
      irq: row.value('%irq'),
      soft: row.value('%soft'),
      idle,
    };
  },
};

const tables: Table[] = [
  cpuTable,
  {
    matches: has('proc/s', 'cswch/s'),
    apply: (row, { scalars }) => {
      scalars.procPerSec = row.value('proc/s');
      scalars.cswchPerSec = row.value('cswch/s');
    },
  },
  {
    matches: has('majflt/s'),
    apply: (row, { scalars }) => {
      scalars.majfltPerSec = row.value('majflt/s');
    },
  },
  {
    matches: has('pswpout/s'),
    apply: (row, { scalars }) => {
      scalars.pswpoutPerSec = row.value('pswpout/s');
    },
  },
  {
    matches: has('%memused'),
    apply: (row, { scalars }) => {
      scalars.memUsedPct = row.value('%memused');
      scalars.memAvailKiB = row.value('kbavail');
    },
  },
  {
    matches: has('file-nr'),
    apply: (row, { scalars }) => {
      scalars.fileNr = row.value('file-nr');
    },
  },
  {
    matches: has('runq-sz', 'plist-sz'),
    apply: (row, { scalars }) => {
      scalars.runqSz = row.value('runq-sz');
      scalars.plistSz = row.value('plist-sz');
      scalars.ldavg1 = row.value('ldavg-1');
      scalars.blocked = row.value('blocked');
    },
  },
  {
    matches: has('DEV', '%util'),
    apply: (row, { disks }) => {
      disks[row.text('DEV') ?? ''] = {
        tps: row.value('tps'),
        readKiBps: kibPerSec(row, 'rkB/s', 'rd_sec/s'),
        writeKiBps: kibPerSec(row, 'wkB/s', 'wr_sec/s'),
        aquSz: either(row, 'aqu-sz', 'avgqu-sz'),
        awaitMs: row.value('await'),
        utilPct: row.value('%util'),
      };
    },
  },
  {
    matches: has('tcpsck', 'tcp-tw'),
    apply: (row, { scalars }) => {
      scalars.tcpSockets = row.value('tcpsck');
      scalars.tcpTimeWait = row.value('tcp-tw');
    },
  },
  {
    matches: has('%scpu-10'),
    apply: (row, { psi }) => {
      psi.cpuSome = row.value('%scpu-10');
    },
  },
  {
    matches: has('%sio-10'),
    apply: (row, { psi }) => {
      psi.ioSome = row.value('%sio-10');
      psi.ioFull = row.value('%fio-10');
    },
  },
  {
    matches: has('%smem-10'),
    apply: (row, { psi }) => {
      psi.memSome = row.value('%smem-10');
      psi.memFull = row.value('%fmem-10');
    },
  },
];

interface Header {
  columns: string[];
  table: Table | undefined;
}

interface CsvState {
  header: Header | undefined;
  samples: Map<string, SysstatSample>;
  nodename: string | null;
  /** CPUs seen before the first LINUX-RESTART line (a restart may bring a different count). */
  cpuIds: Set<string>;
  restarted: boolean;
  localZone: string | null;
}

function headerOf(line: string): Header {
  const columns = line.slice(1).trim().split(';');
  return { columns, table: tables.find((table) => table.matches(columns)) };
}

function rowOf(columns: readonly string[], fields: readonly string[]): Row {
  const text = (column: string): string | undefined => {
    const index = columns.indexOf(column);
    return index < 0 ? undefined : fields[index];
  };
  return { text, value: (column) => numberOf(text(column)) };
}

// `2026-11-24 08:40:58 UTC`: sadf -d writes UTC unless run with -t, which gives local time.
function timeOf(stamp: string, state: CsvState): number {
  const [date, time, zone] = stamp.split(' ');
  const timeMs = checkTime(utcMs(`${date} ${time}`), stamp);
  if (zone !== undefined && zone !== 'UTC' && zone !== 'GMT') state.localZone = zone.slice(0, 40);
  return timeMs;
}

/** The record of a timestamp; null when it is new and the cap is reached. */
function sampleFor(
  state: CsvState,
  stamp: string,
  intervalSec: number,
  cap: RecordCap,
): SysstatSample | null {
  const existing = state.samples.get(stamp);
  if (existing) return existing;
  if (cap.reached) return null;
  const sample = emptySample(timeOf(stamp, state), intervalSec);
  state.samples.set(stamp, sample);
  cap.count();
  return sample;
}

function dataRow(line: string, state: CsvState, file: string, cap: RecordCap): void {
  const fields = line.split(';');
  const [hostname, interval, stamp] = fields;
  if (stamp === undefined || !/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(stamp)) {
    throw new SampleError('not sadf -d output: expected hostname;interval;timestamp;...', file);
  }
  // interval -1 marks LINUX-RESTART and COM lines, which are not records
  if (interval === '-1') {
    state.restarted ||= fields[3]?.startsWith('LINUX-RESTART') ?? false;
    return;
  }
  if (!state.header) {
    throw new SampleError('data line before any "# hostname;interval;timestamp" header', file);
  }
  const { columns, table } = state.header;
  if (!table) return;
  if (fields.length !== columns.length) {
    throw new SampleError(`expected ${columns.length} fields, found ${fields.length}`, file);
  }
  const row = rowOf(columns, fields);
  const intervalSec = numberOf(interval, 'interval');
  // Every field is checked before the record changes: a bad value skips its whole line.
  const checked = emptySample(0, intervalSec);
  table.apply(row, checked);
  const sample = sampleFor(state, stamp, intervalSec, cap);
  if (!sample) return;
  state.nodename ??= hostname?.slice(0, 255) ?? null;
  table.apply(row, sample);
  const cpu = row.text('CPU') ?? '';
  if (table === cpuTable && !state.restarted && cpu !== '-1' && cpu !== 'all' && state.cpuIds.size < 4096) {
    state.cpuIds.add(cpu);
  }
}

function seriesOf(state: CsvState): SysstatSeries {
  const series = emptySeries({
    nodename: state.nodename,
    release: null,
    cpuCount: state.cpuIds.size || null,
  });
  const samples = [...state.samples.values()].sort((a, b) => a.timeMs - b.timeMs);
  for (const sample of samples) appendSample(series, sample);
  return finishSeries(series);
}

/** Records (timestamps) kept: 2 days of 1 s samples; each holds every CPU and disk of its time. */
const MAX_CSV_RECORDS = 200_000;

/**
 * Reads `sadf -d` output (`;`-separated tables, one `# hostname;interval;timestamp;...` header per
 * activity) into the same SysstatSeries as sadf -j, as far as the CSV has the fields (no release).
 * Records are the distinct timestamps. Lines are streamed; the records are kept until the end
 * because each activity's table lists every timestamp again.
 */
export function sysstatCsvReader(file: string): LineReader<SysstatCsv> {
  const state: CsvState = {
    header: undefined,
    samples: new Map(),
    nodename: null,
    cpuIds: new Set(),
    restarted: false,
    localZone: null,
  };
  const cap = new RecordCap(file, MAX_CSV_RECORDS);
  return {
    line(line) {
      if (line.trim() === '') return;
      if (line.startsWith('#')) state.header = headerOf(line);
      else dataRow(line, state, file, cap);
      return undefined;
    },
    end() {
      if (state.samples.size === 0) throw new SampleError('not sadf -d output: no records', file);
      const notes = state.localZone
        ? [`times are local (timezone ${state.localZone}) and were read as UTC`]
        : [];
      return cap.check({ series: seriesOf(state), notes });
    },
  };
}

export function parseSysstatCsv(input: SampleSource, file: string): Promise<SysstatCsv> {
  return readStreamLines(input, file, sysstatCsvReader(file));
}

import { SampleError } from '../errors.ts';
import { countOf, numberOf } from './columns.ts';
import { type LineReader, quoteLine, readTextLines } from './lines.ts';
import { RecordCap } from './record-cap.ts';
import { checkTime, utcMs } from './time.ts';

/** Rows (one per second and process) kept: `pidstat -A` lists every process, so fewer than other series. */
const MAX_ROWS = 200_000;

/** Each kept metric and the pidstat column it comes from. */
const metricColumns = [
  ['usrPct', '%usr'],
  ['systemPct', '%system'],
  ['cpuPct', '%CPU'],
  ['minfltPerSec', 'minflt/s'],
  ['majfltPerSec', 'majflt/s'],
  ['vszKiB', 'VSZ'],
  ['rssKiB', 'RSS'],
  ['memPct', '%MEM'],
  ['cswchPerSec', 'cswch/s'],
  ['nvcswchPerSec', 'nvcswch/s'],
] as const;
type MetricField = (typeof metricColumns)[number][0];

/** pidstat per-process rows, columnar: one slot per (second, process); NaN where pidstat did not report it. */
export interface PidstatSeries extends Record<MetricField, number[]> {
  nodename: string | null;
  release: string | null;
  cpuCount: number | null;
  /** Distinct PIDs in order of appearance (more than one: several processes, or a restart). */
  pids: number[];
  timesMs: number[];
  pid: number[];
  command: string[];
  /** pidstat -v's `threads` column, else the `|__` lines under the process (pidstat -t); NaN without either. */
  threads: number[];
}

interface Row {
  timeMs: number;
  pid: number;
  command: string;
  metrics: Partial<Record<MetricField, number>>;
  /** `|__` lines counted under the process. */
  threadLines: number;
  /** pidstat -v's `threads` column, the kernel's count (pidstat -t lists only some threads). */
  threadsColumn: number;
}

interface State {
  date: string | null;
  columns: string[] | null;
  rows: Map<string, Row>;
  /** Thread lines seen under each process row of the current table. */
  threadCounts: Map<string, number>;
  lastProcessKey: string | null;
  lastSecondOfDay: number;
  dayOffset: number;
}

const banner = /^Linux\s+(\S+)\s+\((.+?)\)\s+(\S+)\s+\S+\s+\((\d+) CPU\)/;
const clock = /^(\d\d):(\d\d):(\d\d)$/;
const dayMs = 86_400_000;

// The banner date is ISO (`2026-11-24`) or, in the C locale, `06/01/20` (MM/DD/YY).
function isoDate(text: string): string | null {
  if (/^\d{4}-\d\d-\d\d$/.test(text)) return text;
  const us = /^(\d\d)\/(\d\d)\/(\d\d|\d{4})$/.exec(text);
  if (!us) return null;
  const year = us[3]?.length === 2 ? `20${us[3]}` : us[3];
  return `${year}-${us[1]}-${us[2]}`;
}

/** Splits off the time (one token, or two with AM/PM) from the rest of a header or data line. */
function splitTime(tokens: string[]): { time: string; rest: string[] } {
  const [first = '', second] = tokens;
  if (second === 'AM' || second === 'PM') return { time: `${first} ${second}`, rest: tokens.slice(2) };
  return { time: first, rest: tokens.slice(1) };
}

function secondOfDay(time: string): number {
  const [clockPart = '', half] = time.split(' ');
  const match = clock.exec(clockPart);
  if (!match) return Number.NaN;
  const hour = Number(match[1]);
  const hour24 = half ? (hour % 12) + (half === 'PM' ? 12 : 0) : hour;
  return hour24 * 3600 + Number(match[2]) * 60 + Number(match[3]);
}

// NOTE: pidstat prints wall-clock times without a zone (the samples' hosts run UTC, so they are
// read as UTC), or epoch seconds in some -h builds; a time that jumps back > 12 h crossed midnight.
function timeMsOf(time: string, state: State): number {
  if (/^\d{9,}$/.test(time)) return checkTime(Number(time) * 1000, time);
  const second = secondOfDay(time);
  if (Number.isNaN(second) || state.date === null) return Number.NaN;
  if (second < state.lastSecondOfDay - 43_200) state.dayOffset += 1;
  state.lastSecondOfDay = second;
  return checkTime(utcMs(`${state.date} 00:00:00`) + second * 1000 + state.dayOffset * dayMs, time);
}

function isHeader(tokens: readonly string[]): boolean {
  return tokens.includes('UID') && (tokens.includes('PID') || tokens.includes('TGID'));
}

function flushThreads(state: State): void {
  for (const [key, count] of state.threadCounts) {
    const row = state.rows.get(key);
    if (row) row.threadLines = Number.isNaN(row.threadLines) ? count : Math.max(row.threadLines, count);
  }
  state.threadCounts.clear();
  state.lastProcessKey = null;
}

/** Reads one data row into `state.rows`; true when it was a new row (not a thread line, not a second section's). */
function dataLine(tokens: string[], line: string, state: State, file: string): boolean {
  const columns = state.columns;
  if (!columns) {
    throw new SampleError(`data line before any pidstat header: ${quoteLine(line)}`, file);
  }
  const { time, rest } = splitTime(tokens);
  if (state.date === null && !/^\d{9,}$/.test(time)) {
    throw new SampleError('no "Linux <release> (<host>) <date> ..." banner before the first row', file);
  }
  // columns[0] is the time; the last column, Command, may hold spaces (`|__JS Helper`)
  const values = rest.slice(0, columns.length - 2);
  // Linux limits a command name to 15 characters; 200 keeps a damaged line from holding more.
  const command = rest
    .slice(columns.length - 2)
    .join(' ')
    .slice(0, 200);
  const timeMs = timeMsOf(time, state);
  if (values.length !== columns.length - 2 || command === '' || Number.isNaN(timeMs)) {
    throw new SampleError(`expected ${columns.length} pidstat columns, found ${quoteLine(line)}`, file);
  }
  const field = (name: string): string | undefined => values[columns.indexOf(name) - 1];
  const pidText = field('TGID') ?? field('PID') ?? '';
  if (pidText === '-') {
    if (state.lastProcessKey) {
      state.threadCounts.set(state.lastProcessKey, (state.threadCounts.get(state.lastProcessKey) ?? 0) + 1);
    }
    return false;
  }
  if (!/^\d+$/.test(pidText)) {
    throw new SampleError(`PID is not a number in ${quoteLine(line)}`, file);
  }
  const pid = countOf(pidText, 'PID');
  const key = `${timeMs}/${pid}`;
  const known = state.rows.get(key);
  const metrics: Partial<Record<MetricField, number>> = {};
  for (const [name, column] of metricColumns) {
    const text = field(column);
    if (text !== undefined) metrics[name] = numberOf(text, column);
  }
  const threads = field('threads');
  const threadsColumn = threads === undefined ? undefined : numberOf(threads, 'threads');
  const row = known ?? {
    timeMs,
    pid,
    command,
    metrics: {},
    threadLines: Number.NaN,
    threadsColumn: Number.NaN,
  };
  state.rows.set(key, row);
  Object.assign(row.metrics, metrics);
  if (threadsColumn !== undefined) row.threadsColumn = threadsColumn;
  state.lastProcessKey = key;
  if (field('TID') !== undefined) state.threadCounts.set(key, state.threadCounts.get(key) ?? 0);
  return known === undefined;
}

function seriesOf(
  rows: Iterable<Row>,
  host: Pick<PidstatSeries, 'nodename' | 'release' | 'cpuCount'>,
): PidstatSeries {
  const metric = (): number[] => [];
  const series: PidstatSeries = {
    ...host,
    pids: [],
    timesMs: [],
    pid: [],
    command: [],
    threads: [],
    usrPct: metric(),
    systemPct: metric(),
    cpuPct: metric(),
    minfltPerSec: metric(),
    majfltPerSec: metric(),
    vszKiB: metric(),
    rssKiB: metric(),
    memPct: metric(),
    cswchPerSec: metric(),
    nvcswchPerSec: metric(),
  };
  const seen = new Set<number>();
  for (const row of rows) {
    if (!seen.has(row.pid)) {
      seen.add(row.pid);
      series.pids.push(row.pid);
    }
    series.timesMs.push(row.timeMs);
    series.pid.push(row.pid);
    series.command.push(row.command);
    series.threads.push(Number.isNaN(row.threadsColumn) ? row.threadLines : row.threadsColumn);
    for (const [name] of metricColumns) series[name].push(row.metrics[name] ?? Number.NaN);
  }
  return series;
}

/**
 * Reads pidstat text output: `pidstat -h -u -w -r -p PID 1 N` (one line per second with every
 * column), or the default layout with one table per activity (`pidstat -A -t`), whose rows are
 * merged by time and PID. Columns are found by their header names, in any order and with any
 * others beside them. Thread lines (`|__`) are counted into `threads`, not kept as rows.
 */
export function pidstatReader(file: string): LineReader<PidstatSeries> {
  const state: State = {
    date: null,
    columns: null,
    rows: new Map(),
    threadCounts: new Map(),
    lastProcessKey: null,
    lastSecondOfDay: -1,
    dayOffset: 0,
  };
  const cap = new RecordCap(file, MAX_ROWS);
  let host: Pick<PidstatSeries, 'nodename' | 'release' | 'cpuCount'> = {
    nodename: null,
    release: null,
    cpuCount: null,
  };
  return {
    line(line) {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('Average:')) return;
      const linux = banner.exec(trimmed);
      if (linux) {
        const cpus = Number(linux[4]);
        host = {
          release: linux[1] ?? null,
          nodename: linux[2] ?? null,
          cpuCount: Number.isSafeInteger(cpus) ? cpus : null,
        };
        state.date = isoDate(linux[3] ?? '');
        return;
      }
      const tokens = trimmed.replace(/^#\s*/, '').split(/\s+/);
      if (isHeader(tokens)) {
        flushThreads(state);
        state.columns = ['Time', ...splitTime(tokens).rest];
        return;
      }
      return dataLine(tokens, line, state, file) ? cap.count() : undefined;
    },
    end() {
      flushThreads(state);
      if (state.rows.size === 0) {
        throw new SampleError('no pidstat rows (expected a "# Time UID PID ..." header)', file);
      }
      return cap.check(seriesOf(state.rows.values(), host));
    },
  };
}

export function parsePidstat(text: string, file: string): PidstatSeries {
  return readTextLines(text, file, pidstatReader(file));
}

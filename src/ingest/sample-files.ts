import { SampleError } from '../errors.ts';
import { appLogReader } from './app-log.ts';
import { countLogReader, pidChangeNote } from './count-log.ts';
import { fdCountReader } from './fd-count.ts';
import { openSample, readSampleText } from './gz.ts';
import { parseIostatJson } from './iostat-json.ts';
import { lagCsvReader } from './lag-csv.ts';
import { type LineReader, readStreamLines } from './lines.ts';
import { listenQueueReader } from './listen-queue-log.ts';
import { PartialSampleError } from './partial-sample-error.ts';
import { pidstatReader } from './pidstat.ts';
import { procLimitsReader } from './proc-limits.ts';
import { procNetReader } from './proc-net.ts';
import { processTreeReader } from './process-tree.ts';
import { prometheusTextReader } from './prometheus-text.ts';
import { sockstatReader } from './sockstat-log.ts';
import { ssSummaryReader } from './ss-summary.ts';
import { sysctlReader } from './sysctl.ts';
import { sysstatCsvReader } from './sysstat-csv.ts';
import { parseSysstatJson } from './sysstat-json.ts';
import type {
  AppLog,
  AppLogEventKind,
  HostSamples,
  KernelCounters,
  SampleGapEntry,
  SampleKind,
  SysstatSeries,
} from './types.ts';

// The on-host files fleetlens knows: how each is recognised, read, and put into the bundle.

/** What readSampleDir fills: the HostSamples contract. */
export type SampleBundle = HostSamples;

/** What one file gave: its record count and times (for `inputs`) and how it fills the bundle. */
export interface Loaded {
  records: number;
  timesMs: readonly number[];
  /** Caveats that are not errors; they are reported as gaps so the reader sees them. */
  notes?: string[];
  assign: (bundle: SampleBundle) => void;
}

/** One read attempt: what was loaded (possibly only part of the file) and what went wrong. */
export interface Attempt {
  loaded: Loaded | null;
  gap: SampleGapEntry | null;
}

type Edge = 'Start' | 'End';

/** Files that stand in for each other, best first: only the first that reads whole is used. */
export type Group = 'sysstat' | 'threads';

export interface KnownFile {
  /** Matched against the name with any `.gz` removed. */
  pattern: RegExp;
  kind: SampleKind;
  group?: { name: Group; rank: number };
  /** Also read when a sniff of an unknown file's content finds this kind. */
  sniffed?: boolean;
  read: (path: string, file: string) => Promise<Attempt>;
}

function notesOf(...notes: (string | null)[]): string[] {
  return notes.filter((note) => note !== null);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The `code` of a Node system error (`ENOENT`, `EACCES`, ...). */
export function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

export function gapOf(error: unknown, file: string): SampleGapEntry {
  if (error instanceof SampleError) {
    const gap: SampleGapEntry = { file, kind: 'bad-sample', message: oneLine(error.message) };
    if (error.line !== undefined) gap.line = error.line;
    return gap;
  }
  const code = errorCode(error);
  if (code) return { file, kind: 'bad-sample', message: `cannot read the file (${code})` };
  // NOTE: a parser bug must not lose the other files of the folder; the gap names it as such.
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { file, kind: 'bad-sample', message: oneLine(`unexpected error while reading: ${message}`) };
}

/** A KnownFile whose parser result `T` becomes a Loaded; a PartialSampleError keeps what came before the break. */
function known<T>(spec: {
  pattern: RegExp;
  kind: SampleKind;
  group?: KnownFile['group'];
  sniffed?: boolean;
  parse: (path: string, file: string) => Promise<T>;
  use: (value: T, file: string) => Loaded;
}): KnownFile {
  const read = async (path: string, file: string): Promise<Attempt> => {
    try {
      return { loaded: spec.use(await spec.parse(path, file), file), gap: null };
    } catch (error) {
      // NOTE: a PartialSampleError out of `parse` carries parse's own result type; instanceof cannot say so.
      const partial = error instanceof PartialSampleError ? spec.use(error.partial as T, file) : null;
      return { loaded: partial, gap: gapOf(error, file) };
    }
  };
  return { pattern: spec.pattern, kind: spec.kind, group: spec.group, sniffed: spec.sniffed, read };
}

/**
 * A KnownFile read whole as text (JSON documents), through a synchronous parser. The text is
 * capped (readSampleText's `maxBytes`): a file past it is a gap, not read.
 */
export function knownText<T>(
  spec: Omit<Parameters<typeof known<T>>[0], 'parse'> & { parseText: (text: string, file: string) => T },
): KnownFile {
  const { parseText, ...rest } = spec;
  return known({ ...rest, parse: async (path, file) => parseText(await readSampleText(path, file), file) });
}

/** A KnownFile read line by line, streamed (every text format): memory holds what the reader keeps. */
export function knownLines<T>(
  spec: Omit<Parameters<typeof known<T>>[0], 'parse'> & { reader: (file: string) => LineReader<T> },
): KnownFile {
  const { reader, ...rest } = spec;
  return known({
    ...rest,
    parse: async (path, file) => readStreamLines(await openSample(path, file), file, reader(file)),
  });
}

/** A reader that also counts the non-empty lines it was given (a log's records). */
function countingLines<T>(reader: LineReader<T>): LineReader<{ value: T; lines: number }> {
  let lines = 0;
  return {
    line(text, lineNo) {
      if (text.trim() !== '') lines += 1;
      return reader.line(text, lineNo);
    },
    end: () => {
      try {
        return { value: reader.end(), lines };
      } catch (error) {
        if (error instanceof PartialSampleError) {
          throw new PartialSampleError(
            error.message,
            error.file,
            { value: error.partial as T, lines },
            error.line,
          );
        }
        throw error;
      }
    },
  };
}

function edgeFiles<T>(
  prefix: string,
  kind: SampleKind,
  reader: (file: string) => LineReader<T>,
  use: (value: T, edge: Edge) => Loaded,
): KnownFile[] {
  return (['Start', 'End'] as const).map((edge) =>
    knownLines({
      pattern: new RegExp(`^${prefix}-${edge.toLowerCase()}\\.txt$`),
      kind,
      reader,
      use: (value) => use(value, edge),
    }),
  );
}

// `CPU(s):   2` of lscpu; the rest of host-info.txt is for people.
export function hostInfoReader(): LineReader<{ lines: number; cpuCount: number }> {
  let lines = 0;
  let cpuCount = Number.NaN;
  return {
    line(text) {
      lines += 1;
      const cpus = /^CPU\(s\):\s+(\d{1,6})$/.exec(text);
      if (cpus && Number.isNaN(cpuCount)) cpuCount = Number(cpus[1]);
      return undefined;
    },
    end: () => ({ lines, cpuCount }),
  };
}

function snapshot(assign: (bundle: SampleBundle) => void, records = 1, timesMs: number[] = []): Loaded {
  return { records, timesMs, assign };
}

function mergeCounters(into: KernelCounters | undefined, counters: KernelCounters): KernelCounters {
  return { ...into, ...counters };
}

// NOTE: app.log and app.stdout.log both feed appLog: counts add up, events of the first file read
// (app.log, by name order) come first, and each event's lineNo is within its own file.
function mergeAppLogs(first: AppLog | undefined, next: AppLog): AppLog {
  if (!first) return next;
  const times = [first.firstTimeMs, first.lastTimeMs, next.firstTimeMs, next.lastTimeMs].filter(
    (time): time is number => time !== null,
  );
  return {
    lines: first.lines + next.lines,
    firstTimeMs: times.length ? times.reduce((a, b) => Math.min(a, b)) : null,
    lastTimeMs: times.length ? times.reduce((a, b) => Math.max(a, b)) : null,
    events: [...first.events, ...next.events],
    eventCounts: mergeCounts(first.eventCounts, next.eventCounts),
    declaredBacklog: first.declaredBacklog ?? next.declaredBacklog,
    declaredWorkers: first.declaredWorkers ?? next.declaredWorkers,
    workerClass: first.workerClass ?? next.workerClass,
    ...((first.serverConfig ?? next.serverConfig)
      ? { serverConfig: first.serverConfig ?? next.serverConfig }
      : {}),
  };
}

function mergeCounts(a: AppLog['eventCounts'], b: AppLog['eventCounts']): AppLog['eventCounts'] {
  const counts = { ...a };
  for (const [kind, count] of Object.entries(b) as [AppLogEventKind, number][]) {
    counts[kind] = (counts[kind] ?? 0) + count;
  }
  return counts;
}

/** sadf -j and sadf -d both fill the bundle's sysstat series. */
function useSysstat({ series, notes }: { series: SysstatSeries; notes: string[] }) {
  return {
    records: series.timesMs.length,
    timesMs: series.timesMs,
    notes,
    assign: (bundle: SampleBundle) => {
      bundle.sysstat = series;
    },
  };
}

export const knownFiles: readonly KnownFile[] = [
  known({
    pattern: /^sadf-A\.json$/,
    kind: 'sysstat-json',
    group: { name: 'sysstat', rank: 0 },
    sniffed: true,
    parse: async (path, file) => parseSysstatJson(await openSample(path, file), file),
    use: useSysstat,
  }),
  knownLines({
    pattern: /^sadf-A\.csv$/,
    kind: 'sysstat-csv',
    group: { name: 'sysstat', rank: 1 },
    sniffed: true,
    reader: sysstatCsvReader,
    use: useSysstat,
  }),
  known({
    pattern: /^iostat-x\.json$/,
    kind: 'iostat-json',
    sniffed: true,
    parse: async (path, file) => parseIostatJson(await openSample(path, file), file),
    use: ({ timesMs, disks }) => ({
      records: timesMs.length,
      timesMs,
      assign: (bundle) => {
        bundle.iostat = disks;
      },
    }),
  }),
  knownLines({
    pattern: /^pidstat-app\.txt$/,
    kind: 'pidstat',
    reader: pidstatReader,
    use: (pidstat) => ({
      records: pidstat.timesMs.length,
      timesMs: pidstat.timesMs,
      assign: (bundle) => {
        bundle.pidstat = pidstat;
      },
    }),
  }),
  ...(['threads.log', 'threads-proc-status.log'] as const).map((name, rank) =>
    knownLines({
      pattern: new RegExp(`^${name.replace('.', '\\.')}$`),
      kind: 'thread-log',
      group: { name: 'threads', rank },
      reader: (file) => countLogReader(file, 'Threads'),
      use: (threads) => ({
        records: threads.timesMs.length,
        timesMs: threads.timesMs,
        notes: notesOf(pidChangeNote(threads)),
        assign: (bundle) => {
          bundle.threads = threads;
        },
      }),
    }),
  ),
  knownLines({
    pattern: /^fds\.log$/,
    kind: 'fd-log',
    reader: (file) => countLogReader(file, 'FDs'),
    use: (fds) => ({
      records: fds.timesMs.length,
      timesMs: fds.timesMs,
      notes: notesOf(pidChangeNote(fds)),
      assign: (bundle) => {
        bundle.fds = fds;
      },
    }),
  }),
  knownLines({
    pattern: /^listen-queue\.log$/,
    kind: 'listen-queue-log',
    reader: listenQueueReader,
    use: (listenQueue) => {
      const timesMs = Object.values(listenQueue.listeners).flatMap((listener) => listener.timesMs);
      return {
        records: timesMs.length,
        timesMs,
        assign: (bundle) => {
          bundle.listenQueue = listenQueue;
        },
      };
    },
  }),
  knownLines({
    pattern: /^sockstat\.log$/,
    kind: 'sockstat-log',
    reader: (file) => countingLines(sockstatReader(file)),
    use: ({ value: log, lines }) => ({
      records: lines,
      timesMs: log.timesMs,
      assign: (bundle) => {
        bundle.sockstat = log;
      },
    }),
  }),
  ...edgeFiles('proc-net-netstat', 'proc-net-netstat', procNetReader, (counters, edge) =>
    snapshot((bundle) => {
      bundle[`netstat${edge}`] = mergeCounters(bundle[`netstat${edge}`], counters);
    }, Object.keys(counters).length),
  ),
  ...edgeFiles('proc-net-snmp', 'proc-net-snmp', procNetReader, (counters, edge) =>
    snapshot((bundle) => {
      bundle[`netstat${edge}`] = mergeCounters(bundle[`netstat${edge}`], counters);
    }, Object.keys(counters).length),
  ),
  ...edgeFiles('proc-limits', 'proc-limits', procLimitsReader, (limits, edge) =>
    snapshot((bundle) => {
      bundle[`limits${edge}`] = limits;
    }, Object.keys(limits).length),
  ),
  ...edgeFiles('app-fd-count', 'fd-count', fdCountReader, (fdCount, edge) =>
    snapshot(
      (bundle) => {
        bundle[`fdCount${edge}`] = fdCount;
      },
      1,
      fdCount.timeMs === null ? [] : [fdCount.timeMs],
    ),
  ),
  ...edgeFiles('ss-s', 'ss-summary', ssSummaryReader, (summary, edge) =>
    snapshot((bundle) => {
      bundle[`ssSummary${edge}`] = summary;
    }),
  ),
  knownLines({
    pattern: /^sysctl-a\.txt$/,
    kind: 'sysctl',
    reader: sysctlReader,
    use: (sysctl) =>
      snapshot((bundle) => {
        bundle.sysctl = sysctl;
      }, Object.keys(sysctl).length),
  }),
  knownLines({
    pattern: /^app(\.stdout)?\.log$/,
    kind: 'app-log',
    reader: appLogReader,
    use: (appLog) => ({
      records: appLog.lines,
      timesMs: [appLog.firstTimeMs ?? Number.NaN, appLog.lastTimeMs ?? Number.NaN],
      assign: (bundle) => {
        bundle.appLog = mergeAppLogs(bundle.appLog, appLog);
      },
    }),
  }),
  knownLines({
    pattern: /^lag\.csv$/,
    kind: 'lag-csv',
    reader: lagCsvReader,
    use: (lag) => ({
      records: lag.timesMs.length,
      timesMs: lag.timesMs,
      assign: (bundle) => {
        bundle.lag = lag;
      },
    }),
  }),
  knownLines({
    pattern: /^process-tree\.jsonl$/,
    kind: 'process-tree',
    reader: processTreeReader,
    use: (tree) => ({
      records: tree.totals.timesMs.length,
      timesMs: tree.totals.timesMs,
      assign: (bundle) => {
        bundle.processTree = tree;
      },
    }),
  }),
  knownLines({
    pattern: /\.prom$/,
    kind: 'prometheus-text',
    sniffed: true,
    reader: prometheusTextReader,
    use: (text, file) => ({
      records: text.samples.length,
      timesMs: text.samples.flatMap((sample) => (sample.timestampMs === null ? [] : [sample.timestampMs])),
      assign: (bundle) => {
        bundle.prometheusText = { ...bundle.prometheusText, [file]: text };
      },
    }),
  }),
  knownLines({
    pattern: /^host-info\.txt$/,
    kind: 'host-info',
    reader: hostInfoReader,
    use: ({ lines, cpuCount }) =>
      snapshot((bundle) => {
        if (Number.isInteger(cpuCount)) bundle.hostCpuCount = cpuCount;
      }, lines),
  }),
];

/** Tells the format of a file whose name is not one of the known ones, from its first bytes. */
export function sniff(head: string): SampleKind | null {
  if (/^\s*\{\s*"sysstat"\s*:/.test(head)) {
    if (/"disk_device"|"avg-cpu"/.test(head)) return 'iostat-json';
    return /"file-date"/.test(head) ? 'sysstat-json' : null;
  }
  if (head.startsWith('# hostname;interval;timestamp;')) return 'sysstat-csv';
  return /^# (?:HELP|TYPE) \S+/m.test(head) ? 'prometheus-text' : null;
}

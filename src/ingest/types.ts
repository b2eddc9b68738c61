// The typed result of reading one on-host sample folder (the shape of ../shared/host-samples/*).
// Parsers are pure (bytes or a stream in, these shapes out); `readSampleDir` assembles the bundle.
// Series are columnar: parallel arrays indexed by sample, times in epoch milliseconds (UTC).

import type { LagSeries } from './lag-csv.ts';
import type { PidstatSeries } from './pidstat.ts';
import type { ProcessTree } from './process-tree.ts';
import type { PromText } from './prometheus-text.ts';
import type { ServerConfig } from './server-config.ts';
import type { SsSummary } from './ss-summary.ts';

export type SampleKind =
  | 'sysstat-json'
  | 'sysstat-csv'
  | 'iostat-json'
  | 'pidstat'
  | 'thread-log'
  | 'fd-log'
  | 'listen-queue-log'
  | 'sockstat-log'
  | 'proc-net-netstat'
  | 'proc-net-snmp'
  | 'sysctl'
  | 'proc-limits'
  | 'fd-count'
  | 'ss-summary'
  | 'app-log'
  | 'lag-csv'
  | 'process-tree'
  | 'prometheus-range'
  | 'prometheus-text'
  | 'host-info';

/** One file that was read: what it was taken for, how many records it gave, and its time span. */
export interface SampleInput {
  file: string; // path relative to the sample folder, as found (e.g. `sadf-A.json.gz`)
  kind: SampleKind;
  records: number; // sysstat/iostat: entries of `statistics`; logs: lines parsed; prometheus: points
  from: string | null; // ISO-8601 UTC of the first record, null where the file has no times
  to: string | null;
}

export interface SampleGapEntry {
  file: string;
  /** `insufficient-data`: the source answered but held nothing for what was asked (a live Prometheus). */
  kind: 'bad-sample' | 'unrecognised' | 'insufficient-data';
  message: string; // one line: what is wrong, e.g. `unexpected end of gzip data after 1,204 records`
  line?: number;
}

/** sysstat per-second activity (sadf -j / sadf -d), one array slot per record. */
export interface SysstatSeries {
  nodename: string | null;
  release: string | null;
  cpuCount: number | null;
  timesMs: number[];
  intervalSec: number[];
  cpu: {
    // `cpu: "all"` of cpu-load, percent
    usr: number[];
    nice: number[];
    sys: number[];
    iowait: number[];
    steal: number[];
    irq: number[];
    soft: number[];
    idle: number[];
  };
  /** Per-CPU busy percent (100 - idle - iowait), keyed by CPU number as a string. */
  perCpuBusy: Record<string, number[]>;
  runqSz: number[]; // queue.runq-sz
  plistSz: number[];
  ldavg1: number[];
  blocked: number[]; // queue.blocked: tasks in D state (waiting on I/O)
  cswchPerSec: number[]; // process-and-context-switch.cswch
  procPerSec: number[];
  memUsedPct: number[]; // memory.memused-percent (NaN where absent)
  memAvailKiB: number[];
  majfltPerSec: number[]; // paging.majflt
  pswpoutPerSec: number[]; // swap-pages.pswpout
  fileNr: number[]; // kernel.file-nr
  tcpSockets: number[]; // network.net-sock.tcpsck
  tcpTimeWait: number[]; // network.net-sock.tcp-tw
  /** psi-cpu/psi-io/psi-mem `some_avg10`/`full_avg10` percent where sysstat recorded them (NaN otherwise). */
  psi: { cpuSome: number[]; ioSome: number[]; ioFull: number[]; memSome: number[]; memFull: number[] };
  disks: Record<string, DiskSeries>; // keyed by device name (`vda`, `nvme0n1`)
}

/** Extended per-device disk statistics (sysstat `disk` or iostat -x), one slot per record. */
export interface DiskSeries {
  timesMs: number[];
  tps: number[];
  readKiBps: number[];
  writeKiBps: number[];
  readOpsPerSec: number[]; // iostat r/s; NaN for sysstat (which gives tps only)
  writeOpsPerSec: number[];
  aquSz: number[]; // average queue size
  awaitMs: number[]; // sysstat await, or the ops-weighted mean of iostat r_await/w_await
  utilPct: number[];
}

/** A `YYYY-MM-DD HH:MM:SS - PID: <pid>, Threads: <n>` (or `FDs: <n>`) log. */
export interface CountLog {
  pids: number[]; // distinct PIDs in order of appearance (more than one: the PID changed mid-capture)
  /** Runs of consecutive samples of one PID, `end` exclusive: more than one when the PID changed. */
  segments: { pid: number; start: number; end: number }[];
  timesMs: number[];
  values: number[];
}

/** `ss -ltnH` lines, one listener per local address. */
export interface ListenQueueLog {
  listeners: Record<
    string, // local address, e.g. `127.0.0.1:8000`
    { timesMs: number[]; recvQ: number[]; sendQ: number[] }
  >;
}

export interface SockstatLog {
  timesMs: number[];
  tcpInuse: number[];
  tcpOrphan: number[];
  tcpTimeWait: number[];
  tcpAlloc: number[];
}

/** /proc/net/netstat + /proc/net/snmp counters, keyed `TcpExt.ListenOverflows`, `Tcp.PassiveOpens`, ... */
export type KernelCounters = Record<string, number>;

export interface LimitValue {
  soft: number | null; // null = unlimited
  hard: number | null;
  units: string | null;
}
/** /proc/PID/limits keyed by the limit's name as printed (`Max open files`, `Max processes`, ...). */
export type ProcLimits = Record<string, LimitValue>;

export type AppLogEventKind =
  | 'emfile' // Too many open files (EMFILE)
  | 'enfile' // Too many open files in system
  | 'cant-start-thread' // RuntimeError: can't start new thread
  | 'asyncio-slow-callback' // Executing <...> took N seconds
  | 'gevent-blocked' // Greenlet ... appears to be blocked
  | 'worker-timeout' // gunicorn WORKER TIMEOUT
  | 'connection-reset' // BrokenPipeError / ConnectionResetError
  | 'timeout' // timed out / TimeoutError
  | 'traceback'; // Traceback (most recent call last)

export interface AppLogEvent {
  kind: AppLogEventKind;
  timeMs: number | null;
  lineNo: number;
  line: string; // the line as written, trimmed to 500 characters
  /** asyncio-slow-callback: seconds the step took; gevent-blocked: nothing. */
  seconds?: number;
  /**
   * The innermost stack frame printed with the event, as `func (file:line): code`: for a gevent
   * report the frame that blocked the hub (from its `Blocked Stack`), for an error the frame that
   * raised it (the last frame of the traceback before the error line).
   */
  frame?: string;
}

export interface AppLog {
  lines: number;
  firstTimeMs: number | null;
  lastTimeMs: number | null;
  /** The events in log order, at most MAX_APP_LOG_EVENTS of them (a gap says when more were left out). */
  events: AppLogEvent[];
  /** Every event by kind, including those past the cap on `events`: what the classifier counts. */
  eventCounts: Partial<Record<AppLogEventKind, number>>;
  /** `listening on ... backlog=N` style start-up facts the app printed, when it did. */
  declaredBacklog: number | null;
  declaredWorkers: number | null;
  /** gunicorn's `Using worker: gevent` (or `sync`, `gthread`, ...), when printed. */
  workerClass: string | null;
  /** The server's own printed settings (gunicorn's configuration dump, puma's banner), when it printed any. */
  serverConfig?: ServerConfig;
}

/** One Prometheus range-query result series. */
export interface PromSeries {
  labels: Record<string, string>;
  timesMs: number[];
  values: number[];
}

/** A HostSamples field that no file gave and that was derived from Prometheus results instead. */
export type DerivedField =
  | 'sysstat'
  | 'disks'
  | 'threads'
  | 'fds'
  | 'limitsEnd'
  | 'netstatStart'
  | 'netstatEnd'
  | 'lag'
  | 'sockstat'
  | 'hostCpuCount';

export interface DerivedFromPrometheus {
  field: DerivedField;
  /** Keys of `HostSamples.prometheus` it was computed from. */
  queries: string[];
  /** e.g. which of several instances was read. */
  note?: string;
}

export interface HostSamples {
  /** The folder read, or for a live Prometheus its URL without credentials. */
  dir: string;
  inputs: SampleInput[];
  gaps: SampleGapEntry[];
  /** Files present but not recognised as any known kind: listed, not read. */
  ignored: string[];
  sysstat?: SysstatSeries;
  /** iostat -x -o JSON devices; same shape as the sysstat disks. */
  iostat?: Record<string, DiskSeries>;
  threads?: CountLog; // threads.log (ps -T) or, failing that, threads-proc-status.log
  fds?: CountLog;
  listenQueue?: ListenQueueLog;
  sockstat?: SockstatLog;
  netstatStart?: KernelCounters; // netstat and snmp merged
  netstatEnd?: KernelCounters;
  sysctl?: Record<string, string>;
  limitsStart?: ProcLimits;
  limitsEnd?: ProcLimits;
  fdCountStart?: { timeMs: number | null; count: number };
  fdCountEnd?: { timeMs: number | null; count: number };
  appLog?: AppLog;
  /** prometheus-queries/*.json keyed by file stem (`app_threadpool_queue_depth`), with the PromQL from index.json. */
  prometheus?: Record<string, { query: string | null; series: PromSeries[] }>;
  /** pidstat -h -u -w -r for the app's PID. */
  pidstat?: PidstatSeries;
  ssSummaryStart?: SsSummary;
  ssSummaryEnd?: SsSummary;
  /** The app's own loop-lag ticker (lag.csv). */
  lag?: LagSeries;
  /** process-tree.jsonl: the sampled PID and its worker processes, per process and summed. */
  processTree?: ProcessTree;
  /** Prometheus text exposition files (`*.prom`), keyed by file. */
  prometheusText?: Record<string, PromText>;
  /** `CPU(s):` from the lscpu part of host-info.txt. */
  hostCpuCount?: number;
  /** Files whose clock disagrees with the others (see checkClocks): their times are left out of the window. */
  skewedFiles?: string[];
  /** Fields filled from `prometheus` because no file gave them (`fillFromPrometheus`). */
  derived?: DerivedFromPrometheus[];
}

// What the on-host classifier reads, derived from Prometheus range-query results (node_exporter and
// the app's /metrics) when no sysstat, log or /proc file gave it: a sysstat-shaped CPU series,
// per-device disk series, thread and fd counts, the fd soft limit, TcpExt counters at the window's
// edges, loop lag and TCP socket counts. Pure. Queries are recognised by the shape of their PromQL
// (label matchers, whitespace and rate windows ignored), not by file name, so saved captures and
// live results read alike; an odd series (empty, NaN, a missing mode) leaves its field unfilled.
import type { LagSeries } from './lag-csv.ts';
import { emptySeries } from './sysstat-series.ts';
import { intervalsSec } from './time.ts';
import type {
  CountLog,
  DerivedFromPrometheus,
  DiskSeries,
  HostSamples,
  KernelCounters,
  ProcLimits,
  PromSeries,
  SockstatLog,
  SysstatSeries,
} from './types.ts';

type PromResults = NonNullable<HostSamples['prometheus']>;

export interface FillOptions {
  /** The node_exporter scrape job (default `node`). */
  nodeJob?: string;
  /** The application's scrape job (default `app`). */
  appJob?: string;
}

type Role = 'node' | 'app';

interface Found {
  keys: string[];
  series: PromSeries[];
}

interface Chosen {
  series: PromSeries[];
  /** Set when several instances matched and one was taken. */
  note?: string;
}

interface Context {
  prom: PromResults;
  jobs: Record<Role, string>;
  notes: Set<string>;
}

const RANGE = String.raw`\[[^\]]+\]`;
const AGG = String.raw`(?:by\([\w,]*\))?`;

/** PromQL without string contents, label matchers or whitespace: `rate(node_load1{job="node"}[5s])` → `rate(node_load1[5s])`. */
export function canonicalQuery(query: string): string {
  return query
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\s+/g, '');
}

const gauge = (metric: string) => new RegExp(`^${metric}$`);
/** `rate(m[w])`, `irate(m[w])`, optionally inside `sum(...)` / `sum by (l) (...)`. */
const rate = (metric: string) => new RegExp(`^(?:sum${AGG}\\()?i?rate\\(${metric}${RANGE}\\)\\)?${AGG}$`);
const rateRatio = (numerator: string, denominator: string) =>
  new RegExp(`^i?rate\\(${numerator}${RANGE}\\)/i?rate\\(${denominator}${RANGE}\\)$`);
const rateSum = (a: string, b: string) => new RegExp(`^i?rate\\(${a}${RANGE}\\)\\+i?rate\\(${b}${RANGE}\\)$`);

function entriesMatching(ctx: Context, pattern: RegExp): [string, PromSeries[]][] {
  return Object.entries(ctx.prom)
    .filter(([key, entry]) => pattern.test(canonicalQuery(entry.query ?? key)))
    .map(([key, entry]): [string, PromSeries[]] => [key, entry.series]);
}

/**
 * The series of the first query matching `pattern` that has any for `role`'s job: that job's
 * series, else (a capture with other job names) those of any job but the other role's; of
 * several instances the first, with a note.
 */
function find(ctx: Context, pattern: RegExp, role: Role): Found | null {
  for (const [key, series] of entriesMatching(ctx, pattern)) {
    const chosen = forRole(series, role, ctx.jobs);
    if (chosen.series.length === 0) continue;
    if (chosen.note) ctx.notes.add(chosen.note);
    return { keys: [key], series: chosen.series };
  }
  return null;
}

function forRole(series: PromSeries[], role: Role, jobs: Record<Role, string>): Chosen {
  const other = jobs[role === 'node' ? 'app' : 'node'];
  const own = series.filter((s) => s.labels.job === jobs[role]);
  const candidates = own.length > 0 ? own : series.filter((s) => s.labels.job !== other);
  const withPoints = candidates.filter((s) => s.values.some(Number.isFinite));
  const instances = [
    ...new Set(withPoints.map((s) => s.labels.instance).filter((i) => i !== undefined)),
  ].sort();
  if (instances.length <= 1) return { series: withPoints };
  const first = instances[0]!;
  return {
    series: withPoints.filter((s) => s.labels.instance === undefined || s.labels.instance === first),
    note: `${instances.length} instances of job ${jobs[role]} (${instances.join(', ')}): read ${first}`,
  };
}

/** One value per axis time: the sum of the series' values at that time, NaN where none has one. */
function column(series: readonly PromSeries[], axis: readonly number[]): number[] {
  const sums = new Map<number, number>();
  for (const one of series) {
    one.timesMs.forEach((timeMs, i) => {
      sums.set(timeMs, (sums.get(timeMs) ?? 0) + (one.values[i] ?? Number.NaN));
    });
  }
  return axis.map((timeMs) => sums.get(timeMs) ?? Number.NaN);
}

function columnOf(found: Found | null, axis: readonly number[], scale = 1): number[] {
  if (!found) return axis.map(() => Number.NaN);
  return column(found.series, axis).map((v) => v * scale);
}

function firstFinite(values: readonly number[]): number | undefined {
  return values.find(Number.isFinite);
}

function lastFinite(values: readonly number[]): number | undefined {
  return values.findLast(Number.isFinite);
}

function median(values: readonly number[]): number | undefined {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// node_exporter's cpu modes → sysstat's cpu-load columns (node_cpu_seconds_total excludes guest time).
const MODES: Record<string, keyof SysstatSeries['cpu']> = {
  user: 'usr',
  nice: 'nice',
  system: 'sys',
  iowait: 'iowait',
  irq: 'irq',
  softirq: 'soft',
  steal: 'steal',
  idle: 'idle',
};

interface CpuByMode {
  keys: string[];
  axis: number[];
  percent: Partial<Record<keyof SysstatSeries['cpu'], number[]>>;
  cpuCount: number | null;
}

/**
 * Percent per mode from `rate(node_cpu_seconds_total)` by mode (summed per CPU or not): each mode's
 * share of all modes, so it holds whether the query summed or averaged the CPUs.
 */
function cpuByMode(ctx: Context): CpuByMode | null {
  const pattern = new RegExp(
    `^(?:(?:sum|avg)${AGG}\\()?i?rate\\(node_cpu_seconds_total${RANGE}\\)\\)?${AGG}$`,
  );
  for (const [key, series] of entriesMatching(ctx, pattern)) {
    const chosen = forRole(series, 'node', ctx.jobs);
    const byMode = new Map<string, PromSeries[]>();
    for (const one of chosen.series) {
      const mode = one.labels.mode;
      if (mode !== undefined) byMode.set(mode, [...(byMode.get(mode) ?? []), one]);
    }
    // A query filtered to one or two modes (`{mode="idle"}`) cannot give shares.
    if (!byMode.has('idle') || byMode.size < 3) continue;
    if (chosen.note) ctx.notes.add(chosen.note);
    const axis = [...new Set(chosen.series.flatMap((s) => s.timesMs))].sort((a, b) => a - b);
    const columns = new Map([...byMode].map(([mode, group]) => [mode, column(group, axis)]));
    const total = axis.map((_, i) => [...columns.values()].reduce((sum, c) => sum + (c[i] ?? Number.NaN), 0));
    const percent: CpuByMode['percent'] = {};
    for (const [mode, field] of Object.entries(MODES)) {
      const values = columns.get(mode);
      percent[field] = values
        ? values.map((v, i) => (total[i]! > 0 ? (v / total[i]!) * 100 : Number.NaN))
        : axis.map(() => 0);
    }
    const cpus = new Set(chosen.series.map((s) => s.labels.cpu).filter((c) => c !== undefined));
    const summed = canonicalQuery(ctx.prom[key]?.query ?? key).startsWith('sum');
    const totalCpus = median(total);
    const cpuCount = cpus.size > 0 ? cpus.size : summed && totalCpus ? Math.round(totalCpus) : null;
    return { keys: [key], axis, percent, cpuCount: cpuCount && cpuCount > 0 ? cpuCount : null };
  }
  return null;
}

function cpuCountOf(ctx: Context, fromModes: number | null): { count: number | null; keys: string[] } {
  const counted = find(ctx, /^count\(count(?:by\(cpu\))?\(node_cpu_seconds_total\)(?:by\(cpu\))?\)$/, 'node');
  const value = counted ? lastFinite(counted.series[0]?.values ?? []) : undefined;
  if (value !== undefined && value > 0) return { count: Math.round(value), keys: counted!.keys };
  return { count: fromModes, keys: [] };
}

interface Built<T> {
  value: T;
  queries: string[];
}

function keysOf(...found: (Found | null)[]): string[] {
  return [...new Set(found.flatMap((f) => f?.keys ?? []))];
}

function buildSysstat(ctx: Context, cpu: CpuByMode, cpuCount: number | null): Built<SysstatSeries> {
  const { axis } = cpu;
  const running = find(ctx, gauge('node_procs_running'), 'node');
  const load1 = find(ctx, gauge('node_load1'), 'node');
  const blocked = find(ctx, gauge('node_procs_blocked'), 'node');
  const threads = find(ctx, gauge('node_processes_threads'), 'node');
  const cswch = find(ctx, rate('node_context_switches_total'), 'node');
  const forks = find(ctx, rate('node_forks_total'), 'node');
  const majflt = find(ctx, rate('node_vmstat_pgmajfault'), 'node');
  const pswpout = find(ctx, rate('node_vmstat_pswpout'), 'node');
  const memTotal = find(ctx, gauge('node_memory_MemTotal_bytes'), 'node');
  const memAvail = find(ctx, gauge('node_memory_MemAvailable_bytes'), 'node');
  const fileNr = find(ctx, gauge('node_filefd_allocated'), 'node');
  const tcpInuse = find(ctx, gauge('node_sockstat_TCP_inuse'), 'node');
  const tcpTw = find(ctx, gauge('node_sockstat_TCP_tw'), 'node');
  const psiCpu = find(ctx, rate('node_pressure_cpu_waiting_seconds_total'), 'node');
  const psiIo = find(ctx, rate('node_pressure_io_waiting_seconds_total'), 'node');
  const psiIoFull = find(ctx, rate('node_pressure_io_stalled_seconds_total'), 'node');
  const psiMem = find(ctx, rate('node_pressure_memory_waiting_seconds_total'), 'node');
  const psiMemFull = find(ctx, rate('node_pressure_memory_stalled_seconds_total'), 'node');
  const uname = find(ctx, gauge('node_uname_info'), 'node');

  const series = emptySeries({
    nodename: uname?.series[0]?.labels.nodename ?? null,
    release: uname?.series[0]?.labels.release ?? null,
    cpuCount,
  });
  series.timesMs = [...axis];
  series.intervalSec = intervalsSec(axis);
  for (const field of Object.values(MODES)) series.cpu[field] = cpu.percent[field] ?? axis.map(() => 0);
  const ldavg1 = columnOf(load1, axis);
  // sysstat's runq-sz leaves out sadc itself; node_procs_running counts the exporter's reading thread.
  series.runqSz = running ? columnOf(running, axis).map((v) => Math.max(0, v - 1)) : ldavg1;
  series.ldavg1 = ldavg1;
  series.plistSz = columnOf(threads, axis);
  series.blocked = columnOf(blocked, axis);
  series.cswchPerSec = columnOf(cswch, axis);
  series.procPerSec = columnOf(forks, axis);
  series.majfltPerSec = columnOf(majflt, axis);
  series.pswpoutPerSec = columnOf(pswpout, axis);
  const total = columnOf(memTotal, axis);
  const avail = columnOf(memAvail, axis);
  series.memUsedPct = total.map((t, i) => (t > 0 ? (1 - avail[i]! / t) * 100 : Number.NaN));
  series.memAvailKiB = avail.map((v) => v / 1024);
  series.fileNr = columnOf(fileNr, axis);
  series.tcpSockets = columnOf(tcpInuse, axis);
  series.tcpTimeWait = columnOf(tcpTw, axis);
  // PSI: rate() of the stall-seconds counters is the stalled share of time; sysstat prints percent.
  series.psi = {
    cpuSome: columnOf(psiCpu, axis, 100),
    ioSome: columnOf(psiIo, axis, 100),
    ioFull: columnOf(psiIoFull, axis, 100),
    memSome: columnOf(psiMem, axis, 100),
    memFull: columnOf(psiMemFull, axis, 100),
  };
  const queries = keysOf(
    running,
    load1,
    blocked,
    threads,
    cswch,
    forks,
    majflt,
    pswpout,
    memTotal,
    memAvail,
    fileNr,
    tcpInuse,
    tcpTw,
    psiCpu,
    psiIo,
    psiIoFull,
    psiMem,
    psiMemFull,
    uname,
  );
  return { value: series, queries: [...cpu.keys, ...queries] };
}

function byDevice(found: Found | null): Map<string, PromSeries[]> {
  const devices = new Map<string, PromSeries[]>();
  for (const one of found?.series ?? []) {
    const device = one.labels.device ?? 'disk';
    devices.set(device, [...(devices.get(device) ?? []), one]);
  }
  return devices;
}

/**
 * Per-device disk series: %util from io_time, aqu-sz from the weighted io_time, await as busy time
 * per completed request (the /proc/diskstats arithmetic iostat does), tps and kB/s. Saved captures
 * that stored `reads + writes` and the per-direction await ratios are read too.
 */
function buildDisks(ctx: Context): Built<Record<string, DiskSeries>> | null {
  const parts = {
    util: find(ctx, rate('node_disk_io_time_seconds_total'), 'node'),
    queue: find(ctx, rate('node_disk_io_time_weighted_seconds_total'), 'node'),
    reads: find(ctx, rate('node_disk_reads_completed_total'), 'node'),
    writes: find(ctx, rate('node_disk_writes_completed_total'), 'node'),
    readTime: find(ctx, rate('node_disk_read_time_seconds_total'), 'node'),
    writeTime: find(ctx, rate('node_disk_write_time_seconds_total'), 'node'),
    readBytes: find(ctx, rate('node_disk_read_bytes_total'), 'node'),
    writtenBytes: find(ctx, rate('node_disk_written_bytes_total'), 'node'),
    iops: find(ctx, rateSum('node_disk_reads_completed_total', 'node_disk_writes_completed_total'), 'node'),
    readAwait: find(
      ctx,
      rateRatio('node_disk_read_time_seconds_total', 'node_disk_reads_completed_total'),
      'node',
    ),
    writeAwait: find(
      ctx,
      rateRatio('node_disk_write_time_seconds_total', 'node_disk_writes_completed_total'),
      'node',
    ),
  };
  if (!parts.util && !parts.queue) return null;
  type Part = keyof typeof parts;
  const split = new Map<Part, Map<string, PromSeries[]>>();
  const perDevice = (name: Part) => {
    const known = split.get(name) ?? byDevice(parts[name]);
    split.set(name, known);
    return known;
  };
  const devices = [...new Set([...perDevice('util').keys(), ...perDevice('queue').keys()])].sort();
  const disks: Record<string, DiskSeries> = {};
  for (const device of devices) {
    const get = (name: Part) => perDevice(name).get(device) ?? [];
    const axis = [...new Set([...get('util'), ...get('queue')].flatMap((s) => s.timesMs))].sort(
      (a, b) => a - b,
    );
    const col = (name: Part, scale = 1) => {
      const series = get(name);
      return series.length > 0 ? column(series, axis).map((v) => v * scale) : axis.map(() => Number.NaN);
    };
    const reads = col('reads');
    const writes = col('writes');
    const readTime = col('readTime');
    const writeTime = col('writeTime');
    const saved = { iops: col('iops'), readAwait: col('readAwait'), writeAwait: col('writeAwait') };
    const tps = reads.map((r, i) => (Number.isFinite(r + writes[i]!) ? r + writes[i]! : saved.iops[i]!));
    const awaitMs = axis.map((_, i) => {
      const ops = reads[i]! + writes[i]!;
      if (Number.isFinite(ops)) return ops > 0 ? ((readTime[i]! + writeTime[i]!) / ops) * 1000 : 0;
      // A ratio is NaN (0/0) when that direction did no I/O: the other direction speaks.
      const ratios = [saved.readAwait[i]!, saved.writeAwait[i]!].filter(Number.isFinite);
      return ratios.length > 0 ? (ratios.reduce((a, b) => a + b, 0) / ratios.length) * 1000 : 0;
    });
    disks[device] = {
      timesMs: axis,
      tps,
      readKiBps: col('readBytes', 1 / 1024),
      writeKiBps: col('writtenBytes', 1 / 1024),
      readOpsPerSec: reads,
      writeOpsPerSec: writes,
      aquSz: col('queue'),
      awaitMs,
      utilPct: col('util', 100),
    };
  }
  return { value: disks, queries: keysOf(...Object.values(parts)) };
}

function countLog(found: Found | null): Built<CountLog> | null {
  const series = found?.series[0];
  if (!found || !series) return null;
  const timesMs: number[] = [];
  const values: number[] = [];
  series.values.forEach((value, i) => {
    const timeMs = series.timesMs[i];
    if (Number.isFinite(value) && timeMs !== undefined) {
      timesMs.push(timeMs);
      values.push(value);
    }
  });
  // NOTE: Prometheus does not give the PID; a restart shows as process_start_time_seconds, not read here.
  return values.length > 0
    ? { value: { pids: [], segments: [], timesMs, values }, queries: found.keys }
    : null;
}

function netstatEdges(ctx: Context): Built<{ start: KernelCounters; end: KernelCounters }> | null {
  const start: KernelCounters = {};
  const end: KernelCounters = {};
  const queries: string[] = [];
  for (const [key, entry] of Object.entries(ctx.prom)) {
    const match = /^node_netstat_([A-Za-z0-9]+)_(\w+)$/.exec(canonicalQuery(entry.query ?? key));
    if (!match) continue;
    const series = forRole(entry.series, 'node', ctx.jobs).series[0];
    const first = firstFinite(series?.values ?? []);
    const last = lastFinite(series?.values ?? []);
    if (first === undefined || last === undefined) continue;
    const name = `${match[1]}.${match[2]}`;
    start[name] = first;
    end[name] = last;
    queries.push(key);
  }
  return queries.length > 0 ? { value: { start, end }, queries } : null;
}

function lagSeries(ctx: Context): Built<LagSeries> | null {
  const found =
    find(ctx, gauge('event_loop_lag_max_1s_seconds'), 'app') ??
    find(ctx, gauge('event_loop_lag_last_seconds'), 'app');
  const log = countLog(found);
  return log
    ? { value: { timesMs: log.value.timesMs, lagSec: log.value.values }, queries: log.queries }
    : null;
}

function sockstat(ctx: Context): Built<SockstatLog> | null {
  const inuse = find(ctx, gauge('node_sockstat_TCP_inuse'), 'node');
  if (!inuse) return null;
  const axis = [...new Set(inuse.series.flatMap((s) => s.timesMs))].sort((a, b) => a - b);
  const orphan = find(ctx, gauge('node_sockstat_TCP_orphan'), 'node');
  const tw = find(ctx, gauge('node_sockstat_TCP_tw'), 'node');
  const alloc = find(ctx, gauge('node_sockstat_TCP_alloc'), 'node');
  return {
    value: {
      timesMs: axis,
      tcpInuse: columnOf(inuse, axis),
      tcpOrphan: columnOf(orphan, axis),
      tcpTimeWait: columnOf(tw, axis),
      tcpAlloc: columnOf(alloc, axis),
    },
    queries: keysOf(inuse, orphan, tw, alloc),
  };
}

function fdSoftLimit(ctx: Context): Built<ProcLimits> | null {
  const found = find(ctx, gauge('process_max_fds'), 'app');
  const soft = lastFinite(found?.series[0]?.values ?? []);
  if (!found || soft === undefined || soft <= 0) return null;
  // process_max_fds is RLIMIT_NOFILE's soft value; the hard one is not exported (null: unknown here).
  return { value: { 'Max open files': { soft, hard: null, units: 'files' } }, queries: found.keys };
}

function hasDisks(samples: HostSamples): boolean {
  return Object.keys(samples.sysstat?.disks ?? {}).length > 0 || Object.keys(samples.iostat ?? {}).length > 0;
}

/**
 * Fills what the classifier reads from `samples.prometheus` where no file gave it (files win) and
 * lists each filled field in `derived`. Returns a new bundle; never throws on odd series.
 */
export function fillFromPrometheus(samples: HostSamples, options: FillOptions = {}): HostSamples {
  const prom = samples.prometheus;
  if (!prom || Object.keys(prom).length === 0) return samples;
  const ctx: Context = {
    prom,
    jobs: { node: options.nodeJob ?? 'node', app: options.appJob ?? 'app' },
    notes: new Set(),
  };
  const out: HostSamples = { ...samples };
  const derived: DerivedFromPrometheus[] = [...(samples.derived ?? [])];
  const record = (field: DerivedFromPrometheus['field'], queries: string[], before: number) => {
    const notes = [...ctx.notes].slice(before);
    derived.push({ field, queries, ...(notes.length > 0 ? { note: notes.join('; ') } : {}) });
  };
  const mark = () => ctx.notes.size;

  let at = mark();
  const cpu = cpuByMode(ctx);
  const count = cpuCountOf(ctx, cpu?.cpuCount ?? null);
  if (!out.sysstat && cpu && cpu.axis.length > 0) {
    const built = buildSysstat(ctx, cpu, count.count);
    out.sysstat = built.value;
    record('sysstat', [...built.queries, ...count.keys], at);
  }
  if (out.hostCpuCount === undefined && count.count !== null) {
    out.hostCpuCount = count.count;
    record('hostCpuCount', count.keys.length > 0 ? count.keys : (cpu?.keys ?? []), at);
  }
  at = mark();
  const disks = hasDisks(samples) ? null : buildDisks(ctx);
  if (disks && Object.keys(disks.value).length > 0) {
    if (out.sysstat) out.sysstat = { ...out.sysstat, disks: { ...out.sysstat.disks, ...disks.value } };
    else out.iostat = disks.value;
    record('disks', disks.queries, at);
  }
  at = mark();
  const threads = out.threads ? null : countLog(find(ctx, gauge('process_threads'), 'app'));
  if (threads) {
    out.threads = threads.value;
    record('threads', threads.queries, at);
  }
  at = mark();
  const fds = out.fds ? null : countLog(find(ctx, gauge('process_open_fds'), 'app'));
  if (fds) {
    out.fds = fds.value;
    record('fds', fds.queries, at);
  }
  at = mark();
  const limits = out.limitsStart || out.limitsEnd ? null : fdSoftLimit(ctx);
  if (limits) {
    out.limitsEnd = limits.value;
    record('limitsEnd', limits.queries, at);
  }
  at = mark();
  const netstat = out.netstatStart || out.netstatEnd ? null : netstatEdges(ctx);
  if (netstat) {
    out.netstatStart = netstat.value.start;
    out.netstatEnd = netstat.value.end;
    record('netstatStart', netstat.queries, at);
    record('netstatEnd', netstat.queries, at);
  }
  at = mark();
  const lag = out.lag ? null : lagSeries(ctx);
  if (lag) {
    out.lag = lag.value;
    record('lag', lag.queries, at);
  }
  at = mark();
  const sock = out.sockstat ? null : sockstat(ctx);
  if (sock) {
    out.sockstat = sock.value;
    record('sockstat', sock.queries, at);
  }
  if (derived.length > (samples.derived?.length ?? 0)) out.derived = derived;
  return out;
}

// `fleetlens sample`: the on-host collector. Samples one process (and optionally one listening
// port) from /proc every interval, takes start/end snapshots, runs sysstat beside it when
// installed, and leaves a folder in the shape of ../shared/host-samples that `diagnose` reads.
// Read-only (files under /proc are only opened for reading, the PID is never signalled) and
// bounded in time: the duration is capped, every step has a timeout, and every child is stopped
// by its own PID at the end, on SIGINT/SIGTERM, and when fleetlens exits.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDurationMs } from '../config/duration.ts';
import { ConfigError } from '../errors.ts';
import { readSampleDir } from '../ingest/read-sample-dir.ts';
import type { SampleGapEntry } from '../ingest/types.ts';
import type { Logger } from '../log.ts';
import { packageVersion } from '../paths.ts';
import {
  countLine,
  fdCountSnapshot,
  hostInfoSection,
  procListenLine,
  sockstatLines,
  ssListenLines,
} from '../sample/formats.ts';
import { fileStats, Outputs, prepareOut } from '../sample/outputs.ts';
import {
  countFds,
  parseProcNetTcp,
  procPaths,
  type Read,
  readSysctlTree,
  readText,
  readThreadCounts,
} from '../sample/proc.ts';
import { inspectTarget, type NotWritten, stillRunning, type Target } from '../sample/target.ts';
import {
  type Background,
  Children,
  findTools,
  runTool,
  runToolToGzip,
  SADC_DIRS,
  startTool,
  sysstatArgs,
  TOOL_NAMES,
  type ToolName,
  type Tools,
  toolEnv,
} from '../sample/tools.ts';
import { PROCESS_TREE_FILE, TreeSampler } from '../sample/tree-log.ts';

/** The longest capture: a collector left running by mistake must end on its own. */
export const MAX_DURATION_MS = 3_600_000;
const SHORT_TOOL_TIMEOUT_MS = 5_000;
const SS_TIMEOUT_MS = 2_000;
const SADF_TIMEOUT_MS = 120_000;
const SYSCTL_BUDGET_MS = 15_000;
const STOP_GRACE_MS = 3_000;

export const MANIFEST_FILE = 'sample-manifest.json';
// Files written by outside tools: one that came out without a record (stopped before its first
// report) is removed rather than left as a gap.
const TOOL_FILES = new Set(['sadf-A.json.gz', 'iostat-x.json', 'pidstat-app.txt']);

/** The CLI's options as typed (strings), checked by parseSampleOptions. */
export interface SampleCommandOptions {
  pid: string;
  port?: string;
  duration: string;
  interval: string;
  out: string;
  /** commander's `--no-children`: false samples the PID alone. */
  children?: boolean;
}

export interface SampleOptions {
  pid: number;
  port: number | null;
  durationMs: number;
  intervalMs: number;
  out: string;
  /** Sample the PID's descendants too (process-tree.jsonl); true unless --no-children. */
  children?: boolean;
  /** The tools' environment and the PATH they are looked up in; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Where sadc is looked for besides PATH (it lives outside PATH on most distributions). */
  sadcDirs?: readonly string[];
  /** Stops the capture early, as SIGINT does (the end snapshots are still taken). */
  signal?: AbortSignal;
  /** Listen to SIGINT/SIGTERM to stop early (the CLI); tests leave the process's signals alone. */
  handleSignals?: boolean;
}

export type StopReason = 'pid-exited' | 'SIGINT' | 'SIGTERM' | 'aborted';

export interface SampleManifest {
  schemaVersion: 1;
  fleetlensVersion: string;
  pid: number;
  /** /proc/PID/comm at the start. */
  command: string | null;
  port: number | null;
  startedAt: string;
  endedAt: string;
  intervalSec: number;
  durationSec: number;
  samples: { planned: number; taken: number; missed: number };
  stoppedEarly: { reason: StopReason; at: string } | null;
  tools: { used: ToolName[]; missing: ToolName[] };
  /** The outside commands run for the whole capture, as run. */
  commands: string[];
  /** Every file in the folder (this manifest aside): its lines (uncompressed) and bytes. */
  files: Record<string, { lines: number; bytes: number }>;
  /** Files of the usual set that this capture does not have, and why. */
  notWritten: NotWritten[];
  notes: string[];
  /** Whether the descendants were sampled (false with --no-children). */
  children: boolean;
  /** Every process sampled (the PID, and its descendants unless --no-children): when each came and went. */
  processes: { pid: number; comm: string; firstSeen: string; lastSeen: string; exited: string | null }[];
  /** The folder read back by diagnose's own reader at the end. */
  diagnoseCheck: { inputs: number; gaps: SampleGapEntry[] };
}

export interface SampleResult {
  out: string;
  manifest: SampleManifest;
  /** What the user should know (the process exited, a file could not be read, a tool failed). */
  warnings: string[];
}

// ---- options -----------------------------------------------------------------------------------

function flagError(key: string, message: string): ConfigError {
  return new ConfigError(message, undefined, undefined, key);
}

function wholeNumber(text: string, key: string, what: string, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1 || value > max) {
    throw flagError(key, `expected ${what}, found "${text}"`);
  }
  return value;
}

function durationOf(text: string, key: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw flagError(key, `expected a duration such as 30s, 2m or 1h, found "${text}"`);
  return ms;
}

/** Checks the CLI's strings: PID, port, durations. */
export function parseSampleOptions(raw: SampleCommandOptions): SampleOptions {
  const options: SampleOptions = {
    pid: wholeNumber(raw.pid, '--pid', 'a process id', 2 ** 22),
    port: raw.port === undefined ? null : wholeNumber(raw.port, '--port', 'a port number 1-65535', 65535),
    durationMs: durationOf(raw.duration, '--duration'),
    intervalMs: durationOf(raw.interval, '--interval'),
    out: raw.out,
    children: raw.children !== false,
  };
  checkTiming(options);
  return options;
}

function checkTiming({ durationMs, intervalMs }: Pick<SampleOptions, 'durationMs' | 'intervalMs'>): void {
  if (!(durationMs > 0) || durationMs > MAX_DURATION_MS) {
    throw flagError(
      '--duration',
      `at most 1h (the collector is bounded in time), found ${durationMs / 1000}s`,
    );
  }
  // NOTE: the logs stamp whole seconds and sysstat takes whole-second intervals
  if (!Number.isInteger(intervalMs / 1000) || intervalMs < 1000) {
    throw flagError('--interval', `expected whole seconds, at least 1s, found ${intervalMs / 1000}s`);
  }
  if (intervalMs > durationMs) throw flagError('--interval', 'longer than --duration');
}

// ---- one run -----------------------------------------------------------------------------------

interface Run {
  options: SampleOptions;
  target: Target;
  tools: Tools;
  env: NodeJS.ProcessEnv;
  children: Children;
  outputs: Outputs;
  log: Logger;
  warnings: string[];
  notes: string[];
  notWritten: NotWritten[];
  commands: string[];
  /** ss is usable for this process: installed, and the process is in our network namespace. */
  useSs: boolean;
  tree: TreeSampler;
}

function warn(run: Run, message: string): void {
  run.warnings.push(message);
  run.log.warn(message);
}

function toolOptions(run: Run, timeoutMs: number) {
  return { env: run.env, timeoutMs, children: run.children };
}

async function writeHostInfo(run: Run): Promise<void> {
  const commands: [ToolName, string, string[]][] = [
    ['uname', 'uname -a', ['-a']],
    ['nproc', 'nproc', []],
    ['lscpu', 'lscpu', []],
    ['free', 'free -m', ['-m']],
  ];
  const sections = await Promise.all(
    commands.map(async ([tool, label, args]) => {
      const file = run.tools[tool];
      if (!file) return '';
      const result = await runTool(file, args, toolOptions(run, SHORT_TOOL_TIMEOUT_MS));
      return result.code === 0 ? hostInfoSection(label, result.stdout) : '';
    }),
  );
  const somaxconn = await readText('/proc/sys/net/core/somaxconn');
  if (somaxconn.ok) sections.push(hostInfoSection('cat /proc/sys/net/core/somaxconn', somaxconn.value));
  await run.outputs.write('host-info.txt', sections.join(''));
}

async function writeSysctl(run: Run): Promise<void> {
  const sysctl = await readSysctlTree('/proc/sys', Date.now() + SYSCTL_BUDGET_MS);
  await run.outputs.write('sysctl-a.txt', sysctl.text);
  if (!sysctl.complete) {
    run.notes.push(`sysctl-a.txt is partial: /proc/sys took longer than ${SYSCTL_BUDGET_MS / 1000}s`);
  }
}

async function ssSummary(run: Run, file: string): Promise<void> {
  if (!run.useSs || !run.tools.ss) return;
  const result = await runTool(run.tools.ss, ['-s'], toolOptions(run, SHORT_TOOL_TIMEOUT_MS));
  if (result.code === 0) await run.outputs.write(file, result.stdout);
  else run.notWritten.push({ file, reason: `ss -s failed (exit ${result.code ?? 'killed'})` });
}

/** The start or end copies: kernel counters, socket summary, and the process's limits and fd count. */
async function snapshots(run: Run, edge: 'start' | 'end', processAlive: boolean): Promise<void> {
  const { target, outputs } = run;
  const copy = async (from: string, file: string): Promise<void> => {
    const text = await readText(from);
    if (text.ok) await outputs.write(file, text.value);
    else run.notWritten.push({ file, reason: `${from}: ${text.code}` });
  };
  const netFiles = [`proc-net-netstat-${edge}.txt`, `proc-net-snmp-${edge}.txt`];
  const tasks: Promise<void>[] = [ssSummary(run, `ss-s-${edge}.txt`)];
  if (!target.otherNetns || processAlive) {
    tasks.push(
      copy(join(target.netDir, 'netstat'), netFiles[0]!),
      copy(join(target.netDir, 'snmp'), netFiles[1]!),
    );
  } else {
    const reason = `PID ${target.pid} exited, and its network namespace with it`;
    run.notWritten.push(...netFiles.map((file) => ({ file, reason })));
  }
  if (processAlive && target.readable.limits) {
    tasks.push(copy(procPaths(target.pid).limits, `proc-limits-${edge}.txt`));
  }
  if (processAlive && target.readable.fds) {
    const fdCount = async (): Promise<void> => {
      const fds = await countFds(target.pid);
      const file = `app-fd-count-${edge}.txt`;
      if (fds.ok) await outputs.write(file, fdCountSnapshot(Date.now(), target.pid, fds.value));
    };
    tasks.push(fdCount());
  }
  if (!processAlive) {
    const reason = `PID ${target.pid} had exited`;
    if (target.readable.limits) run.notWritten.push({ file: `proc-limits-${edge}.txt`, reason });
    if (target.readable.fds) run.notWritten.push({ file: `app-fd-count-${edge}.txt`, reason });
  }
  await Promise.all(tasks);
}

// ---- sysstat -----------------------------------------------------------------------------------

interface SysstatRun {
  sadc: Background | null;
  iostat: Background | null;
  pidstat: Background | null;
  saPath: string;
}

/** sadc, iostat and pidstat at the sampling interval for the whole capture, each bounded by its own count. */
function startSysstat(run: Run, workDir: string, planned: number): SysstatRun {
  const { tools, options, target } = run;
  const saPath = join(workDir, 'sa.bin');
  const args = sysstatArgs(target.pid, options.intervalMs / 1000, planned, saPath);
  const started: SysstatRun = { sadc: null, iostat: null, pidstat: null, saPath };
  const outputs = { sadc: null, iostat: 'iostat-x.json', pidstat: 'pidstat-app.txt' } as const;
  for (const name of ['sadc', 'iostat', 'pidstat'] as const) {
    const file = tools[name];
    if (!file) continue;
    const stdoutPath = outputs[name] === null ? null : run.outputs.path(outputs[name]);
    started[name] = startTool(file, args[name], { env: run.env, children: run.children, stdoutPath });
    run.commands.push([name, ...args[name]].join(' ').replace(saPath, 'sa.bin'));
  }
  return started;
}

/** Whether `promise` settles within `ms`; the timer is cleared either way, so it never holds the process. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lets the sysstat tools end by their count (they started with the capture), else stops them; then sadf. */
async function finishSysstat(run: Run, sysstat: SysstatRun, early: boolean): Promise<void> {
  const graceMs = early ? 0 : run.options.intervalMs + 5_000;
  const finishOne = async (name: string, tool: Background | null): Promise<void> => {
    if (!tool) return;
    const ended = await settlesWithin(tool.exited, graceMs);
    if (!ended) await tool.stop(STOP_GRACE_MS);
    const code = await tool.exited;
    if (ended && !early && code !== 0) {
      warn(run, `${name} exited with ${code ?? 'a signal'}: ${tool.stderrTail() || 'no message'}`);
    }
  };
  await Promise.all([
    finishOne('sadc', sysstat.sadc),
    finishOne('iostat', sysstat.iostat),
    finishOne('pidstat', sysstat.pidstat),
  ]);
  if (!sysstat.sadc || !run.tools.sadf) return;
  const { sadf } = sysstatArgs(run.target.pid, 1, 1, sysstat.saPath);
  const result = await runToolToGzip(run.tools.sadf, sadf, run.outputs.path('sadf-A.json.gz'), {
    ...toolOptions(run, SADF_TIMEOUT_MS),
    countPattern: '"timestamp"',
  });
  run.commands.push('sadf -j sa.bin -- -A | gzip > sadf-A.json.gz');
  if (result.code !== 0) {
    warn(run, `sadf exited with ${result.timedOut ? 'a timeout' : (result.code ?? 'a signal')}`);
  }
}

// ---- sampling ----------------------------------------------------------------------------------

async function listenLines(run: Run, timeMs: number, port: number): Promise<[string, string[]]> {
  if (run.useSs && run.tools.ss) {
    const result = await runTool(
      run.tools.ss,
      ['-ltnH', `sport = :${port}`],
      toolOptions(run, SS_TIMEOUT_MS),
    );
    return ['listen-queue.log', result.code === 0 ? ssListenLines(timeMs, result.stdout) : []];
  }
  const tables = await Promise.all(['tcp', 'tcp6'].map((name) => readText(join(run.target.netDir, name))));
  const listeners = tables.flatMap((table) => (table.ok ? parseProcNetTcp(table.value, port) : []));
  return ['listen-queue-proc.log', listeners.map((listener) => procListenLine(timeMs, listener))];
}

/**
 * One sample of every per-interval log, read at once and stamped with the same second. Returns
 * false when the process's own counts could not be read (it may just have exited).
 */
async function takeSample(run: Run, timeMs: number): Promise<boolean> {
  const { target, options, outputs } = run;
  const [threads, fds, sockstat, listen, tree] = await Promise.all([
    target.readable.threads ? readThreadCounts(target.pid) : null,
    target.readable.fds ? countFds(target.pid) : null,
    readText(join(target.netDir, 'sockstat')),
    options.port === null ? null : listenLines(run, timeMs, options.port),
    run.tree.sample(timeMs),
  ]);
  const count = (read: Read<number | null> | null | undefined, label: 'Threads' | 'FDs'): string[] =>
    read?.ok && read.value !== null ? [countLine(timeMs, target.pid, label, read.value)] : [];
  await Promise.all([
    outputs.append('threads.log', count(threads?.task, 'Threads')),
    outputs.append('threads-proc-status.log', count(threads?.status, 'Threads')),
    outputs.append('fds.log', count(fds, 'FDs')),
    outputs.append('sockstat.log', sockstat.ok ? sockstatLines(timeMs, sockstat.value) : []),
    listen ? outputs.append(listen[0], listen[1]) : null,
    outputs.append(PROCESS_TREE_FILE, tree),
  ]);
  const wanted = [target.readable.threads ? threads?.task : null, target.readable.fds ? fds : null];
  return wanted.every((read) => read === null || read === undefined || read.ok);
}

interface Loop {
  taken: number;
  missed: number;
  stopped: { reason: StopReason; at: string } | null;
}

/** Drift-free ticks: sample i is due at t0 + i × interval; a tick more than one interval late is skipped. */
async function sampleLoop(run: Run, planned: number, stop: AbortSignal, stopReason: () => StopReason) {
  const { intervalMs } = run.options;
  const loop: Loop = { taken: 0, missed: 0, stopped: null };
  const t0 = performance.now();
  const progressEvery = Math.max(1, Math.round(60_000 / intervalMs));
  for (let tick = 1; tick <= planned; tick += 1) {
    const wait = t0 + tick * intervalMs - performance.now();
    if (wait < -intervalMs) {
      loop.missed += 1;
      continue;
    }
    if (wait > 0) await sleep(wait, undefined, { signal: stop }).catch(() => undefined);
    if (stop.aborted) {
      loop.stopped = { reason: stopReason(), at: new Date().toISOString() };
      break;
    }
    if (!(await stillRunning(run.target))) {
      loop.stopped = { reason: 'pid-exited', at: new Date().toISOString() };
      break;
    }
    const gotTarget = await takeSample(run, Date.now());
    // The process may exit between the check above and the reads: that tick is not a sample.
    if (!gotTarget && !(await stillRunning(run.target))) {
      loop.stopped = { reason: 'pid-exited', at: new Date().toISOString() };
      break;
    }
    loop.taken += 1;
    if (loop.taken % progressEvery === 0) run.log.info({ samples: loop.taken, of: planned }, 'sampling');
  }
  return loop;
}

// ---- the end -----------------------------------------------------------------------------------

/**
 * Reads the folder back with diagnose's own reader. A tool's file without one record (stopped
 * before its first report) is removed and noted; a tool's file cut short keeps its records and
 * its gap; a gap in fleetlens's own files is a bug, warned about.
 */
async function checkFolder(run: Run): Promise<SampleManifest['diagnoseCheck']> {
  const bundle = await readSampleDir(run.outputs.dir);
  const gaps: SampleGapEntry[] = [];
  const removed = new Set<string>();
  for (const gap of bundle.gaps) {
    const records = bundle.inputs.find((input) => input.file === gap.file)?.records ?? 0;
    if (TOOL_FILES.has(gap.file) && records === 0) {
      await rm(run.outputs.path(gap.file), { force: true });
      removed.add(gap.file);
      run.notWritten.push({ file: gap.file, reason: `the tool wrote no record (${gap.message})` });
      continue;
    }
    gaps.push(gap);
    warn(run, `diagnose will report a gap in ${gap.file}: ${gap.message}`);
  }
  return { inputs: bundle.inputs.filter((input) => !removed.has(input.file)).length, gaps };
}

function missingToolNotes(run: Run): void {
  const { tools, options, target } = run;
  const sysstat: [boolean, string, string][] = [
    [!tools.sadc || !tools.sadf, 'sadf-A.json.gz', 'sadc/sadf not installed (package sysstat)'],
    [!tools.iostat, 'iostat-x.json', 'iostat not installed (package sysstat)'],
    [!tools.pidstat, 'pidstat-app.txt', 'pidstat not installed (package sysstat)'],
  ];
  for (const [missing, file, reason] of sysstat) if (missing) run.notWritten.push({ file, reason });
  if (run.useSs) return;
  const why = target.otherNetns
    ? `PID ${target.pid} is in another network namespace, where ss (run by fleetlens) does not look`
    : 'ss not installed (package iproute2)';
  run.notWritten.push({ file: 'ss-s-start.txt', reason: why }, { file: 'ss-s-end.txt', reason: why });
  if (options.port === null) return;
  run.notWritten.push({ file: 'listen-queue.log', reason: why });
  run.notes.push(
    `${why}: the accept queue of port ${options.port} is in listen-queue-proc.log, read from /proc/net/tcp{,6}. /proc has no listener backlog (ss's Send-Q), so that column is "?" and diagnose does not read the file; it judges the listen queue from ListenOverflows in proc-net-netstat-*.txt`,
  );
}

function uniqueEntries(entries: readonly NotWritten[]): NotWritten[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = `${entry.file}\n${entry.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---- entry points ------------------------------------------------------------------------------

export async function runSampleCommand(raw: SampleCommandOptions, log: Logger): Promise<SampleResult> {
  return runSample({ ...parseSampleOptions(raw), handleSignals: true }, log);
}

/** Samples one process into `options.out` (see the file comment). Throws ConfigError before writing anything. */
export async function runSample(options: SampleOptions, log: Logger): Promise<SampleResult> {
  checkTiming(options);
  const target = await inspectTarget(options.pid);
  await prepareOut(options.out);
  const env = toolEnv(options.env ?? process.env);
  const tools = await findTools(env.PATH, options.sadcDirs ?? SADC_DIRS);
  const run: Run = {
    options,
    target,
    tools,
    env,
    children: new Children(),
    outputs: new Outputs(options.out),
    log,
    warnings: [],
    notes: [...target.notes],
    notWritten: [...target.denied],
    commands: [],
    useSs: tools.ss !== null && !target.otherNetns,
    tree: new TreeSampler(target.pid, options.children !== false, target.netDir, options.port),
  };
  for (const reason of new Set(target.denied.map((entry) => entry.reason))) {
    const files = target.denied.filter((entry) => entry.reason === reason).map((entry) => entry.file);
    warn(run, `${files.join(', ')} not written: ${reason}`);
  }

  const controller = new AbortController();
  let reason: StopReason = 'aborted';
  const onSignal = (signal: NodeJS.Signals): void => {
    // a second Ctrl-C stops at once; the 'exit' handler still stops every child
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    reason = signal === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
    log.warn({ signal }, 'stopping early: taking the end snapshots (send it again to stop at once)');
    controller.abort();
  };
  const onAbort = (): void => controller.abort();
  const onExit = (): void => run.children.killAll('SIGKILL');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) controller.abort();
  process.on('exit', onExit);
  if (options.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const workDir = await mkdtemp(join(tmpdir(), 'fleetlens-sample-'));
  try {
    return await capture(run, workDir, controller.signal, () => reason);
  } finally {
    run.children.killAll('SIGKILL');
    await run.outputs.close();
    await rm(workDir, { recursive: true, force: true });
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function capture(run: Run, workDir: string, stop: AbortSignal, stopReason: () => StopReason) {
  const { options, target, tools, log } = run;
  const planned = Math.floor(options.durationMs / options.intervalMs);
  const used = TOOL_NAMES.filter((name) => tools[name] !== null);
  const missing = TOOL_NAMES.filter((name) => tools[name] === null);
  log.info(
    {
      pid: target.pid,
      command: target.command,
      port: options.port,
      samples: planned,
      out: options.out,
      missing,
    },
    'sampling',
  );
  const startedAt = new Date().toISOString();
  await Promise.all([writeHostInfo(run), snapshots(run, 'start', true), writeSysctl(run)]);
  const sysstat = startSysstat(run, workDir, planned);
  const loop = await sampleLoop(run, planned, stop, stopReason);
  const alive = loop.stopped?.reason !== 'pid-exited' && (await stillRunning(target));
  if (!alive && !loop.stopped) loop.stopped = { reason: 'pid-exited', at: new Date().toISOString() };
  await Promise.all([snapshots(run, 'end', alive), finishSysstat(run, sysstat, loop.stopped !== null)]);
  const endedAt = new Date().toISOString();
  await run.outputs.close();

  if (loop.stopped?.reason === 'pid-exited') {
    const when = `PID ${target.pid} exited at ${loop.stopped.at}`;
    warn(run, `${when}: stopped after ${loop.taken} of ${planned} samples; what was written is kept`);
  } else if (loop.stopped) {
    warn(run, `stopped early (${loop.stopped.reason}) after ${loop.taken} of ${planned} samples`);
  }
  const listened = run.outputs.has('listen-queue.log') || run.outputs.has('listen-queue-proc.log');
  if (options.port !== null && !listened) {
    run.notWritten.push({ file: 'listen-queue.log', reason: `no listener on port ${options.port} was seen` });
    warn(run, `no listener on port ${options.port} was seen: listen-queue.log not written`);
  }
  if (loop.missed > 0) run.notes.push(`${loop.missed} samples were skipped because a sample ran late`);
  missingToolNotes(run);
  const diagnoseCheck = await checkFolder(run);
  const manifest: SampleManifest = {
    schemaVersion: 1,
    fleetlensVersion: packageVersion,
    pid: target.pid,
    command: target.command,
    port: options.port,
    startedAt,
    endedAt,
    intervalSec: options.intervalMs / 1000,
    durationSec: options.durationMs / 1000,
    samples: { planned, taken: loop.taken, missed: loop.missed },
    stoppedEarly: loop.stopped,
    tools: { used, missing },
    commands: run.commands,
    files: await fileStats(run.outputs.dir, MANIFEST_FILE),
    notWritten: uniqueEntries(run.notWritten),
    notes: run.notes,
    children: options.children !== false,
    processes: run.tree.processes(),
    diagnoseCheck,
  };
  await writeFile(run.outputs.path(MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  const summary = { out: options.out, samples: loop.taken, files: Object.keys(manifest.files).length };
  log.info({ ...summary, gaps: diagnoseCheck.gaps.length }, 'sample done');
  return { out: options.out, manifest, warnings: run.warnings };
}

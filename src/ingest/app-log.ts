import { type SampleSource, toSampleStream } from './gz.ts';
import { readLines } from './lines.ts';
import { isoMs, utcMs } from './time.ts';
import type { AppLog, AppLogEvent, AppLogEventKind } from './types.ts';

export interface AppLogDetector {
  kind: AppLogEventKind;
  pattern: RegExp;
}

/**
 * What each event looks like, first match wins (one event per line). The worker-timeout,
 * gevent-blocked, asyncio-slow-callback and cant-start-thread patterns are the `detectRegex` of
 * knowledge/runtimes.json with Python's `(?P<name>` written as `(?<name>`.
 */
export const appLogDetectors: readonly AppLogDetector[] = [
  { kind: 'worker-timeout', pattern: /WORKER TIMEOUT \(pid:(?<pid>\d+)\)/ },
  {
    kind: 'gevent-blocked',
    pattern: /(?<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) : Greenlet (?<greenlet>.+) appears to be blocked/,
  },
  { kind: 'asyncio-slow-callback', pattern: /Executing (?<handle>.+) took (?<seconds>\d+\.\d{3}) seconds/ },
  { kind: 'cant-start-thread', pattern: /RuntimeError: can't start new thread/ },
  // errno 23 ENFILE / 24 EMFILE: the system-wide and the per-process fd limit
  { kind: 'enfile', pattern: /Too many open files in system|\[Errno 23\]|\bENFILE\b/ },
  { kind: 'emfile', pattern: /Too many open files|\[Errno 24\]|\bEMFILE\b/ },
  {
    kind: 'connection-reset',
    pattern: /BrokenPipeError|ConnectionResetError|Connection reset by peer|Broken pipe|\[Errno (?:32|104)\]/,
  },
  { kind: 'timeout', pattern: /TimeoutError|socket\.timeout|\btimed out\b/ },
  { kind: 'traceback', pattern: /Traceback \(most recent call last\):/ },
];

const maxLineChars = 500;

// Python logging (`2026-11-24T08:01:02.345Z`, or asctime's `2026-11-24 08:01:02,345`), the gevent
// monitor (`2026-11-24T08:01:02Z : Greenlet ...`) and gunicorn (`[2026-11-24 08:01:02 +0000] [123] ...`).
const leadingTime = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?)(Z|[+-]\d\d:?\d\d)?(?:\s|$)/;
const gunicornTime = /^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([+-]\d{4})\]/;

/** The time a line starts with; null for a line without one (a traceback continuation). */
function lineTimeMs(line: string): number | null {
  const gunicorn = gunicornTime.exec(line);
  const python = gunicorn ? null : leadingTime.exec(line);
  let timeMs = Number.NaN;
  if (gunicorn) timeMs = isoMs(`${gunicorn[1]}${gunicorn[2]}`);
  else if (python?.[2]) timeMs = isoMs(`${python[1]}${python[2]}`);
  else if (python) timeMs = utcMs(python[1] ?? '');
  return Number.isNaN(timeMs) ? null : timeMs;
}

const declaredBacklog = /\bbacklog[=:]\s*(\d+)/;
const usingWorker = /Using worker: ([\w.]+)/;
// A Python stack frame (`  File "app.py", line 30, in accept`) and the code line under it.
const frameLine = /^\s*File "(?<file>[^"]+)", line (?<line>\d+), in (?<func>.+)$/;

const declaredWorkers = /\bworkers[=:]\s*(\d+)/;
// gunicorn arbiter: "Booting worker with pid: %s", then "Worker (pid:%s) exited ..." / "was sent ..."
const bootedWorker = /Booting worker with pid: (\d+)/;
const workerGone = /Worker \(pid:\d+\) (?:exited|was sent)|WORKER TIMEOUT/;

interface StartupFacts {
  backlog: number | null;
  workers: number | null;
  /** Workers gunicorn booted before the first one died: the configured count when none is printed. */
  bootedPids: Set<string>;
  bootDone: boolean;
}

function noteStartup(line: string, facts: StartupFacts): void {
  facts.backlog ??= numberOrNull(declaredBacklog.exec(line)?.[1]);
  facts.workers ??= numberOrNull(declaredWorkers.exec(line)?.[1]);
  if (facts.bootDone) return;
  if (workerGone.test(line)) facts.bootDone = true;
  const booted = bootedWorker.exec(line)?.[1];
  if (booted) facts.bootedPids.add(booted);
}

function numberOrNull(text: string | undefined): number | null {
  return text === undefined ? null : Number(text);
}

function eventOf(line: string, lineNo: number, timeMs: number | null): AppLogEvent | null {
  for (const { kind, pattern } of appLogDetectors) {
    const match = pattern.exec(line);
    if (!match) continue;
    const event: AppLogEvent = { kind, timeMs, lineNo, line: line.slice(0, maxLineChars) };
    const seconds = match.groups?.seconds;
    if (seconds !== undefined) event.seconds = Number(seconds);
    return event;
  }
  return null;
}

/**
 * Reads an application log line by line (plain or gzipped, streamed): Python logging lines plus
 * what the runtime prints (tracebacks, asyncio debug warnings, gevent monitor reports, gunicorn
 * arbiter lines). A line without its own time inherits the last time seen. Every event is kept.
 */
export async function parseAppLog(input: SampleSource, file: string): Promise<AppLog> {
  const log: AppLog = {
    lines: 0,
    firstTimeMs: null,
    lastTimeMs: null,
    events: [],
    declaredBacklog: null,
    declaredWorkers: null,
    workerClass: null,
  };
  const facts: StartupFacts = { backlog: null, workers: null, bootedPids: new Set(), bootDone: false };
  const stack = new StackTracker();
  let lastTimeMs: number | null = null;
  for await (const line of readLines(toSampleStream(input, file))) {
    log.lines += 1;
    const ownTimeMs = lineTimeMs(line);
    if (ownTimeMs !== null) {
      lastTimeMs = ownTimeMs;
      log.firstTimeMs = Math.min(log.firstTimeMs ?? ownTimeMs, ownTimeMs);
      log.lastTimeMs = Math.max(log.lastTimeMs ?? ownTimeMs, ownTimeMs);
    }
    noteStartup(line, facts);
    log.workerClass ??= usingWorker.exec(line)?.[1] ?? null;
    const event = eventOf(line, log.lines, lastTimeMs);
    stack.next(line, ownTimeMs !== null, event);
    if (event) log.events.push(event);
  }
  log.declaredBacklog = facts.backlog;
  log.declaredWorkers = facts.workers ?? (facts.bootedPids.size || null);
  return log;
}

/**
 * Follows Python stacks through the log: an error line gets the innermost frame of the traceback
 * above it; a gevent report gets the innermost frame of the `Blocked Stack` below it (the frame
 * that held the hub). A line with its own time, or a new report, ends a stack.
 */
class StackTracker {
  private lastFrame: string | null = null;
  private pendingCode = false;
  private inTraceback = false;
  /** The gevent report whose `Blocked Stack` is being read. */
  private report: AppLogEvent | null = null;

  next(line: string, timed: boolean, event: AppLogEvent | null): void {
    if (event?.kind === 'gevent-blocked') {
      this.report = event;
      this.reset();
      return;
    }
    if (event?.kind === 'traceback') {
      this.report = null;
      this.reset();
      this.inTraceback = true;
      return;
    }
    if (this.report && (timed || /^=+$|^Info:/.test(line.trim()))) {
      this.report = null;
      this.reset();
    }
    const frame = frameLine.exec(line);
    if (frame?.groups && (this.report || this.inTraceback)) {
      const { file, line: lineNo, func } = frame.groups;
      this.lastFrame = `${func} (${file}:${lineNo})`;
      this.pendingCode = true;
      if (this.report) this.report.frame = this.lastFrame;
      return;
    }
    if (this.pendingCode && this.lastFrame && /^\s{4,}\S/.test(line)) {
      this.lastFrame = `${this.lastFrame}: ${line.trim().slice(0, 200)}`;
      if (this.report) this.report.frame = this.lastFrame;
      this.pendingCode = false;
      return;
    }
    this.pendingCode = false;
    if (event && this.inTraceback && this.lastFrame) {
      event.frame = this.lastFrame;
      this.reset();
    } else if (timed && !event) this.reset();
  }

  private reset(): void {
    this.lastFrame = null;
    this.pendingCode = false;
    this.inTraceback = false;
  }
}

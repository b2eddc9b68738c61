import { SampleError } from '../errors.ts';
import { inSampleRange } from './columns.ts';
import type { SampleSource } from './gz.ts';
import { type LineReader, quoteLine, readStreamLines } from './lines.ts';
import { PartialSampleError } from './partial-sample-error.ts';
import { noteServerConfig, serverConfigState } from './server-config.ts';
import { isoMs, isSampleTime, utcMs } from './time.ts';
import type { AppLog, AppLogEvent, AppLogEventKind } from './types.ts';

/**
 * Events kept with their lines: a log that repeats one error a million times is counted whole
 * (`eventCounts`) but only this many of its lines are held, which is far more than any excerpt shows.
 */
export const MAX_APP_LOG_EVENTS = 20_000;

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
  // A time a report cannot print (year 0000 in a zone west of UTC) is no time.
  return isSampleTime(timeMs) ? timeMs : null;
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
  if (booted && facts.bootedPids.size < 10_000) facts.bootedPids.add(booted);
}

/** A number the app printed (a backlog, a worker count); null when absent or beyond any real setting. */
function numberOrNull(text: string | undefined): number | null {
  const value = text === undefined ? Number.NaN : Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

function eventOf(line: string, lineNo: number, timeMs: number | null): AppLogEvent | null {
  for (const { kind, pattern } of appLogDetectors) {
    const match = pattern.exec(line);
    if (!match) continue;
    const event: AppLogEvent = { kind, timeMs, lineNo, line: line.slice(0, maxLineChars) };
    const seconds = match.groups?.seconds;
    if (seconds !== undefined) {
      const value = Number(seconds);
      if (!inSampleRange(value)) {
        throw new SampleError(`step time ${quoteLine(seconds)} s is not a finite number in range`, '');
      }
      event.seconds = value;
    }
    return event;
  }
  return null;
}

/**
 * Reads an application log line by line: Python logging lines plus what the runtime prints
 * (tracebacks, asyncio debug warnings, gevent monitor reports, gunicorn arbiter lines). A line
 * without its own time inherits the last time seen. Every event is counted; the first
 * MAX_APP_LOG_EVENTS are kept with their lines.
 */
export function appLogReader(file: string): LineReader<AppLog> {
  const log: AppLog = {
    lines: 0,
    firstTimeMs: null,
    lastTimeMs: null,
    events: [],
    eventCounts: {},
    declaredBacklog: null,
    declaredWorkers: null,
    workerClass: null,
  };
  const facts: StartupFacts = { backlog: null, workers: null, bootedPids: new Set(), bootDone: false };
  const stack = new StackTracker();
  const server = serverConfigState();
  let lastTimeMs: number | null = null;
  let counted = 0;
  return {
    line(line, lineNo) {
      log.lines = lineNo;
      const ownTimeMs = lineTimeMs(line);
      if (ownTimeMs !== null) {
        lastTimeMs = ownTimeMs;
        log.firstTimeMs = Math.min(log.firstTimeMs ?? ownTimeMs, ownTimeMs);
        log.lastTimeMs = Math.max(log.lastTimeMs ?? ownTimeMs, ownTimeMs);
      }
      noteStartup(line, facts);
      noteServerConfig(line, lineNo, server);
      log.workerClass ??= usingWorker.exec(line)?.[1]?.slice(0, 100) ?? null;
      const event = eventOf(line, lineNo, lastTimeMs);
      stack.next(line, ownTimeMs !== null, event);
      if (!event) return;
      log.eventCounts[event.kind] = (log.eventCounts[event.kind] ?? 0) + 1;
      counted += 1;
      if (log.events.length < MAX_APP_LOG_EVENTS) log.events.push(event);
      else stack.forget(event);
      return undefined;
    },
    end() {
      log.declaredBacklog = facts.backlog;
      log.declaredWorkers = facts.workers ?? (facts.bootedPids.size || null);
      if (Object.keys(server.config.lines).length > 0) log.serverConfig = server.config;
      if (counted > log.events.length) {
        const kept = log.events.length.toLocaleString('en-US');
        throw new PartialSampleError(
          `${counted.toLocaleString('en-US')} events: the first ${kept} are kept with their lines, all are counted`,
          file,
          log,
        );
      }
      return log;
    },
  };
}

/** Reads an app log (plain or gzipped, streamed); see appLogReader. */
export function parseAppLog(input: SampleSource, file: string): Promise<AppLog> {
  return readStreamLines(input, file, appLogReader(file));
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

  /** An event that is counted but not kept: the stack must not write into it. */
  forget(event: AppLogEvent): void {
    if (this.report === event) this.report = null;
  }

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

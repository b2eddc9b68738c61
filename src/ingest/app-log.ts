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
  };
  const facts: StartupFacts = { backlog: null, workers: null, bootedPids: new Set(), bootDone: false };
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
    const event = eventOf(line, log.lines, lastTimeMs);
    if (event) log.events.push(event);
  }
  log.declaredBacklog = facts.backlog;
  log.declaredWorkers = facts.workers ?? (facts.bootedPids.size || null);
  return log;
}

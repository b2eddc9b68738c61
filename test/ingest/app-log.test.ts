import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { appLogDetectors, parseAppLog } from '../../src/ingest/app-log.ts';
import { hostSample } from './shared-files.ts';

const ms = (iso: string) => Date.parse(iso);

describe('parseAppLog on the host samples', () => {
  it('reads the thread-pool app: its declared pool and backlog, and the broken pipes', async () => {
    const log = await parseAppLog(readFileSync(hostSample('threadpool-starvation', 'app.log')), 'app.log');
    expect(log.lines).toBe(780);
    expect([log.declaredWorkers, log.declaredBacklog]).toEqual([16, 1024]);
    expect([log.firstTimeMs, log.lastTimeMs]).toEqual([
      ms('2026-11-24T08:46:42.207Z'),
      ms('2026-11-24T08:49:17.217Z'),
    ]);
    expect(log.events).toHaveLength(777);
    expect(log.events.every((event) => event.kind === 'connection-reset')).toBe(true);
    expect(log.events[0]).toMatchObject({ lineNo: 2, timeMs: ms('2026-11-24T08:47:40.284Z') });
  });

  it('finds nothing to report in the healthy asyncio app', async () => {
    const log = await parseAppLog(readFileSync(hostSample('healthy', 'app.log'), 'utf8'), 'app.log');
    expect(log).toEqual({
      lines: 3,
      firstTimeMs: ms('2026-11-24T08:40:51.116Z'),
      lastTimeMs: ms('2026-11-24T08:43:15.737Z'),
      events: [],
      eventCounts: {},
      declaredBacklog: null,
      declaredWorkers: null,
      workerClass: null,
    });
  });
});

describe('parseAppLog stack frames', () => {
  it('gives a gevent report the innermost frame of its Blocked Stack, and notes the worker class', async () => {
    const log = await parseAppLog(
      [
        '[2026-11-24 08:00:00 +0000] [10] [INFO] Using worker: gevent',
        '================================================================================',
        '2026-11-24T08:00:03Z : Greenlet <Greenlet at 0x7f: handler> appears to be blocked',
        '    Reported by <gevent._monitor.PeriodicMonitoringThread>',
        'Blocked Stack (for thread id 0x7f12):',
        '  File "/usr/lib/python3/dist-packages/gevent/pywsgi.py", line 990, in handle_one_response',
        '    self.run_application()',
        '  File "/srv/app.py", line 41, in slow_hash',
        '    return hashlib.pbkdf2_hmac("sha256", b"pw", b"salt", 2_000_000)',
        '',
        'Info:',
        '  File "/srv/other.py", line 1, in not_part_of_it',
        '2026-11-24T08:00:04.000Z INFO app [10:MainThread] served',
      ].join('\n'),
      'app.log',
    );
    expect(log.workerClass).toBe('gevent');
    expect(log.events.map((e) => [e.kind, e.frame])).toEqual([
      [
        'gevent-blocked',
        'slow_hash (/srv/app.py:41): return hashlib.pbkdf2_hmac("sha256", b"pw", b"salt", 2_000_000)',
      ],
    ]);
  });

  it('gives an error line the frame that raised it', async () => {
    const log = await parseAppLog(
      [
        '2026-11-24T08:00:02.500Z ERROR app [1:MainThread] accept failed',
        'Traceback (most recent call last):',
        '  File "/srv/app.py", line 30, in serve',
        '    conn, _ = sock.accept()',
        '  File "/usr/lib/python3.11/socket.py", line 294, in accept',
        '    fd, addr = self._accept()',
        'OSError: [Errno 24] Too many open files',
        '2026-11-24T08:00:03.000Z ERROR app [1:MainThread] no frame here: [Errno 24] Too many open files',
      ].join('\n'),
      'app.log',
    );
    expect(log.events.filter((e) => e.kind === 'emfile').map((e) => e.frame)).toEqual([
      'accept (/usr/lib/python3.11/socket.py:294): fd, addr = self._accept()',
      undefined,
    ]);
  });
});

const runtimeLog = [
  '2026-11-24T08:00:00.000Z INFO app [1:MainThread] listening on 127.0.0.1:8000 backlog=128',
  "2026-11-24T08:00:01.000Z WARNING asyncio [1:MainThread] Executing <Task pending name='Task-5'> took 0.523 seconds",
  '2026-11-24T08:00:02.500Z ERROR app [1:MainThread] accept failed',
  'Traceback (most recent call last):',
  '  File "app.py", line 30, in accept',
  'OSError: [Errno 24] Too many open files',
  '2026-11-24T08:00:03Z : Greenlet <Greenlet at 0x7f: handler> appears to be blocked',
  '    Reported by <gevent._monitor.PeriodicMonitoringThread>',
  '[2026-11-24 08:00:04 +0000] [10] [CRITICAL] WORKER TIMEOUT (pid:12)',
  '[2026-11-24 09:00:05 +0100] [10] [ERROR] OSError: [Errno 23] Too many open files in system',
  "RuntimeError: can't start new thread",
  'ConnectionResetError: [Errno 104] Connection reset by peer',
  '2026-11-24 08:00:06,250 ERROR upstream call: TimeoutError: timed out',
].join('\n');

describe('parseAppLog on runtime output', () => {
  it('tells each event kind, and gives lines without a time the last time seen', async () => {
    const log = await parseAppLog(runtimeLog, 'app.log');
    const events = log.events.map(({ kind, lineNo, timeMs, seconds }) => ({ kind, lineNo, timeMs, seconds }));
    expect(events).toEqual([
      { kind: 'asyncio-slow-callback', lineNo: 2, timeMs: ms('2026-11-24T08:00:01Z'), seconds: 0.523 },
      { kind: 'traceback', lineNo: 4, timeMs: ms('2026-11-24T08:00:02.500Z'), seconds: undefined },
      { kind: 'emfile', lineNo: 6, timeMs: ms('2026-11-24T08:00:02.500Z'), seconds: undefined },
      { kind: 'gevent-blocked', lineNo: 7, timeMs: ms('2026-11-24T08:00:03Z'), seconds: undefined },
      { kind: 'worker-timeout', lineNo: 9, timeMs: ms('2026-11-24T08:00:04Z'), seconds: undefined },
      { kind: 'enfile', lineNo: 10, timeMs: ms('2026-11-24T08:00:05Z'), seconds: undefined },
      { kind: 'cant-start-thread', lineNo: 11, timeMs: ms('2026-11-24T08:00:05Z'), seconds: undefined },
      { kind: 'connection-reset', lineNo: 12, timeMs: ms('2026-11-24T08:00:05Z'), seconds: undefined },
      { kind: 'timeout', lineNo: 13, timeMs: ms('2026-11-24T08:00:06.250Z'), seconds: undefined },
    ]);
    expect([log.lines, log.firstTimeMs, log.lastTimeMs]).toEqual([
      13,
      ms('2026-11-24T08:00:00Z'),
      ms('2026-11-24T08:00:06.250Z'),
    ]);
    expect(log.declaredBacklog).toBe(128);
  });

  it('counts the workers gunicorn boots before the first one dies', async () => {
    const stamp = '[2026-11-24 08:00:00 +0000]';
    const text = [
      `${stamp} [10] [INFO] Starting gunicorn 23.0.0`,
      `${stamp} [10] [INFO] Listening at: http://127.0.0.1:8000 (10)`,
      `${stamp} [10] [INFO] Using worker: gevent`,
      `${stamp} [11] [INFO] Booting worker with pid: 11`,
      `${stamp} [12] [INFO] Booting worker with pid: 12`,
      `${stamp} [10] [CRITICAL] WORKER TIMEOUT (pid:11)`,
      `${stamp} [13] [INFO] Booting worker with pid: 13`,
    ].join('\n');
    const log = await parseAppLog(text, 'app.log');
    expect(log.declaredWorkers).toBe(2);
    expect(log.events.map((event) => event.kind)).toEqual(['worker-timeout']);
  });

  it('reads a gzipped log and trims the stored line to 500 characters', async () => {
    const long = `2026-11-24T08:00:00Z ERROR app OSError: [Errno 24] Too many open files ${'x'.repeat(2000)}`;
    const log = await parseAppLog(gzipSync(`${long}\n`), 'app.log.gz');
    expect(log.events).toHaveLength(1);
    expect(log.events[0]?.line).toHaveLength(500);
  });

  it('rejects a cut gzip instead of returning what it read so far as the whole log', async () => {
    const gz = gzipSync(readFileSync(hostSample('threadpool-starvation', 'app.log')));
    await expect(parseAppLog(gz.subarray(0, gz.length / 2), 'app.log.gz')).rejects.toThrow(
      'unexpected end of gzip data',
    );
  });

  it('reads an empty log as no lines', async () => {
    expect(await parseAppLog('', 'app.stdout.log')).toMatchObject({
      lines: 0,
      events: [],
      firstTimeMs: null,
    });
  });
});

describe('appLogDetectors', () => {
  it('carries every detectRegex of knowledge/runtimes.json', () => {
    const runtimes: { detectRegex?: string }[] = JSON.parse(
      readFileSync(new URL('../../src/knowledge/runtimes.json', import.meta.url), 'utf8'),
    );
    const sources = appLogDetectors.map((detector) => detector.pattern.source);
    const known = runtimes.flatMap((entry) =>
      entry.detectRegex ? [entry.detectRegex.replaceAll('(?P<', '(?<')] : [],
    );
    expect(known.length).toBeGreaterThanOrEqual(4);
    for (const pattern of known) expect(sources).toContain(pattern);
  });
});

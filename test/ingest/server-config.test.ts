// The concurrency settings a server prints about itself: gunicorn's configuration dump and puma's
// banner, read from app.log; an app's own `threads=2` stats line is not a setting.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAppLog } from '../../src/ingest/app-log.ts';
import { parseServerConfig } from '../../src/ingest/server-config.ts';

// gunicorn/arbiter.py logs "Current configuration:" and then "  name: value" per setting at --log-level debug.
const GUNICORN_DEBUG = [
  '[2026-12-06 00:23:51 +0000] [16957] [DEBUG] Current configuration:',
  '  config: ./gunicorn.conf.py',
  "  bind: ['127.0.0.1:8040']",
  '  backlog: 2048',
  '  workers: 3',
  '  worker_class: gthread',
  '  threads: 4',
  '  worker_connections: 1000',
  '  timeout: 30',
  '[2026-12-06 00:23:51 +0000] [16957] [INFO] Starting gunicorn 20.1.0',
  '[2026-12-06 00:23:51 +0000] [16957] [INFO] Using worker: gthread',
].join('\n');

const PUMA_CLUSTER = [
  '[31000] Puma starting in cluster mode...',
  '[31000] * Puma version: 6.4.0 (ruby 3.2.2-p53) ("The Eagle of Durango")',
  '[31000] *  Min threads: 5',
  '[31000] *  Max threads: 8',
  '[31000] *  Environment: production',
  '[31000] *   Master PID: 31000',
  '[31000] *      Workers: 2',
].join('\n');

describe('parseServerConfig', () => {
  it("reads gunicorn's configuration dump, with the line each setting came from", () => {
    expect(parseServerConfig(GUNICORN_DEBUG)).toEqual({
      server: 'gunicorn',
      workers: 3,
      threads: 4,
      workerClass: 'gthread',
      workerConnections: 1000,
      lines: { workers: 5, workerClass: 6, threads: 7, workerConnections: 8 },
    });
  });

  it("reads puma's banner in cluster mode, and puma 5's one-line min/max", () => {
    expect(parseServerConfig(PUMA_CLUSTER)).toMatchObject({ server: 'puma', workers: 2, threads: 8 });
    expect(parseServerConfig('* Min threads: 0, max threads: 16')).toMatchObject({
      threads: 16,
      workers: null,
    });
  });

  it("does not take an app's stats line or a setting outside the dump for a setting", () => {
    const stats = [
      '2026-11-24T22:38:28.896Z INFO app [31800:MainThread] served=0 in_flight=0 queue=0 errors=0 threads=2',
      '  threads: 9',
      '2026-11-24T22:38:29Z INFO app [1:MainThread] workers: 4',
    ].join('\n');
    expect(parseServerConfig(stats)).toMatchObject({ server: null, threads: null, workers: null });
  });

  it('ends the dump at the first line that is not indented', () => {
    const text = `${GUNICORN_DEBUG.split('\n').slice(0, 3).join('\n')}\n[x] [1] [INFO] Booting worker\n  threads: 7`;
    expect(parseServerConfig(text).threads).toBeNull();
  });

  it('reaches the app log reader: app.log carries serverConfig only when the server printed one', async () => {
    const withDump = await parseAppLog(GUNICORN_DEBUG, 'app.log');
    expect(withDump.serverConfig).toMatchObject({ workers: 3, threads: 4, workerClass: 'gthread' });
    expect(withDump.workerClass).toBe('gthread');
    const without = await parseAppLog('2026-11-24T08:00:00Z INFO app [1:MainThread] threads=2', 'app.log');
    expect(without.serverConfig).toBeUndefined();
  });
});

describe('parseServerConfig properties', () => {
  it('never throws, and every value it gives is a positive whole number or a short class name', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 80 }), { maxLength: 30 }), (lines) => {
        const config = parseServerConfig(['  Current configuration:', ...lines].join('\n'));
        for (const value of [config.workers, config.threads, config.workerConnections])
          expect(value === null || (Number.isSafeInteger(value) && value > 0)).toBe(true);
        expect(config.workerClass === null || config.workerClass.length <= 100).toBe(true);
      }),
    );
  });

  it('gives back the settings of any dump, wherever they sit among other settings', () => {
    const setting = fc.constantFrom('bind', 'timeout', 'keepalive', 'max_requests');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 512 }),
        fc.integer({ min: 1, max: 256 }),
        fc.array(fc.tuple(setting, fc.nat(1000)), { maxLength: 6 }),
        (workers, threads, noise) => {
          const other = noise.map(([name, value]) => `  ${name}: ${value}`);
          const text = [
            '[t] [1] [DEBUG] Current configuration:',
            ...other,
            `  workers: ${workers}`,
            ...other,
            `  threads: ${threads}`,
            '[t] [1] [INFO] Starting gunicorn',
          ].join('\n');
          const config = parseServerConfig(text);
          expect([config.workers, config.threads]).toEqual([workers, threads]);
          expect(config.lines.workers).toBe(2 + other.length);
        },
      ),
    );
  });
});

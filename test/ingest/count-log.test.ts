import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCountLog } from '../../src/ingest/count-log.ts';
import { hostSample, utc } from './shared-files.ts';

describe('parseCountLog on the host samples', () => {
  it.each([
    ['healthy', 31561, 135, 1, 10],
    ['cpu-saturation', 25797, 130, 1, 10],
    ['disk-saturation', 30263, 130, 1, 10],
    ['threadpool-starvation', 32407, 145, 18, 464],
  ] as const)(
    'reads %s: PID %i, %i seconds, peak threads and fds',
    (folder, pid, lines, maxThreads, lastFds) => {
      const threads = parseCountLog(
        readFileSync(hostSample(folder, 'threads.log'), 'utf8'),
        'threads.log',
        'Threads',
      );
      const fds = parseCountLog(readFileSync(hostSample(folder, 'fds.log'), 'utf8'), 'fds.log', 'FDs');
      expect(threads.pids).toEqual([pid]);
      expect(threads.values).toHaveLength(lines);
      expect(Math.max(...threads.values)).toBe(maxThreads);
      expect(fds.pids).toEqual([pid]);
      expect(fds.values.at(-1)).toBe(lastFds);
      expect(fds.timesMs).toEqual(threads.timesMs);
    },
  );

  it('sees the thread pool fill up: 2 threads, then 18 from 08:47:06', () => {
    const text = readFileSync(hostSample('threadpool-starvation', 'threads-proc-status.log'), 'utf8');
    const threads = parseCountLog(text, 'threads-proc-status.log', 'Threads');
    expect(threads.values[0]).toBe(2);
    expect(threads.timesMs[threads.values.indexOf(18)]).toBe(utc('2026-11-24 08:47:06'));
  });
});

describe('parseCountLog on odd and broken logs', () => {
  it('lists each PID when the app restarts mid-log', () => {
    const text = [
      '2026-11-24 08:00:00 - PID: 100, Threads: 4',
      '2026-11-24 08:00:01 - PID: 100, Threads: 5',
      '2026-11-24 08:00:02 - PID: 200, Threads: 1',
    ].join('\n');
    const log = parseCountLog(text, 'threads.log', 'Threads');
    expect(log.pids).toEqual([100, 200]);
    expect(log.values).toEqual([4, 5, 1]);
    expect(log.timesMs).toEqual([
      utc('2026-11-24 08:00:00'),
      utc('2026-11-24 08:00:01'),
      utc('2026-11-24 08:00:02'),
    ]);
  });

  it('names the first bad line', () => {
    const text = ['2026-11-24 08:00:00 - PID: 100, FDs: 4', 'ls: cannot access /proc/100/fd', ''].join('\n');
    expect(() => parseCountLog(text, 'fds.log', 'FDs')).toThrow(
      expect.objectContaining({
        file: 'fds.log',
        line: 2,
        message: expect.stringContaining('"ls: cannot access'),
      }),
    );
  });

  it('rejects an fd log under the threads name', () => {
    const text = readFileSync(hostSample('healthy', 'fds.log'), 'utf8');
    expect(() => parseCountLog(text, 'threads.log', 'Threads')).toThrow(expect.objectContaining({ line: 1 }));
  });

  it('rejects an empty log', () => {
    expect(() => parseCountLog('\n', 'threads.log', 'Threads')).toThrow(
      'no "PID: <pid>, Threads: <n>" lines',
    );
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFdCount } from '../../src/ingest/fd-count.ts';
import { hostSample } from './shared-files.ts';

describe('parseFdCount', () => {
  it.each([
    ['healthy', 10, '2026-11-24T08:40:57.911Z', 10, '2026-11-24T08:43:14.415Z'],
    ['threadpool-starvation', 6, '2026-11-24T08:46:49.104Z', 453, '2026-11-24T08:49:15.608Z'],
  ] as const)('reads %s: fds at the start and the end', (folder, start, startTime, end, endTime) => {
    const read = (file: string) => parseFdCount(readFileSync(hostSample(folder, file), 'utf8'), file);
    expect(read('app-fd-count-start.txt')).toEqual({ count: start, timeMs: Date.parse(startTime) });
    expect(read('app-fd-count-end.txt')).toEqual({ count: end, timeMs: Date.parse(endTime) });
  });

  it('reads a bare count, without a time', () => {
    expect(parseFdCount('453\n', 'app-fd-count-end.txt')).toEqual({ count: 453, timeMs: null });
  });

  it('rejects anything else', () => {
    expect(() => parseFdCount('ls: cannot access /proc/1/fd\n', 'app-fd-count-end.txt')).toThrow(
      expect.objectContaining({ line: 1 }),
    );
  });
});

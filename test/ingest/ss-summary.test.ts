import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSsSummary } from '../../src/ingest/ss-summary.ts';
import { hostSample } from './shared-files.ts';

describe('parseSsSummary', () => {
  it('reads the thread-pool capture: 449 established at the end', () => {
    const read = (file: string) =>
      parseSsSummary(readFileSync(hostSample('threadpool-starvation', file), 'utf8'), file);
    expect(read('ss-s-end.txt')).toEqual({
      total: 463,
      tcpTotal: 962,
      estab: 449,
      closed: 508,
      orphaned: 0,
      timewait: 508,
    });
    expect(read('ss-s-start.txt')).toMatchObject({ total: 15, tcpTotal: 111, estab: 2 });
  });

  it('reads the older layout with synrecv and timewait/tw-buckets', () => {
    const text =
      'Total: 200 (kernel 300)\nTCP:   12 (estab 5, closed 3, orphaned 1, synrecv 0, timewait 3/0), ports 0\n';
    expect(parseSsSummary(text, 'ss-s.txt')).toEqual({
      total: 200,
      tcpTotal: 12,
      estab: 5,
      closed: 3,
      orphaned: 1,
      timewait: 3,
    });
  });

  it('rejects other text', () => {
    expect(() => parseSsSummary('State Recv-Q Send-Q\n', 'ss-s-end.txt')).toThrow('expected "Total: <n>"');
    expect(() => parseSsSummary('Total: 1\nTCP: 1 (estab 1)\n', 'ss-s-end.txt')).toThrow(
      expect.objectContaining({ line: 2, message: 'TCP line has no "closed <n>"' }),
    );
  });
});

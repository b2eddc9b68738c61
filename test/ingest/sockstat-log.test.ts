import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSockstatLog } from '../../src/ingest/sockstat-log.ts';
import { conformance, hostSample, utc } from './shared-files.ts';

describe('parseSockstatLog', () => {
  it.each([
    ['healthy', 135, 8, 53],
    ['cpu-saturation', 130, 8, 62],
    ['disk-saturation', 130, 8, 72],
    ['threadpool-starvation', 145, 7, 55],
  ] as const)('reads %s: one TCP record a second', (folder, records, inuse, timeWait) => {
    const log = parseSockstatLog(readFileSync(hostSample(folder, 'sockstat.log'), 'utf8'), 'sockstat.log');
    expect(log.timesMs).toHaveLength(records);
    expect([log.tcpInuse[0], log.tcpOrphan[0], log.tcpTimeWait[0], log.tcpAlloc[0]]).toEqual([
      inuse,
      0,
      timeWait,
      inuse,
    ]);
  });

  it('sees the 300 clients connect in the thread-pool capture', () => {
    const log = parseSockstatLog(
      readFileSync(hostSample('threadpool-starvation', 'sockstat.log'), 'utf8'),
      's',
    );
    expect(Math.max(...log.tcpInuse)).toBeGreaterThan(300);
  });

  it("reads another kernel's /proc/net/sockstat with times put in front", () => {
    const proc = readFileSync(conformance('node_exporter/proc/net/sockstat'), 'utf8');
    const text = proc
      .trim()
      .split('\n')
      .map((line) => `2026-11-24 08:00:00 ${line}`)
      .join('\n');
    const log = parseSockstatLog(text, 'sockstat.log');
    expect(log).toEqual({
      timesMs: [utc('2026-11-24 08:00:00')],
      tcpInuse: [4],
      tcpOrphan: [0],
      tcpTimeWait: [4],
      tcpAlloc: [17],
    });
  });

  it('names a line without a time', () => {
    const text = '2026-11-24 08:00:00 TCP: inuse 7 orphan 0 tw 55 alloc 7 mem 60\nTCP: inuse 7 orphan 0\n';
    expect(() => parseSockstatLog(text, 'sockstat.log')).toThrow(expect.objectContaining({ line: 2 }));
  });
});

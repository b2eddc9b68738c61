import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLagCsv } from '../../src/ingest/lag-csv.ts';
import { hostSample } from './shared-files.ts';

describe('parseLagCsv', () => {
  it.each([
    ['healthy', 1433, '2026-11-24T08:40:51.217Z', 0.000536],
    ['cpu-saturation', 1377, '2026-11-24T08:19:50.772Z', 0.000617],
    ['disk-saturation', 1381, '2026-11-24T08:32:08.555Z', 0.000731],
  ] as const)('reads %s: one row per 100 ms tick', (folder, rows, first, lag) => {
    const series = parseLagCsv(readFileSync(hostSample(folder, 'lag.csv'), 'utf8'), 'lag.csv');
    expect(series.timesMs).toHaveLength(rows);
    expect(series.timesMs[0]).toBe(Date.parse(first));
    expect(series.lagSec[0]).toBe(lag);
  });

  it('sees the CPU saturation as loop lag', () => {
    const healthy = parseLagCsv(readFileSync(hostSample('healthy', 'lag.csv'), 'utf8'), 'lag.csv');
    const saturated = parseLagCsv(readFileSync(hostSample('cpu-saturation', 'lag.csv'), 'utf8'), 'lag.csv');
    expect(Math.max(...saturated.lagSec)).toBeGreaterThan(Math.max(...healthy.lagSec));
  });

  it('reads rows without a header, falling back to unix_ts', () => {
    const series = parseLagCsv(
      '2026-11-24T08:40:51.217Z,1795509651.218,0.5\n,1795509651.318,0.25\n',
      'lag.csv',
    );
    expect(series).toEqual({
      timesMs: [Date.parse('2026-11-24T08:40:51.217Z'), 1795509651318],
      lagSec: [0.5, 0.25],
    });
  });

  it('names a bad row', () => {
    const text = 'utc_iso,unix_ts,lag_seconds\n2026-11-24T08:40:51.217Z,1795509651.218,0.5\nTraceback\n';
    expect(() => parseLagCsv(text, 'lag.csv')).toThrow(expect.objectContaining({ line: 3 }));
  });
});

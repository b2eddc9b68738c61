import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIostatJson } from '../../src/ingest/iostat-json.ts';
import { conformance, hostSample, utc } from './shared-files.ts';

describe('parseIostatJson on the host samples', () => {
  it.each([
    ['healthy', 136, '2026-11-24 08:40:57', '2026-11-24 08:43:12'],
    ['cpu-saturation', 131, '2026-11-24 08:19:56', '2026-11-24 08:22:06'],
    ['disk-saturation', 131, '2026-11-24 08:32:14', '2026-11-24 08:34:24'],
    ['threadpool-starvation', 146, '2026-11-24 08:46:49', '2026-11-24 08:49:14'],
  ] as const)('reads %s: %i entries of vda with their -t times', async (folder, records, first, last) => {
    const { timesMs, disks } = await parseIostatJson(
      readFileSync(hostSample(folder, 'iostat-x.json')),
      'iostat-x.json',
    );
    expect(timesMs).toHaveLength(records);
    expect(timesMs[0]).toBe(utc(first));
    expect(timesMs.at(-1)).toBe(utc(last));
    expect(Object.keys(disks)).toEqual(['vda']);
    expect(disks.vda?.timesMs).toEqual(timesMs);
  });

  it('weights await by reads and writes, and keeps the op rates', async () => {
    const { disks } = await parseIostatJson(
      readFileSync(hostSample('healthy', 'iostat-x.json')),
      'iostat-x.json',
    );
    const vda = disks.vda;
    // the since-boot first entry: r/s 875.40 at 0.24 ms, w/s 1079.52 at 0.30 ms
    expect(vda?.awaitMs[0]).toBeCloseTo((875.4 * 0.24 + 1079.52 * 0.3) / (875.4 + 1079.52), 9);
    expect([
      vda?.readOpsPerSec[0],
      vda?.writeOpsPerSec[0],
      vda?.readKiBps[0],
      vda?.aquSz[0],
      vda?.utilPct[0],
    ]).toEqual([875.4, 1079.52, 3995.49, 0.54, 2.14]);
    expect(vda?.tps[0]).toBeCloseTo(875.4 + 1079.52 + 6.76, 9);
    expect(vda?.awaitMs[2]).toBe(0);
  });

  it('shows the disk saturation', async () => {
    const { timesMs, disks } = await parseIostatJson(
      readFileSync(hostSample('disk-saturation', 'iostat-x.json')),
      'iostat-x.json',
    );
    const at = timesMs.indexOf(utc('2026-11-24 08:33:01'));
    const vda = disks.vda;
    expect([vda?.utilPct[at], vda?.writeOpsPerSec[at], vda?.aquSz[at], vda?.awaitMs[at]]).toEqual([
      97.6, 51370, 27.38, 0.53,
    ]);
  });
});

describe('parseIostatJson on sysstat test data (iostat -x -p ALL, no -t)', () => {
  it('reads every device and partition; times are NaN without -t', async () => {
    const { timesMs, disks } = await parseIostatJson(
      readFileSync(conformance('sysstat/expected.iostat-x-p-ALL-JSON')),
      'expected.iostat-x-p-ALL-JSON',
    );
    expect(timesMs).toEqual([Number.NaN, Number.NaN]);
    expect(Object.keys(disks)).toHaveLength(22);
    expect(disks.sda1).toBeDefined();
    expect(disks.sda?.awaitMs[0]).toBeCloseTo((6.9 * 12.58 + 1.69 * 9.61) / (6.9 + 1.69), 9);
    expect(disks.sda?.readKiBps[0]).toBe(222.14);
  });
});

describe('parseIostatJson on the wrong file', () => {
  it('rejects sadf -j output', async () => {
    await expect(
      parseIostatJson(readFileSync(hostSample('healthy', 'sadf-A.json.gz')), 'iostat-x.json'),
    ).rejects.toThrow('not iostat JSON: statistics[0] has no disk list with disk_device');
  });

  it('reads the C-locale -t timestamp', async () => {
    const json = JSON.stringify({
      sysstat: {
        hosts: [{ statistics: [{ timestamp: '11/24/26 08:40:57 PM', disk: [{ disk_device: 'sda' }] }] }],
      },
    });
    const { timesMs, disks } = await parseIostatJson(json, 'iostat.json');
    expect(timesMs).toEqual([utc('2026-11-24 20:40:57')]);
    expect(disks.sda?.utilPct).toEqual([Number.NaN]);
  });
});

import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SampleError } from '../../src/errors.ts';
import { PartialSampleError } from '../../src/ingest/partial-sample-error.ts';
import { parseSysstatJson, type SysstatJson } from '../../src/ingest/sysstat-json.ts';
import { conformance, type HostFolder, hostSample, utc } from './shared-files.ts';

function sadfJson(records: unknown[], header: Record<string, unknown> = {}): string {
  const host = { nodename: 'h', release: '6.1', 'number-of-cpus': 2, timezone: 'UTC', ...header };
  return JSON.stringify({ sysstat: { hosts: [{ ...host, statistics: records }] } });
}

function stamp(time: string, extra: Record<string, unknown> = { utc: 1 }): Record<string, unknown> {
  return { date: '2026-01-02', time, interval: 1, ...extra };
}

async function readHostSample(folder: HostFolder): Promise<SysstatJson> {
  return parseSysstatJson(readFileSync(hostSample(folder, 'sadf-A.json.gz')), 'sadf-A.json.gz');
}

describe('parseSysstatJson on the host samples', () => {
  it.each([
    ['healthy', 135, '2026-11-24 08:40:58', '2026-11-24 08:43:12'],
    ['cpu-saturation', 130, '2026-11-24 08:19:57', '2026-11-24 08:22:07'],
    ['disk-saturation', 130, '2026-11-24 08:32:15', '2026-11-24 08:34:24'],
    ['threadpool-starvation', 145, '2026-11-24 08:46:50', '2026-11-24 08:49:14'],
  ] as const)('reads %s: %i one-second records on the 2-CPU vm', async (folder, records, first, last) => {
    const { series, notes } = await readHostSample(folder);
    expect(series.timesMs).toHaveLength(records);
    expect(series.timesMs[0]).toBe(utc(first));
    expect(series.timesMs.at(-1)).toBe(utc(last));
    expect(series.intervalSec.every((interval) => interval === 1)).toBe(true);
    expect({ nodename: series.nodename, release: series.release, cpuCount: series.cpuCount }).toEqual({
      nodename: 'vm',
      release: '6.18.44-fc-v669',
      cpuCount: 2,
    });
    expect(Object.keys(series.perCpuBusy)).toEqual(['0', '1']);
    expect(Object.keys(series.disks)).toEqual(['vda']);
    for (const column of [series.cpu.idle, series.runqSz, series.psi.ioFull, series.disks.vda?.utilPct]) {
      expect(column).toHaveLength(records);
    }
    expect(series.disks.vda?.timesMs).toEqual(series.timesMs);
    expect(notes).toEqual([]);
  });

  it('shows the CPU saturation second by second', async () => {
    const { series } = await readHostSample('cpu-saturation');
    const at = series.timesMs.indexOf(utc('2026-11-24 08:20:13'));
    expect(series.cpu.idle[at]).toBe(0);
    expect(series.cpu.usr[at]).toBe(98.99);
    expect(Math.max(...series.runqSz)).toBe(6);
    expect(series.perCpuBusy['0']?.[at]).toBe(100);
  });

  it('shows the disk saturation: util, queue size, await and I/O pressure', async () => {
    const { series } = await readHostSample('disk-saturation');
    const at = series.timesMs.indexOf(utc('2026-11-24 08:33:01'));
    const vda = series.disks.vda;
    expect([vda?.utilPct[at], vda?.aquSz[at], vda?.awaitMs[at]]).toEqual([97.2, 27.36, 0.53]);
    // sysstat gives tps only: read/write op rates stay NaN
    expect(vda?.readOpsPerSec[at]).toBeNaN();
    expect(Math.max(...series.psi.ioSome)).toBe(87.59);
    expect(Math.max(...series.runqSz)).toBe(33);
  });

  it('keeps memory, sockets and kernel tables', async () => {
    const { series } = await readHostSample('healthy');
    expect(series.memAvailKiB[0]).toBe(24232068);
    expect(series.memUsedPct[0]).toBe(0.51);
    expect(series.fileNr[0]).toBe(443);
    expect(series.tcpSockets[0]).toBe(8);
    expect(series.tcpTimeWait[0]).toBe(53);
    expect(series.cswchPerSec[0]).toBe(409);
    expect(series.majfltPerSec[0]).toBe(2);
  });
});

describe('parseSysstatJson on sysstat test data (other version, 9 CPUs, 31 s interval)', () => {
  const text = readFileSync(conformance('sysstat/expected.sadf-j'), 'utf8');

  it('reads the header and all five records', async () => {
    const { series, notes } = await parseSysstatJson(text, 'expected.sadf-j');
    expect(series.nodename).toBe('SYSSTAT.TEST');
    expect(series.release).toBe('1.2.3-TEST');
    expect(series.cpuCount).toBe(9);
    expect(series.intervalSec).toEqual([31, 31, 39, 22, 31]);
    expect(series.timesMs[0]).toBe(utc('2019-04-18 13:20:19'));
    expect(series.timesMs[4]).toBe(utc('2019-04-18 13:54:35'));
    expect(notes).toEqual([]);
  });

  it('gives a CPU that appears after the restart NaN before it', async () => {
    const { series } = await parseSysstatJson(text, 'expected.sadf-j');
    expect(series.perCpuBusy['9']?.slice(0, 4)).toEqual([Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
    expect(series.perCpuBusy['9']?.[4]).toBeCloseTo(100 - 28.17 - 4.79, 6);
  });

  it('reads disks and PSI', async () => {
    const { series } = await parseSysstatJson(text, 'expected.sadf-j');
    const sdq = series.disks.sdq;
    expect([sdq?.tps[0], sdq?.readKiBps[0], sdq?.aquSz[0], sdq?.awaitMs[0], sdq?.utilPct[0]]).toEqual([
      9.62, 7.86, 0.01, 13, 0.96,
    ]);
    expect(Object.keys(series.disks)).toHaveLength(24);
    expect([
      series.psi.ioSome[0],
      series.psi.ioFull[0],
      series.psi.memSome[0],
      series.psi.cpuSome[0],
    ]).toEqual([3.19, 3.19, 3.12, 0]);
  });
});

describe('parseSysstatJson formats and gaps in the data', () => {
  it('reads old disk field names (avgqu-sz, rd_sec/wr_sec in 512-byte sectors)', async () => {
    const disk = {
      'disk-device': 'sda',
      tps: 3,
      rd_sec: 20,
      wr_sec: 8,
      'avgqu-sz': 1.5,
      await: 2,
      'util-percent': 9,
    };
    const { series } = await parseSysstatJson(
      sadfJson([{ timestamp: stamp('10:00:00'), disk: [disk] }]),
      'old.json',
    );
    const sda = series.disks.sda;
    expect([sda?.readKiBps[0], sda?.writeKiBps[0], sda?.aquSz[0], sda?.utilPct[0]]).toEqual([10, 4, 1.5, 9]);
  });

  it('fills NaN for activities a record lacks, keeping the arrays parallel', async () => {
    const records = [
      { timestamp: stamp('10:00:00'), queue: { 'runq-sz': 3 }, disk: [{ 'disk-device': 'vda', util: 1 }] },
      { timestamp: stamp('10:00:01') },
      {
        timestamp: stamp('10:00:02'),
        queue: { 'runq-sz': 5 },
        disk: [{ 'disk-device': 'vdb', 'util-percent': 7 }],
      },
    ];
    const { series } = await parseSysstatJson(sadfJson(records), 'gappy.json');
    expect(series.runqSz).toEqual([3, Number.NaN, 5]);
    expect(series.disks.vda?.utilPct).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    expect(series.disks.vdb?.utilPct).toEqual([Number.NaN, Number.NaN, 7]);
    expect(series.disks.vdb?.timesMs).toHaveLength(3);
    expect(series.cpu.usr).toEqual([Number.NaN, Number.NaN, Number.NaN]);
  });

  it('reads sar -u fields (user/system) as usr/sys', async () => {
    const load = { cpu: 'all', user: 10, nice: 0, system: 5, iowait: 1, steal: 0, idle: 84 };
    const { series } = await parseSysstatJson(
      sadfJson([{ timestamp: stamp('10:00:00'), 'cpu-load': [load] }]),
      'u.json',
    );
    expect([series.cpu.usr[0], series.cpu.sys[0], series.cpu.irq[0]]).toEqual([10, 5, Number.NaN]);
  });

  it('reads local times as UTC and says so when the zone is not UTC', async () => {
    const local = sadfJson([{ timestamp: stamp('10:00:00', { utc: 0 }) }], { timezone: 'CET' });
    const { series, notes } = await parseSysstatJson(local, 'local.json');
    expect(series.timesMs[0]).toBe(utc('2026-01-02 10:00:00'));
    expect(notes).toEqual(['times are local (timezone CET) and were read as UTC']);

    const utcZone = sadfJson([{ timestamp: stamp('10:00:00', { utc: 0 }) }], { timezone: 'GMT' });
    expect((await parseSysstatJson(utcZone, 'gmt.json')).notes).toEqual([]);
  });
});

describe('parseSysstatJson on broken files', () => {
  const gz = readFileSync(hostSample('healthy', 'sadf-A.json.gz'));

  it('turns a gzip cut in half into a PartialSampleError holding the records before the break', async () => {
    const error = await parseSysstatJson(gz.subarray(0, gz.length / 2), 'sadf-A.json.gz').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PartialSampleError);
    const { message, partial } = error as PartialSampleError<SysstatJson>;
    const records = partial.series.timesMs.length;
    expect(message).toBe(`unexpected end of gzip data after ${records} records`);
    expect(records).toBeGreaterThan(10);
    expect(records).toBeLessThan(135);
    expect(partial.series.cpu.usr).toHaveLength(records);
    expect(partial.series.nodename).toBe('vm');
  });

  it('turns truncated JSON into a PartialSampleError that counts the records read', async () => {
    const json = gunzipSync(gz).toString('utf8');
    const error = await parseSysstatJson(json.slice(0, 100_000), 'sadf-A.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialSampleError);
    const { message, partial } = error as PartialSampleError<SysstatJson>;
    expect(message).toMatch(/^malformed or truncated JSON \(.+\) after \d+ records$/);
    expect(message).toContain(`after ${partial.series.timesMs.length} records`);
  });

  it('rejects JSON that is not sadf output', async () => {
    const iostat = readFileSync(hostSample('healthy', 'iostat-x.json'));
    await expect(parseSysstatJson(iostat, 'sadf-A.json')).rejects.toThrow(
      'not sadf -j output: statistics[0] has no timestamp date/time',
    );
    await expect(parseSysstatJson('{"status":"success"}', 'sadf-A.json')).rejects.toThrow(
      'not sysstat JSON: no sysstat.hosts[0].statistics',
    );
    await expect(parseSysstatJson('Linux 6.1 (vm)', 'sadf-A.json')).rejects.toBeInstanceOf(SampleError);
  });
});

describe('parseSysstatJson on a big input', () => {
  it('streams 20,000 records from a stream, not a string', async () => {
    const json = gunzipSync(readFileSync(hostSample('disk-saturation', 'sadf-A.json.gz'))).toString('utf8');
    const sample = JSON.parse(json).sysstat.hosts[0].statistics[46];
    // the activities fleetlens keeps; the rest (interrupts, per-interface network) only slow the test
    const keep = [
      'cpu-load',
      'process-and-context-switch',
      'paging',
      'memory',
      'kernel',
      'queue',
      'disk',
      'psi',
    ];
    const kept = Object.fromEntries(keep.map((key) => [key, sample[key]]));
    kept.network = { 'net-sock': sample.network['net-sock'] };
    const count = 20_000;
    const base = Date.UTC(2026, 10, 25);
    function* chunks(): Generator<Buffer> {
      yield Buffer.from('{"sysstat": {"hosts": [{"nodename": "big", "number-of-cpus": 2, "statistics": [');
      for (let index = 0; index < count; index += 1) {
        const [date, time] = new Date(base + index * 1000).toISOString().slice(0, 19).split('T');
        const record = { ...kept, timestamp: { date, time, utc: 1, interval: 1 } };
        yield Buffer.from(`${index ? ',' : ''}${JSON.stringify(record)}`);
      }
      yield Buffer.from(']}]}}');
    }
    const { series } = await parseSysstatJson(Readable.from(chunks(), { objectMode: false }), 'big.json');
    expect(series.timesMs).toHaveLength(count);
    expect(series.timesMs.at(-1)).toBe(base + (count - 1) * 1000);
    expect(series.disks.vda?.utilPct.at(-1)).toBe(sample.disk[0]['util-percent']);
    expect(series.nodename).toBe('big');
  });
});

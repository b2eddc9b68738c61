import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSysstatCsv } from '../../src/ingest/sysstat-csv.ts';
import { parseSysstatJson } from '../../src/ingest/sysstat-json.ts';
import type { SysstatSeries } from '../../src/ingest/types.ts';
import { conformance, hostFolders, hostSample, utc } from './shared-files.ts';

/** The columns sadf -d and sadf -j both carry. */
function common(series: SysstatSeries) {
  const { release, disks, ...rest } = series;
  const diskColumns = Object.fromEntries(
    Object.entries(disks).map(([name, disk]) => [
      name,
      [disk.tps, disk.readKiBps, disk.aquSz, disk.awaitMs, disk.utilPct],
    ]),
  );
  return { ...rest, diskColumns };
}

describe('parseSysstatCsv on the host samples', () => {
  it.each(hostFolders)('reads %s into the same series as its sadf -j file', async (folder) => {
    const csv = await parseSysstatCsv(readFileSync(hostSample(folder, 'sadf-A.csv')), 'sadf-A.csv');
    const json = await parseSysstatJson(readFileSync(hostSample(folder, 'sadf-A.json.gz')), 'sadf-A.json.gz');
    expect(csv.series.release).toBeNull();
    expect(common(csv.series)).toEqual(common(json.series));
    expect(csv.notes).toEqual([]);
  });

  it('reads the disk-saturation peak', async () => {
    const { series } = await parseSysstatCsv(
      readFileSync(hostSample('disk-saturation', 'sadf-A.csv')),
      'sadf-A.csv',
    );
    const at = series.timesMs.indexOf(utc('2026-11-24 08:33:01'));
    expect([series.disks.vda?.utilPct[at], series.disks.vda?.aquSz[at]]).toEqual([97.2, 27.36]);
    expect(series.timesMs).toHaveLength(130);
  });
});

describe('parseSysstatCsv on sysstat test data', () => {
  const text = readFileSync(conformance('sysstat/expected.sadf-d'), 'utf8');

  it('reads five records around a restart, with 9 CPUs before it', async () => {
    const { series } = await parseSysstatCsv(text, 'expected.sadf-d');
    expect(series.nodename).toBe('SYSSTAT.TEST');
    expect(series.cpuCount).toBe(9);
    expect(series.intervalSec).toEqual([31, 31, 39, 22, 31]);
    expect(series.timesMs.at(-1)).toBe(utc('2019-04-18 13:54:35'));
    expect(series.perCpuBusy['9']?.[4]).toBeCloseTo(67.04, 6);
  });

  it('agrees with the sadf -j output of the same data', async () => {
    const csv = (await parseSysstatCsv(text, 'expected.sadf-d')).series;
    const json = (await parseSysstatJson(readFileSync(conformance('sysstat/expected.sadf-j')), 'j')).series;
    expect(csv.timesMs).toEqual(json.timesMs);
    expect(csv.cpu).toEqual(json.cpu);
    expect(csv.runqSz).toEqual(json.runqSz);
    expect(csv.psi).toEqual(json.psi);
    expect(csv.disks.sdq?.utilPct).toEqual(json.disks.sdq?.utilPct);
    expect(csv.memAvailKiB).toEqual(json.memAvailKiB);
  });
});

describe('parseSysstatCsv on broken files', () => {
  const header = '# hostname;interval;timestamp;runq-sz;plist-sz;ldavg-1;ldavg-5;ldavg-15;blocked';
  const row = (time: string) => `vm;1;2026-11-24 ${time} UTC;1;95;0.12;0.88;0.87;0`;

  it('names the line of a row cut short', async () => {
    const text = [header, row('08:00:00'), 'vm;1;2026-11-24 08:00:01 UTC;1;95'].join('\n');
    await expect(parseSysstatCsv(text, 'sadf-A.csv')).rejects.toMatchObject({
      message: 'expected 9 fields, found 5 (1 line skipped; the rest of the file was read)',
      line: 3,
      partial: { series: { timesMs: [Date.parse('2026-11-24T08:00:00Z')] } },
    });
  });

  it('rejects a file that is not sadf -d output at its first line', async () => {
    const text = readFileSync(hostSample('healthy', 'threads.log'), 'utf8');
    await expect(parseSysstatCsv(text, 'sadf-A.csv')).rejects.toMatchObject({ line: 1 });
    await expect(parseSysstatCsv(row('08:00:00'), 'sadf-A.csv')).rejects.toThrow('data line before any');
  });

  it('reads times written with -t in a local zone as UTC, with a note', async () => {
    const text = [header, row('08:00:00').replace('UTC', 'CET')].join('\n');
    const { series, notes } = await parseSysstatCsv(text, 'sadf-A.csv');
    expect(series.timesMs).toEqual([utc('2026-11-24 08:00:00')]);
    expect(notes).toEqual(['times are local (timezone CET) and were read as UTC']);
  });
});

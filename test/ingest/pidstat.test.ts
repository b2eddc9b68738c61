import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePidstat } from '../../src/ingest/pidstat.ts';
import { conformance, hostSample, utc } from './shared-files.ts';

const header =
  '# Time        UID       PID    %usr %system  %guest   %wait    %CPU   CPU  minflt/s  majflt/s     VSZ     RSS   %MEM   cswch/s nvcswch/s  Command';
const banner = 'Linux 6.18.44-fc-v669 (vm) \t2026-11-24 \t_x86_64_\t(2 CPU)';
const row = (time: string, pid = 31561) =>
  `${time}        0     ${pid}    1.00    0.00    0.00    0.00    1.00     1      1.00      0.00   45044   39004   0.16     11.00      0.00  python3`;

describe('parsePidstat on the host samples (pidstat -h -u -w -r -p PID 1 N)', () => {
  it.each([
    ['healthy', 31561, 135, '2026-11-24 08:40:58'],
    ['cpu-saturation', 25797, 130, '2026-11-24 08:19:57'],
    ['disk-saturation', 30263, 130, '2026-11-24 08:32:15'],
    ['threadpool-starvation', 32407, 145, '2026-11-24 08:46:50'],
  ] as const)('reads %s: PID %i, one row a second', (folder, pid, rows, first) => {
    const series = parsePidstat(
      readFileSync(hostSample(folder, 'pidstat-app.txt'), 'utf8'),
      'pidstat-app.txt',
    );
    expect(series.pids).toEqual([pid]);
    expect(series.timesMs).toHaveLength(rows);
    expect(series.timesMs[0]).toBe(utc(first));
    expect(series.command.every((command) => command === 'python3')).toBe(true);
    expect({ nodename: series.nodename, release: series.release, cpuCount: series.cpuCount }).toEqual({
      nodename: 'vm',
      release: '6.18.44-fc-v669',
      cpuCount: 2,
    });
    expect(series.threads.every(Number.isNaN)).toBe(true);
  });

  it('reads every column of a row', () => {
    const series = parsePidstat(
      readFileSync(hostSample('threadpool-starvation', 'pidstat-app.txt'), 'utf8'),
      'pidstat-app.txt',
    );
    const first = Object.fromEntries(
      (
        [
          'usrPct',
          'systemPct',
          'cpuPct',
          'minfltPerSec',
          'majfltPerSec',
          'vszKiB',
          'rssKiB',
          'memPct',
        ] as const
      ).map((name) => [name, series[name][0]]),
    );
    expect(first).toEqual({
      usrPct: 0,
      systemPct: 0,
      cpuPct: 0,
      minfltPerSec: 3,
      majfltPerSec: 0,
      vszKiB: 177056,
      rssKiB: 24084,
      memPct: 0.1,
    });
    expect([series.cswchPerSec[0], series.nvcswchPerSec[0]]).toEqual([2, 0]);
    // the pool's threads map their stacks: VSZ grows to 1.1 GiB by the end
    expect(series.vszKiB.at(-1)).toBe(1163064);
  });
});

describe('parsePidstat on sysstat test data (pidstat -A -t: one table per activity, thread lines)', () => {
  const series = parsePidstat(readFileSync(conformance('sysstat/expected.pidstat-At-ALL'), 'utf8'), 'At-ALL');

  it('keeps process lines, merging the tables by time and PID', () => {
    expect(series.pids).toEqual([8407, 8741, 9009, 21342]);
    expect(series.command).toEqual(['gnome-terminal-', 'firefox', 'WebExtensions', 'soffice.bin']);
    expect(series.timesMs).toEqual(Array(4).fill(utc('2020-06-01 12:53:20')));
    expect(series.cpuCount).toBe(9);
    const firefox = 1;
    expect([series.usrPct[firefox], series.minfltPerSec[firefox], series.rssKiB[firefox]]).toEqual([
      0.97, 108.05, 335804,
    ]);
    expect([series.cswchPerSec[firefox], series.nvcswchPerSec[firefox]]).toEqual([22.79, 0.28]);
  });

  it("takes the threads count from pidstat -v's column over the |__ lines it lists", () => {
    expect(series.threads).toEqual([4, 67, 32, 6]);
  });

  it('counts |__ lines when there is no threads column', () => {
    const text = readFileSync(conformance('sysstat/expected.pidstat-At-ALL'), 'utf8');
    const withoutV = text
      .split('\n\n')
      .filter((table) => !table.includes(' threads '))
      .join('\n\n');
    expect(parsePidstat(withoutV, 'At').threads).toEqual([1, 5, 2, 3]);
  });
});

describe('parsePidstat on odd and broken files', () => {
  it('names the line of garbage in the middle', () => {
    const text = [banner, '', header, row('08:40:58'), 'garbage here', row('08:41:00')].join('\n');
    expect(() => parsePidstat(text, 'pidstat-app.txt')).toThrow(
      expect.objectContaining({ line: 5, message: expect.stringContaining('"garbage here"') }),
    );
  });

  it('crosses midnight and lists a PID that changes', () => {
    const text = [banner, header, row('23:59:59'), header, row('00:00:00', 40000)].join('\n');
    const series = parsePidstat(text, 'pidstat-app.txt');
    expect(series.timesMs).toEqual([utc('2026-11-24 23:59:59'), utc('2026-11-25 00:00:00')]);
    expect(series.pids).toEqual([31561, 40000]);
  });

  it('rejects a file with no pidstat rows', () => {
    expect(() => parsePidstat(banner, 'pidstat-app.txt')).toThrow('no pidstat rows');
    expect(() => parsePidstat([header, row('08:00:00')].join('\n'), 'p')).toThrow('banner');
  });
});

describe('parsePidstat reads columns by their header names', () => {
  it('reads pidstat -A -h (every activity on one line, columns in its own order) and the -R/-s/-v extras', () => {
    const text = [
      'Linux 6.1 (vm) \t2026-11-24 \t_x86_64_\t(2 CPU)',
      '',
      '# Time        UID       PID  prio policy   threads   fd-nr StkSize  StkRef   cswch/s nvcswch/s    %usr %system  %guest   %wait    %CPU   CPU  minflt/s  majflt/s     VSZ     RSS   %MEM  Command',
      ' 1795509660     0      4242     0 NORMAL        18     464    132     24     11.00      0.00    1.00    2.00    0.00    0.00    3.00     1      1.00      0.00   45044   39004   0.16  python3',
      ' 1795509660     0      4300     0 NORMAL         1       4    132     12      1.00      0.00    0.00    0.00    0.00    0.00    0.00     0      0.00      0.00    1000     900   0.01  sshd: root@pts/0',
    ].join('\n');
    const series = parsePidstat(text, 'pidstat-app.txt');
    expect(series.pids).toEqual([4242, 4300]);
    expect(series.threads).toEqual([18, 1]);
    expect(series.cpuPct).toEqual([3, 0]);
    expect(series.cswchPerSec).toEqual([11, 1]);
    expect(series.rssKiB).toEqual([39004, 900]);
    expect(series.command).toEqual(['python3', 'sshd: root@pts/0']);
  });
});

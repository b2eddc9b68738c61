// What `fleetlens sample` writes must read back with the parsers that read the public samples,
// and must look exactly like those samples.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCountLog } from '../../src/ingest/count-log.ts';
import { parseFdCount } from '../../src/ingest/fd-count.ts';
import { parseListenQueueLog } from '../../src/ingest/listen-queue-log.ts';
import { readSampleDir } from '../../src/ingest/read-sample-dir.ts';
import { parseSockstatLog } from '../../src/ingest/sockstat-log.ts';
import { parseSysctl } from '../../src/ingest/sysctl.ts';
import {
  countLine,
  fdCountSnapshot,
  hostInfoSection,
  procListenLine,
  sockstatLines,
  ssListenLines,
  stampSec,
  sysctlKey,
  sysctlLines,
} from '../../src/sample/formats.ts';
import { hostSample, tempFolder, utc } from '../ingest/shared-files.ts';

const sampleText = (file: string): string => readFileSync(hostSample('threadpool-starvation', file), 'utf8');

describe('count logs', () => {
  it.each([
    ['threads.log', 'Threads'],
    ['fds.log', 'FDs'],
  ] as const)('rewrites the public %s line for line from what it parses to', (file, label) => {
    const text = sampleText(file);
    const log = parseCountLog(text, file, label);
    const rewritten = log.timesMs.map((timeMs, i) => countLine(timeMs, log.pids[0]!, label, log.values[i]!));
    expect(`${rewritten.join('\n')}\n`).toBe(text);
  });

  it('stamps whole UTC seconds, so a sample taken at .999 reads back as its second', () => {
    const line = countLine(utc('2026-11-24 23:59:59') + 999, 4242, 'Threads', 17);
    expect(line).toBe('2026-11-24 23:59:59 - PID: 4242, Threads: 17');
    const log = parseCountLog(line, 'threads.log', 'Threads');
    expect(log).toMatchObject({ pids: [4242], timesMs: [utc('2026-11-24 23:59:59')], values: [17] });
  });
});

describe('sockstat.log', () => {
  it('rewrites the public sockstat.log from the bare /proc/net/sockstat text of each second', () => {
    const text = sampleText('sockstat.log');
    const lines = text.trimEnd().split('\n');
    const bySecond = new Map<string, string[]>();
    for (const line of lines) {
      const stamp = line.slice(0, 19);
      bySecond.set(stamp, [...(bySecond.get(stamp) ?? []), line.slice(20)]);
    }
    const rewritten = [...bySecond].flatMap(([stamp, body]) =>
      sockstatLines(utc(stamp), `${body.join('\n')}\n`),
    );
    expect(rewritten).toEqual(lines);
    expect(parseSockstatLog(rewritten.join('\n'), 'sockstat.log').timesMs).toHaveLength(bySecond.size);
  });

  it('reads back what this kernel prints', () => {
    const lines = sockstatLines(utc('2026-11-24 08:00:00'), readFileSync('/proc/net/sockstat', 'utf8'));
    const log = parseSockstatLog(lines.join('\n'), 'sockstat.log');
    expect(log.timesMs).toEqual([utc('2026-11-24 08:00:00')]);
    expect(log.tcpInuse[0]).toBeGreaterThanOrEqual(0);
  });
});

describe('listen-queue logs', () => {
  it('squeezes the padding of ss -ltnH into the public format, which parses to the queue and backlog', () => {
    const ss =
      'LISTEN 0      1024       127.0.0.1:8000      0.0.0.0:*   \nLISTEN 3      5      [::1]:8000         [::]:*\n';
    const lines = ssListenLines(utc('2026-11-24 08:40:58'), ss);
    expect(lines).toEqual([
      '2026-11-24 08:40:58 LISTEN 0 1024 127.0.0.1:8000 0.0.0.0:*',
      '2026-11-24 08:40:58 LISTEN 3 5 [::1]:8000 [::]:*',
    ]);
    const log = parseListenQueueLog(lines.join('\n'), 'listen-queue.log');
    expect(log.listeners['127.0.0.1:8000']).toEqual({
      timesMs: [utc('2026-11-24 08:40:58')],
      recvQ: [0],
      sendQ: [1024],
    });
    expect(log.listeners['[::1]:8000']?.recvQ).toEqual([3]);
  });

  it('rewrites the public listen-queue.log from padded ss lines', () => {
    const text = sampleText('listen-queue.log');
    const rewritten = text
      .trimEnd()
      .split('\n')
      .flatMap((line) =>
        ssListenLines(utc(line.slice(0, 19)), `${line.slice(20).replaceAll(' ', '    ')}   \n`),
      );
    expect(`${rewritten.join('\n')}\n`).toBe(text);
  });

  it('writes no line for an empty ss answer (no listener that second)', () => {
    expect(ssListenLines(0, '')).toEqual([]);
  });

  it('marks the backlog it cannot know from /proc as "?", which the listen-queue parser refuses', () => {
    const line = procListenLine(utc('2026-11-24 08:40:58'), {
      local: '127.0.0.1:8000',
      peer: '0.0.0.0:*',
      acceptQueue: 9,
    });
    expect(line).toBe('2026-11-24 08:40:58 LISTEN 9 ? 127.0.0.1:8000 0.0.0.0:*');
    expect(() => parseListenQueueLog(line, 'listen-queue.log')).toThrow(/expected/);
  });

  it('lets diagnose skip listen-queue-proc.log without a gap', async () => {
    const { dir, cleanup } = await tempFolder();
    try {
      const line = procListenLine(utc('2026-11-24 08:40:58'), {
        local: '127.0.0.1:8000',
        peer: '0.0.0.0:*',
        acceptQueue: 1,
      });
      await writeFile(join(dir, 'listen-queue-proc.log'), `${line}\n`);
      await writeFile(
        join(dir, 'threads.log'),
        `${countLine(utc('2026-11-24 08:40:58'), 7, 'Threads', 2)}\n`,
      );
      const bundle = await readSampleDir(dir);
      expect(bundle.gaps).toEqual([]);
      expect(bundle.ignored).toEqual(['listen-queue-proc.log']);
      expect(bundle.listenQueue).toBeUndefined();
    } finally {
      await cleanup();
    }
  });
});

describe('snapshots', () => {
  it('rewrites the public app-fd-count file from what it parses to', () => {
    const text = sampleText('app-fd-count-end.txt');
    const parsed = parseFdCount(text, 'app-fd-count-end.txt');
    const pid = Number(/\/proc\/(\d+)\//.exec(text)?.[1]);
    expect(fdCountSnapshot(parsed.timeMs!, pid, parsed.count)).toBe(text);
  });

  it('writes host-info sections in the `$ command` shape, which diagnose reads the CPU count from', async () => {
    const text =
      hostInfoSection('nproc', '2\n') + hostInfoSection('lscpu', 'Architecture:   x86_64\nCPU(s):         2');
    expect(text).toBe('$ nproc\n2\n\n$ lscpu\nArchitecture:   x86_64\nCPU(s):         2\n\n');
    const uname = sampleText('host-info.txt').split('\n')[1]!;
    expect(sampleText('host-info.txt').startsWith(hostInfoSection('uname -a', `${uname}\n`))).toBe(true);
    const { dir, cleanup } = await tempFolder();
    try {
      await writeFile(join(dir, 'host-info.txt'), text);
      const bundle = await readSampleDir(dir);
      expect(bundle.gaps).toEqual([]);
      expect(bundle.hostCpuCount).toBe(2);
    } finally {
      await cleanup();
    }
  });
});

describe('sysctl -a lines', () => {
  it('names keys as sysctl does, with dots inside a file name turned into slashes', () => {
    expect(sysctlKey('net/core/somaxconn')).toBe('net.core.somaxconn');
    expect(sysctlKey('net/ipv4/conf/eth0.100/rp_filter')).toBe('net.ipv4.conf.eth0/100.rp_filter');
  });

  it('round-trips tabbed, multi-line and empty values through the sysctl parser', () => {
    const text = [
      ...sysctlLines('fs.file-nr', '1184\t0\t9223372036854775807\n'),
      ...sysctlLines('kernel.core_modes', 'file\npipe\n'),
      ...sysctlLines('kernel.domainname', '\n'),
      ...sysctlLines('net.core.somaxconn', '4096\n'),
    ].join('\n');
    expect(text.split('\n')).toEqual([
      'fs.file-nr = 1184\t0\t9223372036854775807',
      'kernel.core_modes = file',
      'kernel.core_modes = pipe',
      'kernel.domainname = ',
      'net.core.somaxconn = 4096',
    ]);
    expect(parseSysctl(text, 'sysctl-a.txt')).toEqual({
      'fs.file-nr': '1184 0 9223372036854775807',
      'kernel.core_modes': 'file pipe',
      'kernel.domainname': '',
      'net.core.somaxconn': '4096',
    });
  });
});

describe('stamps', () => {
  it('stamps in UTC whatever the local zone', () => {
    expect(stampSec(Date.UTC(2026, 10, 24, 8, 40, 58, 911))).toBe('2026-11-24 08:40:58');
  });
});

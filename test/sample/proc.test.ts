import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSysctl } from '../../src/ingest/sysctl.ts';
import {
  countFds,
  formatIpv6,
  parseProcNetTcp,
  parseStatStartTime,
  parseStatState,
  parseStatusThreads,
  procSocketAddress,
  readIdentity,
  readSysctlTree,
  readThreadCounts,
} from '../../src/sample/proc.ts';
import { tempFolder } from '../ingest/shared-files.ts';

describe('/proc/PID text', () => {
  it('reads Threads: from status', () => {
    expect(parseStatusThreads('Name:\tpython3\nState:\tS (sleeping)\nThreads:\t18\nSigQ:\t0/96365\n')).toBe(
      18,
    );
    expect(parseStatusThreads('Name:\tx\n')).toBeNull();
  });

  it('finds the start time after the last ")" even when the command holds spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    const stat = `4242 (a (b) c) S ${fields.slice(1).join(' ')}`;
    // field 22 is the 20th after the command
    expect(parseStatStartTime(stat)).toBe('22');
    expect(parseStatStartTime('garbage')).toBeNull();
  });

  it('reads the state, so that a zombie counts as exited', async () => {
    expect(parseStatState('4242 (a (b) c) Z 1 2 3')).toBe('Z');
    expect(parseStatState('garbage')).toBeNull();
    expect((await readIdentity(process.pid)).exited).toBe(false);
    expect((await readIdentity(2 ** 22 + 1)).exited).toBe(true);
  });

  it('reads this process: its identity, threads two ways, and fds', async () => {
    const identity = await readIdentity(process.pid);
    expect(identity.startTime).toMatch(/^\d+$/);
    expect(identity.comm).toBeTruthy();
    const threads = await readThreadCounts(process.pid);
    expect(threads.task.ok && threads.task.value).toBeGreaterThanOrEqual(1);
    expect(threads.status.ok && threads.status.value).toBeGreaterThanOrEqual(1);
    const fds = await countFds(process.pid);
    expect(fds.ok && fds.value).toBeGreaterThanOrEqual(3);
  });

  it('keeps a missing process as data: ENOENT, not a throw', async () => {
    expect((await countFds(2 ** 22 + 1)).ok).toBe(false);
    expect(await countFds(2 ** 22 + 1)).toEqual({ ok: false, code: 'ENOENT' });
  });
});

describe('/proc/net/tcp addresses', () => {
  it.each([
    ['0100007F:1F40', true, '127.0.0.1:8000'],
    ['7F000001:1F40', false, '127.0.0.1:8000'],
    ['00000000:0050', true, '0.0.0.0:80'],
    ['00000000000000000000000001000000:1F40', true, '[::1]:8000'],
    ['00000000000000000000000000000000:0016', true, '[::]:22'],
    ['0000000000000000FFFF00000100007F:1F40', true, '[::ffff:127.0.0.1]:8000'],
    ['B80D0120000000000000000001000000:01BB', true, '[2001:db8::1]:443'],
  ] as const)('%s (little-endian %s) is %s', (hex, littleEndian, text) => {
    expect(procSocketAddress(hex, littleEndian)).toBe(text);
  });

  it('compresses only the longest run of two or more zero groups (RFC 5952)', () => {
    const bytes = (groups: number[]): number[] => groups.flatMap((g) => [g >> 8, g & 0xff]);
    expect(formatIpv6(bytes([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]))).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIpv6(bytes([0x2001, 0, 0, 1, 0, 0, 0, 1]))).toBe('2001:0:0:1::1');
    expect(formatIpv6(bytes([0xfe80, 0, 0, 0, 0, 0, 0, 0]))).toBe('fe80::');
  });

  it('keeps listeners on the port, with rx_queue as the accept queue', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F40 00000000:0000 0A 00000000:00000011 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0',
      '   1: 0100007F:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0',
      '   2: 0100007F:1F40 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1',
    ].join('\n');
    expect(parseProcNetTcp(text, 8000, true)).toEqual([
      { local: '127.0.0.1:8000', peer: '0.0.0.0:*', acceptQueue: 17 },
    ]);
  });

  describe('on this kernel', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer();
      await new Promise<void>((resolve) =>
        server.listen({ host: '127.0.0.1', port: 0, backlog: 7 }, resolve),
      );
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('finds a listener this test opened', async () => {
      const listeners = parseProcNetTcp(await readFile('/proc/net/tcp', 'utf8'), port);
      expect(listeners).toEqual([{ local: `127.0.0.1:${port}`, peer: '0.0.0.0:*', acceptQueue: 0 }]);
    });
  });
});

describe('readSysctlTree', () => {
  it('writes sysctl -a lines in name order that the sysctl parser reads back', async () => {
    const { dir, cleanup } = await tempFolder();
    try {
      await mkdir(join(dir, 'net', 'core'), { recursive: true });
      await mkdir(join(dir, 'net', 'ipv4', 'conf', 'eth0.100'), { recursive: true });
      await mkdir(join(dir, 'net', 'ipv4', 'neigh', 'lo'), { recursive: true });
      await mkdir(join(dir, 'fs'), { recursive: true });
      await mkdir(join(dir, 'vm'), { recursive: true });
      await writeFile(join(dir, 'net', 'core', 'somaxconn'), '4096\n');
      await writeFile(join(dir, 'net', 'ipv4', 'conf', 'eth0.100', 'rp_filter'), '2\n');
      await writeFile(join(dir, 'net', 'ipv4', 'neigh', 'lo', 'retrans_time'), '100\n');
      await writeFile(join(dir, 'fs', 'file-nr'), '1184\t0\t9223372036854775807\n');
      await writeFile(join(dir, 'vm', 'stat_refresh'), '');
      await writeFile(join(dir, 'vm', 'swappiness'), '60\n');
      const tree = await readSysctlTree(dir);
      expect(tree.text).toBe(
        [
          'fs.file-nr = 1184\t0\t9223372036854775807',
          'net.core.somaxconn = 4096',
          'net.ipv4.conf.eth0/100.rp_filter = 2',
          'vm.swappiness = 60',
          '',
        ].join('\n'),
      );
      expect(tree.complete).toBe(true);
      expect(parseSysctl(tree.text, 'sysctl-a.txt')['net.core.somaxconn']).toBe('4096');
    } finally {
      await cleanup();
    }
  });

  it('stops at its deadline and says so', async () => {
    const tree = await readSysctlTree('/proc/sys', Date.now() - 1);
    expect(tree).toMatchObject({ text: '', complete: false });
  });

  it('reads this host: net.core.somaxconn as the file says, and never vm.stat_refresh', async () => {
    const tree = await readSysctlTree('/proc/sys');
    const settings = parseSysctl(tree.text, 'sysctl-a.txt');
    const somaxconn = (await readFile('/proc/sys/net/core/somaxconn', 'utf8')).trim();
    expect(settings['net.core.somaxconn']).toBe(somaxconn);
    expect(Object.keys(settings)).not.toContain('vm.stat_refresh');
    expect(Object.keys(settings).length).toBeGreaterThan((await readdir('/proc/sys/net/core')).length);
  });
});

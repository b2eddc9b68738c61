// The process tree of `fleetlens sample`: /proc parsers, who is busy, and a fake /proc in which
// workers come, go and restart under new PIDs.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProcessTree } from '../../src/ingest/process-tree.ts';
import {
  descendants,
  isBusy,
  MAX_TREE_PROCESSES,
  parsePortConnections,
  parseProcStat,
  parseSyscall,
  portChange,
} from '../../src/sample/tree.ts';
import { TreeSampler } from '../../src/sample/tree-log.ts';

function stat(
  pid: number,
  comm: string,
  state: string,
  ppid: number,
  ticks: number,
  threads = 1,
  start = 1000,
) {
  // fields 3.. after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime
  return `${pid} (${comm}) ${state} ${ppid} ${pid} ${pid} 0 -1 4194560 10 0 0 0 ${ticks} 0 0 0 20 0 ${threads} 0 ${start} 1000 100\n`;
}

describe('/proc parsers', () => {
  it('reads stat fields after the last `)`, whatever the command holds', () => {
    const parsed = parseProcStat(stat(42, 'gunicorn: worker [app) x]', 'S', 7, 250, 3, 98765));
    expect(parsed).toMatchObject({
      pid: 42,
      comm: 'gunicorn: worker [app) x]',
      state: 'S',
      ppid: 7,
      cpuTicks: 250,
      threads: 3,
      startTicks: '98765',
    });
    expect(parseProcStat('garbage')).toBeNull();
  });

  it('names the syscall a process waits in, per architecture', () => {
    expect(parseSyscall('270 0x7 0x7ffd 0x0 0x0 0x7ffd 0x0 0x7ffd 0x7f', 'x64')).toBe('pselect6');
    expect(parseSyscall('7 0x7ffd 0x1 0x7530', 'x64')).toBe('poll');
    expect(parseSyscall('73 0x7ffd 0x1 0x0', 'arm64')).toBe('ppoll');
    expect(parseSyscall('running', 'x64')).toBe('running');
    expect(parseSyscall('999 0x0', 'x64')).toBe('syscall-999');
    expect(parseSyscall('-1 0x0 0x0', 'x64')).toBeNull();
  });

  it('a worker waiting for work is idle; one blocked on an upstream, sleeping or on CPU is busy', () => {
    expect(isBusy('S', 0, 'pselect6')).toBe(false); // gunicorn sync worker in select() on the listener
    expect(isBusy('S', 0, 'epoll_wait')).toBe(false); // an idle event loop
    expect(isBusy('S', 0, 'poll')).toBe(true); // a socket read with a timeout (urllib, requests)
    expect(isBusy('S', 0, 'clock_nanosleep')).toBe(true); // time.sleep() on a loop
    expect(isBusy('R', null, null)).toBe(true);
    expect(isBusy('S', 80, 'epoll_wait')).toBe(true);
    expect(isBusy('S', null, null)).toBe(false);
  });

  it('lists the root and its descendants breadth-first, bounded', () => {
    const parents = new Map([
      [10, 1],
      [11, 10],
      [12, 10],
      [13, 11],
      [20, 1],
    ]);
    expect(descendants(10, parents)).toEqual([10, 11, 12, 13]);
    const many = new Map(Array.from({ length: 400 }, (_, i) => [100 + i, 10] as const));
    expect(descendants(10, many)).toHaveLength(MAX_TREE_PROCESSES);
  });

  it('tells queued connections (inode 0) from accepted ones, and counts new ones', () => {
    const header =
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
    const row = (remote: string, state: string, inode: number) =>
      `   0: 0100007F:1F78 ${remote} ${state} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 20 4 0 10 -1`;
    const listener =
      '   0: 0100007F:1F78 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 555 1';
    const first = parsePortConnections(
      [header, listener, row('0100007F:A001', '01', 0), row('0100007F:A002', '01', 901)].join('\n'),
      8056,
    );
    const second = parsePortConnections(
      [
        header,
        row('0100007F:A001', '01', 902),
        row('0100007F:A002', '01', 901),
        row('0100007F:A003', '01', 0),
      ].join('\n'),
      8056,
    );
    expect(portChange(null, first)).toEqual({ queued: 1, accepted: 1, arrived: 0, acceptedNew: 0 });
    expect(portChange(first, second)).toEqual({ queued: 1, accepted: 2, arrived: 1, acceptedNew: 1 });
  });
});

describe('TreeSampler on a fake /proc', () => {
  let proc: string;
  beforeAll(async () => {
    proc = await mkdtemp(join(tmpdir(), 'fleetlens-tree-'));
  });
  afterAll(async () => {
    await rm(proc, { recursive: true, force: true });
  });

  async function put(pid: number, ppid: number, state: string, syscall: string, ticks: number, start = 1000) {
    const dir = join(proc, String(pid));
    await mkdir(join(dir, 'fd'), { recursive: true });
    await writeFile(join(dir, 'stat'), stat(pid, 'gunicorn', state, ppid, ticks, 1, start));
    await writeFile(join(dir, 'syscall'), `${syscall} 0x0 0x0\n`);
    await writeFile(join(dir, 'fd', '0'), '');
  }

  it('follows workers as they come, go and restart under new PIDs, and sums each second', async () => {
    await put(100, 1, 'S', '270', 10); // master in pselect6
    await put(101, 100, 'S', '270', 5); // idle worker
    await put(102, 100, 'S', '7', 5); // worker blocked in poll() on an upstream
    await put(999, 1, 'R', 'running', 5); // not in the tree
    const sampler = new TreeSampler(100, true, join(proc, 'net'), null, proc);
    const t0 = Date.UTC(2026, 11, 6, 0, 0, 0);
    const first = await sampler.sample(t0);
    await rm(join(proc, '102'), { recursive: true }); // worker 102 killed (WORKER TIMEOUT) ...
    await put(103, 100, 'R', 'running', 150, 2000); // ... and a new one booted, on CPU
    await put(101, 100, 'S', '270', 30);
    const second = await sampler.sample(t0 + 1000);
    const tree = parseProcessTree([...first, ...second].join('\n'), 'process-tree.jsonl');

    expect(tree.rootPid).toBe(100);
    expect(tree.processes.map((p) => p.pid)).toEqual([100, 101, 102, 103]);
    expect(tree.processes.find((p) => p.pid === 102)?.exitedMs).toBe(t0 + 1000);
    expect(tree.processes.find((p) => p.pid === 103)?.firstMs).toBe(t0 + 1000);
    expect(tree.totals.busyPids).toEqual([[102], [103]]);
    expect(tree.processes.find((p) => p.pid === 101)?.cpuPct).toEqual([Number.NaN, 25]); // 25 ticks in 1 s, idle in pselect6: not busy
    expect(tree.totals.processes).toEqual([3, 3]);
    expect(sampler.processes().map((p) => [p.pid, p.exited !== null])).toEqual([
      [100, false],
      [101, false],
      [102, true],
      [103, false],
    ]);
  });

  it('--no-children samples the PID alone', async () => {
    const sampler = new TreeSampler(100, false, join(proc, 'net'), null, proc);
    const lines = await sampler.sample(Date.UTC(2026, 11, 6));
    expect(parseProcessTree(lines.join('\n'), 'f').processes.map((p) => p.pid)).toEqual([100]);
  });
});

describe('the /proc parsers on any text (2,000 inputs each)', () => {
  const statLike = fc.oneof(
    fc.string(),
    fc
      .tuple(
        fc.nat(),
        fc.string(),
        fc.constantFrom('S', 'R', 'D', 'Z', '?'),
        fc.array(fc.oneof(fc.nat(), fc.integer(), fc.string()), { maxLength: 30 }),
      )
      .map(([pid, comm, state, rest]) => `${pid} (${comm}) ${state} ${rest.join(' ')}`),
  );

  it('parseProcStat answers a whole stat or null, never throws, never a negative or fractional count', () => {
    fc.assert(
      fc.property(statLike, (text) => {
        const parsed = parseProcStat(text);
        if (parsed === null) return;
        for (const n of [parsed.ppid, parsed.cpuTicks, parsed.threads]) {
          expect(Number.isInteger(n) && n >= 0).toBe(true);
        }
        expect(parsed.startTicks).toMatch(/^\d+$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('parseSyscall answers a name or null for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.integer().map(String)),
        fc.constantFrom('x64', 'arm64', 'ppc64'),
        (text, arch) => {
          const call = parseSyscall(text, arch);
          expect(call === null || /^[a-z_0-9-]+$/.test(call)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('parsePortConnections and portChange count consistently for any table', () => {
    const row = fc
      .tuple(
        fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16).toUpperCase()),
        fc.constantFrom('01', '08', '0A', '06'),
        fc.nat(5),
      )
      .map(
        ([peer, state, inode]) => `   0: 0100007F:1F78 0100007F:${peer} ${state} 0:0 00:0 0 0 0 ${inode} 1`,
      );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(row, fc.string()), { maxLength: 20 }),
        fc.array(row, { maxLength: 20 }),
        (a, b) => {
          const before = parsePortConnections(['header', ...a].join('\n'), 8056);
          const now = parsePortConnections(['header', ...b].join('\n'), 8056);
          const change = portChange(before, now);
          expect(change.queued + change.accepted).toBe(now.byPeer.size);
          expect(change.arrived).toBeLessThanOrEqual(now.byPeer.size);
          expect(change.acceptedNew).toBeLessThanOrEqual(change.accepted);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

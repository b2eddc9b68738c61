// Worker-process layouts: the same causes under gunicorn sync, gunicorn gthread, uvicorn --workers
// and a single process, from synthetic folders (process-tree.jsonl, listen-queue.log, app.log
// beside the healthy capture's idle CPUs and kernel counters). And a confidence that means
// something: one kind of evidence stays under 0.7 and names what would confirm it; two lift it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/analysis/onhost/classify.ts';
import type { OnHostFacts } from '../../../src/analysis/onhost/signals.ts';
import { workerPoolSignals } from '../../../src/analysis/onhost/worker-signals.ts';
import { appLine, idleSysstat, lagCsvText, onHostFromFiles, sampleDir } from '../../helpers/onhost.ts';

const T0 = Date.UTC(2026, 10, 24, 8, 41, 0);
const SECONDS = 120;
const healthy = (file: string) => readFileSync(join(sampleDir('healthy'), file));

interface Worker {
  pid: number;
  /** busy at second i, and in which call */
  busy: (i: number) => boolean;
  call?: string;
  threads?: number;
  fds?: (i: number) => number;
}

/** process-tree.jsonl of a master (PID 100) and its workers (none: a single-process app). */
function treeText(workers: Worker[], single = false): string {
  const lines: string[] = [];
  const procs = single
    ? workers
    : [{ pid: 100, busy: () => false, call: 'pselect6', threads: 1 }, ...workers];
  for (let i = 0; i < SECONDS; i += 1) {
    const t = new Date(T0 + i * 1000).toISOString();
    if (i === 0) {
      for (const p of procs)
        lines.push(
          JSON.stringify({
            t,
            kind: 'start',
            pid: p.pid,
            ppid: p.pid === procs[0]!.pid ? 1 : 100,
            comm: 'python3',
            root: p.pid === procs[0]!.pid,
          }),
        );
    }
    const rows = procs.map((p) => {
      const busy = p.busy(i);
      return {
        t,
        kind: 'proc',
        pid: p.pid,
        ppid: p.pid === procs[0]!.pid ? 1 : 100,
        comm: 'python3',
        state: 'S',
        syscall: busy ? (p.call ?? 'poll') : 'epoll_wait',
        busy,
        threads: p.threads ?? 1,
        fds: (p as Worker).fds?.(i) ?? 12,
        cpuPct: i === 0 ? null : busy ? 1 : 0,
      };
    });
    lines.push(...rows.map((r) => JSON.stringify(r)));
    const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + f(r), 0);
    lines.push(
      JSON.stringify({
        t,
        kind: 'total',
        processes: rows.length,
        threads: sum((r) => r.threads),
        fds: sum((r) => r.fds),
        cpuPct: sum((r) => r.cpuPct ?? 0),
        busyPids: rows.filter((r) => r.busy).map((r) => r.pid),
      }),
    );
    lines.push(
      JSON.stringify({
        t,
        kind: 'port',
        port: 8040,
        queued: 0,
        accepted: 2,
        arrived: i === 0 ? 0 : 4,
        acceptedNew: i === 0 ? 0 : 1,
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

function listenText(depth: (i: number) => number, backlog = 2048): string {
  return Array.from({ length: SECONDS }, (_, i) => {
    const stamp = new Date(T0 + i * 1000).toISOString().slice(0, 19).replace('T', ' ');
    return `${stamp} LISTEN ${depth(i)} ${backlog} 127.0.0.1:8040 0.0.0.0:*\n`;
  }).join('');
}

const load = (i: number) => i >= 10 && i < 110;

function folder(files: Record<string, string | Buffer>): Promise<OnHostFacts> {
  return onHostFromFiles({
    'sadf-A.json.gz': idleSysstat(),
    'proc-net-netstat-start.txt': healthy('proc-net-netstat-start.txt'),
    'proc-net-netstat-end.txt': healthy('proc-net-netstat-end.txt'),
    'app.log': `${appLine(0, 'INFO', 'app', 'worker ready')}\n`,
    ...files,
  });
}

const syncStarved = (workers: number) =>
  folder({
    'process-tree.jsonl': treeText(Array.from({ length: workers }, (_, k) => ({ pid: 101 + k, busy: load }))),
    'listen-queue.log': listenText((i) => (load(i) ? Math.min(40, i) : 0)),
  });

describe('worker-process pools (gunicorn sync): starvation of the pool', () => {
  it('every worker busy while the shared accept queue holds: threadpool-starvation above 0.7, evidence in order', async () => {
    const verdict = classify(await syncStarved(2));
    expect(verdict.primary).toBe('threadpool-starvation');
    expect(verdict.confidence).toBeGreaterThan(0.7);
    const score = verdict.scores.find((s) => s.class === 'threadpool-starvation')!;
    expect(score.kinds).toEqual(expect.arrayContaining(['worker-processes', 'accept-queue']));
    const order = score.signals.map((s) => s.signal);
    const at = (text: RegExp) => order.findIndex((s) => text.test(s));
    expect(at(/every worker process busy/)).toBeLessThan(at(/accept queue/));
    expect(at(/accept queue/)).toBeLessThan(at(/little CPU|CPU mostly idle/));
  });

  it('judges the accept queue once, however many workers share it', async () => {
    const two = workerPoolSignals(await syncStarved(2), 30).filter((s) => /accept queue/.test(s.signal));
    const four = workerPoolSignals(await syncStarved(4), 30).filter((s) => /accept queue/.test(s.signal));
    expect(two).toHaveLength(1);
    expect(four).toHaveLength(1);
    expect(four[0]!.weight).toBe(two[0]!.weight);
  });

  it('workers that take turns with an empty queue are a working pool, not a starved one', async () => {
    const facts = await folder({
      'process-tree.jsonl': treeText([
        { pid: 101, busy: (i) => load(i) && i % 2 === 0 },
        { pid: 102, busy: (i) => load(i) && i % 3 === 0 },
      ]),
      'listen-queue.log': listenText(() => 0),
    });
    expect(classify(facts).primary).toBe('healthy');
  });
});

describe('gunicorn -k gthread: the wait is in each worker’s thread pool, not the accept queue', () => {
  it('threads flat at -w × --threads while held connections climb: threadpool-starvation', async () => {
    const worker = (pid: number): Worker => ({
      pid,
      busy: () => false, // the main thread sits in epoll while its threads work
      threads: 5,
      fds: (i) => 12 + (load(i) ? i * 2 : 0),
    });
    const timeouts = Array.from({ length: 20 }, (_, k) =>
      appLine(20 + k * 4, 'ERROR', 'app', 'upstream call failed: TimeoutError: timed out'),
    );
    const verdict = classify(
      await folder({
        'process-tree.jsonl': treeText([worker(101), worker(102)]),
        'listen-queue.log': listenText(() => 0),
        'app.log': `${timeouts.join('\n')}\n`,
      }),
    );
    expect(verdict.primary).toBe('threadpool-starvation');
    expect(verdict.confidence).toBeGreaterThan(0.7);
    const score = verdict.scores.find((s) => s.class === 'threadpool-starvation')!;
    expect(score.kinds).toEqual(expect.arrayContaining(['thread-count', 'connections']));
    expect(score.kinds).not.toContain('accept-queue');
  });
});

describe('uvicorn --workers 4: one blocked loop among four', () => {
  const tree = treeText([
    { pid: 101, busy: (i) => load(i) && i % 5 !== 0, call: 'recvfrom' },
    { pid: 102, busy: (i) => i % 17 === 0 },
    { pid: 103, busy: () => false },
    { pid: 104, busy: () => false },
  ]);

  it('from the worker processes alone: event-loop-blocked under 0.7, naming asyncio debug mode to confirm it', async () => {
    const verdict = classify(
      await folder({ 'process-tree.jsonl': tree, 'listen-queue.log': listenText(() => 0) }),
    );
    expect(verdict.primary).toBe('event-loop-blocked');
    expect(verdict.confidence).toBeLessThan(0.7);
    expect(verdict.confidenceReasons.join('\n')).toMatch(
      /one kind of evidence \(worker-processes\).*asyncio debug mode/,
    );
  });

  it('with asyncio debug mode’s warnings as well: two kinds agree, above 0.7', async () => {
    const warnings = Array.from({ length: 12 }, (_, k) =>
      appLine(
        15 + k * 7,
        'WARNING',
        'asyncio',
        "Executing <Task pending name='Task-3' coro=<refresh()>> took 1.502 seconds",
      ),
    );
    const verdict = classify(
      await folder({
        'process-tree.jsonl': tree,
        'listen-queue.log': listenText(() => 0),
        'app.log': `${warnings.join('\n')}\n`,
      }),
    );
    expect(verdict.primary).toBe('event-loop-blocked');
    expect(verdict.confidence).toBeGreaterThan(0.7);
    expect(verdict.confidenceReasons.join('\n')).toMatch(/2 independent kinds of evidence agree/);
  });
});

describe('a single-process app', () => {
  it('gives no worker-pool signal, and its classes come from its own evidence', async () => {
    const facts = await folder({
      'process-tree.jsonl': treeText([{ pid: 100, busy: load, call: 'clock_nanosleep' }], true),
      'lag.csv': lagCsvText(Array.from({ length: 1000 }, (_, k) => (k % 10 === 0 ? 0.4 : 0.001))),
    });
    expect(facts.workers?.layout).toBe('single-process');
    expect(workerPoolSignals(facts, 30)).toEqual([]);
    const verdict = classify(facts);
    expect(verdict.primary).toBe('event-loop-blocked');
    // loop lag alone is one kind of evidence
    expect(verdict.confidence).toBeLessThan(0.7);
    expect(verdict.confidenceReasons.join('\n')).toMatch(
      /one kind of evidence \(loop-lag\).*asyncio debug mode/,
    );
  });
});

// process-tree.jsonl, written by `fleetlens sample` (src/sample/tree-log.ts): one JSON object a
// line. `proc`: one process in one sample (state, the syscall it waits in, busy or not, threads,
// fds, CPU); `total`: the sums of a sample and its busy PIDs; `port`: connections on the sampled
// port (waiting in the accept queue, taken, new since the last sample); `start`/`exit`: a process
// came or went. Read line by line; a line that is not one of these is skipped and named in a gap.
import { z } from 'zod';
import { SampleError } from '../errors.ts';
import { checkRange } from './columns.ts';
import { type LineReader, quoteLine, readTextLines } from './lines.ts';
import { RecordCap } from './record-cap.ts';
import { checkTime, isoMs } from './time.ts';

/** Everything of one process over the capture, columnar by its samples. */
export interface TreeProcess {
  pid: number;
  ppid: number;
  comm: string;
  /** The sampled PID itself (the master of a pool, or a single-process app). */
  root: boolean;
  firstMs: number;
  lastMs: number;
  exitedMs: number | null;
  timesMs: number[];
  busy: boolean[];
  cpuPct: number[]; // NaN on a process's first sample
  threads: number[];
  fds: number[]; // NaN where unreadable
  syscall: (string | null)[];
}

export interface ProcessTree {
  rootPid: number | null;
  /** By PID, in order of first appearance; a PID reused later continues its entry. */
  processes: TreeProcess[];
  totals: {
    timesMs: number[];
    processes: number[];
    threads: number[];
    fds: number[];
    cpuPct: number[];
    busyPids: number[][];
  };
  port: {
    port: number | null;
    timesMs: number[];
    queued: number[];
    accepted: number[];
    arrived: number[];
    acceptedNew: number[];
  };
}

const count = z.number().int().min(0);
const Time = z.object({ t: z.string() });
const Line = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('start'),
    pid: count,
    ppid: count,
    comm: z.string().max(64),
    root: z.boolean(),
  }),
  z.object({ kind: z.literal('exit'), pid: count, comm: z.string().max(64).optional() }),
  z.object({
    kind: z.literal('proc'),
    pid: count,
    ppid: count,
    comm: z.string().max(64),
    state: z.string().max(4),
    syscall: z.string().max(32).nullable(),
    busy: z.boolean(),
    threads: count,
    fds: count.nullable(),
    cpuPct: z.number().min(0).nullable(),
  }),
  z.object({
    kind: z.literal('total'),
    processes: count,
    threads: count,
    fds: count,
    cpuPct: z.number().min(0),
    busyPids: z.array(count).max(1024),
  }),
  z.object({
    kind: z.literal('port'),
    port: count.max(65535),
    queued: count,
    accepted: count,
    arrived: count,
    acceptedNew: count,
  }),
]);

function emptyTree(): ProcessTree {
  return {
    rootPid: null,
    processes: [],
    totals: { timesMs: [], processes: [], threads: [], fds: [], cpuPct: [], busyPids: [] },
    port: { port: null, timesMs: [], queued: [], accepted: [], arrived: [], acceptedNew: [] },
  };
}

const expected =
  'a process-tree.jsonl line (`{"t": ..., "kind": "proc" | "total" | "port" | "start" | "exit", ...}`)';

function parseLine(text: string): { timeMs: number; line: z.infer<typeof Line> } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SampleError(`expected ${expected}, found ${quoteLine(text)}`, '');
  }
  const time = Time.safeParse(json);
  const line = Line.safeParse(json);
  if (!time.success || !line.success)
    throw new SampleError(`expected ${expected}, found ${quoteLine(text)}`, '');
  const timeMs = checkTime(isoMs(time.data.t), time.data.t);
  // numbers a capture can hold: the cap every reader applies
  for (const value of Object.values(line.data))
    if (typeof value === 'number') checkRange(value, 'value', text);
  return { timeMs, line: line.data };
}

function processOf(
  tree: ProcessTree,
  byPid: Map<number, TreeProcess>,
  pid: number,
  timeMs: number,
): TreeProcess {
  let entry = byPid.get(pid);
  if (!entry) {
    entry = {
      pid,
      ppid: 0,
      comm: '',
      root: false,
      firstMs: timeMs,
      lastMs: timeMs,
      exitedMs: null,
      timesMs: [],
      busy: [],
      cpuPct: [],
      threads: [],
      fds: [],
      syscall: [],
    };
    byPid.set(pid, entry);
    tree.processes.push(entry);
  }
  return entry;
}

/** Reads process-tree.jsonl line by line (see the file comment); a file without one sample is a gap. */
export function processTreeReader(file: string): LineReader<ProcessTree> {
  const tree = emptyTree();
  const byPid = new Map<number, TreeProcess>();
  const cap = new RecordCap(file);
  return {
    line(text) {
      if (text.trim() === '') return;
      const { timeMs, line } = parseLine(text.trim());
      switch (line.kind) {
        case 'start': {
          const p = processOf(tree, byPid, line.pid, timeMs);
          Object.assign(p, { ppid: line.ppid, comm: line.comm, root: line.root, exitedMs: null });
          if (line.root) tree.rootPid = line.pid;
          break;
        }
        case 'exit':
          processOf(tree, byPid, line.pid, timeMs).exitedMs = timeMs;
          break;
        case 'proc': {
          const p = processOf(tree, byPid, line.pid, timeMs);
          p.ppid = line.ppid;
          p.comm = line.comm;
          p.lastMs = timeMs;
          p.timesMs.push(timeMs);
          p.busy.push(line.busy);
          p.cpuPct.push(line.cpuPct ?? Number.NaN);
          p.threads.push(line.threads);
          p.fds.push(line.fds ?? Number.NaN);
          p.syscall.push(line.syscall);
          break;
        }
        case 'total': {
          const t = tree.totals;
          t.timesMs.push(timeMs);
          t.processes.push(line.processes);
          t.threads.push(line.threads);
          t.fds.push(line.fds);
          t.cpuPct.push(line.cpuPct);
          t.busyPids.push(line.busyPids);
          break;
        }
        case 'port': {
          const p = tree.port;
          p.port ??= line.port;
          p.timesMs.push(timeMs);
          p.queued.push(line.queued);
          p.accepted.push(line.accepted);
          p.arrived.push(line.arrived);
          p.acceptedNew.push(line.acceptedNew);
          break;
        }
      }
      return cap.count();
    },
    end() {
      if (tree.totals.timesMs.length === 0) throw new SampleError('no "total" sample lines', file);
      // cut before its first start line: the root is the process whose parent is not in the tree
      tree.rootPid ??= tree.processes.find((p) => !byPid.has(p.ppid))?.pid ?? null;
      for (const p of tree.processes) p.root = p.pid === tree.rootPid;
      return cap.check(tree);
    },
  };
}

export function parseProcessTree(text: string, file: string): ProcessTree {
  return readTextLines(text, file, processTreeReader(file));
}

// process-tree.jsonl: one JSON object a line, in time order. Each sample writes a `proc` line per
// process of the tree, a `total` line (sums, and which PIDs were busy), and with a port a `port`
// line; `start` and `exit` lines say when each process came and went. src/ingest/process-tree.ts
// reads it back.
import { join } from 'node:path';
import {
  descendants,
  type PortConnections,
  type ProcessSample,
  portChange,
  readParents,
  readPortConnections,
  readProcess,
  readTree,
} from './tree.ts';

export const PROCESS_TREE_FILE = 'process-tree.jsonl';

function iso(timeMs: number): string {
  return new Date(timeMs).toISOString();
}

/** The lines of one sample, from what was read (pure). */
export function treeLines(
  timeMs: number,
  rootPid: number,
  processes: readonly ProcessSample[],
  started: readonly ProcessSample[],
  exited: readonly { pid: number; comm: string }[],
  port: { port: number; change: ReturnType<typeof portChange> } | null,
): string[] {
  const t = iso(timeMs);
  const lines = [
    ...started.map((p) => ({
      t,
      kind: 'start',
      pid: p.pid,
      ppid: p.ppid,
      comm: p.comm,
      root: p.pid === rootPid,
    })),
    ...exited.map((p) => ({ t, kind: 'exit', pid: p.pid, comm: p.comm })),
    ...processes.map((p) => ({
      t,
      kind: 'proc',
      pid: p.pid,
      ppid: p.ppid,
      comm: p.comm,
      state: p.state,
      syscall: p.syscall,
      busy: p.busy,
      threads: p.threads,
      fds: p.fds,
      cpuPct: p.cpuPct,
    })),
  ];
  if (processes.length > 0) {
    const sum = (values: (number | null)[]) => values.reduce<number>((a, v) => a + (v ?? 0), 0);
    lines.push({
      t,
      kind: 'total',
      processes: processes.length,
      threads: sum(processes.map((p) => p.threads)),
      fds: sum(processes.map((p) => p.fds)),
      cpuPct: Math.round(sum(processes.map((p) => p.cpuPct)) * 10) / 10,
      busyPids: processes.filter((p) => p.busy).map((p) => p.pid),
    } as never);
  }
  if (port) lines.push({ t, kind: 'port', port: port.port, ...port.change } as never);
  return lines.map((line) => JSON.stringify(line));
}

/** Follows a tree from sample to sample: who is new, who left, each one's CPU ticks. */
export class TreeSampler {
  private known = new Map<string, { cpuTicks: number; timeMs: number; pid: number; comm: string }>();
  private connections: PortConnections | null = null;
  /** Every process seen: when it came and went (for the manifest). */
  readonly seen = new Map<
    string,
    { pid: number; comm: string; firstAt: string; lastAt: string; exitedAt: string | null }
  >();

  constructor(
    private readonly rootPid: number,
    private readonly children: boolean,
    private readonly netDir: string,
    private readonly port: number | null,
    private readonly procRoot = '/proc',
  ) {}

  private async treePids(): Promise<number[]> {
    return (
      (await readTree(this.rootPid, this.procRoot)) ??
      descendants(this.rootPid, await readParents(this.procRoot))
    );
  }

  async sample(timeMs: number): Promise<string[]> {
    const pids = this.children ? await this.treePids() : [this.rootPid];
    const read = await Promise.all(
      pids.map(async (pid) => {
        const last = [...this.known.values()].find((k) => k.pid === pid);
        return readProcess(pid, timeMs, last, this.procRoot);
      }),
    );
    // a PID reused by a new process: its CPU ticks are not the old one's
    const processes = read
      .filter((p): p is ProcessSample => p !== null)
      .map((p) => (this.known.has(p.identity) ? p : { ...p, cpuPct: null }));
    const now = new Map(processes.map((p) => [p.identity, p]));
    const started = processes.filter((p) => !this.known.has(p.identity));
    const exited = [...this.known.entries()].filter(([id]) => !now.has(id)).map(([, k]) => k);
    for (const id of [...this.known.keys()]) {
      if (now.has(id)) continue;
      const entry = this.seen.get(id);
      if (entry) entry.exitedAt = iso(timeMs);
      this.known.delete(id);
    }
    for (const p of processes) {
      this.known.set(p.identity, { cpuTicks: p.cpuTicks, timeMs, pid: p.pid, comm: p.comm });
      const entry = this.seen.get(p.identity);
      if (entry) entry.lastAt = iso(timeMs);
      else
        this.seen.set(p.identity, {
          pid: p.pid,
          comm: p.comm,
          firstAt: iso(timeMs),
          lastAt: iso(timeMs),
          exitedAt: null,
        });
    }
    let port: Parameters<typeof treeLines>[5] = null;
    if (this.port !== null) {
      const conns = await readPortConnections(this.netDir, this.port);
      if (conns.ok) {
        port = { port: this.port, change: portChange(this.connections, conns.value) };
        this.connections = conns.value;
      }
    }
    return treeLines(timeMs, this.rootPid, processes, started, exited, port);
  }

  /** The manifest's record: which PIDs were sampled, when each came and went. */
  processes(): { pid: number; comm: string; firstSeen: string; lastSeen: string; exited: string | null }[] {
    return [...this.seen.values()].map((s) => ({
      pid: s.pid,
      comm: s.comm,
      firstSeen: s.firstAt,
      lastSeen: s.lastAt,
      exited: s.exitedAt,
    }));
  }
}

export function netDirOf(procRoot: string, pid: number): string {
  return join(procRoot, String(pid), 'net');
}

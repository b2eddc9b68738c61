// The lines `fleetlens sample` writes, in the formats of ../shared/host-samples (README "Files").
// Pure: a time and what was read in, text out. src/ingest reads every one of them back.
import type { CountLabel } from '../ingest/count-log.ts';

/** `2026-11-24 08:40:58`: the second-resolution UTC stamp of the per-interval logs. */
export function stampSec(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 19).replace('T', ' ');
}

/** `2026-11-24 08:40:58 - PID: 31561, Threads: 1` (threads.log, threads-proc-status.log, fds.log). */
export function countLine(timeMs: number, pid: number, label: CountLabel, count: number): string {
  return `${stampSec(timeMs)} - PID: ${pid}, ${label}: ${count}`;
}

function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

/** Every /proc/net/sockstat line with the time in front: `2026-11-24 08:40:58 TCP: inuse 8 ...`. */
export function sockstatLines(timeMs: number, sockstat: string): string[] {
  const stamp = stampSec(timeMs);
  return nonEmptyLines(sockstat).map((line) => `${stamp} ${line.trim()}`);
}

/** `ss -ltnH` output with the time in front and its column padding squeezed to single spaces. */
export function ssListenLines(timeMs: number, ssOutput: string): string[] {
  const stamp = stampSec(timeMs);
  return nonEmptyLines(ssOutput).map((line) => `${stamp} ${line.trim().split(/\s+/).join(' ')}`);
}

/** A listening socket as /proc/net/tcp{,6} shows it. */
export interface ProcListener {
  local: string;
  peer: string;
  /** The accept queue now (rx_queue of a socket in state 0A). */
  acceptQueue: number;
}

/**
 * `2026-11-24 08:40:58 LISTEN <accept queue> ? <local> <peer>` for listen-queue-proc.log.
 * NOTE: /proc/net/tcp has no listener backlog (ss's Send-Q comes from netlink inet_diag), so the
 * column is `?`: a made-up number would make the listen-queue rule see a full (or never-full)
 * queue and size somaxconn from it. That is why this file has its own name, which diagnose skips.
 */
export function procListenLine(timeMs: number, listener: ProcListener): string {
  return `${stampSec(timeMs)} LISTEN ${listener.acceptQueue} ? ${listener.local} ${listener.peer}`;
}

/** app-fd-count-{start,end}.txt: `2026-11-24T08:40:57.911Z ls /proc/31561/fd | wc -l = 10`. */
export function fdCountSnapshot(timeMs: number, pid: number, count: number): string {
  return `${new Date(timeMs).toISOString()} ls /proc/${pid}/fd | wc -l = ${count}\n`;
}

/** One host-info.txt section: `$ command`, its output, a blank line. */
export function hostInfoSection(command: string, output: string): string {
  const body = output.endsWith('\n') || output === '' ? output : `${output}\n`;
  return `$ ${command}\n${body}\n`;
}

/**
 * The sysctl name of a file under /proc/sys: `net/ipv4/conf/eth0.100/rp_filter` →
 * `net.ipv4.conf.eth0/100.rp_filter` (sysctl(8) swaps `.` and `/` inside a name the same way).
 */
export function sysctlKey(relativePath: string): string {
  return relativePath
    .split('/')
    .map((part) => part.replaceAll('.', '/'))
    .join('.');
}

/** `sysctl -a` lines for one key: a value of several lines is printed once per line, as sysctl does. */
export function sysctlLines(key: string, value: string): string[] {
  const lines = value.replace(/\n+$/, '').split('\n');
  return lines.map((line) => (line === '' ? `${key} = ` : `${key} = ${line}`));
}

import { SampleError } from '../errors.ts';
import { splitLines } from './lines.ts';

/** `ss -s` totals. */
export interface SsSummary {
  total: number;
  tcpTotal: number;
  estab: number;
  closed: number;
  orphaned: number;
  timewait: number;
}

// `TCP:   962 (estab 449, closed 508, orphaned 0, timewait 508)`; older ss adds `synrecv 0` and
// prints timewait as `508/0` (time-wait / tw buckets).
const tcpLine = /^TCP:\s+(\d+)\s+\((.*)\)/;

function tcpStates(text: string): Record<string, number> {
  const states: Record<string, number> = {};
  for (const part of text.split(',')) {
    const [name, value] = part.trim().split(/\s+/);
    if (name && value) states[name] = Number(value.split('/')[0]);
  }
  return states;
}

/** Reads `ss -s`: the socket total and the TCP state counts. */
export function parseSsSummary(text: string, file: string): SsSummary {
  const lines = splitLines(text).map((line) => line.trim());
  const total = /^Total:\s+(\d+)/.exec(lines.find((line) => line.startsWith('Total:')) ?? '');
  const tcpIndex = lines.findIndex((line) => tcpLine.test(line));
  const tcp = tcpLine.exec(lines[tcpIndex] ?? '');
  if (!total || !tcp) {
    throw new SampleError('expected "Total: <n>" and "TCP: <n> (estab <n>, ...)" lines', file);
  }
  const states = tcpStates(tcp[2] ?? '');
  const state = (name: string): number => {
    const value = states[name];
    if (value === undefined || Number.isNaN(value)) {
      throw new SampleError(`TCP line has no "${name} <n>"`, file, tcpIndex + 1);
    }
    return value;
  };
  return {
    total: Number(total[1]),
    tcpTotal: Number(tcp[1]),
    estab: state('estab'),
    closed: state('closed'),
    orphaned: state('orphaned'),
    timewait: state('timewait'),
  };
}

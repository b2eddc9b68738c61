import { SampleError } from '../errors.ts';
import { countOf } from './columns.ts';
import { type LineReader, readTextLines } from './lines.ts';

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

function tcpStates(text: string): Map<string, string> {
  const states = new Map<string, string>();
  for (const part of text.split(',')) {
    const [name, value] = part.trim().split(/\s+/);
    if (name && value) states.set(name, value.split('/')[0] ?? '');
  }
  return states;
}

/** Reads `ss -s`: the socket total and the TCP state counts (the first `Total:` and `TCP:` lines). */
export function ssSummaryReader(file: string): LineReader<SsSummary> {
  let total: number | null = null;
  let tcp: { total: number; states: Map<string, string>; lineNo: number } | null = null;
  return {
    line(text, lineNo) {
      const line = text.trim();
      const totalMatch = total === null ? /^Total:\s+(\d+)/.exec(line) : null;
      if (totalMatch) total = countOf(totalMatch[1] ?? '', 'Total');
      const tcpMatch = tcp === null ? tcpLine.exec(line) : null;
      if (tcpMatch) {
        tcp = { total: countOf(tcpMatch[1] ?? '', 'TCP'), states: tcpStates(tcpMatch[2] ?? ''), lineNo };
      }
      return total !== null && tcp !== null ? 'stop' : undefined;
    },
    end() {
      if (total === null || tcp === null) {
        throw new SampleError('expected "Total: <n>" and "TCP: <n> (estab <n>, ...)" lines', file);
      }
      const { states, lineNo } = tcp;
      const state = (name: string): number => {
        const digits = states.get(name);
        if (digits === undefined || !/^\d+$/.test(digits)) {
          throw new SampleError(`TCP line has no "${name} <n>"`, file, lineNo);
        }
        try {
          return countOf(digits, name);
        } catch (error) {
          throw error instanceof SampleError ? new SampleError(error.message, file, lineNo) : error;
        }
      };
      return {
        total,
        tcpTotal: tcp.total,
        estab: state('estab'),
        closed: state('closed'),
        orphaned: state('orphaned'),
        timewait: state('timewait'),
      };
    },
  };
}

export function parseSsSummary(text: string, file: string): SsSummary {
  return readTextLines(text, file, ssSummaryReader(file));
}

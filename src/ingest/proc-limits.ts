import { SampleError } from '../errors.ts';
import { checkRange } from './columns.ts';
import { type LineReader, quoteLine, readTextLines } from './lines.ts';
import type { LimitValue, ProcLimits } from './types.ts';

interface Columns {
  soft: number;
  hard: number;
  units: number;
}

/** /proc/PID/limits has 16 lines; a file with far more is not one. */
const MAX_LIMITS = 256;

function limitNumber(text: string, line: string): number | null {
  if (text === 'unlimited') return null;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) {
    throw new SampleError(`limit is neither a number nor "unlimited" in ${quoteLine(line)}`, '');
  }
  return checkRange(value, 'limit', text);
}

/**
 * Reads /proc/PID/limits. NOTE: the kernel prints fixed-width columns (%-25s %-20s %-20s %-10s in
 * fs/proc/base.c) and limit names contain spaces, so fields are cut at the header's column starts.
 */
export function procLimitsReader(file: string): LineReader<ProcLimits> {
  let columns: Columns | null = null;
  const limits = new Map<string, LimitValue>();
  return {
    line(line, lineNo) {
      if (lineNo === 1) {
        const found = {
          soft: line.indexOf('Soft Limit'),
          hard: line.indexOf('Hard Limit'),
          units: line.indexOf('Units'),
        };
        if (!line.startsWith('Limit') || found.soft < 0 || found.hard < 0 || found.units < 0) {
          throw new SampleError('expected the header "Limit  Soft Limit  Hard Limit  Units"', file, 1);
        }
        columns = found;
        return;
      }
      if (columns === null) return 'stop';
      if (line.trim() === '') return;
      const { soft, hard, units } = columns;
      const name = line.slice(0, soft).trim();
      const cut = (from: number, to?: number): string => line.slice(from, to).trim();
      if (name === '' || line.length <= hard) {
        throw new SampleError(`expected "<name> <soft> <hard> [units]", found ${quoteLine(line)}`, file);
      }
      limits.set(name, {
        soft: limitNumber(cut(soft, hard), line),
        hard: limitNumber(cut(hard, units), line),
        units: cut(units) || null,
      });
      return limits.size >= MAX_LIMITS ? 'stop' : undefined;
    },
    end() {
      if (columns === null) {
        throw new SampleError('expected the header "Limit  Soft Limit  Hard Limit  Units"', file, 1);
      }
      if (limits.size === 0) throw new SampleError('no limit lines under the header', file);
      return Object.fromEntries(limits);
    },
  };
}

export function parseProcLimits(text: string, file: string): ProcLimits {
  return readTextLines(text, file, procLimitsReader(file));
}

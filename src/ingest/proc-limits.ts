import { SampleError } from '../errors.ts';
import { quoteLine, splitLines } from './lines.ts';
import type { LimitValue, ProcLimits } from './types.ts';

interface Columns {
  soft: number;
  hard: number;
  units: number;
}

function limitNumber(text: string, line: string, lineNo: number, file: string): number | null {
  if (text === 'unlimited') return null;
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) {
    throw new SampleError(`limit is neither a number nor "unlimited" in ${quoteLine(line)}`, file, lineNo);
  }
  return value;
}

/**
 * Reads /proc/PID/limits. NOTE: the kernel prints fixed-width columns (%-25s %-20s %-20s %-10s in
 * fs/proc/base.c) and limit names contain spaces, so fields are cut at the header's column starts.
 */
export function parseProcLimits(text: string, file: string): ProcLimits {
  const lines = splitLines(text);
  const header = lines[0] ?? '';
  const columns: Columns = {
    soft: header.indexOf('Soft Limit'),
    hard: header.indexOf('Hard Limit'),
    units: header.indexOf('Units'),
  };
  if (!header.startsWith('Limit') || columns.soft < 0 || columns.hard < 0 || columns.units < 0) {
    throw new SampleError('expected the header "Limit  Soft Limit  Hard Limit  Units"', file, 1);
  }
  const limits: ProcLimits = {};
  for (const [index, line] of lines.entries()) {
    if (index === 0 || line.trim() === '') continue;
    const name = line.slice(0, columns.soft).trim();
    const cut = (from: number, to?: number): string => line.slice(from, to).trim();
    if (name === '' || line.length <= columns.hard) {
      throw new SampleError(
        `expected "<name> <soft> <hard> [units]", found ${quoteLine(line)}`,
        file,
        index + 1,
      );
    }
    const value: LimitValue = {
      soft: limitNumber(cut(columns.soft, columns.hard), line, index + 1, file),
      hard: limitNumber(cut(columns.hard, columns.units), line, index + 1, file),
      units: cut(columns.units) || null,
    };
    limits[name] = value;
  }
  if (Object.keys(limits).length === 0) throw new SampleError('no limit lines under the header', file);
  return limits;
}

// One place that turns "today's peak, the limit, the multiplier" into a judged ceiling: every check
// of the pre-event review goes through `judged` or `unknownCeiling`, so the arithmetic is the same.
import type { CeilingKind, EventCheck, Unit } from '../model/index.ts';

/** A ceiling hit below multiplier × this is at risk: peaks vary, and a projection is not a measurement. */
export const AT_RISK_MARGIN = 1.2;

export interface Measured {
  kind: CeilingKind;
  label: string;
  today: number;
  limit: number;
  unit: Unit;
  source: string;
  note?: string;
}

/** The multiplier at which `today` reaches `limit`, floored to 2 decimals so headroom is never overstated. */
export function breaksAtOf(today: number, limit: number): number | null {
  if (!(today > 0) || !Number.isFinite(limit)) return null;
  return Math.floor((limit / today) * 100) / 100;
}

export function judged(measured: Measured, multiplier: number): EventCheck {
  const breaksAt = breaksAtOf(measured.today, measured.limit);
  const status =
    breaksAt === null
      ? 'ok'
      : breaksAt < multiplier
        ? 'breaks'
        : breaksAt < multiplier * AT_RISK_MARGIN
          ? 'at-risk'
          : 'ok';
  return {
    kind: measured.kind,
    label: measured.label,
    status,
    today: roundTo(measured.today),
    demand: roundTo(measured.today * multiplier),
    limit: roundTo(measured.limit),
    unit: measured.unit,
    breaksAt,
    source: measured.source,
    ...(measured.note ? { note: measured.note } : {}),
  };
}

export function unknownCeiling(kind: CeilingKind, label: string, unit: Unit, why: string): EventCheck {
  return {
    kind,
    label,
    status: 'unknown',
    today: null,
    demand: null,
    limit: null,
    unit,
    breaksAt: null,
    source: why,
  };
}

/** Four significant digits: enough to redo the arithmetic, without float noise in the report. */
export function roundTo(value: number): number {
  return Number(value.toPrecision(4));
}

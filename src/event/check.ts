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
  /** The part of today's peak that does not grow with traffic (memory's resident floor); 0 by default. */
  floor?: number;
}

/**
 * The multiplier at which `today` reaches `limit`, floored to 2 decimals so headroom is never
 * overstated. Only the part above `floor` grows with the multiplier; a floor already past the
 * limit leaves the plain ratio.
 */
export function breaksAtOf(today: number, limit: number, floor = 0): number | null {
  if (!(today > 0) || !Number.isFinite(limit)) return null;
  const growing = today - floor;
  const ratio = floor > 0 && floor < limit && growing > 0 ? (limit - floor) / growing : limit / today;
  return Math.floor(ratio * 100) / 100;
}

function projected(measured: Measured, multiplier: number): number {
  const floor = measured.floor ?? 0;
  return floor > 0 && floor < measured.today
    ? floor + (measured.today - floor) * multiplier
    : measured.today * multiplier;
}

export function judged(measured: Measured, multiplier: number): EventCheck {
  const breaksAt = breaksAtOf(measured.today, measured.limit, measured.floor);
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
    demand: roundTo(projected(measured, multiplier)),
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

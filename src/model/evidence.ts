import { z } from 'zod';
import { Unit } from './common.ts';

/** A single figure, with how it was computed (percentile method, window, point count). */
export const StatEvidence = z.object({
  kind: z.literal('stat'),
  label: z.string(),
  value: z.number().nullable(),
  unit: Unit,
  method: z.string().optional(),
});

/** A time series; points are [epochMs, value] with null for a missing step. */
export const SeriesEvidence = z.object({
  kind: z.literal('series'),
  label: z.string(),
  unit: Unit,
  stepSec: z.number().positive(),
  points: z.array(z.tuple([z.number(), z.number().nullable()])),
  source: z.string(),
  /**
   * A line drawn across the chart: a limit, a threshold or a floor. `bad` says which side of it is
   * trouble (above a CPU threshold, below a credit floor), so a downsampled chart keeps the peaks
   * or the dips that matter.
   */
  reference: z
    .object({ label: z.string(), value: z.number(), bad: z.enum(['above', 'below']).optional() })
    .optional(),
});

export const TableEvidence = z.object({
  kind: z.literal('table'),
  label: z.string(),
  columns: z.array(z.object({ key: z.string(), label: z.string(), unit: Unit.optional() })),
  rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))),
});

/** Verbatim lines from a file or a command (sysctl lines, log lines, ss output). */
export const ExcerptEvidence = z.object({
  kind: z.literal('excerpt'),
  label: z.string(),
  source: z.string(),
  lines: z.array(z.string()),
  /** How many matching lines there were in all, when `lines` shows only some. */
  totalLines: z.number().int().nonnegative().optional(),
});

/** The worked arithmetic behind a recommendation, one step a line, so a reader can redo it. */
export const ArithmeticEvidence = z.object({
  kind: z.literal('arithmetic'),
  label: z.string(),
  steps: z.array(z.object({ label: z.string(), formula: z.string(), result: z.string() })),
});

export const Evidence = z.discriminatedUnion('kind', [
  StatEvidence,
  SeriesEvidence,
  TableEvidence,
  ExcerptEvidence,
  ArithmeticEvidence,
]);
export type Evidence = z.infer<typeof Evidence>;
export type StatEvidence = z.infer<typeof StatEvidence>;
export type SeriesEvidence = z.infer<typeof SeriesEvidence>;
export type TableEvidence = z.infer<typeof TableEvidence>;
export type ExcerptEvidence = z.infer<typeof ExcerptEvidence>;
export type ArithmeticEvidence = z.infer<typeof ArithmeticEvidence>;

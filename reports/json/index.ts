import { z } from 'zod';
import { AnalysisResult, DiagnoseResult } from './schema.ts';

// NOTE: inline (no $defs) and output-side types give one stable document per schema version.
const JSON_SCHEMA_OPTIONS = {
  target: 'draft-2020-12',
  io: 'output',
  unrepresentable: 'throw',
  cycles: 'throw',
  reused: 'inline',
} as const;

/** A result that fails its own contract is a bug upstream: name every bad path, keep the cause. */
function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new Error(`${what} does not match its schema:\n${z.prettifyError(parsed.error)}`, {
    cause: parsed.error,
  });
}

export function renderAuditJson(result: AnalysisResult): string {
  return `${JSON.stringify(parseOrThrow(AnalysisResult, result, 'report.json'), null, 2)}\n`;
}

export function renderDiagnoseJson(result: DiagnoseResult): string {
  return `${JSON.stringify(parseOrThrow(DiagnoseResult, result, 'diagnose output'), null, 2)}\n`;
}

/** The JSON Schema of report.json (draft 2020-12), as checked in beside this file. */
export function reportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(AnalysisResult, JSON_SCHEMA_OPTIONS);
}

export function diagnoseJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(DiagnoseResult, JSON_SCHEMA_OPTIONS);
}

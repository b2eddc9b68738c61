// Where reports go: files in --out DIR, or stdout with `--out -` (one format), logs always on stderr.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type ReportFormat, reportWriters } from '../../reports/index.ts';
import type { AnalysisResult, DiagnoseResult } from '../../reports/json/schema.ts';
import { ConfigError } from '../errors.ts';

export function parseFormats(text: string, allowed: readonly ReportFormat[]): ReportFormat[] {
  const formats = text
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  for (const format of formats) {
    if (!(allowed as readonly string[]).includes(format)) {
      throw new ConfigError(
        `unknown format "${format}" (this version writes: ${allowed.join(', ')})`,
        undefined,
        undefined,
        '--format',
      );
    }
  }
  if (formats.length === 0) throw new ConfigError('no format given', undefined, undefined, '--format');
  return [...new Set(formats)] as ReportFormat[];
}

export async function writeAuditReports(
  result: AnalysisResult,
  formats: readonly ReportFormat[],
  out: string,
): Promise<string[]> {
  if (out === '-') {
    if (formats.length !== 1)
      throw new ConfigError('--out - (stdout) takes exactly one --format', undefined, undefined, '--out');
    process.stdout.write(reportWriters[formats[0]!].renderAudit(result));
    return [];
  }
  const dir = resolve(out);
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const format of formats) {
    const writer = reportWriters[format];
    const file = join(dir, writer.fileName);
    await writeFile(file, writer.renderAudit(result));
    written.push(file);
  }
  return written;
}

export function renderDiagnose(result: DiagnoseResult, format: ReportFormat): string {
  return reportWriters[format].renderDiagnose(result);
}

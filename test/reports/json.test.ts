import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  diagnoseJsonSchema,
  renderAuditJson,
  renderDiagnoseJson,
  reportJsonSchema,
} from '../../reports/json/index.ts';
import type { AnalysisResult, DiagnoseResult } from '../../reports/json/schema.ts';
import { buildAnalysisResult, buildDiagnoseResult } from '../helpers/result-builder.ts';

describe('renderAuditJson', () => {
  it('writes the result as indented JSON with a final newline, readable back unchanged', () => {
    const result = buildAnalysisResult();
    const text = renderAuditJson(result);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "schemaVersion": 1,');
    expect(JSON.parse(text)).toEqual(result);
  });

  it('rejects a result that breaks the contract and names the bad field', () => {
    const result = buildAnalysisResult();
    const bad = {
      ...result,
      findings: [{ ...result.findings[0], severity: 'urgent' }],
    } as unknown as AnalysisResult;
    expect(() => renderAuditJson(bad)).toThrow(/findings\[0\]\.severity|findings\.0\.severity/);
    const wrongVersion = { ...result, schemaVersion: 2 } as unknown as AnalysisResult;
    expect(() => renderAuditJson(wrongVersion)).toThrow(/schemaVersion/);
    const badRisk = {
      ...result,
      recommendations: [{ ...result.recommendations[0], risk: 7 }],
    } as unknown as AnalysisResult;
    expect(() => renderAuditJson(badRisk)).toThrow(/risk/);
  });

  it('drops fields the contract does not know, so nothing stray reaches outside tools', () => {
    const result = { ...buildAnalysisResult(), debugToken: 'x' } as unknown as AnalysisResult;
    expect(JSON.parse(renderAuditJson(result))).not.toHaveProperty('debugToken');
  });
});

describe('renderDiagnoseJson', () => {
  it('writes {schemaVersion, diagnoses} in argument order', () => {
    const result = buildDiagnoseResult();
    const parsed = JSON.parse(renderDiagnoseJson(result));
    expect(parsed.schemaVersion).toBe(1);
    expect(parsed.diagnoses.map((d: { source: string }) => d.source)).toEqual([
      'samples/api-3',
      'samples/worker-1',
    ]);
  });

  it('rejects a confidence outside 0..1 and an unknown class', () => {
    const [first] = buildDiagnoseResult().diagnoses;
    const bad = { schemaVersion: 1, diagnoses: [{ ...first, confidence: 1.5 }] } as unknown as DiagnoseResult;
    expect(() => renderDiagnoseJson(bad)).toThrow(/confidence/);
    const unknown = {
      schemaVersion: 1,
      diagnoses: [{ ...first, primary: 'haunted' }],
    } as unknown as DiagnoseResult;
    expect(() => renderDiagnoseJson(unknown)).toThrow(/primary/);
  });
});

const SCHEMA_FILES = [
  ['report.schema.json', reportJsonSchema],
  ['diagnose.schema.json', diagnoseJsonSchema],
] as const;

describe('checked-in JSON Schemas', () => {
  it.each(SCHEMA_FILES)('reports/json/%s equals what the zod contract produces now', (file, schemaOf) => {
    const path = fileURLToPath(new URL(`../../reports/json/${file}`, import.meta.url));
    const expected = `${JSON.stringify(schemaOf(), null, 2)}\n`;
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(path, expected);
    const actual = existsSync(path) ? readFileSync(path, 'utf8') : '(missing)';
    expect(
      actual,
      `reports/json/${file} is out of date with reports/json/schema.ts: run ` +
        '`UPDATE_SCHEMA=1 npx vitest run test/reports/json.test.ts`, and bump SCHEMA_VERSION ' +
        'if the contract changed',
    ).toBe(expected);
  });

  it.each(SCHEMA_FILES)('%s is a draft 2020-12 schema of the whole document', (_file, schemaOf) => {
    const schema = schemaOf() as { $schema?: string; type?: string; required?: string[]; $ref?: string };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
    expect(schema.required).toContain('schemaVersion');
    expect(JSON.stringify(schema)).not.toContain('"$ref"');
  });

  it('lists every top-level field of report.json from DESIGN.md', () => {
    const schema = reportJsonSchema() as { required?: string[] };
    expect(schema.required).toEqual([
      'schemaVersion',
      'run',
      'hosts',
      'groups',
      'findings',
      'recommendations',
      'gaps',
    ]);
  });
});

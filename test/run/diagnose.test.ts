// `diagnose` against every capture we have, checked against ground truth that lives outside the
// folders (../shared/host-samples/labels, scripts/capture/labels): the analyzer never reads it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnoseResult } from '../../reports/json/schema.ts';
import { silentLogger } from '../../src/log.ts';
import { runDiagnose } from '../../src/run/diagnose.ts';
import { labelledCaptures, OUR_SAMPLES, SHARED_SAMPLES } from '../helpers/labelled-captures.ts';

const SHARED = SHARED_SAMPLES;
const OURS = OUR_SAMPLES;

const cases = labelledCaptures();

describe('diagnose names the right class', () => {
  it('has captures to check', () => {
    expect(cases.length).toBeGreaterThanOrEqual(existsSync(SHARED) ? 5 : 1);
  });
  it.each(cases)('$expected: $dir', async ({ dir, expected }) => {
    const { diagnoses } = await runDiagnose([dir], silentLogger);
    const [diagnosis] = diagnoses;
    expect(diagnosis!.primary).toBe(expected);
    expect(diagnosis!.confidence).toBeGreaterThanOrEqual(0.6);
  });
});

describe('the diagnose contract', () => {
  it('gives one diagnosis per folder in argument order, with inputs, gaps and scores', async () => {
    const dirs = [join(OURS, 'disk-saturation'), join(OURS, 'healthy')];
    const result = await runDiagnose(dirs, silentLogger);
    expect(() => DiagnoseResult.parse(result)).not.toThrow();
    expect(result.schemaVersion).toBe(1);
    expect(result.diagnoses.map((d) => d.source)).toEqual(dirs);
    const disk = result.diagnoses[0]!;
    const sadf = disk.inputs.find((i) => i.file === 'sadf-A.json.gz')!;
    expect(sadf).toMatchObject({ kind: 'sysstat-json', from: expect.stringMatching(/^2026-11-24T08:3\dZ?/) });
    expect(sadf.records).toBeGreaterThan(100);
    expect(disk.inputs.find((i) => i.file === 'iostat-x.json')).toMatchObject({ kind: 'iostat-json' });
    expect(disk.inputs.find((i) => i.file === 'threads.log')).toMatchObject({ kind: 'thread-log' });
    expect(disk.scores[0]!.class).toBe('disk-saturated');
    expect(disk.scores[0]!.signals.length).toBeGreaterThanOrEqual(3);
    expect(disk.findings.map((f) => f.ruleId)).toContain('disk-saturated');
  });

  it('still diagnoses from what is there when most files are missing, with lower confidence', async () => {
    const { mkdtemp, cp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'fleetlens-partial-'));
    try {
      await cp(join(OURS, 'cpu-saturation', 'sadf-A.json.gz'), join(dir, 'sadf-A.json.gz'));
      const [full] = (await runDiagnose([join(OURS, 'cpu-saturation')], silentLogger)).diagnoses;
      const [partial] = (await runDiagnose([dir], silentLogger)).diagnoses;
      expect(partial!.primary).toBe('cpu-saturated');
      expect(partial!.confidence).toBeLessThan(full!.confidence);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says there is nothing to judge in an empty folder: confidence 0 and a gap', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'fleetlens-empty-'));
    try {
      const [d] = (await runDiagnose([dir], silentLogger)).diagnoses;
      expect(d!.confidence).toBe(0);
      expect(d!.inputs).toEqual([]);
      expect(d!.gaps.length).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

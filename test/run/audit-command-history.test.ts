// The audit command's history flags as a user meets them (issue 10 points 1 and 6): the default
// store beside the config, `--no-store`, the mute file beside the config, and usage errors before
// anything is collected. The real AWS client against the small test fleet on 127.0.0.1.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledScenarioPath, loadScenario } from '../../mocks/scenarios/schema.ts';
import type { AnalysisResult } from '../../reports/json/schema.ts';
import { ConfigError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { checkAuditUsage, runAuditCommand } from '../../src/run/audit-command.ts';
import { type ServedMocks, serveScenario } from '../../src/run/demo.ts';
import { openStore } from '../../src/store/index.ts';

describe('usage errors of the history flags, before anything runs', () => {
  const usage = (extra: Record<string, unknown>) => {
    try {
      checkAuditUsage({ format: 'md', out: 'out', ...extra });
    } catch (error) {
      if (error instanceof ConfigError) return error.describe();
      throw error;
    }
    return '';
  };

  it('refuses --only-stable without a store, a bad --keep and a bad --stable-runs', () => {
    expect(usage({ demo: true, onlyStable: true })).toMatch(/--only-stable: needs a history store/);
    expect(usage({ store: false, onlyStable: true })).toMatch(/--only-stable/);
    expect(usage({ demo: true, store: 'h.duckdb', onlyStable: true })).toBe('');
    expect(usage({ keep: 'forever' })).toMatch(/^--keep: /);
    expect(usage({ stableRuns: '0' })).toMatch(/^--stable-runs: a whole number/);
  });
});

describe('audit --config with the default store', () => {
  let dir: string;
  let served: ServedMocks;
  let config: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetlens-audit-history-'));
    config = join(dir, 'fleetlens.yaml');
    served = await serveScenario(loadScenario(bundledScenarioPath('test-fleet')), {
      writeConfigFile: config,
    });
    Object.assign(process.env, served.env);
  });
  afterAll(async () => {
    process.env = saved;
    await served?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const audit = (extra: Record<string, unknown> = {}): Promise<AnalysisResult> =>
    runAuditCommand({ config, format: 'json', out: join(dir, 'out'), since: '2d', ...extra }, silentLogger);

  it('records to .fleetlens/history.duckdb beside the config, records nothing with --no-store, and applies fleetlens.mute.yaml', async () => {
    const store = join(dir, '.fleetlens', 'history.duckdb');
    const first = await audit();
    expect(existsSync(store)).toBe(true);
    expect(first.history).toMatchObject({ previousRunId: null, store });
    expect(first.findings.length).toBeGreaterThan(0);

    const unrecorded = await audit({ store: false });
    expect(unrecorded.history).toBeUndefined();
    expect(unrecorded.findings.every((f) => f.status === undefined)).toBe(true);

    const target = first.findings[0]!;
    await writeFile(
      join(dir, 'fleetlens.mute.yaml'),
      `mutes:\n  - finding: ${target.id}\n    reason: accepted for the test\n    until: 2999-01-01\n`,
    );
    const second = await audit();
    expect(second.history?.previousRunId).toBe(first.run.id);
    expect(second.findings.find((f) => f.id === target.id)).toMatchObject({
      status: expect.stringMatching(/^(open|worse|better)$/),
      runs: 2,
      mute: { reason: 'accepted for the test', until: '2999-01-01', expired: false },
    });
    const history = await openStore(store);
    try {
      expect((await history.listRuns()).map((r) => r.runId)).toEqual([second.run.id, first.run.id]);
    } finally {
      await history.close();
    }
  });
});

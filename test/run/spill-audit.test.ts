// A live audit whose series go past its memory budget writes them to disk as they arrive and is
// judged from files, unit by unit: against the four-cloud mocks it reports exactly what an audit
// that held them reports, saves the same artifacts, and leaves nothing behind in its temp folder.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledScenarioPath, loadScenario, type Scenario } from '../../mocks/scenarios/schema.ts';
import type { AnalysisResult } from '../../reports/json/schema.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { virtualClock } from '../../src/net/clock.ts';
import { packagePath } from '../../src/paths.ts';
import { openArtifacts } from '../../src/run/artifacts-reader.ts';
import { readSeriesFile } from '../../src/run/artifacts-series.ts';
import { runAudit } from '../../src/run/audit.ts';
import type { CollectedSeriesOptions } from '../../src/run/collected-series.ts';
import { withMocks } from '../../src/run/demo.ts';

const NOW = Date.now();
let root: string;
let held: AnalysisResult;
let spilled: AnalysisResult;
let spilledUnsaved: AnalysisResult;

function faultFree(): Scenario {
  const scenario = loadScenario(bundledScenarioPath('demo'));
  for (const cloud of [scenario.aws, scenario.gcp, scenario.linode, scenario.ovh])
    if (cloud) cloud.faults = [];
  return scenario;
}

async function audit(seriesSpill: Partial<CollectedSeriesOptions>, saveArtifactsDir?: string) {
  const loaded = await loadConfigFile(packagePath('mocks', 'scenarios', 'demo.fleetlens.yaml'));
  return withMocks(
    faultFree(),
    loaded,
    silentLogger,
    (demo) =>
      runAudit({
        ...demo,
        mode: 'demo',
        log: silentLogger,
        now: () => NOW,
        since: '2d',
        seriesSpill,
        ...(saveArtifactsDir ? { saveArtifactsDir } : {}),
      }),
    { net: { clock: virtualClock(NOW) }, now: () => NOW },
  );
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fleetlens-spill-audit-'));
  held = await audit({}, join(root, 'held'));
  spilled = await audit({ budgetBytes: 0, tempRoot: root }, join(root, 'spilled'));
  spilledUnsaved = await audit({ budgetBytes: 0, tempRoot: root });
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** What the report says, less what differs between any two runs (ids, times). */
const judged = (r: AnalysisResult) => ({
  hosts: r.hosts,
  groups: r.groups,
  findings: r.findings,
  recommendations: r.recommendations,
  gaps: r.gaps,
  event: r.event,
  coverage: r.run.coverage,
  apiCalls: r.run.apiCalls,
  summary: r.run.summary,
  complete: r.run.complete,
});

async function folderSeries(dir: string) {
  const opened = await openArtifacts(dir);
  const out = [];
  for (const p of opened.manifest.providers) {
    for (const entry of p.seriesFiles) {
      const rows = [];
      for await (const batch of readSeriesFile(join(dir, entry.file)))
        for (const s of batch.series) rows.push([batch.hostId, s.subjectId, s.metric, [...s.columns.values]]);
      out.push({ provider: p.provider, entry, rows });
    }
  }
  return out;
}

describe('an audit past its memory budget', () => {
  it('reports what an audit that held its series reports', () => {
    expect(held.findings.length).toBeGreaterThan(10);
    expect(held.run.summary.hosts).toBeGreaterThanOrEqual(30);
    expect(judged(spilled)).toEqual(judged(held));
    expect(judged(spilledUnsaved)).toEqual(judged(held));
    expect(spilled.run.mode).toBe('demo');
  });

  it('saves the same artifacts, file for file and series for series', async () => {
    const [a, b] = [await folderSeries(join(root, 'held')), await folderSeries(join(root, 'spilled'))];
    expect(a.length).toBeGreaterThanOrEqual(6);
    expect(b).toEqual(a);
  });

  it('leaves no spill behind', async () => {
    expect((await readdir(root)).sort()).toEqual(['held', 'spilled']);
  });
});

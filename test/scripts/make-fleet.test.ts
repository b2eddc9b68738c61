import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetSummary, fleetOptionsOf, makeFleet } from '../../scripts/make-fleet.ts';
import { Config } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import { openArtifacts } from '../../src/run/artifacts-reader.ts';
import { runAudit } from '../../src/run/audit.ts';

const options = fleetOptionsOf(['--hosts', '48', '--days', '2', '--out', 'unused', '--seed', '7']).options;
let dir: string;
let first: FleetSummary;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-make-fleet-'));
  first = await makeFleet(options, join(dir, 'a'));
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

async function filesOf(root: string): Promise<Map<string, Buffer>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = new Map<string, Buffer>();
  for (const e of entries.filter((f) => f.isFile())) {
    const path = join(e.parentPath, e.name);
    files.set(path.slice(root.length), await readFile(path));
  }
  return files;
}

describe('make-fleet', () => {
  it('writes N hosts across the four clouds, 5-minute points over the days asked', async () => {
    const opened = await openArtifacts(join(dir, 'a'));
    const hosts = opened.inventories.flatMap((i) => i.hosts);
    expect(hosts).toHaveLength(48);
    expect(opened.inventories.map((i) => [i.provider, i.hosts.length])).toEqual([
      ['aws', 12],
      ['gcp', 12],
      ['linode', 12],
      ['ovh', 12],
    ]);
    expect(opened.manifest.window.toMs - opened.manifest.window.fromMs).toBe(2 * 86_400_000);
    let batches = 0;
    for await (const batch of opened.seriesByHost()) {
      batches += 1;
      const host = hosts.find((h) => h.id === batch.hostId)!;
      const metrics = batch.series.filter((s) => s.subjectKind === 'host').map((s) => s.metric);
      expect(metrics).toEqual(['cpu.util', 'cpu.util.max', 'net.in.bytes', 'net.out.bytes']);
      // A volume's series come with its host: AWS and GCP list a disk of their own.
      expect(batch.series.filter((s) => s.subjectKind === 'volume').length).toBe(
        host.provider === 'aws' || host.provider === 'gcp' ? 2 : 0,
      );
      for (const s of batch.series) {
        expect(s.columns.stepSec).toBe(300);
        expect(s.columns.values).toHaveLength(576);
      }
    }
    expect(batches).toBe(48);
    expect(first.points).toBe(first.series * 576);
  });

  it('is repeatable: the same seed gives byte-identical files, another seed other series', async () => {
    await makeFleet(options, join(dir, 'b'));
    await makeFleet({ ...options, seed: 8 }, join(dir, 'c'));
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((d) => filesOf(join(dir, d))));
    expect([...b!.keys()].sort()).toEqual([...a!.keys()].sort());
    for (const [name, bytes] of a!) expect(b!.get(name)!.equals(bytes), name).toBe(true);
    const series = '/series/aws-us-east-1.parquet';
    expect(c!.get(series)!.equals(a!.get(series)!)).toBe(false);
  });

  it('replays with --from-artifacts, and the audit finds the planted findings', async () => {
    const result = await runAudit({
      loaded: { config: Config.parse({}), file: 'fleetlens.yaml', locate: () => undefined },
      mode: 'live',
      log: silentLogger,
      fromArtifactsDir: join(dir, 'a'),
    });
    expect(result.run.summary.hosts).toBe(48);
    const flagged = (ruleId: string) =>
      new Set(result.findings.filter((f) => f.ruleId === ruleId).map((f) => f.subject.id));
    const idle = flagged('idle-instance');
    const saturated = flagged('cpu-saturated');
    const over = flagged('cpu-over-provisioned');
    expect(first.byStory.idle.length + first.byStory.saturated.length).toBeGreaterThan(0);
    expect([...idle].sort()).toEqual([...first.byStory.idle].sort());
    expect([...saturated].sort()).toEqual([...first.byStory.saturated].sort());
    // NOTE: over-provisioned is planted on AWS and GCP, whose catalogs hold a smaller type that fits.
    const hosts = result.hosts;
    const plantedOver = first.byStory.oversized.filter((id) =>
      ['aws', 'gcp'].includes(hosts.find((h) => h.id === id)!.provider),
    );
    expect(plantedOver.length).toBeGreaterThan(0);
    for (const id of plantedOver) expect(over.has(id), id).toBe(true);
    // Healthy web hosts carry no finding.
    const findingSubjects = new Set(result.findings.map((f) => f.subject.id));
    expect(first.byStory.web.filter((id) => findingSubjects.has(id))).toEqual([]);
  });
});

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleetUnits, seriesFromMemory } from '../../src/analysis/judge-fleet.ts';
import { ConfigError } from '../../src/errors.ts';
import { type Artifacts, convertArtifacts, loadArtifacts, saveArtifacts } from '../../src/run/artifacts.ts';
import { openArtifacts, seriesFromArtifacts } from '../../src/run/artifacts-reader.ts';
import { artifactsOf, idleFleet, saturatedFleet, writeArtifacts } from '../helpers/artifacts-builder.ts';
import { diurnal, flat, fleet } from '../helpers/fleet-builder.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-artifacts-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function loadError(from = dir): Promise<string[]> {
  try {
    await loadArtifacts(from);
  } catch (error) {
    if (error instanceof ConfigError) return error.describe().split('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadArtifacts', () => {
  it('reads back what was saved, settings included', async () => {
    const saved = artifactsOf(idleFleet());
    await writeArtifacts(dir, saved);
    const loaded = await loadArtifacts(dir);
    expect(loaded.settings).toEqual(saved.settings);
    expect(loaded.providers[0]!.hosts.map((h) => h.id)).toEqual(['i-0000000000000idle']);
  });

  it('names every wrong key of a damaged file at once, and counts the rest past five', async () => {
    const file = join(dir, 'artifacts.json');
    await writeFile(file, JSON.stringify({ artifactsVersion: 2, mode: 'cloud', window: {}, onHost: [] }));
    const lines = await loadError();
    expect(lines.slice(0, 5)).toEqual([
      `${file} artifactsVersion: expected 1 (found 2)`,
      `${file} mode: expected one of "live", "demo" (found "cloud")`,
      `${file} collectedAt: missing: expected a string`,
      `${file} window.fromMs: missing: expected a number`,
      `${file} window.toMs: missing: expected a number`,
    ]);
    expect(lines[5]).toMatch(new RegExp(`^${file}: and \\d+ more errors like these$`));
  });

  it('says how to make one when there is none', async () => {
    expect(await loadError()).toEqual([
      `${join(dir, 'manifest.json')}: no saved artifacts here (write them with --save-artifacts)`,
    ]);
  });
});

/** A fleet of two AWS hosts in two regions, an attached volume with its own series, and a group. */
function twoRegionArtifacts(): Artifacts {
  const idle = artifactsOf(idleFleet());
  const hot = artifactsOf(saturatedFleet());
  const aws = idle.providers[0]!;
  const hotHost = { ...hot.providers[0]!.hosts[0]!, region: 'eu-west-1', volumeIds: ['vol-1'] };
  const volumeSeries = {
    ...aws.series[0]!,
    subjectKind: 'volume' as const,
    subjectId: 'vol-1',
    metric: 'disk.read.ops' as const,
    unit: 'ops-per-second' as const,
  };
  return {
    ...idle,
    providers: [
      {
        ...aws,
        hosts: [...aws.hosts, hotHost],
        volumes: [
          {
            provider: 'aws',
            id: 'vol-1',
            region: 'eu-west-1',
            zone: null,
            type: 'gp3',
            sizeGiB: 100,
            iops: 3000,
            throughputMiBps: 125,
            attachedTo: [{ hostId: hotHost.id, device: '/dev/xvda' }],
            tags: { note: '<script>"quoted"</script>' },
          },
        ],
        series: [...aws.series, ...hot.providers[0]!.series, volumeSeries],
      },
    ],
  };
}

function sortedSeries(a: Artifacts) {
  return a.providers
    .flatMap((p) => p.series)
    .sort((x, y) => `${x.subjectId}/${x.metric}`.localeCompare(`${y.subjectId}/${y.metric}`));
}

describe('saved artifacts, version 2', () => {
  it('load back equal to what was saved: inventory, series, gaps, calls, settings', async () => {
    const saved = twoRegionArtifacts();
    const manifest = await saveArtifacts(join(dir, 'a'), saved);
    expect(manifest).toBe(join(dir, 'a', 'manifest.json'));
    expect((await readdir(join(dir, 'a', 'series'))).sort()).toEqual([
      'aws-eu-west-1.parquet',
      'aws-us-east-1.parquet',
    ]);
    const loaded = await loadArtifacts(join(dir, 'a'));
    const { series: _s, ...savedRest } = saved.providers[0]!;
    const { series: _l, ...loadedRest } = loaded.providers[0]!;
    expect(loadedRest).toEqual(savedRest);
    expect(sortedSeries(loaded)).toEqual(sortedSeries(saved));
    expect(loaded.settings).toEqual(saved.settings);
    expect(loaded.window).toEqual(saved.window);
  });

  it('say which folder versions they read, in one line, for a folder of a newer fleetlens', async () => {
    await saveArtifacts(join(dir, 'a'), twoRegionArtifacts());
    const manifest = join(dir, 'a', 'manifest.json');
    const written = JSON.parse(await readFile(manifest, 'utf8')) as { artifactsVersion: number };
    // Values as a BLOB of doubles: version 3 (a fleetlens before it says "expected 2 (found 3)").
    expect(written.artifactsVersion).toBe(3);
    await writeFile(manifest, JSON.stringify({ ...written, artifactsVersion: 4 }));
    expect(await loadError(join(dir, 'a'))).toEqual([
      `${manifest} artifactsVersion: expected one of 2, 3 (found 4)`,
    ]);
  });

  it('stream one host at a time, a volume with the host it is attached to', async () => {
    const saved = twoRegionArtifacts();
    await saveArtifacts(join(dir, 'a'), saved);
    const opened = await openArtifacts(join(dir, 'a'));
    const batches = [];
    for await (const b of opened.seriesByHost()) {
      batches.push({ host: b.hostId, region: b.region, subjects: b.series.map((s) => s.subjectId) });
    }
    const hot = saved.providers[0]!.hosts[1]!.id;
    expect(batches).toContainEqual({
      host: hot,
      region: 'eu-west-1',
      subjects: [hot, hot, hot, hot, 'vol-1'],
    });
    expect(new Set(batches.map((b) => b.host)).size).toBe(batches.length);
  });

  it('replay one unit at a time, a group’s members together, and hand what a whole load would', async () => {
    // Inventory order interleaves the group's members with hosts of their own.
    const builder = fleet()
      .host('a1')
      .cpu('a1', diurnal(5, 40))
      .host('solo')
      .cpu('solo', flat(90))
      .host('a2')
      .cpu('a2', diurnal(5, 40))
      .volume('vol-a2', 'a2', { type: 'gp3', sizeGiB: 50 })
      .volumeLoad('vol-a2', flat(100), flat(5))
      .host('quiet')
      .group('us-east-1/web', ['a1', 'a2']);
    builder.metric('us-east-1/web', 'cpu.util', flat(22));
    const saved = artifactsOf(builder);
    await saveArtifacts(join(dir, 'a'), saved);
    const opened = await openArtifacts(join(dir, 'a'));
    const owners = [];
    for await (const b of opened.seriesByHost()) owners.push(b.hostId);
    // What no host owns (the group's series) first, then unit by unit.
    expect(owners).toEqual([null, 'a1', 'a2', 'solo']);

    const facts = builder.facts();
    const units = fleetUnits(facts);
    const handed: { unit: string[]; series: string[] }[] = [];
    for await (const u of seriesFromArtifacts(opened)(units)) {
      handed.push({
        unit: units[u.unit]!.subjectIds,
        series: u.series.map((s) => `${s.subjectId} ${s.metric}`).sort(),
      });
    }
    const whole = [];
    for await (const u of seriesFromMemory(builder.series)(units)) {
      whole.push({
        unit: units[u.unit]!.subjectIds,
        series: u.series.map((s) => `${s.subjectId} ${s.metric}`).sort(),
      });
    }
    // Each unit once; 'quiet' (no series) first, then as the file completes them.
    expect(handed.map((h) => h.unit)).toEqual([['quiet'], ['us-east-1/web', 'a1', 'a2', 'vol-a2'], ['solo']]);
    expect([...handed].sort((x, y) => x.unit[0]!.localeCompare(y.unit[0]!))).toEqual(
      [...whole].sort((x, y) => x.unit[0]!.localeCompare(y.unit[0]!)),
    );
    const values = new Map(builder.series.map((s) => [`${s.subjectId} ${s.metric}`, s.values]));
    for await (const u of seriesFromArtifacts(opened)(units)) {
      for (const s of u.series) expect(s.values).toEqual(values.get(`${s.subjectId} ${s.metric}`));
    }
  });

  it('v1 artifacts convert to v2 and load the same', async () => {
    const v1 = artifactsOf(idleFleet());
    await writeArtifacts(join(dir, 'v1'), v1);
    await convertArtifacts(join(dir, 'v1'), join(dir, 'v2'));
    const fromV1 = await loadArtifacts(join(dir, 'v1'));
    const fromV2 = await loadArtifacts(join(dir, 'v2'));
    expect(fromV2).toEqual(fromV1);
  });

  it('never write a secret, whatever the settings carry', async () => {
    const saved = twoRegionArtifacts();
    saved.settings = {
      ...saved.settings!,
      providers: {
        aws: {
          regions: ['us-east-1'],
          endpoint: 'https://AKIAEXAMPLEKEY:hunter2secret@ec2.local/?token=tok-zzz',
        },
        linode: { token: 'linode-token-value', tokenName: 'prod' },
        ovh: { applicationSecret: 'ovh-app-secret', consumerKey: 'ovh-consumer', project: 'p1' },
      },
    };
    await saveArtifacts(join(dir, 'a'), saved);
    const files = await readdir(join(dir, 'a'), { recursive: true, withFileTypes: true });
    const text = (
      await Promise.all(
        files.filter((f) => f.isFile()).map((f) => readFile(join(f.parentPath, f.name), 'latin1')),
      )
    ).join('\n');
    for (const secret of [
      'hunter2secret',
      'AKIAEXAMPLEKEY',
      'tok-zzz',
      'linode-token-value',
      'ovh-app-secret',
      'ovh-consumer',
    ]) {
      expect(text).not.toContain(secret);
    }
    const loaded = await loadArtifacts(join(dir, 'a'));
    expect(loaded.settings!.providers.aws).toEqual({
      regions: ['us-east-1'],
      endpoint: 'https://ec2.local/?token=redacted',
    });
    expect(loaded.settings!.providers.ovh).toEqual({ project: 'p1' });
  });

  it('replace an earlier save whole, and refuse a folder of other files', async () => {
    await saveArtifacts(join(dir, 'a'), twoRegionArtifacts());
    await saveArtifacts(join(dir, 'a'), artifactsOf(idleFleet()));
    expect(await readdir(join(dir, 'a', 'series'))).toEqual(['aws-us-east-1.parquet']);
    expect((await readdir(dir)).sort()).toEqual(['a']);
    await mkdir(join(dir, 'mine'));
    await writeFile(join(dir, 'mine', 'notes.txt'), 'keep me');
    const error = await saveArtifacts(join(dir, 'mine'), twoRegionArtifacts()).catch((e: unknown) => e);
    expect((error as ConfigError).describe()).toBe(
      `${join(dir, 'mine')} --save-artifacts: holds files that are not saved artifacts: give an empty or new folder`,
    );
    expect(await readFile(join(dir, 'mine', 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('name a damaged manifest or a missing inventory in one line', async () => {
    await saveArtifacts(join(dir, 'a'), twoRegionArtifacts());
    const manifest = join(dir, 'a', 'manifest.json');
    const good = await readFile(manifest, 'utf8');
    await writeFile(manifest, good.slice(0, 40));
    expect(await loadError(join(dir, 'a'))).toEqual([
      expect.stringMatching(new RegExp(`^${manifest}: not JSON: `)),
    ]);
    await writeFile(manifest, good);
    await rm(join(dir, 'a', 'inventory', 'aws.json'));
    expect(await loadError(join(dir, 'a'))).toEqual([
      `${join(dir, 'a', 'inventory', 'aws.json')}: missing from the artifacts folder (save them again with --save-artifacts)`,
    ]);
  });
});

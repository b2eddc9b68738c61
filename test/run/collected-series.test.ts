// A collection's series, handed over in any order and in batches of any size, make the same
// artifacts folder whether they stayed within the memory budget or spilled to disk: the same files,
// the same series in the same order (unit by unit, a host's series together), the same counts. And
// a spill that cannot be written is one line naming the folder.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import type { MetricSeries } from '../../src/model/index.ts';
import { type Artifacts, saveArtifacts } from '../../src/run/artifacts.ts';
import { openArtifacts } from '../../src/run/artifacts-reader.ts';
import { readSeriesFile } from '../../src/run/artifacts-series.ts';
import {
  CollectedSeries,
  DEFAULT_SPILL_BUDGET_BYTES,
  SPILL_BUDGET_ENV,
  seriesPlacement,
  spillBudgetBytes,
} from '../../src/run/collected-series.ts';
import { artifactsOf } from '../helpers/artifacts-builder.ts';
import { type FleetBuilder, fleet } from '../helpers/fleet-builder.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fleetlens-collected-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Two regions, a group of three, volumes attached and loose, a group series: every kind of owner. */
function mixedFleet(): FleetBuilder {
  const b = fleet({ days: 1 });
  for (let i = 0; i < 6; i++) {
    const id = `i-${String(i).padStart(4, '0')}`;
    b.host(id, { region: i % 2 === 0 ? 'us-east-1' : 'eu-west-1' }).cpu(id, (t) => (t * (i + 1)) % 97);
    b.metric(id, 'net.in.bytes', (t) => t * 1000 + i);
  }
  b.group('asg/web', ['i-0005', 'i-0001', 'i-0003']);
  b.volume('vol-a', 'i-0002', { type: 'gp3', sizeGiB: 100 }).volumeLoad(
    'vol-a',
    () => 300,
    () => 20,
  );
  b.volume('vol-b', 'i-0003', { type: 'gp2', sizeGiB: 50 }).volumeLoad(
    'vol-b',
    (t) => t % 50,
    () => 1,
  );
  b.volume('vol-loose', null, { type: 'gp3', sizeGiB: 10 });
  b.metric('vol-loose', 'disk.read.ops', () => 0);
  b.metric('asg/web', 'group.desired', () => 3, 'instances');
  return b;
}

/** What a folder's series files hold, region by region (a region's parts in file order). */
async function folderSeries(dir: string) {
  const opened = await openArtifacts(dir);
  const files = opened.manifest.providers.flatMap((p) => p.seriesFiles);
  const byRegion = new Map<string, { series: number; points: number; hosts: number; rows: unknown[][] }>();
  for (const entry of files) {
    const region = byRegion.get(entry.region) ?? { series: 0, points: 0, hosts: 0, rows: [] };
    byRegion.set(entry.region, region);
    region.series += entry.series;
    region.points += entry.points;
    region.hosts += entry.hosts;
    for await (const batch of readSeriesFile(join(dir, entry.file))) {
      for (const s of batch.series)
        region.rows.push([
          batch.hostId,
          s.subjectId,
          s.metric,
          s.source,
          s.columns.startMs,
          [...s.columns.values],
        ]);
    }
  }
  return { regions: [...byRegion], files: files.length };
}

/** Saves `builder`'s fleet with its series handed to a collection in `batches`, under `budget`. */
async function saveCollected(
  builder: FleetBuilder,
  batches: readonly (readonly MetricSeries[])[],
  budgetBytes: number,
  dir: string,
  partBytes?: number,
): Promise<boolean> {
  const artifacts: Artifacts = artifactsOf(builder);
  const p = artifacts.providers[0]!;
  const collected = new CollectedSeries({
    budgetBytes,
    tempRoot: root,
    pointsPerSeries: builder.points,
    ...(partBytes ? { partBytes } : {}),
  });
  try {
    const sink = collected.sink('aws', p);
    for (const batch of batches) sink(batch);
    await collected.settle();
    expect(collected.received('aws')).toBe(builder.series.length);
    p.series = collected.spilled ? [] : collected.takeSeries('aws');
    await saveArtifacts(dir, artifacts, collected.spilled ? collected : undefined);
    return collected.spilled;
  } finally {
    await collected.close();
  }
}

describe('collected series', () => {
  it('make the same folder spilled or held, whatever the order and batches they came in', async () => {
    const builder = mixedFleet();
    // The order a collection keeps within a host: by subject kind, subject, metric and source.
    const inOrder = artifactsOf(builder);
    const key = (s: MetricSeries) => [s.subjectKind, s.subjectId, s.metric, s.source].join('\u0000');
    inOrder.providers[0]!.series.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const reference = join(root, 'held-in-order');
    await saveArtifacts(reference, inOrder);
    const expected = await folderSeries(reference);
    // Each host's series together, the units in the judging order (what no host owns first).
    const placeOf = seriesPlacement(builder);
    expect(expected.files).toBe(2);
    for (const [, { rows }] of expected.regions) {
      const owners = rows.map(([hostId]) => hostId);
      const runs = owners.filter((owner, i) => i === 0 || owners[i - 1] !== owner);
      expect(new Set(runs).size).toBe(runs.length);
      const ranks = rows.map(([, subjectId]) => {
        const s = builder.series.find((x) => x.subjectId === subjectId)!;
        return placeOf(s).rank;
      });
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    }

    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(builder.series, { minLength: builder.series.length }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(0, 40_000, Number.POSITIVE_INFINITY),
        // A bucket of one unit (a part file each), of two, or of the whole region.
        fc.constantFrom(1, 16 * builder.points * 8 * 2, undefined),
        async (order, sizes, budget, partBytes) => {
          const batches: MetricSeries[][] = [];
          for (let at = 0, i = 0; at < order.length; i++) {
            const size = sizes[i % sizes.length]!;
            batches.push(order.slice(at, at + size));
            at += size;
          }
          const dir = join(root, `run-${run++}`);
          const spilled = await saveCollected(builder, batches, budget, dir, partBytes);
          expect(spilled).toBe(budget !== Number.POSITIVE_INFINITY);
          const got = await folderSeries(dir);
          expect(got.regions).toEqual(expected.regions);
          // Held, a region is one file; spilled, one file per bucket of units that has series.
          if (spilled && partBytes === 1) expect(got.files).toBeGreaterThan(expected.files);
          if (!spilled || partBytes === undefined) expect(got.files).toBe(expected.files);
          await rm(dir, { recursive: true, force: true });
        },
      ),
      { numRuns: 16 },
    );
    // The spill's own folder goes with it.
    expect((await readdir(root)).filter((name) => name.startsWith('fleetlens-series-'))).toEqual([]);
  });

  it('say in one line which folder could not hold a spill', async () => {
    const notAFolder = join(root, 'a-file');
    await writeFile(notAFolder, 'x');
    const collected = new CollectedSeries({ budgetBytes: 0, tempRoot: notAFolder });
    try {
      const builder = mixedFleet();
      collected.sink('aws', artifactsOf(builder).providers[0]!)(builder.series);
      expect(collected.spilled).toBe(true);
      const error = await collected.settle().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      const line = (error as ConfigError).describe();
      expect(line).toMatch(/a-file: cannot keep the collected series on disk past the memory budget \(/);
      expect(line).not.toMatch(/\n/);
    } finally {
      await collected.close();
    }
  });

  it('take their budget from FLEETLENS_SERIES_MEMORY_MIB, and refuse one that is not a number of MiB', () => {
    expect(spillBudgetBytes({})).toBe(DEFAULT_SPILL_BUDGET_BYTES);
    expect(spillBudgetBytes({ [SPILL_BUDGET_ENV]: '' })).toBe(DEFAULT_SPILL_BUDGET_BYTES);
    expect(spillBudgetBytes({ [SPILL_BUDGET_ENV]: '0' })).toBe(0);
    expect(spillBudgetBytes({ [SPILL_BUDGET_ENV]: ' 512 ' })).toBe(512 * 1_048_576);
    expect(spillBudgetBytes({ [SPILL_BUDGET_ENV]: '1.5' })).toBe(1.5 * 1_048_576);
    for (const bad of ['-1', '1GB', 'lots', 'NaN', 'Infinity', '1e3']) {
      const error = (() => {
        try {
          spillBudgetBytes({ [SPILL_BUDGET_ENV]: bad });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).describe()).toBe(
        `FLEETLENS_SERIES_MEMORY_MIB: expected a number of MiB of series to hold in memory (0 writes them all to disk), not ${JSON.stringify(bad)}`,
      );
    }
  });
});

// Reads an artifacts folder (manifest version 2 or 3): the manifest and inventories at once (they
// are small), the series one host at a time through `seriesByHost()`, so a replay never holds the
// fleet's points at once.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import type { UnitSeries, UnitSeriesSource } from '../analysis/judge-fleet.ts';
import { ConfigErrorList } from '../config/config-errors.ts';
import { configErrorsFromIssues } from '../config/issues.ts';
import { ConfigError } from '../errors.ts';
import type { MetricSeries, ProviderId } from '../model/index.ts';
import { ArtifactsManifest, MANIFEST_FILE, ProviderInventory } from './artifacts-manifest.ts';
import {
  type ArtifactSeries,
  countSeriesBySubject,
  type HostSeriesBatch,
  pointsInWindow,
  readSeriesFile,
} from './artifacts-series.ts';

const MAX_ERRORS_SHOWN = 5;

export interface ProviderHostSeries extends HostSeriesBatch {
  provider: ProviderId;
  region: string;
}

export interface OpenedArtifacts {
  dir: string;
  manifest: ArtifactsManifest;
  inventories: ProviderInventory[];
  /** Every saved series, one host's (or one no-host batch) at a time, file by file. */
  seriesByHost(): AsyncGenerator<ProviderHostSeries>;
  /** How many series each subject has across the files (read without their values). */
  seriesCounts(): Promise<Map<string, number>>;
}

export async function openArtifacts(dir: string): Promise<OpenedArtifacts> {
  const manifest = await readJson(join(dir, MANIFEST_FILE), ArtifactsManifest);
  const inventories: ProviderInventory[] = [];
  for (const p of manifest.providers) {
    const inventory = await readJson(join(dir, p.inventory), ProviderInventory);
    if (inventory.provider !== p.provider) {
      throw new ConfigError(
        `holds ${inventory.provider}'s inventory, not ${p.provider}'s`,
        join(dir, p.inventory),
      );
    }
    inventories.push(inventory);
  }
  return {
    dir,
    manifest,
    inventories,
    seriesByHost() {
      const pointsPerSeries = pointsInWindow(manifest.window);
      const files = manifest.providers.flatMap((p) =>
        p.seriesFiles.map(
          (entry) =>
            async function* (): AsyncGenerator<ProviderHostSeries> {
              for await (const batch of readSeriesFile(join(dir, entry.file), { pointsPerSeries }))
                yield { provider: p.provider, region: entry.region, ...batch };
            },
        ),
      );
      return inOrderReadingAhead(files);
    },
    async seriesCounts() {
      const counts = new Map<string, number>();
      for (const p of manifest.providers) {
        for (const entry of p.seriesFiles) {
          for (const [id, n] of await countSeriesBySubject(join(dir, entry.file)))
            counts.set(id, (counts.get(id) ?? 0) + n);
        }
      }
      return counts;
    },
  };
}

/**
 * Each source's items, source after source, with the next source started as soon as the current
 * one's first item is in: DuckDB decodes the next file on its own thread while this one's hosts are
 * judged, instead of the judging waiting for each file's first chunk. At most two sources are open;
 * an error of the next one surfaces when its turn comes, and stopping early closes both.
 */
export async function* inOrderReadingAhead<T>(
  sources: readonly (() => AsyncGenerator<T>)[],
): AsyncGenerator<T> {
  interface Started {
    items: AsyncGenerator<T>;
    first: Promise<IteratorResult<T>>;
  }
  const start = (index: number): Started | undefined => {
    const source = sources[index];
    if (!source) return undefined;
    const items = source();
    const first = items.next();
    // Awaited when its turn comes (or on the way out): only an early rejection is kept quiet here.
    first.catch(() => undefined);
    return { items, first };
  };
  let ahead: Started | undefined;
  let current: Started | undefined;
  try {
    for (let index = 0; index < sources.length; index++) {
      current = ahead ?? start(index)!;
      ahead = undefined;
      let result = await current.first;
      ahead = start(index + 1);
      while (!result.done) {
        yield result.value;
        result = await current.items.next();
      }
      current = undefined;
    }
  } finally {
    for (const open of [current, ahead]) {
      if (!open) continue;
      await open.first.catch(() => undefined);
      await open.items.return(undefined).catch(() => undefined);
    }
  }
}

/**
 * The replay's source of unit series: the files are read once, front to back, and a unit is handed
 * on as soon as its last series has come by (units with none first). Memory holds the series of
 * units not yet complete: one unit's when the files are in unit order, as the writer keeps them.
 */
export function seriesFromArtifacts(
  opened: Pick<OpenedArtifacts, 'seriesByHost' | 'seriesCounts'>,
): UnitSeriesSource {
  return async function* (units) {
    const counts = await opened.seriesCounts();
    const unitOf = new Map<string, number>();
    const waiting: number[] = [];
    const gathered: MetricSeries[][] = units.map(() => []);
    for (const [index, unit] of units.entries()) {
      waiting[index] = 0;
      for (const id of unit.subjectIds) {
        unitOf.set(id, index);
        waiting[index] += counts.get(id) ?? 0;
      }
    }
    const done = new Set<number>();
    const handOn = (unit: number): UnitSeries => {
      done.add(unit);
      const series = gathered[unit]!;
      gathered[unit] = [];
      return { unit, series };
    };
    for (const index of units.keys()) if (waiting[index] === 0) yield handOn(index);
    for await (const batch of opened.seriesByHost()) {
      for (const s of batch.series) {
        const unit = unitOf.get(s.subjectId);
        // NOTE: a series of a subject the inventory does not hold belongs to no unit, as in memory.
        if (unit === undefined || done.has(unit)) continue;
        gathered[unit]!.push(seriesOfColumns(s));
        waiting[unit]! -= 1;
        if (waiting[unit] === 0) yield handOn(unit);
      }
    }
    // A file that changed between the count and the read: what came by is judged all the same.
    for (const index of units.keys()) if (!done.has(index)) yield handOn(index);
  };
}

export function seriesOfColumns(s: ArtifactSeries): MetricSeries {
  const { subjectKind, subjectId, metric, unit, source, columns } = s;
  return { subjectKind, subjectId, metric, unit, source, ...columns };
}

/** A JSON file of the folder, checked against its schema; damage is a ConfigError naming the file. */
export async function readJson<T extends z.ZodType>(
  file: string,
  schema: T,
  unreadable: (error: Error) => string = () =>
    'missing from the artifacts folder (save them again with --save-artifacts)',
): Promise<z.output<T>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(unreadable(error as Error), file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`not JSON: ${(error as Error).message}`, file);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const errors = configErrorsFromIssues(parsed.error.issues, {
      file,
      locate: () => undefined,
      schema,
      input: raw,
    });
    // A file of another shape fails at every point of every series: the first few say enough.
    const shown = errors.slice(0, MAX_ERRORS_SHOWN);
    if (errors.length > shown.length) {
      shown.push(new ConfigError(`and ${errors.length - shown.length} more errors like these`, file));
    }
    ConfigErrorList.throwIfAny(shown);
  }
  return parsed.data as z.output<T>;
}

// Reads a v2 artifacts folder: the manifest and inventories at once (they are small), the series
// one host at a time through `seriesByHost()`, so a replay never holds the fleet's points at once.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { ConfigErrorList } from '../config/config-errors.ts';
import { configErrorsFromIssues } from '../config/issues.ts';
import { ConfigError } from '../errors.ts';
import type { ProviderId } from '../model/index.ts';
import { ArtifactsManifest, MANIFEST_FILE, ProviderInventory } from './artifacts-manifest.ts';
import { type HostSeriesBatch, readSeriesFile } from './artifacts-series.ts';

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
    async *seriesByHost() {
      for (const p of manifest.providers) {
        for (const entry of p.seriesFiles) {
          for await (const batch of readSeriesFile(join(dir, entry.file))) {
            yield { provider: p.provider, region: entry.region, ...batch };
          }
        }
      }
    },
  };
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

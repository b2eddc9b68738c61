// Writes an artifacts folder (manifest version 3): inventory per cloud (JSON), series per cloud
// and region (Parquet: one file, or parts of whole units when a live audit spilled past its memory
// budget), and manifest.json last. Everything goes to a staging folder beside DIR, which takes
// DIR's place only once complete: a reader sees the old folder or the new one, never half of one.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { ProviderId } from '../model/index.ts';
import {
  ARTIFACTS_FOLDER_VERSION,
  type ArtifactsManifest,
  MANIFEST_FILE,
  type ProviderInventory,
  type ProviderManifest,
  type SeriesFileEntry,
  withoutSecrets,
} from './artifacts-manifest.ts';
import { type HostSeriesBatch, SeriesFileWriter } from './artifacts-series.ts';

/** The manifest less what the writer fills in itself (version, file lists). */
export type ManifestHead = Omit<ArtifactsManifest, 'artifactsVersion' | 'providers'>;
/** A cloud's entry less its files. */
export type ProviderSummary = Omit<ProviderManifest, 'inventory' | 'seriesFiles'>;

const V1_FILE = 'artifacts.json';

export class ArtifactsWriter {
  private readonly inventories = new Map<ProviderId, string>();
  private readonly seriesFiles = new Map<ProviderId, SeriesFileEntry[]>();
  private readonly fileNames = new Set<string>();

  private constructor(
    readonly dir: string,
    private readonly staging: string,
  ) {}

  /** Starts a folder that will replace DIR (which must be absent, empty, or artifacts). */
  static async open(dir: string): Promise<ArtifactsWriter> {
    const target = resolve(dir);
    await refuseForeignFolder(target);
    const staging = join(
      dirname(target),
      `.${basename(target)}.fleetlens-new-${process.pid}-${randomBytes(4).toString('hex')}`,
    );
    await mkdir(join(staging, 'inventory'), { recursive: true });
    await mkdir(join(staging, 'series'), { recursive: true });
    return new ArtifactsWriter(target, staging);
  }

  async writeInventory(inventory: ProviderInventory): Promise<void> {
    const file = `inventory/${inventory.provider}.json`;
    await writeDurable(join(this.staging, file), `${JSON.stringify(inventory)}\n`);
    this.inventories.set(inventory.provider, file);
  }

  /**
   * Writes one cloud and region's series from batches that each hold one host's series (or those
   * of no host), pulled one at a time so the caller can generate or read them lazily.
   */
  async writeRegion(
    provider: ProviderId,
    region: string,
    batches: Iterable<HostSeriesBatch> | AsyncIterable<HostSeriesBatch>,
  ): Promise<SeriesFileEntry> {
    return this.writeSeriesFile(provider, region, async (path) => {
      const spill = join(this.staging, `.spill-${this.fileNames.size}`);
      const writer = await SeriesFileWriter.create(path, spill);
      let hosts = 0;
      try {
        for await (const batch of batches) {
          if (batch.hostId !== null) hosts += 1;
          writer.append(batch.hostId, batch.series);
        }
      } finally {
        await writer.close();
      }
      return { series: writer.seriesCount, points: writer.pointCount, hosts };
    });
  }

  /**
   * Adds one cloud and region's series file, which `write` makes at the path it is given (a
   * collection's spill copies its rows there, already in unit order) and counts.
   */
  async writeSeriesFile(
    provider: ProviderId,
    region: string,
    write: (path: string) => Promise<Omit<SeriesFileEntry, 'region' | 'file'>>,
  ): Promise<SeriesFileEntry> {
    const file = this.seriesFileName(provider, region);
    const entry = { region, file, ...(await write(join(this.staging, file))) };
    this.seriesFiles.set(provider, [...(this.seriesFiles.get(provider) ?? []), entry]);
    return entry;
  }

  /** Writes manifest.json and puts the folder in DIR's place. */
  async commit(head: ManifestHead, providers: readonly ProviderSummary[]): Promise<string> {
    const manifest: ArtifactsManifest = {
      artifactsVersion: ARTIFACTS_FOLDER_VERSION,
      ...head,
      ...(head.settings ? { settings: withoutSecrets(head.settings) } : {}),
      ...(head.prometheus ? { prometheus: withoutSecrets(head.prometheus) } : {}),
      providers: providers.map((p) => {
        const inventory = this.inventories.get(p.provider);
        if (!inventory) throw new Error(`no inventory written for ${p.provider}`);
        return { ...p, inventory, seriesFiles: this.seriesFiles.get(p.provider) ?? [] };
      }),
    };
    await writeDurable(join(this.staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await swapInto(this.staging, this.dir);
    return join(this.dir, MANIFEST_FILE);
  }

  /** Removes the staging folder of a write that failed. */
  async abort(): Promise<void> {
    await rm(this.staging, { recursive: true, force: true });
  }

  private seriesFileName(provider: ProviderId, region: string): string {
    // NOTE: a region name comes from the cloud: only safe characters reach a file name.
    const safe = region.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'none';
    let name = `series/${provider}-${safe}.parquet`;
    for (let n = 2; this.fileNames.has(name); n++) name = `series/${provider}-${safe}-${n}.parquet`;
    this.fileNames.add(name);
    return name;
  }
}

async function writeDurable(file: string, text: string): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** DIR may be replaced only if it is absent, empty, or saved artifacts (a v1 file or a folder). */
async function refuseForeignFolder(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new ConfigError('is a file, not a folder for artifacts', dir, undefined, '--save-artifacts');
    }
    throw error;
  }
  if (entries.length === 0 || entries.includes(MANIFEST_FILE) || entries.includes(V1_FILE)) return;
  throw new ConfigError(
    'holds files that are not saved artifacts: give an empty or new folder',
    dir,
    undefined,
    '--save-artifacts',
  );
}

async function swapInto(staging: string, dir: string): Promise<void> {
  const old = `${staging.replace(/fleetlens-new-/, 'fleetlens-old-')}`;
  let moved = false;
  try {
    await rename(dir, old);
    moved = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await rename(staging, dir);
  if (moved) await rm(old, { recursive: true, force: true });
}

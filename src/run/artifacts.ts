// Everything a run collected: `--save-artifacts DIR` writes it, `--from-artifacts DIR` analyzes it
// again offline (Lighthouse's -G/-A). Saved artifacts make the best regression fixtures.
// Version 2 is a folder (artifacts-writer.ts): manifest.json, inventory/<cloud>.json and
// series/<cloud>-<region>.parquet. Version 1, one artifacts.json, still loads.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ApiCalls, RunSettings } from '../../reports/json/schema.ts';
import { seriesFromMemory, type UnitSeriesSource } from '../analysis/judge-fleet.ts';
import { ConfigError } from '../errors.ts';
import {
  Gap,
  Group,
  Host,
  InstanceType,
  type MetricSeries,
  MetricSeriesJson,
  ProviderId,
  seriesFromJson,
  Volume,
} from '../model/index.ts';
import { MANIFEST_FILE } from './artifacts-manifest.ts';
import {
  type OpenedArtifacts,
  openArtifacts,
  readJson,
  seriesFromArtifacts,
  seriesOfColumns,
} from './artifacts-reader.ts';
import type { HostSeriesBatch } from './artifacts-series.ts';
import { ArtifactsWriter } from './artifacts-writer.ts';
import { type CollectedSeries, compareText, seriesPlacement } from './collected-series.ts';
import type { PrometheusArtifacts } from './onhost-prometheus.ts';

export const ARTIFACTS_FILE = 'artifacts.json';
/** The in-memory form (and v1's file); saved folders are versions 2 and 3 (artifacts-manifest.ts). */
export const ARTIFACTS_VERSION = 1;

export const ProviderArtifacts = z.object({
  provider: ProviderId,
  hosts: z.array(Host),
  volumes: z.array(Volume),
  groups: z.array(Group),
  /** Instance types the API answered (the bundled catalog is not repeated). */
  instanceTypes: z.array(InstanceType),
  // NOTE: v1's artifacts.json keeps series as [t, v] pairs; they become columns as they are read.
  series: z.array(MetricSeriesJson).transform((list): MetricSeries[] => list.map(seriesFromJson)),
  gaps: z.array(Gap),
  apiCalls: ApiCalls,
  blindSpots: z.record(z.string(), z.array(z.string())),
  /** What was asked of this cloud and what failed; absent in artifacts saved before it existed. */
  coverage: z
    .object({
      scopes: z.array(z.string()),
      failedScopes: z.array(z.object({ scope: z.string(), reason: z.string() })),
      seriesExpected: z.number().int().nonnegative(),
    })
    .optional(),
});
export type ProviderArtifacts = z.infer<typeof ProviderArtifacts>;

export const Artifacts = z.object({
  artifactsVersion: z.literal(ARTIFACTS_VERSION),
  mode: z.enum(['live', 'demo']),
  collectedAt: z.iso.datetime(),
  window: z.object({ fromMs: z.number(), toMs: z.number(), stepSec: z.number().positive() }),
  providers: z.array(ProviderArtifacts),
  /** The settings the run was collected with (never a secret), so a replay needs no config. */
  settings: RunSettings.optional(),
  /** On-host folders are re-read from these paths on replay. */
  onHost: z.array(z.object({ dir: z.string(), host: z.string() })),
  /** onHost.prometheus reads (src/run/onhost-prometheus.ts), judged again on replay. */
  prometheus: z.array(z.custom<PrometheusArtifacts>((v) => typeof v === 'object' && v !== null)).optional(),
});
export type Artifacts = z.infer<typeof Artifacts>;

/**
 * Saves what a run collected as a folder (manifest, inventory per cloud, series per cloud and
 * region in Parquet) and returns the manifest's path. A collection that spilled its series to disk
 * gives them through `spilled` (the providers' `series` are then empty).
 */
export async function saveArtifacts(
  dir: string,
  artifacts: Artifacts,
  spilled?: CollectedSeries,
): Promise<string> {
  const writer = await ArtifactsWriter.open(dir);
  try {
    for (const p of artifacts.providers) {
      const { provider, hosts, volumes, groups, instanceTypes } = p;
      await writer.writeInventory({ provider, hosts, volumes, groups, instanceTypes });
      if (spilled) await spilled.writeRegions(provider, writer);
      for (const [region, batches] of seriesByRegionAndHost(p))
        await writer.writeRegion(provider, region, batches);
    }
    const { mode, collectedAt, window, settings, onHost, prometheus } = artifacts;
    return await writer.commit(
      {
        mode,
        collectedAt,
        window,
        onHost,
        ...(settings ? { settings } : {}),
        ...(prometheus ? { prometheus } : {}),
      },
      artifacts.providers.map(({ provider, gaps, apiCalls, blindSpots, coverage }) => ({
        provider,
        gaps,
        apiCalls,
        blindSpots,
        ...(coverage ? { coverage } : {}),
      })),
    );
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/**
 * A cloud's series grouped by region, then by the host that owns them (a volume's: its host's), in
 * the order a replay judges them: what no host owns (a group's own series) first, then the hosts
 * unit by unit (a group's members together), so the reader holds one unit's series at a time.
 */
function seriesByRegionAndHost(p: ProviderArtifacts): Map<string, HostSeriesBatch[]> {
  const placeOf = seriesPlacement(p);
  const byRegion = new Map<string, Map<string | null, HostSeriesBatch>>();
  const rankOf = new Map<string | null, number>();
  for (const s of p.series) {
    const { hostId: owner, region, rank } = placeOf(s);
    rankOf.set(owner, rank);
    const hosts = byRegion.get(region) ?? new Map<string | null, HostSeriesBatch>();
    byRegion.set(region, hosts);
    const batch = hosts.get(owner) ?? { hostId: owner, series: [] };
    hosts.set(owner, batch);
    const { subjectKind, subjectId, metric, unit, source, startMs, stepSec, values } = s;
    batch.series.push({
      subjectKind,
      subjectId,
      metric,
      unit,
      source,
      columns: { startMs, stepSec, values },
    });
  }
  const rank = (batch: HostSeriesBatch) => rankOf.get(batch.hostId)!;
  // As a spilled collection's COPY orders them: by unit, then by host id within a group.
  const byUnitThenHost = (a: HostSeriesBatch, b: HostSeriesBatch) =>
    rank(a) - rank(b) || compareText(a.hostId ?? '', b.hostId ?? '');
  const regions = [...byRegion].sort(([a], [b]) => compareText(a, b));
  return new Map(regions.map(([region, hosts]) => [region, [...hosts.values()].sort(byUnitThenHost)]));
}

/**
 * Loads saved artifacts of either version: a folder (manifest.json) or a v1 artifacts.json.
 * This gathers every host's series; `openArtifacts(dir).seriesByHost()` is the streaming door.
 */
export async function loadArtifacts(dir: string): Promise<Artifacts> {
  if (existsSync(join(dir, MANIFEST_FILE))) return loadArtifactsV2(dir);
  if (existsSync(join(dir, ARTIFACTS_FILE))) return loadArtifactsV1(dir);
  throw new ConfigError(
    'no saved artifacts here (write them with --save-artifacts)',
    join(dir, MANIFEST_FILE),
  );
}

/** The saved settings alone: a folder replay reads them from the manifest without the series. */
export async function loadArtifactsSettings(dir: string): Promise<Artifacts['settings']> {
  if (existsSync(join(dir, MANIFEST_FILE))) return (await openArtifacts(dir)).manifest.settings;
  return (await loadArtifacts(dir)).settings;
}

async function loadArtifactsV2(dir: string): Promise<Artifacts> {
  const opened = await openArtifacts(dir);
  const artifacts = artifactsOf(opened);
  const byProvider = new Map(artifacts.providers.map((p) => [p.provider, p.series]));
  for await (const batch of opened.seriesByHost()) {
    const target = byProvider.get(batch.provider)!;
    for (const s of batch.series) target.push(seriesOfColumns(s));
  }
  return artifacts;
}

/** A folder's manifest and inventories as artifacts, every provider's `series` still empty. */
export function artifactsOf(opened: OpenedArtifacts): Artifacts {
  const { manifest } = opened;
  const providers = manifest.providers.map((p, index): ProviderArtifacts => {
    const { hosts, volumes, groups, instanceTypes } = opened.inventories[index]!;
    const { provider, gaps, apiCalls, blindSpots, coverage } = p;
    return {
      provider,
      hosts,
      volumes,
      groups,
      instanceTypes,
      series: [],
      gaps,
      apiCalls,
      blindSpots,
      ...(coverage ? { coverage } : {}),
    };
  });
  const { mode, collectedAt, window, settings, onHost, prometheus } = manifest;
  return {
    artifactsVersion: ARTIFACTS_VERSION,
    mode,
    collectedAt,
    window,
    providers,
    ...(settings ? { settings } : {}),
    onHost,
    ...(prometheus ? { prometheus } : {}),
  };
}

/**
 * What an audit judges: the run's artifacts, how many series each cloud has, and where the series
 * come from. A folder replay leaves them on disk (every provider's `series` empty) and reads them one
 * unit at a time; a live run or a v1 file holds them already.
 */
export interface AuditInput {
  artifacts: Artifacts;
  seriesReceived: ReadonlyMap<ProviderId, number>;
  series: UnitSeriesSource;
}

export function auditInputOf(artifacts: Artifacts): AuditInput {
  return {
    artifacts,
    seriesReceived: new Map(artifacts.providers.map((p) => [p.provider, p.series.length])),
    series: seriesFromMemory(artifacts.providers.flatMap((p) => p.series)),
  };
}

/** `--from-artifacts DIR`: a folder streams its series; a v1 artifacts.json is read whole. */
export async function openAuditInput(dir: string): Promise<AuditInput> {
  if (!existsSync(join(dir, MANIFEST_FILE))) return auditInputOf(await loadArtifacts(dir));
  const opened = await openArtifacts(dir);
  return {
    artifacts: artifactsOf(opened),
    seriesReceived: new Map(
      opened.manifest.providers.map((p) => [p.provider, p.seriesFiles.reduce((n, f) => n + f.series, 0)]),
    ),
    series: seriesFromArtifacts(opened),
  };
}

async function loadArtifactsV1(dir: string): Promise<Artifacts> {
  return readJson(join(dir, ARTIFACTS_FILE), Artifacts, (error) => `cannot be read: ${error.message}`);
}

/** v1 → folder: reads an artifacts.json folder and writes it again as a folder. */
export async function convertArtifacts(fromDir: string, toDir: string): Promise<string> {
  return saveArtifacts(toDir, await loadArtifacts(fromDir));
}

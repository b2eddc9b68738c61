// The artifacts folder's manifest and inventory files (what `--save-artifacts` writes beside the
// series' Parquet files), and the scrub that keeps a secret out of them.
import { z } from 'zod';
import { ApiCalls, RunSettings } from '../../reports/json/schema.ts';
import { Gap, Group, Host, InstanceType, ProviderId, Volume } from '../model/index.ts';
import type { PrometheusArtifacts } from './onhost-prometheus.ts';

export const MANIFEST_FILE = 'manifest.json';
/**
 * The folder form's version, which the manifest carries: 2 kept each series' values as a DOUBLE[],
 * 3 keeps them as a BLOB of little-endian doubles (artifacts-series.ts). Both are read; a fleetlens
 * older than 3 refuses a version-3 folder in one line instead of failing on its BLOB column.
 */
export const ARTIFACTS_FOLDER_VERSION = 3;
const FOLDER_VERSIONS_READ = [2, ARTIFACTS_FOLDER_VERSION] as const;

export const SeriesFileEntry = z.object({
  region: z.string(),
  /** Relative to the artifacts folder. */
  file: z.string(),
  series: z.number().int().nonnegative(),
  points: z.number().int().nonnegative(),
  hosts: z.number().int().nonnegative(),
});
export type SeriesFileEntry = z.infer<typeof SeriesFileEntry>;

export const Coverage = z.object({
  scopes: z.array(z.string()),
  failedScopes: z.array(z.object({ scope: z.string(), reason: z.string() })),
  seriesExpected: z.number().int().nonnegative(),
});

export const ProviderManifest = z.object({
  provider: ProviderId,
  /** Relative path of this cloud's inventory file. */
  inventory: z.string(),
  seriesFiles: z.array(SeriesFileEntry),
  gaps: z.array(Gap),
  apiCalls: ApiCalls,
  blindSpots: z.record(z.string(), z.array(z.string())),
  coverage: Coverage.optional(),
});
export type ProviderManifest = z.infer<typeof ProviderManifest>;

export const ArtifactsManifest = z.object({
  artifactsVersion: z.literal(FOLDER_VERSIONS_READ),
  mode: z.enum(['live', 'demo']),
  collectedAt: z.iso.datetime(),
  window: z.object({ fromMs: z.number(), toMs: z.number(), stepSec: z.number().positive() }),
  settings: RunSettings.optional(),
  onHost: z.array(z.object({ dir: z.string(), host: z.string() })),
  prometheus: z.array(z.custom<PrometheusArtifacts>((v) => typeof v === 'object' && v !== null)).optional(),
  providers: z.array(ProviderManifest),
});
export type ArtifactsManifest = z.infer<typeof ArtifactsManifest>;

/** One cloud's inventory: hosts, volumes, groups and the instance types its API answered. */
export const ProviderInventory = z.object({
  provider: ProviderId,
  hosts: z.array(Host),
  volumes: z.array(Volume),
  groups: z.array(Group),
  instanceTypes: z.array(InstanceType),
});
export type ProviderInventory = z.infer<typeof ProviderInventory>;

// Keys whose values are credentials in any of the four clouds' settings or a client's options.
const SECRET_KEY =
  /secret|token|password|passwd|credential|private.?key|api.?key|access.?key|consumer.?key|application.?key/i;
// user:password@ in a URL (an endpoint or a Prometheus written with its basic-auth credentials).
const URL_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i;
// Query parameters that carry a credential (`?token=…`, `&api_key=…`).
const URL_SECRET_PARAM = /([?&][^=&#]*(?:token|key|secret|password|signature)[^=&#]*=)[^&#]*/gi;

/**
 * A copy with every credential removed: keys that name one are dropped, URLs lose their user
 * and password and the values of credential-like query parameters. Settings never should carry
 * one; this is the last guard before a file that users attach to tickets.
 */
export function withoutSecrets<T>(value: T): T {
  return scrub(value) as T;
}

function scrub(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.replace(URL_USERINFO, '$1').replace(URL_SECRET_PARAM, '$1redacted');
  }
  if (Array.isArray(value)) return value.map(scrub);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !SECRET_KEY.test(key))
        .map(([key, inner]) => [key, scrub(inner)]),
    );
  }
  return value;
}

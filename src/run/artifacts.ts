// Everything a run collected, as plain JSON: `--save-artifacts DIR` writes it, `--from-artifacts DIR`
// analyzes it again offline (Lighthouse's -G/-A). Saved artifacts make the best regression fixtures.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ApiCalls, RunSettings } from '../../reports/json/schema.ts';
import { ConfigErrorList } from '../config/config-errors.ts';
import { configErrorsFromIssues } from '../config/issues.ts';
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
  seriesToJson,
  Volume,
} from '../model/index.ts';
import type { PrometheusArtifacts } from './onhost-prometheus.ts';

export const ARTIFACTS_FILE = 'artifacts.json';
export const ARTIFACTS_VERSION = 1;
const MAX_ERRORS_SHOWN = 5;

export const ProviderArtifacts = z.object({
  provider: ProviderId,
  hosts: z.array(Host),
  volumes: z.array(Volume),
  groups: z.array(Group),
  /** Instance types the API answered (the bundled catalog is not repeated). */
  instanceTypes: z.array(InstanceType),
  // NOTE: artifacts.json keeps series as [t, v] pairs; they become columns as they are read.
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

export async function saveArtifacts(dir: string, artifacts: Artifacts): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, ARTIFACTS_FILE);
  const json = {
    ...artifacts,
    providers: artifacts.providers.map((p) => ({ ...p, series: p.series.map(seriesToJson) })),
  };
  await writeFile(file, `${JSON.stringify(json)}\n`);
  return file;
}

export async function loadArtifacts(dir: string): Promise<Artifacts> {
  const file = join(dir, ARTIFACTS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError('no artifacts.json here (write one with --save-artifacts)', file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`not JSON: ${(error as Error).message}`, file);
  }
  const parsed = Artifacts.safeParse(raw);
  if (!parsed.success) {
    const errors = configErrorsFromIssues(parsed.error.issues, {
      file,
      locate: () => undefined,
      schema: Artifacts,
      input: raw,
    });
    // A file of another shape fails at every point of every series: the first few say enough.
    const shown = errors.slice(0, MAX_ERRORS_SHOWN);
    if (errors.length > shown.length) {
      shown.push(new ConfigError(`and ${errors.length - shown.length} more errors like these`, file));
    }
    ConfigErrorList.throwIfAny(shown);
  }
  return parsed.data!;
}

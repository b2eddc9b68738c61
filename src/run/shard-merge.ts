// The report step's input: every finished shard's artifacts as one run. Inventories, gaps, calls
// and coverage add up cloud by cloud; the series stay on disk and stream shard after shard, so the
// whole run is judged as one audit of the same fleet would judge it (groups spanning shards too).

import type { MetricWindow } from '../../providers/types.ts';
import type { ApiCalls, RunSettings } from '../../reports/json/schema.ts';
import { type InstanceType, ProviderId } from '../model/index.ts';
import {
  ARTIFACTS_VERSION,
  type Artifacts,
  type AuditInput,
  artifactsOf,
  type ProviderArtifacts,
} from './artifacts.ts';
import { inOrderReadingAhead, type OpenedArtifacts, seriesFromArtifacts } from './artifacts-reader.ts';

/** The shards' opened artifacts (in the order given) as one audit input over the run's window and settings. */
export function mergeShards(
  shards: readonly OpenedArtifacts[],
  run: { window: MetricWindow; settings: RunSettings },
): AuditInput {
  const byProvider = new Map<ProviderId, ProviderArtifacts>();
  const seriesReceived = new Map<ProviderId, number>();
  let collectedAt = new Date(run.window.toMs).toISOString();
  for (const opened of shards) {
    const artifacts = artifactsOf(opened);
    if (artifacts.collectedAt > collectedAt) collectedAt = artifacts.collectedAt;
    for (const [index, p] of artifacts.providers.entries()) {
      const files = opened.manifest.providers[index]!.seriesFiles;
      const count = files.reduce((n, f) => n + f.series, 0);
      seriesReceived.set(p.provider, (seriesReceived.get(p.provider) ?? 0) + count);
      const into = byProvider.get(p.provider);
      byProvider.set(p.provider, into ? addProvider(into, p) : p);
    }
  }
  // Clouds in the registry's order, as one audit lists them.
  const providers = ProviderId.options.flatMap((id) => byProvider.get(id) ?? []);
  const artifacts: Artifacts = {
    artifactsVersion: ARTIFACTS_VERSION,
    mode: 'live',
    collectedAt,
    window: run.window,
    providers,
    settings: run.settings,
    onHost: run.settings.onHost,
  };
  return {
    artifacts,
    seriesReceived,
    series: seriesFromArtifacts({
      // The next shard's first file opens while this shard's last is judged, as within a shard.
      seriesByHost: () => inOrderReadingAhead(shards.map((opened) => () => opened.seriesByHost())),
      async seriesCounts() {
        const counts = new Map<string, number>();
        for (const opened of shards)
          for (const [id, n] of await opened.seriesCounts()) counts.set(id, (counts.get(id) ?? 0) + n);
        return counts;
      },
    }),
  };
}

function addProvider(a: ProviderArtifacts, b: ProviderArtifacts): ProviderArtifacts {
  const types = new Map<string, InstanceType>(a.instanceTypes.map((t) => [t.name, t]));
  for (const t of b.instanceTypes) if (!types.has(t.name)) types.set(t.name, t);
  const coverage =
    a.coverage && b.coverage
      ? {
          scopes: [...a.coverage.scopes, ...b.coverage.scopes],
          failedScopes: [...a.coverage.failedScopes, ...b.coverage.failedScopes],
          seriesExpected: a.coverage.seriesExpected + b.coverage.seriesExpected,
        }
      : undefined;
  return {
    provider: a.provider,
    hosts: [...a.hosts, ...b.hosts],
    volumes: [...a.volumes, ...b.volumes],
    groups: [...a.groups, ...b.groups],
    instanceTypes: [...types.values()],
    series: [],
    gaps: [...a.gaps, ...b.gaps],
    apiCalls: addCalls(a.apiCalls, b.apiCalls),
    blindSpots: { ...a.blindSpots, ...b.blindSpots },
    ...(coverage ? { coverage } : {}),
  };
}

/** Two shards' calls to one cloud: every count adds; an operation's minimum is unknown if either's is. */
export function addCalls(a: ApiCalls, b: ApiCalls): ApiCalls {
  const byOperation: ApiCalls['byOperation'] = { ...a.byOperation };
  for (const [op, c] of Object.entries(b.byOperation)) {
    const prior = byOperation[op];
    byOperation[op] = prior
      ? {
          made: prior.made + c.made,
          minimum: prior.minimum === null || c.minimum === null ? null : prior.minimum + c.minimum,
          retries: prior.retries + c.retries,
          failed: prior.failed + c.failed,
          ...(prior.attempts !== undefined && c.attempts !== undefined
            ? { attempts: prior.attempts + c.attempts }
            : {}),
        }
      : c;
  }
  return {
    made: a.made + b.made,
    minimum: a.minimum + b.minimum,
    retries: a.retries + b.retries,
    failed: a.failed + b.failed,
    ...(a.attempts !== undefined && b.attempts !== undefined ? { attempts: a.attempts + b.attempts } : {}),
    byOperation,
  };
}

// Saved artifacts (what `--save-artifacts` writes) built from a FleetBuilder, for replays through the
// CLI without any cloud: one host per story, the settings a real run would have saved.
import { type Artifacts, saveArtifacts } from '../../src/run/artifacts.ts';
import { type FleetBuilder, flat, fleet } from './fleet-builder.ts';

export interface ArtifactsOptions {
  /** A region whose listing failed, with its one-line reason: the run is incomplete. */
  failedScope?: { scope: string; reason: string };
  /** Save without `settings`, as fleetlens did before they existed. */
  withoutSettings?: boolean;
}

/** An idle m6i.xlarge: cost findings only (idle, over-provisioned), nothing that is an outage. */
export function idleFleet(): FleetBuilder {
  return fleet()
    .host('i-0000000000000idle', { name: 'idle-1' })
    .cpu('i-0000000000000idle', flat(0.3))
    .metric('i-0000000000000idle', 'net.in.bytes', flat(50))
    .metric('i-0000000000000idle', 'net.out.bytes', flat(50));
}

/** A c6i.large pinned at 98 % CPU: a performance finding. */
export function saturatedFleet(): FleetBuilder {
  return fleet()
    .host('i-00000000000000hot', { name: 'hot-1', type: 'c6i.large' })
    .cpu('i-00000000000000hot', flat(98))
    .metric('i-00000000000000hot', 'net.in.bytes', flat(5_000_000))
    .metric('i-00000000000000hot', 'net.out.bytes', flat(5_000_000));
}

export function artifactsOf(builder: FleetBuilder, options: ArtifactsOptions = {}): Artifacts {
  const facts = builder.facts();
  const failed = options.failedScope ? [options.failedScope] : [];
  return {
    artifactsVersion: 1,
    mode: 'live',
    collectedAt: new Date(facts.window.toMs).toISOString(),
    window: facts.window,
    providers: [
      {
        provider: 'aws',
        hosts: builder.hosts,
        volumes: builder.volumes,
        groups: builder.groups,
        instanceTypes: [],
        series: builder.series,
        gaps: options.failedScope
          ? [
              {
                provider: 'aws',
                what: `instances in ${options.failedScope.scope}`,
                kind: 'auth',
                message: options.failedScope.reason,
              },
            ]
          : [],
        apiCalls: { made: 12, minimum: 12, retries: 0, failed: failed.length, byOperation: {} },
        blindSpots: {},
        coverage: {
          scopes: ['us-east-1', ...failed.map((f) => f.scope)],
          failedScopes: failed,
          seriesExpected: builder.series.length,
        },
      },
    ],
    ...(options.withoutSettings
      ? {}
      : {
          settings: {
            since: '14d',
            periodSec: builder.stepSec,
            providers: { aws: { regions: ['us-east-1', ...failed.map((f) => f.scope)] } },
            onHost: [],
            sizing: { ...builder.sizing },
            rules: {},
          },
        }),
    onHost: [],
  };
}

/** Writes `artifacts.json` into `dir` (created) and returns `dir`. */
export async function writeArtifacts(dir: string, artifacts: Artifacts): Promise<string> {
  // The product's writer: series go to the file as [t, v] pairs, as artifacts.json keeps them.
  await saveArtifacts(dir, artifacts);
  return dir;
}

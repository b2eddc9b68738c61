// audit's on-host evidence from the configured Prometheus servers: each is read for the whole
// fleet (src/onhost-prometheus), each matched host's bundle is classified like a folder, and the
// read's calls, samples and matches go to report.json. Hosts with a folder keep their folder.
import type { PrometheusRead } from '../../reports/json/schema.ts';
import type { PrometheusOnHost } from '../config/schema.ts';
import { fillFromPrometheus } from '../ingest/prometheus-node.ts';
import type { HostSamples } from '../ingest/types.ts';
import type { Logger } from '../log.ts';
import type { Gap, Host } from '../model/index.ts';
import type { Clock } from '../net/clock.ts';
import { type FleetHost, readPrometheusFleet } from '../onhost-prometheus/read-fleet.ts';
import { analyzeOnHostSamples, type OnHostResult, onHostEntry } from './onhost.ts';

/** A verdict without the app's series cannot rule out pool or loop classes: it is held less surely. */
const NO_APP_CONFIDENCE_FACTOR = 0.7;

export interface PrometheusJudged {
  host: Host;
  url: string;
  missing: string[];
  result: OnHostResult;
  entry: ReturnType<typeof onHostEntry>;
}

/** What a Prometheus read leaves for judging, saved in artifacts so a replay judges it again. */
export interface PrometheusArtifacts {
  read: PrometheusRead;
  gaps: Gap[];
  hosts: { hostId: string; missing: string[]; instances: Record<string, string>; samples: HostSamples }[];
}

/** Reads each configured Prometheus for the fleet; nothing judged yet. */
export async function fetchOnHostPrometheus(
  sources: readonly PrometheusOnHost[],
  hosts: readonly Host[],
  window: { fromMs: number; toMs: number },
  folderHostIds: ReadonlySet<string>,
  options: { log: Logger; clock?: Clock; signal?: AbortSignal; env?: NodeJS.ProcessEnv },
): Promise<PrometheusArtifacts[]> {
  const out: PrometheusArtifacts[] = [];
  const token = (options.env ?? process.env).FLEETLENS_PROMETHEUS_TOKEN;
  for (const source of sources) {
    // Hosts read from an earlier Prometheus are not fetched again.
    const skip = new Set([...folderHostIds, ...out.flatMap((o) => o.hosts.map((h) => h.hostId))]);
    const read = await readPrometheusFleet(source, hosts, window, {
      log: options.log,
      skipHostIds: skip,
      ...(token ? { token } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    out.push({
      read: {
        url: read.url,
        apiCalls: read.calls,
        samples: read.samples,
        plan: {
          coarseStepSec: read.plan.coarseStepSec,
          splits: read.plan.splits,
          windows: read.plan.windows,
        },
        hostsJudged: 0,
        matched: read.match.matched.map((m) => ({
          hostId: m.host.id,
          by: m.by,
          instances: Object.values(m.machine.instances).sort(),
        })),
        unmatchedHosts: read.match.unmatchedHosts.map((h) => h.id),
        unmatchedSeries: read.match.unmatchedSeries.map((u) => ({
          instances: Object.values(u.machine.instances).sort(),
          reason: u.reason,
        })),
      },
      gaps: read.gaps,
      hosts: read.hosts.map((h) => ({
        hostId: h.host.id,
        missing: h.missing,
        instances: h.instances,
        samples: h.samples,
      })),
    });
  }
  return out;
}

/** Classifies each read host like a folder; pure, so a replay of saved reads gives the same verdicts. */
export function judgeOnHostPrometheus(
  saved: readonly PrometheusArtifacts[],
  sources: readonly PrometheusOnHost[],
  hosts: readonly Host[],
  gaps: Gap[],
): { judged: PrometheusJudged[]; reads: PrometheusRead[] } {
  const byId = new Map(hosts.map((h) => [h.id, h]));
  const judged: PrometheusJudged[] = [];
  const reads: PrometheusRead[] = [];
  saved.forEach((one, i) => {
    gaps.push(...one.gaps);
    const jobs = { nodeJob: sources[i]?.nodeJob ?? 'node', appJob: sources[i]?.appJob ?? 'app' };
    let hostsJudged = 0;
    for (const h of one.hosts) {
      const host = byId.get(h.hostId);
      if (!host) continue;
      // A fresh copy: filling derives fields into the bundle, and a replay must start from the read.
      const samples = structuredClone(h.samples);
      const j = judge(
        { host, by: 'instance-id', instances: h.instances, window: null, missing: h.missing, samples },
        one.read.url,
        jobs,
        gaps,
      );
      if (j.result.classification.primary !== 'insufficient-data') hostsJudged += 1;
      judged.push(j);
    }
    reads.push({ ...one.read, hostsJudged });
  });
  return { judged, reads };
}

/** Fetch and judge at once (tests, the bench). */
export async function readOnHostPrometheus(
  sources: readonly PrometheusOnHost[],
  hosts: readonly Host[],
  window: { fromMs: number; toMs: number },
  folderHostIds: ReadonlySet<string>,
  gaps: Gap[],
  options: { log: Logger; clock?: Clock; signal?: AbortSignal; env?: NodeJS.ProcessEnv },
): Promise<{ judged: PrometheusJudged[]; reads: PrometheusRead[] }> {
  const saved = await fetchOnHostPrometheus(sources, hosts, window, folderHostIds, options);
  return judgeOnHostPrometheus(saved, sources, hosts, gaps);
}

function judge(
  fleetHost: FleetHost,
  url: string,
  source: { nodeJob: string; appJob: string },
  gaps: Gap[],
): PrometheusJudged {
  const { host } = fleetHost;
  const samples = fillFromPrometheus(fleetHost.samples, { nodeJob: source.nodeJob, appJob: source.appJob });
  const result = analyzeOnHostSamples(samples, `${url} (${Object.values(fleetHost.instances).join(', ')})`);
  if (fleetHost.missing.length > 0 && result.classification.primary !== 'insufficient-data') {
    const c = result.classification;
    c.confidence = Math.round(c.confidence * NO_APP_CONFIDENCE_FACTOR * 100) / 100;
    c.confidenceReasons.push(...fleetHost.missing);
  }
  const subject = { provider: host.provider, kind: 'host' as const, id: host.id, name: host.name };
  for (const gap of samples.gaps) {
    gaps.push({
      provider: 'prometheus',
      what: `on-host series of ${host.id}`,
      kind: gap.kind === 'unrecognised' ? 'bad-sample' : gap.kind,
      message: gap.message,
      subject,
    });
  }
  return { host, url, missing: fleetHost.missing, result, entry: onHostEntry(result, host) };
}

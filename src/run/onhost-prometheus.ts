// audit's on-host evidence from the configured Prometheus servers: each is read for the whole
// fleet (src/onhost-prometheus), each matched host's bundle is classified like a folder, and the
// read's calls, samples and matches go to report.json. Hosts with a folder keep their folder.
import type { PrometheusRead } from '../../reports/json/schema.ts';
import type { PrometheusOnHost } from '../config/schema.ts';
import { fillFromPrometheus } from '../ingest/prometheus-node.ts';
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

export async function readOnHostPrometheus(
  sources: readonly PrometheusOnHost[],
  hosts: readonly Host[],
  window: { fromMs: number; toMs: number },
  folderHostIds: ReadonlySet<string>,
  gaps: Gap[],
  options: { log: Logger; clock?: Clock; signal?: AbortSignal; env?: NodeJS.ProcessEnv },
): Promise<{ judged: PrometheusJudged[]; reads: PrometheusRead[] }> {
  const judged: PrometheusJudged[] = [];
  const reads: PrometheusRead[] = [];
  const token = (options.env ?? process.env).FLEETLENS_PROMETHEUS_TOKEN;
  for (const source of sources) {
    // Hosts judged by an earlier Prometheus are not fetched again.
    const skip = new Set([...folderHostIds, ...judged.map((j) => j.host.id)]);
    const read = await readPrometheusFleet(source, hosts, window, {
      log: options.log,
      skipHostIds: skip,
      ...(token ? { token } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    gaps.push(...read.gaps);
    let hostsJudged = 0;
    for (const fleetHost of read.hosts) {
      const one = judge(fleetHost, read.url, source, gaps);
      if (one.result.classification.primary !== 'insufficient-data') hostsJudged += 1;
      judged.push(one);
    }
    reads.push({
      url: read.url,
      apiCalls: read.calls,
      samples: read.samples,
      plan: { coarseStepSec: read.plan.coarseStepSec, splits: read.plan.splits, windows: read.plan.windows },
      hostsJudged,
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
    });
  }
  return { judged, reads };
}

function judge(fleetHost: FleetHost, url: string, source: PrometheusOnHost, gaps: Gap[]): PrometheusJudged {
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

// Reads on-host evidence for a whole fleet from one Prometheus, coarse then fine: discovery (the
// metric names of each job, the targets' label sets), one range query per busy-signal for every
// instance over the audit window (`by (instance)`, split by time only past 11,000 points), each
// matched host's busiest hours from those, then the live reader's queries over each busiest window
// at the scrape interval, one query per window for all hosts that share it. Every call goes through
// call() under the configured concurrency, rate and timeout on the injected clock; a refused query
// is a `prometheus` gap and the rest goes on.
import { z } from 'zod';
import type { PrometheusOnHost } from '../config/schema.ts';
import { ProviderError, SampleError } from '../errors.ts';
import {
  apiOf,
  describeFailure,
  selectorOf,
  stepFor,
  targetOf,
  toProviderError,
} from '../ingest/prometheus-live.ts';
import { parsePrometheusRange } from '../ingest/prometheus-range.ts';
import { timeSpan } from '../ingest/time.ts';
import type { HostSamples, PromSeries } from '../ingest/types.ts';
import type { Logger } from '../log.ts';
import type { Gap, Host } from '../model/index.ts';
import { createCaller, type OperationStats } from '../net/call.ts';
import type { Clock } from '../net/clock.ts';
import { type MatchedHost, type MatchResult, machinesOf, matchMachines, type Target } from './match.ts';
import {
  busiestWindow,
  coarseStepSec,
  type PlanCounts,
  planCounts,
  type SignalSeries,
  timeSplits,
} from './plan.ts';
import { COARSE_SIGNALS, FINE_QUERIES, type Role } from './queries.ts';

export interface FleetReadOptions {
  log: Logger;
  clock?: Clock;
  signal?: AbortSignal;
  /** FLEETLENS_PROMETHEUS_TOKEN, sent as a Bearer token when the URL has no user:password. */
  token?: string;
  /** Hosts judged from their folders: matched (not listed as unmatched) but not fetched. */
  skipHostIds?: ReadonlySet<string>;
}

export interface FleetHost {
  host: Host;
  by: MatchedHost['by'];
  /** The node and app `instance` labels of the host. */
  instances: Record<string, string>;
  window: { fromMs: number; toMs: number } | null;
  /** What the source could not give for this host (no app job: no pool or loop signal). */
  missing: string[];
  samples: HostSamples;
}

export interface FleetRead {
  /** Without credentials. */
  url: string;
  hosts: FleetHost[];
  match: MatchResult;
  gaps: Gap[];
  calls: {
    made: number;
    minimum: number;
    retries: number;
    failed: number;
    byOperation: Record<string, OperationStats & { minimum: number | null }>;
  };
  plan: PlanCounts & { coarseStepSec: number; splits: number; windows: number };
  /** Points received in range-query answers. */
  samples: number;
}

const SeriesList = z.object({
  status: z.literal('success'),
  data: z.array(z.record(z.string(), z.string())),
});
const Names = z.object({ status: z.literal('success'), data: z.array(z.string()) });

const unixSec = (ms: number) => String(ms / 1000);
/** A regex matcher for exactly these label values. */
const anyOf = (values: readonly string[]) =>
  values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');

export async function readPrometheusFleet(
  config: PrometheusOnHost,
  hosts: readonly Host[],
  window: { fromMs: number; toMs: number },
  options: FleetReadOptions,
): Promise<FleetRead> {
  const target = targetOf(config.url, options.token);
  const call = createCaller({
    provider: 'prometheus',
    limits: {
      prometheus: {
        concurrency: config.concurrency,
        requestsPerInterval: config.queriesPerSec,
        intervalMs: 1000,
        // Users of krr report its scans overloading Prometheus (krr#332): the caps are the user's.
        source: 'https://github.com/robusta-dev/krr/issues/332',
      },
    },
    toProviderError,
    log: options.log,
    retry: { timeoutMs: config.queryTimeoutSec * 1000, attempts: 2 },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const api = apiOf(target, call);
  const gaps: Gap[] = [];
  let samples = 0;
  const jobs: Record<Role, string> = { node: config.nodeJob, app: config.appJob };
  const refused = (what: string, error: unknown): Gap => {
    const message = describeFailure(error, target.secrets);
    if (message === null) throw error;
    const kind = error instanceof ProviderError && error.kind !== 'config' ? error.kind : 'bad-response';
    return {
      provider: 'prometheus',
      what,
      kind,
      message: `${target.publicUrl}: ${message}`,
      scope: target.publicUrl,
    };
  };
  const get = async (path: string, params: URLSearchParams, operation: string): Promise<unknown> => {
    const text = await api.get(path, params, operation);
    try {
      return JSON.parse(text);
    } catch {
      throw new SampleError('not JSON', `${path}?${params}`);
    }
  };
  const range = async (query: string, fromMs: number, toMs: number, stepSec: number, operation: string) => {
    const params = new URLSearchParams({
      query,
      start: unixSec(fromMs),
      end: unixSec(toMs),
      step: `${stepSec}s`,
    });
    const series = parsePrometheusRange(await api.get('/api/v1/query_range', params, operation), query);
    samples += series.reduce((n, s) => n + s.values.length, 0);
    return series;
  };

  // 1. Discovery: which metrics each job has, and every target's labels (instance id, hostname).
  const names: Record<Role, Set<string>> = { node: new Set(), app: new Set() };
  const windowParams = { start: unixSec(window.fromMs), end: unixSec(window.toMs) };
  await Promise.all(
    (['node', 'app'] as const).map(async (role) => {
      try {
        const params = new URLSearchParams({
          'match[]': `{job=${JSON.stringify(jobs[role])}}`,
          ...windowParams,
        });
        const body = Names.parse(
          await get('/api/v1/label/__name__/values', params, 'discovery.label-values'),
        );
        names[role] = new Set(body.data);
      } catch (error) {
        gaps.push(refused(`prometheus metric names of job ${jobs[role]}`, asSampleError(error)));
      }
    }),
  );
  let targets: Target[] = [];
  try {
    const params = new URLSearchParams(windowParams);
    params.append('match[]', `up{job=~${JSON.stringify(anyOf([jobs.node, jobs.app]))}}`);
    params.append('match[]', `node_uname_info{job=${JSON.stringify(jobs.node)}}`);
    const body = SeriesList.parse(await get('/api/v1/series', params, 'discovery.series'));
    targets = body.data
      .filter((labels) => labels.instance && labels.job)
      .map((labels) => ({ job: labels.job!, instance: labels.instance!, labels }));
  } catch (error) {
    gaps.push(refused('prometheus targets', asSampleError(error)));
  }
  const matchOptions = {
    order: config.match,
    instanceIdLabel: config.instanceIdLabel,
    hostnameLabel: config.hostnameLabel,
  };
  const match = matchMachines(machinesOf(targets, matchOptions), hosts, matchOptions);

  // 2. Coarse: each busy signal for every instance over the whole window.
  const windowSec = (window.toMs - window.fromMs) / 1000;
  const stepSec = config.coarseStepSec ?? coarseStepSec(windowSec);
  const splits = timeSplits(window.fromMs, window.toMs, stepSec);
  const rateSec = 2 * stepSec;
  const signals = COARSE_SIGNALS.filter((s) => names[s.role].has(s.metric));
  const byInstance = new Map<string, SignalSeries[]>();
  await Promise.all(
    signals.map(async (signal) => {
      const promql = signal.promql(`job=${JSON.stringify(jobs[signal.role])}`, `${rateSec}s`);
      const parts = await Promise.all(
        splits.map(([fromMs, toMs]) =>
          range(promql, fromMs, toMs, stepSec, 'coarse.query_range').catch((error: unknown) => {
            gaps.push(refused(`prometheus ${signal.key} for the fleet`, error));
            return [] as PromSeries[];
          }),
        ),
      );
      const joined = new Map<string, SignalSeries>();
      for (const series of parts.flat()) {
        const instance = series.labels.instance ?? '';
        const into = joined.get(instance) ?? { timesMs: [], values: [] };
        joined.set(instance, into);
        into.timesMs.push(...series.timesMs);
        into.values.push(...series.values.map(signal.busy));
      }
      for (const [instance, series] of joined)
        byInstance.set(instance, [...(byInstance.get(instance) ?? []), series]);
    }),
  );

  // 3. Busiest windows; hosts sharing one share its fine queries.
  const skip = options.skipHostIds ?? new Set<string>();
  const fleetHosts: FleetHost[] = match.matched
    .filter((m) => !skip.has(m.host.id))
    .map((m) => {
      const series = Object.values(m.machine.instances).flatMap((i) => byInstance.get(i) ?? []);
      const busiest = busiestWindow(series, window.fromMs, window.toMs, config.busiestHours);
      const missing =
        m.machine.instances[jobs.app] && names.app.size > 0
          ? []
          : [`no ${jobs.app} job: no pool or loop signal`];
      return {
        host: m.host,
        by: m.by,
        instances: m.machine.instances,
        window: busiest,
        missing,
        samples: { dir: target.publicUrl, inputs: [], gaps: [], ignored: [], prometheus: {} },
      };
    });
  const groups = new Map<string, FleetHost[]>();
  for (const host of fleetHosts) {
    if (!host.window) {
      host.samples.gaps.push({
        file: 'api/v1/query_range',
        kind: 'insufficient-data',
        message: `no CPU, load, connection or loop-lag series for ${Object.values(host.instances).join(', ')} in the window`,
      });
      continue;
    }
    const key = `${host.window.fromMs}-${host.window.toMs}`;
    groups.set(key, [...(groups.get(key) ?? []), host]);
  }
  const fine = FINE_QUERIES.filter((q) => q.live.metrics.every((m) => names[q.live.role].has(m)));
  await Promise.all([...groups.values()].map((group) => readGroup(group)));

  async function readGroup(group: FleetHost[]): Promise<void> {
    const { fromMs, toMs } = group[0]!.window!;
    const instancesOf = (role: Role) =>
      group.flatMap((h) => (h.instances[jobs[role]] ? [h.instances[jobs[role]]!] : []));
    const selector = (role: Role) =>
      `job=${JSON.stringify(jobs[role])},instance=~${JSON.stringify(anyOf(instancesOf(role)))}`;
    const scrapeSec = await scrapeInterval(selector('node'), toMs, Math.round((toMs - fromMs) / 1000));
    const fineStep = stepFor((toMs - fromMs) / 1000, undefined, scrapeSec);
    // rate() needs two samples in its window; 4 scrapes is Grafana's $__rate_interval floor.
    const w = `${Math.max(5, 4 * scrapeSec, 2 * fineStep)}s`;
    await Promise.all(
      fine.map(async (q) => {
        const role = q.live.role;
        if (instancesOf(role).length === 0) return;
        const promql = q.fleetPromql(selector(role), w);
        try {
          const series = await range(promql, fromMs, toMs, fineStep, 'fine.query_range');
          for (const host of group) {
            const instance = host.instances[jobs[role]];
            if (!instance) continue;
            const own = series.filter((s) => s.labels.instance === instance);
            const query = q.live.promql(selectorOf(jobs[role], instance), w, w);
            host.samples.prometheus![q.live.key] = { query, series: own };
            const points = own.reduce((n, s) => n + s.values.length, 0);
            host.samples.inputs.push({
              file: `api/v1/query_range?query=${query}`,
              kind: 'prometheus-range',
              records: points,
              ...timeSpan(own.flatMap((s) => s.timesMs)),
            });
          }
        } catch (error) {
          const gap = refused(`prometheus ${q.live.key}`, error);
          for (const host of group) {
            gaps.push({
              ...gap,
              subject: { provider: host.host.provider, kind: 'host', id: host.host.id, name: host.host.name },
            });
          }
        }
      }),
    );
  }

  /** The median spacing of raw `up` samples of the group in its window; 15 s when unknown. */
  async function scrapeInterval(sel: string, atMs: number, spanSec: number): Promise<number> {
    const params = new URLSearchParams({ query: `up{${sel}}[${spanSec}s]`, time: unixSec(atMs) });
    try {
      const series = parsePrometheusRange(
        await api.get('/api/v1/query', params, 'fine.scrape-interval'),
        'up',
      );
      const steps = series
        .flatMap((s) => s.timesMs.slice(1).map((t, i) => (t - s.timesMs[i]!) / 1000))
        .sort((a, b) => a - b);
      const median = steps[Math.floor(steps.length / 2)];
      return median !== undefined && median > 0 ? median : 15;
    } catch (error) {
      gaps.push(refused('prometheus scrape interval', error));
      return 15;
    }
  }

  const counts = planCounts(signals.length, splits.length, groups.size, fine.length);
  const stats = call.stats();
  const sum = (key: keyof OperationStats) => Object.values(stats).reduce((n, s) => n + s[key], 0);
  const minimumOf: Record<string, number> = {
    'discovery.label-values': 2,
    'discovery.series': 1,
    'coarse.query_range': counts.coarse,
    'fine.scrape-interval': groups.size,
    'fine.query_range': counts.fine - groups.size,
  };
  options.log.info(
    {
      url: target.publicUrl,
      matched: match.matched.length,
      queries: sum('made'),
      samples,
      windows: groups.size,
    },
    'prometheus fleet read',
  );
  return {
    url: target.publicUrl,
    hosts: fleetHosts,
    match,
    gaps,
    calls: {
      made: sum('made'),
      minimum: counts.discovery + counts.coarse + counts.fine,
      retries: sum('retries'),
      failed: sum('failed'),
      byOperation: Object.fromEntries(
        Object.entries(minimumOf).map(([op, minimum]) => [
          op,
          { made: 0, retries: 0, failed: 0, attempts: 0, ...stats[op], minimum },
        ]),
      ),
    },
    plan: { ...counts, coarseStepSec: stepSec, splits: splits.length, windows: groups.size },
    samples,
  };
}

function asSampleError(error: unknown): unknown {
  return error instanceof z.ZodError
    ? new SampleError('not the Prometheus answer expected', 'api/v1')
    : error;
}

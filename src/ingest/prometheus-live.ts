// Reads on-host samples from a live Prometheus over its HTTP API
// (https://prometheus.io/docs/prometheus/latest/querying/api/): which metrics exist for the node
// and app jobs in the window (`/api/v1/label/__name__/values`), the scrape interval (raw samples of
// `up`), then a fixed set of range queries, only those whose metrics exist, through call(). A failed
// or malformed answer is a gap naming the URL and query; the other queries still count.
import { z } from 'zod';
import { ConfigError, ProviderError, SampleError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type Caller, createCaller, parseRetryAfter, type RetryPolicy } from '../net/call.ts';
import { PartialSampleError } from './partial-sample-error.ts';
import { parsePrometheusRange } from './prometheus-range.ts';
import { timeSpan } from './time.ts';
import type { HostSamples, PromSeries, SampleGapEntry, SampleInput } from './types.ts';

export interface PrometheusSource {
  /** Base URL, e.g. `http://127.0.0.1:9090` or `https://user:pass@host/prometheus`. */
  url: string;
  fromMs: number;
  toMs: number;
  /** Default 1 s, or the scrape interval when that is longer; raised to keep ≤ 11,000 points a series. */
  stepSec?: number;
  /** node_exporter's job label (default `node`). */
  nodeJob?: string;
  /** The application's job label (default `app`). */
  appJob?: string;
  /** `instance` label: exact, or a host without a port for every port of that host. */
  instance?: string;
  /** Bearer token (FLEETLENS_PROMETHEUS_TOKEN); userinfo in `url` becomes Basic auth instead. */
  token?: string;
}

export interface LiveOptions {
  log: Logger;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
}

type Role = 'node' | 'app';

export interface LiveQuery {
  /** Key in `HostSamples.prometheus`; the public captures' file stems where the query is theirs. */
  key: string;
  role: Role;
  /** Every metric the query reads: it is sent only when all exist for its job in the window. */
  metrics: string[];
  /** `sel` is the job/instance matcher body, `w` the rate window (`5s`), `h` the histogram window. */
  promql: (sel: string, w: string, h: string) => string;
}

const gauge = (key: string, role: Role, metric: string): LiveQuery => ({
  key,
  role,
  metrics: [metric],
  promql: (sel) => `${metric}{${sel}}`,
});
const rate = (key: string, metric: string): LiveQuery => ({
  key,
  role: 'node',
  metrics: [metric],
  promql: (sel, w) => `rate(${metric}{${sel}}[${w}])`,
});

/**
 * The fixed query set (README "Reading a live Prometheus"). Keys and PromQL follow the public
 * captures' prometheus-queries/index.json with job/instance matchers added, so both read alike.
 */
export const LIVE_QUERIES: readonly LiveQuery[] = [
  {
    key: 'cpu_seconds_rate_by_mode',
    role: 'node',
    metrics: ['node_cpu_seconds_total'],
    promql: (sel, w) => `sum by (mode) (rate(node_cpu_seconds_total{${sel}}[${w}]))`,
  },
  {
    key: 'cpu_count',
    role: 'node',
    metrics: ['node_cpu_seconds_total'],
    promql: (sel) => `count(count by (cpu) (node_cpu_seconds_total{${sel}}))`,
  },
  gauge('load1', 'node', 'node_load1'),
  gauge('procs_running', 'node', 'node_procs_running'),
  gauge('procs_blocked', 'node', 'node_procs_blocked'),
  gauge('node_processes_threads', 'node', 'node_processes_threads'),
  rate('context_switches_rate', 'node_context_switches_total'),
  rate('forks_rate', 'node_forks_total'),
  rate('major_faults_rate', 'node_vmstat_pgmajfault'),
  rate('swap_out_rate', 'node_vmstat_pswpout'),
  gauge('memory_total_bytes', 'node', 'node_memory_MemTotal_bytes'),
  gauge('memory_available_bytes', 'node', 'node_memory_MemAvailable_bytes'),
  rate('pressure_cpu_waiting_rate', 'node_pressure_cpu_waiting_seconds_total'),
  rate('pressure_io_waiting_rate', 'node_pressure_io_waiting_seconds_total'),
  rate('pressure_io_stalled_rate', 'node_pressure_io_stalled_seconds_total'),
  rate('pressure_memory_waiting_rate', 'node_pressure_memory_waiting_seconds_total'),
  rate('pressure_memory_stalled_rate', 'node_pressure_memory_stalled_seconds_total'),
  rate('disk_io_time_seconds_rate', 'node_disk_io_time_seconds_total'),
  rate('disk_io_time_weighted_seconds_rate', 'node_disk_io_time_weighted_seconds_total'),
  rate('disk_reads_completed_rate', 'node_disk_reads_completed_total'),
  rate('disk_writes_completed_rate', 'node_disk_writes_completed_total'),
  rate('disk_read_time_seconds_rate', 'node_disk_read_time_seconds_total'),
  rate('disk_write_time_seconds_rate', 'node_disk_write_time_seconds_total'),
  rate('disk_read_bytes_rate', 'node_disk_read_bytes_total'),
  rate('disk_written_bytes_rate', 'node_disk_written_bytes_total'),
  gauge('node_netstat_TcpExt_ListenOverflows', 'node', 'node_netstat_TcpExt_ListenOverflows'),
  gauge('node_netstat_TcpExt_ListenDrops', 'node', 'node_netstat_TcpExt_ListenDrops'),
  gauge('node_netstat_TcpExt_SyncookiesSent', 'node', 'node_netstat_TcpExt_SyncookiesSent'),
  gauge('node_netstat_Tcp_PassiveOpens', 'node', 'node_netstat_Tcp_PassiveOpens'),
  gauge('filefd_allocated', 'node', 'node_filefd_allocated'),
  gauge('sockstat_tcp_inuse', 'node', 'node_sockstat_TCP_inuse'),
  gauge('sockstat_tcp_tw', 'node', 'node_sockstat_TCP_tw'),
  gauge('sockstat_tcp_orphan', 'node', 'node_sockstat_TCP_orphan'),
  gauge('sockstat_tcp_alloc', 'node', 'node_sockstat_TCP_alloc'),
  gauge('uname_info', 'node', 'node_uname_info'),
  gauge('app_process_threads', 'app', 'process_threads'),
  gauge('app_process_open_fds', 'app', 'process_open_fds'),
  gauge('app_process_max_fds', 'app', 'process_max_fds'),
  {
    key: 'app_cpu_seconds_rate',
    role: 'app',
    metrics: ['process_cpu_seconds_total'],
    promql: (sel, w) => `rate(process_cpu_seconds_total{${sel}}[${w}])`,
  },
  gauge('app_event_loop_lag_max_1s_seconds', 'app', 'event_loop_lag_max_1s_seconds'),
  gauge('app_event_loop_lag_last_seconds', 'app', 'event_loop_lag_last_seconds'),
  gauge('app_threadpool_queue_depth', 'app', 'threadpool_queue_depth'),
  gauge('app_threadpool_active_workers', 'app', 'threadpool_active_workers'),
  gauge('app_threadpool_max_workers', 'app', 'threadpool_max_workers'),
  gauge('app_http_requests_in_flight', 'app', 'http_requests_in_flight'),
  {
    key: 'app_http_request_duration_p99_10s',
    role: 'app',
    metrics: ['http_request_duration_seconds_bucket'],
    promql: (sel, _w, h) =>
      `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${sel}}[${h}])))`,
  },
  {
    key: 'app_http_requests_rate',
    role: 'app',
    metrics: ['http_requests_total'],
    promql: (sel, w) => `sum(rate(http_requests_total{${sel}}[${w}]))`,
  },
];

/** Prometheus refuses a range query of more than 11,000 points per series. */
export const MAX_POINTS = 11_000;
/** When `up` cannot tell the scrape interval: Prometheus' documented example global interval. */
const DEFAULT_SCRAPE_SEC = 15;

// https://prometheus.io/docs/prometheus/latest/command-line/prometheus/ (--query.max-concurrency, default 20):
// a quarter of it, so a diagnosis never crowds out the server's own dashboards and rules.
const LIMITS = {
  prometheus: {
    concurrency: 4,
    source: 'https://prometheus.io/docs/prometheus/latest/command-line/prometheus/',
  },
};

const LabelValues = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: z.array(z.string()) }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() }),
]);
const ErrorBody = z.object({ error: z.string(), errorType: z.string().optional() });

export interface Target {
  /** Base URL without credentials, without a trailing slash: what users see. */
  publicUrl: string;
  headers: Record<string, string>;
  secrets: string[];
}

/** The URL without userinfo, query or fragment; `null` when it is not an http(s) URL. */
export function publicPrometheusUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

export function targetOf(url: string, token: string | undefined): Target {
  const publicUrl = publicPrometheusUrl(url);
  if (publicUrl === null)
    throw new ConfigError('expected an http:// or https:// URL', undefined, undefined, '--prometheus');
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  const headers: Record<string, string> = { accept: 'application/json' };
  const secrets = [password, token ?? ''].filter((s) => s.length >= 3);
  if (user || password) {
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    secrets.push(headers.authorization.slice('Basic '.length));
  } else if (token) {
    headers.authorization = `Bearer ${token}`;
  }
  return { publicUrl, headers, secrets };
}

export function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

/** `job="node",instance=~"10\\.0\\.0\\.5(:[0-9]+)?"`: the job, and the instance as given or any port of that host. */
export function selectorOf(job: string, instance: string | undefined): string {
  const quote = (text: string) => JSON.stringify(text);
  const parts = [`job=${quote(job)}`];
  if (instance !== undefined && instance !== '') {
    // `host:9100` and `[::1]:9100` carry a port; a bare IPv6 address does not.
    const hasPort = /^[^:]+:\d+$/.test(instance) || /^\[.+\]:\d+$/.test(instance);
    const escaped = instance.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    parts.push(hasPort ? `instance=${quote(instance)}` : `instance=~${quote(`${escaped}(:[0-9]+)?`)}`);
  }
  return parts.join(',');
}

/** The step: asked for (or 1 s, or the scrape interval when longer), raised to stay within MAX_POINTS. */
export function stepFor(windowSec: number, askedSec: number | undefined, scrapeSec: number): number {
  const wanted = askedSec ?? Math.max(1, scrapeSec);
  return Math.max(wanted, Math.ceil(windowSec / (MAX_POINTS - 1)));
}

function errorText(body: string): string {
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(body));
    if (parsed.success)
      return `${parsed.data.errorType ? `${parsed.data.errorType}: ` : ''}${parsed.data.error}`;
  } catch {
    // not JSON: the start of the body says enough
  }
  return body.trim().slice(0, 200) || 'empty body';
}

function httpError(
  status: number,
  body: string,
  retryAfter: string | null,
  operation: string,
): ProviderError {
  const message = `HTTP ${status}: ${errorText(body)}`;
  const details = { status, ...(retryAfter ? { retryAfterMs: parseRetryAfter(retryAfter) ?? 0 } : {}) };
  if (status === 401 || status === 403)
    return new ProviderError('prometheus', 'auth', operation, message, details);
  if (status === 404) return new ProviderError('prometheus', 'not-found', operation, message, details);
  if (status === 429) return new ProviderError('prometheus', 'throttled', operation, message, details);
  if (status >= 500) return new ProviderError('prometheus', 'unavailable', operation, message, details);
  return new ProviderError('prometheus', 'bad-response', operation, message, details);
}

/** Network failures (refused, reset, DNS) are `unavailable`; anything else thrown by fetch is a bug. */
export function toProviderError(error: unknown, request: { operation: string }): ProviderError | undefined {
  if (!(error instanceof TypeError)) return undefined;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const detail = typeof cause?.message === 'string' ? cause.message : error.message;
  return new ProviderError('prometheus', 'unavailable', request.operation, detail, code ? { code } : {});
}

export interface Api {
  get(path: string, params: URLSearchParams, operation: string): Promise<string>;
  target: Target;
}

export function apiOf(target: Target, call: Caller): Api {
  return {
    target,
    get: (path, params, operation) =>
      call({ bucket: 'prometheus', operation }, async (signal) => {
        const response = await fetch(`${target.publicUrl}${path}?${params}`, {
          headers: target.headers,
          signal,
        });
        const body = await response.text();
        if (!response.ok)
          throw httpError(response.status, body, response.headers.get('retry-after'), operation);
        return body;
      }),
  };
}

export function describeFailure(error: unknown, secrets: readonly string[]): string | null {
  if (error instanceof ProviderError) return redact(`${error.kind}: ${error.message}`, secrets);
  if (error instanceof SampleError) return redact(error.message, secrets);
  return null;
}

const unixSec = (ms: number) => String(ms / 1000);

async function metricNames(
  api: Api,
  selector: string,
  source: PrometheusSource,
): Promise<{ names: Set<string> } | { gap: SampleGapEntry }> {
  const path = '/api/v1/label/__name__/values';
  const params = new URLSearchParams({
    'match[]': `{${selector}}`,
    start: unixSec(source.fromMs),
    end: unixSec(source.toMs),
  });
  const file = `${path.slice(1)}?match[]={${selector}}`;
  try {
    const text = await api.get(path, params, 'label.values');
    const parsed = LabelValues.safeParse(JSON.parse(text));
    if (!parsed.success) throw new SampleError('not a Prometheus label values response', file);
    if (parsed.data.status === 'error') {
      throw new SampleError(`Prometheus API error: ${parsed.data.error ?? 'no error text'}`, file);
    }
    return { names: new Set(parsed.data.data) };
  } catch (error) {
    const json = error instanceof SyntaxError ? `not JSON (${error.message})` : null;
    const reason = json ?? describeFailure(error, api.target.secrets);
    if (reason === null) throw error;
    return { gap: { file, kind: 'bad-sample', message: `${api.target.publicUrl}${path}: ${reason}` } };
  }
}

/** The median spacing of raw `up` samples near the window's start, in seconds; undefined when unknown. */
async function scrapeIntervalSec(
  api: Api,
  selector: string,
  source: PrometheusSource,
): Promise<number | undefined> {
  const spanSec = Math.max(10, Math.min(300, Math.round((source.toMs - source.fromMs) / 1000)));
  const params = new URLSearchParams({
    query: `up{${selector}}[${spanSec}s]`,
    time: unixSec(Math.min(source.toMs, source.fromMs + spanSec * 1000)),
  });
  try {
    const series = parsePrometheusRange(await api.get('/api/v1/query', params, 'query'), 'api/v1/query');
    const steps = (series[0]?.timesMs ?? []).slice(1).map((t, i) => (t - series[0]!.timesMs[i]!) / 1000);
    steps.sort((a, b) => a - b);
    const median = steps[Math.floor(steps.length / 2)];
    return median !== undefined && median > 0 ? median : undefined;
  } catch (error) {
    if (describeFailure(error, api.target.secrets) === null) throw error;
    return undefined;
  }
}

function windowText(source: PrometheusSource): string {
  return `${new Date(source.fromMs).toISOString()} and ${new Date(source.toMs).toISOString()}`;
}

/**
 * Reads the node_exporter and app metrics of one host from a live Prometheus into a HostSamples
 * bundle: `prometheus` holds each query's series (keyed as in LIVE_QUERIES), `inputs` one
 * `prometheus-range` entry per query sent, `gaps` each failed call and each job with no metrics
 * in the window. Credentials never reach `dir`, inputs, gaps or logs. Never throws for a server
 * that is down or answers badly; throws ConfigError for a URL or window that cannot be asked.
 */
export async function readPrometheusLive(
  source: PrometheusSource,
  options: LiveOptions,
): Promise<HostSamples> {
  const target = targetOf(source.url, source.token);
  if (!(Number.isFinite(source.fromMs) && Number.isFinite(source.toMs) && source.fromMs < source.toMs)) {
    throw new ConfigError('the window must start before it ends', undefined, undefined, '--from/--to');
  }
  const call = createCaller({
    provider: 'prometheus',
    limits: LIMITS,
    toProviderError,
    log: options.log,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const api = apiOf(target, call);
  const bundle: HostSamples = { dir: target.publicUrl, inputs: [], gaps: [], ignored: [], prometheus: {} };
  const jobs: Record<Role, string> = { node: source.nodeJob ?? 'node', app: source.appJob ?? 'app' };
  const selectors: Record<Role, string> = {
    node: selectorOf(jobs.node, source.instance),
    app: selectorOf(jobs.app, source.instance),
  };

  const [nodeNames, appNames] = await Promise.all([
    metricNames(api, selectors.node, source),
    metricNames(api, selectors.app, source),
  ]);
  const names: Record<Role, Set<string>> = { node: new Set(), app: new Set() };
  for (const [role, found] of [
    ['node', nodeNames],
    ['app', appNames],
  ] as const) {
    if ('gap' in found) bundle.gaps.push(found.gap);
    else if (found.names.size === 0) {
      bundle.gaps.push({
        file: `api/v1/label/__name__/values?match[]={${selectors[role]}}`,
        kind: 'insufficient-data',
        message: `no series for {${selectors[role]}} between ${windowText(source)}`,
      });
    } else names[role] = found.names;
  }
  if (names.node.size === 0 && names.app.size === 0) return bundle;

  const scrapeRole: Role = names.node.has('up') ? 'node' : 'app';
  const scrapeSec = names[scrapeRole].has('up')
    ? await scrapeIntervalSec(api, selectors[scrapeRole], source)
    : undefined;
  if (scrapeSec === undefined) {
    options.log.warn({ url: target.publicUrl, assumedSec: DEFAULT_SCRAPE_SEC }, 'scrape interval unknown');
  }
  const scrape = scrapeSec ?? DEFAULT_SCRAPE_SEC;
  const windowSec = (source.toMs - source.fromMs) / 1000;
  const stepSec = stepFor(windowSec, source.stepSec, scrape);
  // rate() needs at least two samples in its window; 4 scrapes is Grafana's $__rate_interval floor.
  const rateSec = Math.max(5, 4 * scrape, 2 * stepSec);
  const histogramSec = Math.max(10, rateSec);

  const wanted = LIVE_QUERIES.filter((q) => q.metrics.every((m) => names[q.role].has(m)));
  const results = await Promise.all(
    wanted.map(async (q) => {
      const promql = q.promql(selectors[q.role], `${rateSec}s`, `${histogramSec}s`);
      const file = `api/v1/query_range?query=${promql}`;
      const params = new URLSearchParams({
        query: promql,
        start: unixSec(source.fromMs),
        end: unixSec(source.toMs),
        step: `${stepSec}s`,
      });
      try {
        const series = parsePrometheusRange(
          await api.get('/api/v1/query_range', params, 'query_range'),
          file,
        );
        return { q, promql, file, series, gap: undefined };
      } catch (error) {
        const reason = describeFailure(error, target.secrets);
        if (reason === null) throw error;
        const gap: SampleGapEntry = {
          file,
          kind: 'bad-sample',
          message: `${target.publicUrl}/api/v1/query_range (${q.key}): ${reason}`,
        };
        // Points out of range were left out; the rest of the answer still counts.
        const series = error instanceof PartialSampleError ? (error.partial as PromSeries[]) : undefined;
        return { q, promql, file, series, gap };
      }
    }),
  );
  for (const result of results) {
    if (result.gap) bundle.gaps.push(result.gap);
    if (result.series === undefined) continue;
    bundle.prometheus![result.q.key] = { query: result.promql, series: result.series };
    bundle.inputs.push(inputOf(result.file, result.series));
  }
  warnOnInstances(bundle, selectors, options.log);
  options.log.debug(
    { url: target.publicUrl, queries: wanted.length, stepSec, rateSec, scrapeSec: scrape },
    'prometheus read',
  );
  return bundle;
}

function inputOf(file: string, series: readonly PromSeries[]): SampleInput {
  const points = series.reduce((sum, one) => sum + one.values.length, 0);
  return { file, kind: 'prometheus-range', records: points, ...timeSpan(series.flatMap((s) => s.timesMs)) };
}

/** Several hosts behind one job without --instance: their series would mix; say which to pick. */
function warnOnInstances(bundle: HostSamples, selectors: Record<Role, string>, log: Logger): void {
  for (const role of ['node', 'app'] as const) {
    const keys = new Set(LIVE_QUERIES.filter((q) => q.role === role).map((q) => q.key));
    const instances = new Set(
      Object.entries(bundle.prometheus ?? {})
        .filter(([key]) => keys.has(key))
        .flatMap(([, entry]) => entry.series.map((s) => s.labels.instance).filter((i) => i !== undefined)),
    );
    if (instances.size > 1) {
      log.warn(
        { selector: selectors[role], instances: [...instances].sort() },
        'several instances answer: pass --instance to read one host',
      );
    }
  }
}

// The fleet's query set: the coarse signals fetched for every instance over the whole audit window
// (`... by (instance)`, to find each host's busiest hours), and the fine queries, the live reader's
// LIVE_QUERIES with `instance` kept in every aggregation so one answer serves a group of hosts.
import { LIVE_QUERIES, type LiveQuery } from '../ingest/prometheus-live.ts';

export type Role = LiveQuery['role'];

export interface CoarseSignal {
  key: 'cpu' | 'load' | 'connections' | 'loop-lag';
  role: Role;
  metric: string;
  /** `sel` is the job matcher body, `w` the rate window (`240s`). One series per instance. */
  promql: (sel: string, w: string) => string;
  /** Turns the answer into "busier is higher" (idle share → busy share). */
  busy: (value: number) => number;
}

/** What "busy" means for the busiest-window search: CPU, load, connection rate, loop lag. */
export const COARSE_SIGNALS: readonly CoarseSignal[] = [
  {
    key: 'cpu',
    role: 'node',
    metric: 'node_cpu_seconds_total',
    promql: (sel, w) => `avg by (instance) (rate(node_cpu_seconds_total{${sel},mode="idle"}[${w}]))`,
    busy: (idleShare) => 1 - idleShare,
  },
  {
    key: 'load',
    role: 'node',
    metric: 'node_load1',
    promql: (sel) => `max by (instance) (node_load1{${sel}})`,
    busy: (v) => v,
  },
  {
    key: 'connections',
    role: 'node',
    metric: 'node_netstat_Tcp_PassiveOpens',
    promql: (sel, w) => `sum by (instance) (rate(node_netstat_Tcp_PassiveOpens{${sel}}[${w}]))`,
    busy: (v) => v,
  },
  {
    key: 'loop-lag',
    role: 'app',
    metric: 'event_loop_lag_max_1s_seconds',
    promql: (sel) => `max by (instance) (event_loop_lag_max_1s_seconds{${sel}})`,
    busy: (v) => v,
  },
];

export interface FineQuery {
  live: LiveQuery;
  /** The same query for a group of hosts, one series (set) per instance. */
  fleetPromql: (sel: string, w: string) => string;
}

// Aggregations of LIVE_QUERIES that would fold the instances of a group together, rewritten
// to keep them apart. Queries not listed here select raw series, which keep `instance` anyway.
const GROUPED: Record<string, (sel: string, w: string) => string> = {
  cpu_seconds_rate_by_mode: (sel, w) =>
    `sum by (instance, mode) (rate(node_cpu_seconds_total{${sel}}[${w}]))`,
  cpu_count: (sel) => `count by (instance) (count by (instance, cpu) (node_cpu_seconds_total{${sel}}))`,
  app_http_requests_rate: (sel, w) => `sum by (instance) (rate(http_requests_total{${sel}}[${w}]))`,
};
// A histogram quantile per host is no input of the classifier; it would be the costliest query.
const SKIPPED = new Set(['app_http_request_duration_p99_10s']);

export const FINE_QUERIES: readonly FineQuery[] = LIVE_QUERIES.filter((q) => !SKIPPED.has(q.key)).map(
  (live) => ({ live, fleetPromql: GROUPED[live.key] ?? ((sel, w) => live.promql(sel, w, w)) }),
);

/** Every metric the fleet reader may ask for (the exporter of the demo's capture series keeps these). */
export const FLEET_METRICS: readonly string[] = [
  ...new Set(['up', ...COARSE_SIGNALS.map((s) => s.metric), ...FINE_QUERIES.flatMap((q) => q.live.metrics)]),
].sort();

// One interface for every cloud (DESIGN.md "Providers"): adapters return the shared model,
// never SDK types, validate raw responses at the boundary, and make every call through call().
import type { z } from 'zod';
import type { Logger } from '../src/log.ts';
import type {
  Gap,
  Group,
  Host,
  InstanceType,
  MetricName,
  MetricSeries,
  ProviderId,
  Volume,
} from '../src/model/index.ts';
import type { Caller, ErrorMapper, RateLimit, RetryPolicy } from '../src/net/call.ts';
import type { Clock } from '../src/net/clock.ts';

export interface MetricWindow {
  fromMs: number;
  toMs: number;
  stepSec: number;
}

export interface ProviderContext<Config> {
  config: Config;
  call: Caller;
  log: Logger;
  window: MetricWindow;
  /** Records how many items a listing returned (or series a region requested), for minimumCalls. */
  observe(what: string, region: string, count: number): void;
  /**
   * Coverage: a scope (region, project, account) this cloud was asked about, and, when its instance
   * listing failed because of an error, that error (the run is then incomplete). A scope that
   * really has no instances is listed without a failure.
   */
  scope(name: string, failure?: unknown): void;
  /** Coverage: series the metrics step asks for, counted from the inventory (never from the answers). */
  expectSeries(count: number): void;
  /**
   * Takes the series of one answer (a batch, a host, a chunk of hosts) as soon as it is read: the
   * run keeps them within its memory budget or writes them to disk (src/run/collected-series.ts),
   * so an adapter holds none once handed over and collection does not grow with the fleet.
   */
  emitSeries(series: readonly MetricSeries[]): void;
  /** The run's clock: what "now" is for periods counted back from it. */
  clock: Clock;
  signal?: AbortSignal;
}

/** How an adapter's calls wait and time out; the demo and tests pass a virtual clock or shorter bounds. */
export interface NetOptions {
  clock?: Clock;
  retry?: Partial<RetryPolicy>;
}

export interface Inventory {
  hosts: Host[];
  volumes: Volume[];
  groups: Group[];
}

/** A step's result: what was collected, and what could not be (the run goes on either way). */
export interface Collected<T> {
  value: T;
  gaps: Gap[];
}

export interface ProviderAdapter<Config = unknown> {
  readonly id: ProviderId;
  readonly configSchema: z.ZodType<Config>;
  /** Published limits per bucket of calls, each with a link to the provider's page. */
  readonly limits: Record<string, RateLimit>;
  readonly retry?: Partial<RetryPolicy>;
  /** What the caller asked for instead of the real clock and the adapter's retry policy. */
  readonly net?: NetOptions;
  readonly toProviderError: ErrorMapper;
  inventory(ctx: ProviderContext<Config>): Promise<Collected<Inventory>>;
  catalog(ctx: ProviderContext<Config>, inventory: Inventory): Promise<Collected<InstanceType[]>>;
  /** Hands every series to `ctx.emitSeries` as its answer is read; returns what could not be had. */
  metrics(
    ctx: ProviderContext<Config>,
    inventory: Inventory,
    catalog: readonly InstanceType[],
  ): Promise<Gap[]>;
  /** The fewest calls per operation this inventory needs at the provider's batch and page limits. */
  minimumCalls(window: MetricWindow, observed: ObservedCounts): Record<string, number>;
  /** What this cloud cannot report for a host, given the metrics it did return for it (e.g. memory without an agent). */
  blindSpots(host: Host, metrics: ReadonlySet<MetricName>): BlindSpot[];
  /** Releases clients and sockets at the end of a run. */
  dispose(): void;
}

/** A dimension the provider could not report for a host (memory without an agent, OVH disk IOPS). */
export type BlindSpot =
  | 'memory'
  | 'iowait'
  | 'steal'
  | 'disk-iops'
  | 'disk-queue'
  | 'burst-balance'
  | 'network-packets';

/** What `observe` recorded: per item kind (`instances`, `series`, ...), per region, a count. */
export type ObservedCounts = Record<string, Record<string, number>>;

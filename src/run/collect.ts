// Collection for one provider: inventory, then catalog, then metrics, each through call(); a failed
// step is a gap and the next step works with what there is. Counts the calls and their minimum, and
// what was asked of the cloud (its scopes, the series the inventory calls for) for coverage.

import { failureReason, mergeGaps } from '../../providers/gaps.ts';
import type {
  Inventory,
  MetricWindow,
  ObservedCounts,
  ProviderAdapter,
  ProviderContext,
} from '../../providers/types.ts';
import type { ApiCalls } from '../../reports/json/schema.ts';
import type { Logger } from '../log.ts';
import type { MetricSeries } from '../model/index.ts';
import { createCaller, type OperationStats } from '../net/call.ts';
import { type Clock, realClock } from '../net/clock.ts';
import type { ProviderArtifacts } from './artifacts.ts';
import { CollectProgress } from './collect-progress.ts';
import { CollectedSeries } from './collected-series.ts';
import type { ProgressEvent } from './progress.ts';

export interface CollectOptions {
  /** Waits and timeouts run on it (default: the adapter's, else the real clock). */
  clock?: Clock;
  /** Told each step of this cloud, its calls against the minimum and the rate limit's waits (stderr progress). */
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Where the series go as they arrive, shared by the run's clouds (the audit's, which spills past
   * its budget); the result's `series` is then empty. Without it they are held and returned.
   */
  collected?: CollectedSeries;
}

export async function collectProvider<Config>(
  adapter: ProviderAdapter<Config>,
  config: Config,
  window: MetricWindow,
  log: Logger,
  signal?: AbortSignal,
  options: CollectOptions = {},
): Promise<ProviderArtifacts> {
  const clock = options.clock ?? adapter.net?.clock ?? realClock;
  const retry = { ...adapter.retry, ...adapter.net?.retry };
  const observed: ObservedCounts = {};
  const progress = new CollectProgress(adapter.id, options.onProgress, () =>
    Object.values(adapter.minimumCalls(window, observed)).reduce((a, b) => a + b, 0),
  );
  const call = createCaller({
    provider: adapter.id,
    limits: adapter.limits,
    toProviderError: adapter.toProviderError,
    log,
    retry,
    clock,
    ...(signal ? { signal } : {}),
    ...(options.onProgress ? { observer: progress.observer } : {}),
  });
  const scopes: string[] = [];
  const failedScopes: { scope: string; reason: string }[] = [];
  let seriesExpected = 0;
  const collected = options.collected ?? new CollectedSeries({ budgetBytes: Number.POSITIVE_INFINITY });
  let emitSeries = (_series: readonly MetricSeries[]): void => {
    throw new Error(`${adapter.id}: series handed over before the inventory was listed`);
  };
  const ctx: ProviderContext<Config> = {
    config,
    call,
    log,
    window,
    clock,
    observe: (what: string, region: string, count: number) => {
      observed[what] ??= {};
      observed[what][region] = (observed[what][region] ?? 0) + count;
      progress.minimumChanged();
    },
    scope: (name, failure) => {
      if (!scopes.includes(name)) scopes.push(name);
      if (failure !== undefined && !failedScopes.some((f) => f.scope === name))
        failedScopes.push({ scope: name, reason: failureReason(failure) });
    },
    expectSeries: (count) => {
      seriesExpected += count;
    },
    emitSeries: (series) => emitSeries(series),
    ...(signal ? { signal } : {}),
  };
  try {
    const startedMs = clock.now();
    progress.step('inventory', 'running');
    const inventory = await adapter.inventory(ctx);
    progress.stepDone(
      'inventory',
      `${inventory.value.hosts.length} hosts`,
      inventory.gaps.length,
      failedScopes,
    );
    log.info(
      {
        provider: adapter.id,
        hosts: inventory.value.hosts.length,
        volumes: inventory.value.volumes.length,
        groups: inventory.value.groups.length,
      },
      'inventory listed',
    );
    progress.step('catalog', 'running');
    const catalog = await adapter.catalog(ctx, inventory.value);
    progress.stepDone('catalog', `${catalog.value.length} types`, catalog.gaps.length);
    fillSpecs(inventory.value, catalog.value);
    progress.step('metrics', 'running');
    emitSeries = collected.sink(adapter.id, inventory.value);
    const metricGaps = await adapter.metrics(ctx, inventory.value, catalog.value);
    const received = collected.received(adapter.id);
    progress.stepDone('metrics', `${received} series`, metricGaps.length);
    log.info(
      { provider: adapter.id, series: received, ms: Math.round(clock.now() - startedMs) },
      'metrics fetched',
    );
    const blindSpots = Object.fromEntries(
      inventory.value.hosts.map((host) => [
        host.id,
        adapter.blindSpots(host, collected.metricsOf(adapter.id, host.id)),
      ]),
    );
    return {
      provider: adapter.id,
      ...inventory.value,
      instanceTypes: catalog.value.filter((t) => t.source === 'api'),
      series: options.collected ? [] : collected.takeSeries(adapter.id),
      gaps: mergeGaps([...inventory.gaps, ...catalog.gaps, ...metricGaps]),
      apiCalls: apiCalls(call.stats(), adapter.minimumCalls(window, observed)),
      blindSpots,
      coverage: { scopes, failedScopes, seriesExpected },
    };
  } finally {
    adapter.dispose();
  }
}

/** vCPU and memory of each host from the catalog entry of its type. */
export function fillSpecs(
  inventory: Inventory,
  catalog: readonly { name: string; vcpu: number; memoryMiB: number }[],
): void {
  const byName = new Map(catalog.map((t) => [t.name, t]));
  for (const host of inventory.hosts) {
    const type = byName.get(host.instanceType);
    host.vcpu ??= type?.vcpu ?? null;
    host.memoryMiB ??= type?.memoryMiB ?? null;
  }
}

function apiCalls(
  stats: ReturnType<ReturnType<typeof createCaller>['stats']>,
  minimum: Record<string, number>,
): ApiCalls {
  const operations = new Set([...Object.keys(stats), ...Object.keys(minimum)]);
  const byOperation: ApiCalls['byOperation'] = {};
  for (const op of [...operations].sort()) {
    const s = stats[op] ?? { made: 0, retries: 0, failed: 0, attempts: 0 };
    byOperation[op] = { ...s, minimum: minimum[op] ?? null };
  }
  const sum = (f: (s: OperationStats) => number) =>
    Object.values(stats).reduce((total, s) => total + f(s), 0);
  return {
    made: sum((s) => s.made),
    minimum: Object.values(minimum).reduce((a, b) => a + b, 0),
    retries: sum((s) => s.retries),
    failed: sum((s) => s.failed),
    attempts: sum((s) => s.attempts),
    byOperation,
  };
}

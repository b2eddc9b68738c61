// `fleetlens audit`: collect every configured provider (or replay saved artifacts), read the mapped
// on-host folders, run the rules, and assemble the AnalysisResult the writers render.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type AdapterOptions, bundledCatalogs, providers as registry } from '../../providers/index.ts';
import type { MetricWindow, ProviderAdapter } from '../../providers/types.ts';
import {
  type AnalysisResult,
  type ApiCalls,
  type ProviderCoverage,
  type ReportHost,
  type RunSettings,
  SCHEMA_VERSION,
} from '../../reports/json/schema.ts';
import { validateRuleSettings } from '../analysis/engine.ts';
import type { FactKey, Facts, OnHostEntry } from '../analysis/facts.ts';
import { judgeFleet } from '../analysis/judge-fleet.ts';
import { rules } from '../analysis/rules/index.ts';
import { parseDurationMs } from '../config/duration.ts';
import type { LoadedConfig } from '../config/load.ts';
import { onHostFolders, onHostPrometheus } from '../config/schema.ts';
import { projectEvent } from '../event/project.ts';
import type { Logger } from '../log.ts';
import type { Gap, Host, InstanceType, MetricName, Severity } from '../model/index.ts';
import { packageVersion } from '../paths.ts';
import { monthlyCostTotal } from '../recommend/one-action.ts';
import {
  type Artifacts,
  type AuditInput,
  auditInputOf,
  openAuditInput,
  type ProviderArtifacts,
  saveArtifacts,
} from './artifacts.ts';
import { pointsInWindow } from './artifacts-series.ts';
import { collectProvider } from './collect.ts';
import { CollectedSeries, type CollectedSeriesOptions, spillBudgetBytes } from './collected-series.ts';
import { analyzeOnHostDir, isoOrNull, type OnHostResult, onHostEntry } from './onhost.ts';
import { fetchOnHostPrometheus, judgeOnHostPrometheus } from './onhost-prometheus.ts';
import type { ProgressEvent } from './progress.ts';

export interface AuditOptions {
  loaded: LoadedConfig;
  mode: 'live' | 'demo';
  log: Logger;
  now?: () => number;
  /** `--since` from the command line; overrides the config's `since`. */
  since?: string;
  eventMultiplier?: number | null;
  saveArtifactsDir?: string;
  fromArtifactsDir?: string;
  adapterOptions?: AdapterOptions;
  signal?: AbortSignal;
  /** Told what the audit is doing, for progress on stderr (src/run/progress.ts). */
  onProgress?: (event: ProgressEvent) => void;
  /** The window to collect, instead of `since` back from now (a shard takes its run's window). */
  window?: MetricWindow;
  /** What to judge, already gathered (the report step's shards); nothing is collected or replayed. */
  input?: AuditInput;
  /** The run's id (a sharded run's `--run-id`); a fresh one by default. */
  runId?: string;
  /**
   * How much of the collected series is held in memory (default FLEETLENS_SERIES_MEMORY_MIB, else
   * DEFAULT_SPILL_BUDGET_BYTES) and where the rest goes: past the budget they are written to disk
   * and judged from files, unit by unit. Tests set a budget of 0 to take that path at any size.
   */
  seriesSpill?: Partial<CollectedSeriesOptions>;
}

export async function runAudit(options: AuditOptions): Promise<AnalysisResult> {
  const { config, file, locate } = options.loaded;
  validateRuleSettings(rules, { byId: config.rules, file, locate });
  if (options.input || options.fromArtifactsDir) return judgeAudit(options, Date.now(), options.input);
  const window = options.window ?? windowFor(options);
  const collected = new CollectedSeries({
    budgetBytes: spillBudgetBytes(),
    pointsPerSeries: pointsInWindow(window),
    ...options.seriesSpill,
  });
  try {
    return await judgeAudit(options, Date.now(), undefined, { collected, window });
  } finally {
    await collected.close();
  }
}

async function judgeAudit(
  options: AuditOptions,
  startedMs: number,
  given: AuditInput | undefined,
  live?: { collected: CollectedSeries; window: MetricWindow },
): Promise<AnalysisResult> {
  const { config, file, locate } = options.loaded;
  // A folder replay leaves the series on disk and reads them one unit at a time.
  const input =
    given ??
    (options.fromArtifactsDir
      ? await openAuditInput(options.fromArtifactsDir)
      : await collectInput(options, live!.collected, live!.window));
  const { artifacts } = input;

  const catalog = new Map<string, InstanceType>(bundledCatalogs().map((t) => [t.name, t]));
  for (const provider of artifacts.providers) for (const t of provider.instanceTypes) catalog.set(t.name, t);
  const hosts = artifacts.providers.flatMap((p) => p.hosts);
  const seriesCount = [...input.seriesReceived.values()].reduce((a, b) => a + b, 0);
  const gaps: Gap[] = artifacts.providers.flatMap((p) => p.gaps);

  const replay = options.fromArtifactsDir !== undefined;
  const onHost = await readOnHost(artifacts.onHost, hosts, gaps, options.log, options.onProgress);
  const fromPrometheus = judgeOnHostPrometheus(
    artifacts.prometheus ?? [],
    onHostPrometheus(config),
    hosts,
    gaps,
  );
  if (replay) for (const read of fromPrometheus.reads) read.apiCalls = replayedCalls(read.apiCalls);
  for (const j of fromPrometheus.judged) {
    onHost.push({
      mapping: { dir: j.url, host: j.host.id },
      result: j.result,
      entry: j.entry,
      missing: j.missing,
    });
  }
  const unavailable: Facts['unavailable'] = {};
  if (artifacts.providers.length > 0 && hosts.length === 0)
    unavailable.inventory = describeGaps(gaps, 'no instances listed');
  if (hosts.length > 0 && seriesCount === 0)
    unavailable.metrics = describeGaps(gaps, 'no metric series returned');
  const facts: Omit<Facts, 'series'> = {
    window: artifacts.window,
    hosts,
    volumes: artifacts.providers.flatMap((p) => p.volumes),
    groups: artifacts.providers.flatMap((p) => p.groups),
    catalog,
    onHost: onHost.map((r) => r.entry),
    sizing: config.sizing,
    unavailable: unavailable satisfies Partial<Record<FactKey, string>>,
  };
  options.onProgress?.({ type: 'rules', done: 0, total: rules.length });
  const eventMultiplier = options.eventMultiplier ?? config.event?.multiplier ?? null;
  const eventOptions = {
    multiplier: eventMultiplier,
    ...(config.event?.name ? { name: config.event.name } : {}),
    ...(config.event?.date ? { date: config.event.date } : {}),
    units: config.event?.groups ?? {},
  };
  // One unit (a group, or a host) at a time: the artifact reader can feed the same call from disk.
  const judged = await judgeFleet({
    rules,
    settings: { byId: config.rules, file, locate },
    facts,
    hasMetrics: seriesCount > 0,
    series: input.series,
    event: { project: (unitFacts) => projectEvent(unitFacts, eventOptions) },
    summaryMetrics: STAT_METRICS,
  });
  const event = judged.event!;
  options.onProgress?.({ type: 'rules', done: rules.length, total: rules.length });

  const blindSpotsOf = new Map(artifacts.providers.map((p) => [p.provider, p.blindSpots]));
  // Per host by id, not by a search of the fleet per host (10,000 hosts × 10,000 volumes).
  const volumeAt = new Map(facts.volumes.map((v, index) => [v.id, index]));
  const volumesOf = (host: Host) =>
    [...new Set(host.volumeIds.flatMap((id) => volumeAt.get(id) ?? []))]
      .sort((a, b) => a - b)
      .map((index) => facts.volumes[index]!);
  const onHostByHost = new Map<string, MappedOnHost>();
  for (const m of onHost)
    if (m.entry.host && !onHostByHost.has(m.entry.host.id)) onHostByHost.set(m.entry.host.id, m);
  const reportHosts = hosts.map((host) =>
    reportHost(host, {
      volumes: volumesOf(host),
      priceUsdPerHour: facts.catalog.get(host.instanceType)?.priceUsdPerHour ?? null,
      blindSpots: blindSpotsOf.get(host.provider)?.[host.id] ?? [],
      mapped: onHostByHost.get(host.id),
      stats: judged.hostSummaries.get(host.id) ?? [],
    }),
  );
  const coverage = Object.fromEntries(
    artifacts.providers.map((p) => [
      p.provider,
      providerCoverage(p, input.seriesReceived.get(p.provider) ?? 0, reportHosts),
    ]),
  );
  const finishedMs = Date.now();
  const findingsBySeverity: Record<Severity, number> = { info: 0, low: 0, medium: 0, high: 0, critical: 0 };
  for (const f of judged.findings) findingsBySeverity[f.severity] += 1;
  // A superseded recommendation (resize under a terminate) is never counted: one action per subject.
  const cost = monthlyCostTotal(judged.recommendations);
  return {
    schemaVersion: SCHEMA_VERSION,
    run: {
      id: options.runId ?? randomUUID(),
      tool: { name: 'fleetlens', version: packageVersion },
      mode: options.fromArtifactsDir ? 'artifacts' : options.mode,
      startedAt: new Date(startedMs).toISOString(),
      finishedAt: new Date(finishedMs).toISOString(),
      durationMs: finishedMs - startedMs,
      window: {
        from: new Date(artifacts.window.fromMs).toISOString(),
        to: new Date(artifacts.window.toMs).toISOString(),
        stepSec: artifacts.window.stepSec,
      },
      providers: artifacts.providers.map((p) => p.provider),
      apiCalls: Object.fromEntries(
        artifacts.providers.map((p) => [p.provider, replay ? replayedCalls(p.apiCalls) : p.apiCalls]),
      ),
      ...(fromPrometheus.reads.length > 0 ? { prometheus: fromPrometheus.reads } : {}),
      eventMultiplier,
      complete: Object.values(coverage).every((c) => c.complete),
      coverage,
      settings: artifacts.settings ?? runSettings(options.loaded, options.since),
      rules: judged.runs,
      summary: {
        hosts: hosts.length,
        findingsBySeverity,
        recommendations: cost.counted + cost.withUnknownCost,
        monthlyCostDeltaUsd: cost.monthlyCostDeltaUsd,
        recommendationsWithUnknownCost: cost.withUnknownCost,
        gaps: gaps.length,
      },
    },
    hosts: reportHosts,
    groups: facts.groups.slice(),
    findings: judged.findings,
    recommendations: judged.recommendations,
    gaps,
    event,
  };
}

/** `since` back from now (or `now()`), on whole periods. */
export function windowFor(options: Pick<AuditOptions, 'loaded' | 'since' | 'now'>): MetricWindow {
  const { config } = options.loaded;
  const stepSec = config.periodSec;
  const sinceMs = parseDurationMs(options.since ?? config.since) ?? 14 * 86_400_000;
  // CloudWatch aligns periods to the clock; a window on period boundaries gets whole periods.
  const toMs = Math.floor((options.now ?? Date.now)() / (stepSec * 1000)) * stepSec * 1000;
  return { fromMs: toMs - sinceMs, toMs, stepSec };
}

/**
 * Collects every configured cloud into `collected`. Within its budget the series stay in memory;
 * past it they are on disk, written to the artifacts folder (the one asked for, or one of the
 * spill's own) and read back one unit at a time, so the judging holds one unit's series too.
 */
async function collectInput(
  options: AuditOptions,
  collected: CollectedSeries,
  window: MetricWindow,
): Promise<AuditInput> {
  const artifacts = await collect(options, window, collected);
  await collected.settle();
  const saveTo = options.saveArtifactsDir;
  if (!collected.spilled) {
    for (const p of artifacts.providers) p.series = collected.takeSeries(p.provider);
    if (saveTo) options.log.info({ path: await saveArtifacts(saveTo, artifacts) }, 'artifacts saved');
    return auditInputOf(artifacts);
  }
  const dir = saveTo ?? (await collected.scratchFolder());
  options.log.info(
    { series: artifacts.providers.reduce((n, p) => n + collected.received(p.provider), 0) },
    'series past the memory budget were kept on disk; judging them from files, unit by unit',
  );
  const path = await saveArtifacts(dir, artifacts, collected);
  await collected.closeDatabase();
  if (saveTo) options.log.info({ path }, 'artifacts saved');
  const opened = await openAuditInput(dir);
  return {
    artifacts,
    seriesReceived: new Map(artifacts.providers.map((p) => [p.provider, collected.received(p.provider)])),
    series: opened.series,
  };
}

async function collect(
  options: AuditOptions,
  window: MetricWindow,
  collected: CollectedSeries,
): Promise<Artifacts> {
  const { config } = options.loaded;
  // Every configured cloud at once: each has its own limits and its own gaps.
  const configured = Object.entries(registry).flatMap(([id, entry]) => {
    const providerConfig = config.providers[id as keyof typeof config.providers];
    if (!providerConfig) return [];
    // NOTE: the registry pairs each adapter with its own config type; the loop cannot say so.
    const adapter = entry.create(options.adapterOptions ?? {}) as ProviderAdapter<unknown>;
    const collectOptions = { collected, ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
    return [collectProvider(adapter, providerConfig, window, options.log, options.signal, collectOptions)];
  });
  const providers: ProviderArtifacts[] = await Promise.all(configured);
  const prometheus = await fetchPrometheusFor(
    options.loaded,
    providers.flatMap((p) => p.hosts),
    window,
    options,
  );
  return {
    ...(prometheus.length > 0 ? { prometheus } : {}),
    artifactsVersion: 1,
    mode: options.mode,
    collectedAt: new Date().toISOString(),
    window,
    providers,
    settings: runSettings(options.loaded, options.since),
    onHost: onHostFolders(config).map((m) => ({ dir: m.dir, host: m.host })),
  };
}

/** The config's Prometheus servers read for `hosts` (those without an on-host folder). */
export function fetchPrometheusFor(
  loaded: LoadedConfig,
  hosts: readonly Host[],
  window: MetricWindow,
  options: Pick<AuditOptions, 'log' | 'signal'>,
) {
  const { config } = loaded;
  return fetchOnHostPrometheus(
    onHostPrometheus(config),
    hosts,
    window,
    folderHostIds(onHostFolders(config), hosts),
    { log: options.log, ...(options.signal ? { signal: options.signal } : {}) },
  );
}

/** Hosts a folder is mapped to (by id, or by a Name only one host has): Prometheus leaves them be. */
function folderHostIds(mappings: readonly { host: string }[], hosts: readonly Host[]): Set<string> {
  const ids = new Set<string>();
  for (const m of mappings) {
    const byName = hosts.filter((h) => h.name === m.host);
    const host = hosts.find((h) => h.id === m.host) ?? (byName.length === 1 ? byName[0] : undefined);
    if (host) ids.add(host.id);
  }
  return ids;
}

interface MappedOnHost {
  mapping: { dir: string; host: string };
  result: OnHostResult;
  entry: OnHostEntry;
  /** Set for a verdict from a Prometheus: what it lacked. */
  missing?: string[];
}

async function readOnHost(
  mappings: Artifacts['onHost'],
  hosts: readonly Host[],
  gaps: Gap[],
  log: Logger,
  onProgress?: (event: ProgressEvent) => void,
): Promise<MappedOnHost[]> {
  const results: MappedOnHost[] = [];
  for (const [index, mapping] of mappings.entries()) {
    onProgress?.({ type: 'onhost', done: index, total: mappings.length });
    const byName = hosts.filter((h) => h.name === mapping.host);
    // Group members often share a Name tag: an ambiguous name must not pick one of them at random.
    const host = hosts.find((h) => h.id === mapping.host) ?? (byName.length === 1 ? byName[0]! : null);
    if (!host && byName.length > 1) {
      gaps.push({
        provider: 'config',
        what: `on-host folder ${mapping.dir}`,
        kind: 'not-found',
        message: `onHost host "${mapping.host}" names ${byName.length} instances (${byName.map((h) => h.id).join(', ')}); give the instance id. The folder was judged on its own`,
      });
    } else if (!host) {
      gaps.push({
        provider: 'config',
        what: `on-host folder ${mapping.dir}`,
        kind: 'not-found',
        message: `onHost host "${mapping.host}" matches no listed instance id or Name; the folder was judged on its own`,
      });
    }
    const result = await analyzeOnHostDir(mapping.dir);
    const subject = host
      ? { provider: host.provider, kind: 'host' as const, id: host.id, name: host.name }
      : undefined;
    for (const gap of result.facts.samples.gaps) {
      gaps.push({
        provider: 'onhost',
        what: `on-host file ${gap.file}`,
        kind: gap.kind === 'unrecognised' ? 'bad-sample' : gap.kind,
        message: gap.message,
        file: join(mapping.dir, gap.file),
        ...(gap.line ? { line: gap.line } : {}),
        ...(subject ? { subject } : {}),
      });
    }
    if (result.facts.samples.inputs.length === 0) {
      // Nothing readable: no verdict rather than a "healthy" nobody measured.
      log.warn({ dir: mapping.dir, host: host?.id ?? null }, 'on-host folder has no readable files');
      continue;
    }
    log.info(
      { dir: mapping.dir, host: host?.id ?? null, primary: result.classification.primary },
      'on-host folder diagnosed',
    );
    results.push({ mapping, result, entry: onHostEntry(result, host) });
  }
  onProgress?.({ type: 'onhost', done: mappings.length, total: mappings.length });
  return results;
}

const STAT_METRICS: MetricName[] = ['cpu.util', 'cpu.util.max', 'mem.used', 'net.in.bytes', 'net.out.bytes'];

function reportHost(
  host: Host,
  own: Pick<ReportHost, 'volumes' | 'priceUsdPerHour' | 'stats'> & {
    blindSpots: readonly string[];
    mapped: MappedOnHost | undefined;
  },
): ReportHost {
  const { mapped } = own;
  const cpu = mapped?.result.facts.cpu;
  const fills: Record<string, boolean> = {
    memory: (cpu?.memUsedPct ?? []).some(Number.isFinite),
    iowait: (cpu?.iowaitPct ?? []).some(Number.isFinite),
    steal: (cpu?.stealPct ?? []).some(Number.isFinite),
  };
  return {
    ...host,
    volumes: own.volumes,
    priceUsdPerHour: own.priceUsdPerHour,
    stats: own.stats,
    onHost: mapped
      ? {
          sampleDir: mapped.mapping.dir,
          primary: mapped.result.classification.primary,
          confidence: mapped.result.classification.confidence,
          window: {
            from: isoOrNull(mapped.result.facts.window?.fromMs),
            to: isoOrNull(mapped.result.facts.window?.toMs),
          },
          source: mapped.missing ? ('prometheus' as const) : ('folder' as const),
          ...(mapped.missing && mapped.missing.length > 0 ? { missing: mapped.missing } : {}),
        }
      : null,
    blindSpots: own.blindSpots.map((dimension) => ({ dimension, filledByOnHost: fills[dimension] ?? false })),
  };
}

/** A replay calls nobody: 0 made, with the minimum the collecting run needed kept for comparison. */
function replayedCalls(calls: ApiCalls): ApiCalls {
  const zero = { made: 0, retries: 0, failed: 0, attempts: 0 };
  return {
    ...calls,
    ...zero,
    byOperation: Object.fromEntries(
      Object.entries(calls.byOperation).map(([op, c]) => [op, { ...c, ...zero }]),
    ),
  };
}

/** A host is judged when the cloud gave its CPU or its own samples gave a verdict. */
function judged(host: ReportHost): boolean {
  const cpu = host.stats.find((s) => s.metric === 'cpu.util');
  return (
    (cpu !== undefined && cpu.points > 0) ||
    (host.onHost !== null && host.onHost.primary !== 'insufficient-data')
  );
}

function providerCoverage(
  p: ProviderArtifacts,
  seriesReceived: number,
  hosts: readonly ReportHost[],
): ProviderCoverage {
  const own = hosts.filter((h) => h.provider === p.provider);
  const hostsJudged = own.filter(judged).length;
  const failedScopes = p.coverage?.failedScopes ?? [];
  return {
    scopes: p.coverage?.scopes ?? [...new Set(own.map((h) => h.region))].sort(),
    failedScopes,
    hostsListed: own.length,
    seriesExpected: p.coverage?.seriesExpected ?? seriesReceived,
    seriesReceived,
    hostsJudged,
    judgedShare: own.length > 0 ? Math.round((hostsJudged / own.length) * 1000) / 1000 : null,
    complete: failedScopes.length === 0,
  };
}

/** The config as the run used it, without anything secret: endpoints lose any user:password@. */
export function runSettings(loaded: LoadedConfig, since: string | undefined): RunSettings {
  const { config } = loaded;
  const providers: RunSettings['providers'] = {};
  for (const [id, block] of Object.entries(config.providers)) {
    if (!block) continue;
    const copy: Record<string, unknown> = { ...block };
    if (typeof copy.endpoint === 'string') copy.endpoint = withoutCredentials(copy.endpoint);
    providers[id as keyof RunSettings['providers']] = copy;
  }
  return {
    since: since ?? config.since,
    periodSec: config.periodSec,
    providers,
    onHost: onHostFolders(config).map((m) => ({ dir: m.dir, host: m.host })),
    sizing: { ...config.sizing },
    rules: { ...config.rules },
  };
}

function withoutCredentials(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return endpoint;
  }
}

function describeGaps(gaps: readonly Gap[], fallback: string): string {
  return gaps.length > 0
    ? gaps
        .map((g) => `${g.what}: ${g.kind}`)
        .slice(0, 3)
        .join('; ')
    : fallback;
}

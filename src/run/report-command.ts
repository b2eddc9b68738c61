// `fleetlens report --store URL --run-id ID`: the report of a sharded run. It waits (at most
// `--wait`) until every scope of the run's config is covered by a shard that finished, then judges
// the whole run from the shards' artifacts as one audit would (groups spanning shards included,
// Prometheus read once for the whole fleet), records it in the history and writes the report.
// A shard that failed, fell silent or never came is a gap of the run, never a wait without end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ReportFormat, reportWriters } from '../../reports/index.ts';
import { type AnalysisResult, RunSettings } from '../../reports/json/schema.ts';
import { ConfigErrorList } from '../config/config-errors.ts';
import { durationProblem, formatDuration, parseDurationMs } from '../config/duration.ts';
import type { LoadedConfig } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import type { LocatedMute } from '../history/annotate.ts';
import { loadMuteFile, mutesOf } from '../history/mute-config.ts';
import type { Logger } from '../log.ts';
import type { Gap, ProviderId } from '../model/index.ts';
import {
  type Clock,
  openShardLedger,
  type ShardedRun,
  type ShardLedger,
  type ShardRow,
  systemClock,
} from '../store/index.ts';
import type { ProviderArtifacts } from './artifacts.ts';
import { type OpenedArtifacts, openArtifacts } from './artifacts-reader.ts';
import {
  historyFlagErrors,
  historyPlanFor,
  loadConfig,
  loadedFromSettings,
  recordAndWrite,
} from './audit-command.ts';
import { parseFormats } from './output.ts';
import { configScopes, coverageScope, scopeProvider } from './shard-keys.ts';
import { mergeShards } from './shard-merge.ts';
import { SILENT_SHARD_MS } from './shard-run.ts';

export const DEFAULT_WAIT = '30m';
/** How often the ledger is read while shards run. */
export const POLL_MS = 2_000;

export interface ReportCommandOptions {
  store: string;
  runId: string;
  format: string;
  out: string;
  /** `--wait 30m`: how long to wait for shards still running or not started; 0 reports at once. */
  wait?: string;
  /** For mutes and rule options; the run's own settings otherwise. */
  config?: string;
  keep?: string;
  stableRuns?: string;
  onlyStable?: true;
  nowMs?: number;
}

/** Where each scope of the run stands. */
export interface ScopeState {
  key: string;
  /** The shard that covers it (a done one first), if any. */
  shard: ShardRow | null;
  state: 'done' | 'failed' | 'silent' | 'running' | 'missing';
}

export async function runReportCommand(
  options: ReportCommandOptions,
  log: Logger,
  clock: Clock = systemClock,
): Promise<AnalysisResult> {
  const { formats, waitMs } = checkReportUsage(options);
  const ledger = await openShardLedger(options.store, { clock });
  const scratch = await mkdtemp(join(tmpdir(), 'fleetlens-report-'));
  try {
    const { run, scopes } = await waitForShards(ledger, options.runId, waitMs, clock, log);
    const settings = RunSettings.parse(run.settings);
    const today = new Date(options.nowMs ?? clock.now()).toISOString().slice(0, 10);
    let loaded: LoadedConfig = loadedFromSettings(settings, `${ledger.location} run ${run.runId}`);
    let mutes: LocatedMute[] = [];
    if (options.config) {
      loaded = await loadConfig(options.config, today);
      mutes = [...mutesOf(loaded, today), ...(await loadMuteFile(options.config, today))];
    }
    const done = [
      ...new Map(scopes.flatMap((s) => (s.state === 'done' ? [[s.shard!.shardKey, s.shard!]] : []))).values(),
    ];
    const shards: OpenedArtifacts[] = [];
    for (const [index, shard] of done.entries()) {
      const dir = join(scratch, String(index));
      await ledger.readShardFiles(run.runId, shard.shardKey, dir);
      shards.push(await openArtifacts(dir));
    }
    // NOTE: closed before the history is recorded: a DuckDB store takes one holder at a time.
    await ledger.close();
    log.info({ runId: run.runId, shards: done.length, scopes: scopes.length }, 'report: shards read');
    const input = mergeShards(shards, { window: run.window, settings });
    addShardGaps(input.artifacts.providers, scopes, waitMs);
    const { fetchPrometheusFor, runAudit } = await import('./audit.ts');
    const hosts = input.artifacts.providers.flatMap((p) => p.hosts);
    const prometheus = await fetchPrometheusFor(loaded, hosts, run.window, { log });
    if (prometheus.length > 0) input.artifacts.prometheus = prometheus;
    const result = await runAudit({ loaded, mode: 'live', log, input, runId: run.runId });
    const plan = historyPlanFor(options.store, options);
    return await recordAndWrite(result, plan, mutes, formats, options.out, log);
  } finally {
    await ledger.close().catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  }
}

function checkReportUsage(options: ReportCommandOptions): { formats: ReportFormat[]; waitMs: number } {
  const errors: ConfigError[] = [];
  let formats: ReportFormat[] = [];
  try {
    formats = parseFormats(options.format, Object.keys(reportWriters) as ReportFormat[]);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    errors.push(error);
  }
  const wait = options.wait ?? DEFAULT_WAIT;
  const waitMs = /^0+[smhd]?$/.test(wait) ? 0 : parseDurationMs(wait);
  if (waitMs === undefined)
    errors.push(
      new ConfigError(
        `${durationProblem(wait) ?? 'not a duration'} (found "${wait}")`,
        undefined,
        undefined,
        '--wait',
      ),
    );
  errors.push(...historyFlagErrors(options));
  if (options.out === '-' && formats.length > 1)
    errors.push(new ConfigError('- (stdout) takes exactly one --format', undefined, undefined, '--out'));
  ConfigErrorList.throwIfAny(errors);
  return { formats, waitMs: waitMs ?? 0 };
}

/**
 * Reads the ledger until every scope of the run is settled (its shard done, failed or silent) or
 * `waitMs` has passed, on `clock`. A run no shard ever created is an error once the wait is over.
 */
export async function waitForShards(
  ledger: ShardLedger,
  runId: string,
  waitMs: number,
  clock: Clock,
  log: Logger,
): Promise<{ run: ShardedRun; scopes: ScopeState[] }> {
  const deadlineMs = clock.now() + waitMs;
  let told = '';
  for (;;) {
    const run = await ledger.getRun(runId);
    if (run) {
      const scopes = scopeStates(run, await ledger.listShards(runId), clock.now());
      const waiting = scopes.filter((s) => s.state === 'running' || s.state === 'missing');
      if (waiting.length === 0 || clock.now() >= deadlineMs) return { run, scopes };
      const line = waiting.map((s) => `${s.key} ${s.state}`).join(', ');
      if (line !== told) log.info({ runId, waiting: line }, 'report: waiting for shards');
      told = line;
    } else if (clock.now() >= deadlineMs) {
      throw new ConfigError(
        `no shard has written run ${runId} to ${ledger.location}${waitMs > 0 ? ` within ${formatDuration(waitMs)}` : ''}`,
        undefined,
        undefined,
        '--run-id',
      );
    }
    await clock.sleep(Math.min(POLL_MS, Math.max(0, deadlineMs - clock.now())));
  }
}

/** Each scope the run's config audits, settled or not. */
export function scopeStates(run: ShardedRun, shards: readonly ShardRow[], nowMs: number): ScopeState[] {
  const settings = run.settings as { providers?: Partial<Record<ProviderId, unknown>> };
  return configScopes(settings.providers ?? {}).map((key): ScopeState => {
    const covering = shards.filter((s) => s.scopes.includes(key));
    const alive = (s: ShardRow) => nowMs - s.heartbeatAtMs <= SILENT_SHARD_MS;
    const done = covering.find((s) => s.state === 'done');
    const running = covering.find((s) => s.state === 'running' && alive(s));
    const failed = covering.find((s) => s.state === 'failed');
    const silent = covering.find((s) => s.state === 'running' && !alive(s));
    if (done) return { key, shard: done, state: 'done' };
    if (running) return { key, shard: running, state: 'running' };
    if (failed) return { key, shard: failed, state: 'failed' };
    if (silent) return { key, shard: silent, state: 'silent' };
    return { key, shard: null, state: 'missing' };
  });
}

/** Every scope without a done shard becomes a gap and a failed scope of its cloud: exit 4. */
function addShardGaps(providers: ProviderArtifacts[], scopes: readonly ScopeState[], waitMs: number): void {
  for (const scope of scopes) {
    if (scope.state === 'done') continue;
    const provider = scopeProvider(scope.key);
    const reason = shardReason(scope, waitMs);
    let artifacts = providers.find((p) => p.provider === provider);
    if (!artifacts) {
      artifacts = emptyProvider(provider);
      providers.push(artifacts);
    }
    const gap: Gap = { provider, what: `shard ${scope.key}`, kind: 'unavailable', message: reason };
    artifacts.gaps.push(gap);
    artifacts.coverage ??= { scopes: [], failedScopes: [], seriesExpected: 0 };
    const name = coverageScope(scope.key);
    artifacts.coverage.scopes.push(name);
    artifacts.coverage.failedScopes.push({ scope: name, reason });
  }
}

function shardReason(scope: ScopeState, waitMs: number): string {
  const { shard } = scope;
  switch (scope.state) {
    case 'failed':
      return `shard ${shard!.shardKey} failed: ${shard!.error ?? 'no reason stored'}`;
    case 'silent':
      return `shard ${shard!.shardKey} stopped reporting at ${new Date(shard!.heartbeatAtMs).toISOString()} and never finished`;
    case 'running':
      return `shard ${shard!.shardKey} was still running when --wait ${formatDuration(waitMs)} ran out`;
    default:
      return `no shard collected ${scope.key}${waitMs > 0 ? ` within --wait ${formatDuration(waitMs)}` : ''}`;
  }
}

function emptyProvider(provider: ProviderId): ProviderArtifacts {
  return {
    provider,
    hosts: [],
    volumes: [],
    groups: [],
    instanceTypes: [],
    series: [],
    gaps: [],
    apiCalls: { made: 0, minimum: 0, retries: 0, failed: 0, byOperation: {} },
    blindSpots: {},
    coverage: { scopes: [], failedScopes: [], seriesExpected: 0 },
  };
}

// `audit --shard KEY --run-id ID`: one slice of a sharded run. The shard joins the run in the shared
// store (the first shard creates it, and its window and settings hold for all), says it is running
// and beats a heartbeat while it collects, then uploads its artifacts and says `done` in one
// transaction, or `failed` with the reason. `fleetlens report` judges the whole run from there.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricWindow } from '../../providers/types.ts';
import type { AnalysisResult, RunSettings } from '../../reports/json/schema.ts';
import type { LoadedConfig } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type Clock, openShardLedger, type ShardLedger, systemClock } from '../store/index.ts';
import { firstLine } from '../store/sql.ts';
import { planShard, type ShardPlan } from './shard-keys.ts';

/** How often a running shard says it is alive; the report calls a shard silent 10 beats long dead. */
export const HEARTBEAT_MS = 15_000;
export const SILENT_SHARD_MS = 10 * HEARTBEAT_MS;

export interface ShardRunOptions {
  shard: string;
  runId: string;
  store: string;
  log: Logger;
  /** This shard's own window (from `--since`/`--until`); the run's, set by its first shard, wins. */
  window: MetricWindow;
  /** Set when `--until` was given: a run of another window is then a usage error. */
  untilGiven: boolean;
  settings: RunSettings;
  clock?: Clock;
}

/** What a shard's audit is told: its slice of the config and the run's window. */
export interface ShardSlice {
  plan: ShardPlan;
  loaded: LoadedConfig;
  window: MetricWindow;
  /** Where the audit saves its artifacts for the upload. */
  artifactsDir: string;
}

export async function runShard(
  loaded: LoadedConfig,
  options: ShardRunOptions,
  audit: (slice: ShardSlice) => Promise<AnalysisResult>,
): Promise<AnalysisResult> {
  const plan = planShard(options.shard, loaded.config);
  const clock = options.clock ?? systemClock;
  const ledger = await openShardLedger(options.store, { clock });
  const dir = await mkdtemp(join(tmpdir(), 'fleetlens-shard-'));
  try {
    const run = await ledger.joinRun({
      runId: options.runId,
      window: options.window,
      settings: options.settings,
    });
    checkSameRun(run.settings, run.window, options);
    await ledger.startShard(options.runId, plan.key, plan.scopes);
    options.log.info({ runId: options.runId, shard: plan.key, store: ledger.location }, 'shard started');
    const beat = heartbeat(ledger, options.runId, plan.key, options.log);
    const artifactsDir = join(dir, 'artifacts');
    let result: AnalysisResult;
    try {
      result = await audit({
        plan,
        loaded: { ...loaded, config: plan.config },
        window: run.window,
        artifactsDir,
      });
    } catch (error) {
      await beat.stop();
      await ledger.failShard(options.runId, plan.key, firstLine(error)).catch((failure: unknown) => {
        options.log.warn({ error: String(failure) }, 'could not mark the shard failed');
      });
      throw error;
    }
    await beat.stop();
    await ledger.finishShard(options.runId, plan.key, artifactsDir, shardSummary(result));
    options.log.info({ runId: options.runId, shard: plan.key }, 'shard done: artifacts stored');
    return result;
  } finally {
    await ledger.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A shard's numbers in the ledger, for a reader of the store (the report judges from the artifacts). */
function shardSummary(result: AnalysisResult) {
  const { summary, complete, coverage, apiCalls } = result.run;
  return {
    hosts: summary.hosts,
    findingsBySeverity: summary.findingsBySeverity,
    gaps: summary.gaps,
    complete,
    coverage,
    apiCalls: Object.fromEntries(
      Object.entries(apiCalls).map(([p, c]) => [p, { made: c.made, minimum: c.minimum, retries: c.retries }]),
    ),
  };
}

/** Shards of one run share one config and one window: another is a mistake worth stopping for. */
function checkSameRun(stored: unknown, window: MetricWindow, options: ShardRunOptions): void {
  if (JSON.stringify(stored) !== JSON.stringify(options.settings)) {
    throw new ConfigError(
      `run ${options.runId} was started by a shard with other settings (config); every shard of a run must use the same config`,
      undefined,
      undefined,
      '--run-id',
    );
  }
  if (options.untilGiven && window.toMs !== options.window.toMs) {
    throw new ConfigError(
      `run ${options.runId} covers a window ending ${new Date(window.toMs).toISOString()}, not ${new Date(options.window.toMs).toISOString()}`,
      undefined,
      undefined,
      '--until',
    );
  }
}

function heartbeat(ledger: ShardLedger, runId: string, shardKey: string, log: Logger) {
  let pending: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    pending = ledger.heartbeat(runId, shardKey).catch((error: unknown) => {
      log.warn({ error: String(error) }, 'shard heartbeat not stored');
    });
  }, HEARTBEAT_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return pending;
    },
  };
}

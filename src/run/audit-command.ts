// The audit command end to end: usage checks, config (or the demo, or saved artifacts' settings),
// the audit, the report files. Every usage and config error is raised before any cloud is called.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { metricRetention, retentionProblem } from '../../providers/retention.ts';
import { type ReportFormat, reportWriters } from '../../reports/index.ts';
import type { AnalysisResult } from '../../reports/json/schema.ts';
import { ruleSettingsErrors } from '../analysis/engine.ts';
import { rules } from '../analysis/rules/index.ts';
import { ConfigErrorList } from '../config/config-errors.ts';
import { durationProblem, parseDurationMs } from '../config/duration.ts';
import { configErrorsFromIssues } from '../config/issues.ts';
import { type ConfigCheck, type LoadedConfig, loadConfigFile } from '../config/load.ts';
import { Config, onHostFolders } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import { type LocatedMute, withMutes } from '../history/annotate.ts';
import { loadMuteFile, mutesCheck, mutesOf } from '../history/mute-config.ts';
import { DEFAULT_STABLE_RUNS } from '../history/stable.ts';
import type { Logger } from '../log.ts';
import { ProviderId } from '../model/index.ts';
import { usd } from '../recommend/money.ts';
import { DEFAULT_KEEP_MS, defaultStorePath } from '../store/index.ts';
import { ARTIFACTS_FILE, type Artifacts, loadArtifactsSettings } from './artifacts.ts';
import { MANIFEST_FILE } from './artifacts-manifest.ts';
import type { AuditOptions } from './audit.ts';
import { timeOption } from './diagnose.ts';
import { parseFormats, writeAuditReports } from './output.ts';
import { createProgress, type ProgressReporter } from './progress.ts';
import { recordAuditRun } from './record-run.ts';

export const DEFAULT_CONFIG_FILE = 'fleetlens.yaml';
const RUN_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface AuditCommandOptions {
  /** Absent: `fleetlens.yaml`, except on a replay, which uses the settings saved with the artifacts. */
  config?: string;
  demo?: true;
  since?: string;
  format: string;
  out: string;
  saveArtifacts?: string;
  fromArtifacts?: string;
  /** `--store PATH|URL`; false with `--no-store`; absent: beside the config (none for the demo). */
  store?: string | false;
  /** `--keep 180d`: runs older than this are pruned at the end of the audit. */
  keep?: string;
  /** `--stable-runs N` (default 3). */
  stableRuns?: string;
  onlyStable?: true;
  /** "Now" for mute dates; the clock's time by default. */
  nowMs?: number;
  /** `--event-multiplier` as typed; checked in checkAuditUsage. */
  eventMultiplier?: string;
  /** Nothing on stderr but errors: no progress (the logger's level is the CLI's business). */
  quiet?: true;
  /** `--shard KEY[,KEY...]`: collect one slice of a sharded run (shard-keys.ts). */
  shard?: string;
  /** `--run-id ID`: the run's id; shards of one run share it. */
  runId?: string;
  /** `--until TIME`: the window ends here instead of now (ISO-8601, UTC when no zone). */
  until?: string;
}

/** Where history goes and how it is read, settled before anything is collected. */
export interface HistoryPlan {
  store: string | null;
  keepMs: number;
  stableRuns: number;
  onlyStable: boolean;
}

/** The progress view for this run, once its config says which clouds and folders there are. */
function progressFor(options: AuditCommandOptions, formats: readonly ReportFormat[], log: Logger) {
  return (loaded: LoadedConfig): ProgressReporter =>
    createProgress({
      plan: {
        // NOTE: a replay calls no cloud, so it has no cloud tasks.
        clouds: options.fromArtifacts
          ? []
          : ProviderId.options.filter((id) => loaded.config.providers[id] !== undefined),
        onHostFolders: onHostFolders(loaded.config).length,
        writers: formats.map((format) => reportWriters[format].fileName),
      },
      stream: process.stderr,
      log,
      ...(options.quiet ? { quiet: true } : {}),
    });
}

export async function runAuditCommand(options: AuditCommandOptions, log: Logger): Promise<AnalysisResult> {
  const formats = checkAuditUsage(options);
  const startProgress = progressFor(options, formats, log);
  let progress: ProgressReporter | undefined;
  try {
    return await runAndWrite(options, formats, log, async (loaded) => {
      progress = startProgress(loaded);
      // NOTE: from here the task list holds stderr; log lines print below it when it ends.
      await progress.started();
      return progress;
    });
  } finally {
    await progress?.finish();
  }
}

async function runAndWrite(
  options: AuditCommandOptions,
  formats: readonly ReportFormat[],
  log: Logger,
  start: (loaded: LoadedConfig) => Promise<ProgressReporter>,
): Promise<AnalysisResult> {
  let progress: ProgressReporter | undefined;
  const plan = historyPlan(options);
  const today = new Date(options.nowMs ?? Date.now()).toISOString().slice(0, 10);
  let mutes: LocatedMute[] = [];
  const common = {
    log,
    ...(options.since ? { since: options.since } : {}),
    ...(options.saveArtifacts ? { saveArtifactsDir: options.saveArtifacts } : {}),
    ...(options.fromArtifacts ? { fromArtifactsDir: options.fromArtifacts } : {}),
    ...(options.eventMultiplier !== undefined ? { eventMultiplier: Number(options.eventMultiplier) } : {}),
  };
  // NOTE: the audit pulls in every cloud SDK; a usage or config error is told before that load.
  const runAudit = async (audit: AuditOptions) => {
    const { runAudit: run } = await import('./audit.ts');
    progress = await start(audit.loaded);
    const reporter = progress;
    return run({ ...audit, onProgress: (event) => reporter.update(event) });
  };
  let result: AnalysisResult;
  if (options.demo) {
    const { withDemo } = await import('./demo.ts');
    result = await withDemo(log, (demo) => {
      // The mocks listen but nothing has called them yet: the demo keeps the clouds' retention too.
      ConfigErrorList.throwIfAny(retentionErrors(demo.loaded, options.since));
      return runAudit({ ...common, ...demo, mode: 'demo' });
    });
  } else if (options.fromArtifacts) {
    const loaded = options.config
      ? await loadConfig(options.config, today)
      : await settingsOfArtifacts(options.fromArtifacts, log);
    if (options.config) mutes = [...mutesOf(loaded, today), ...(await loadMuteFile(options.config, today))];
    result = await runAudit({ ...common, loaded, mode: 'live' });
  } else {
    const file = options.config ?? DEFAULT_CONFIG_FILE;
    const loaded = await loadConfig(file, today);
    mutes = [...mutesOf(loaded, today), ...(await loadMuteFile(file, today))];
    const untilMs = options.until === undefined ? undefined : timeOption(options.until, '--until');
    const ageMs = untilMs === undefined ? 0 : Math.max(0, Date.now() - untilMs);
    ConfigErrorList.throwIfAny(retentionErrors(loaded, options.since, ageMs));
    const now = untilMs === undefined ? {} : { now: () => untilMs };
    const runId = options.runId === undefined ? {} : { runId: options.runId };
    if (options.shard !== undefined && options.runId !== undefined && plan.store !== null) {
      const { runShard } = await import('./shard-run.ts');
      const { runSettings, windowFor } = await import('./audit.ts');
      result = await runShard(
        loaded,
        {
          shard: options.shard,
          runId: options.runId,
          store: plan.store,
          log,
          window: windowFor({ loaded, ...(options.since ? { since: options.since } : {}), ...now }),
          untilGiven: untilMs !== undefined,
          settings: runSettings(loaded, options.since),
        },
        (slice) =>
          runAudit({
            ...common,
            ...runId,
            loaded: slice.loaded,
            mode: 'live',
            window: slice.window,
            saveArtifactsDir: slice.artifactsDir,
          }),
      );
    } else {
      result = await runAudit({ ...common, ...runId, ...now, loaded, mode: 'live' });
    }
  }
  // A shard's store holds its slice for the report step; history records whole runs only.
  const record = options.shard ? null : plan.store;
  return recordAndWrite(result, { ...plan, store: record }, mutes, formats, options.out, log, progress);
}

/** The end of every audit (and of the report step): history, mutes, the report files, one log line. */
export async function recordAndWrite(
  audited: AnalysisResult,
  plan: HistoryPlan,
  mutes: LocatedMute[],
  formats: readonly ReportFormat[],
  out: string,
  log: Logger,
  reporter?: ProgressReporter,
): Promise<AnalysisResult> {
  let result = audited;
  if (plan.store !== null) {
    result = await recordAuditRun(result, {
      store: plan.store,
      keepMs: plan.keepMs,
      stableRuns: plan.stableRuns,
      onlyStable: plan.onlyStable,
      log,
    });
  }
  result = withMutes(result, mutes);
  const written = await writeAuditReports(result, formats, out, {
    ...(reporter ? { onWriter: (file, state) => reporter.update({ type: 'writer', file, state }) } : {}),
  });
  const { summary } = result.run;
  log.info(
    {
      hosts: summary.hosts,
      findings: result.findings.length,
      recommendations: summary.recommendations,
      monthlyCostDelta: usd(summary.monthlyCostDeltaUsd),
      gaps: summary.gaps,
      complete: result.run.complete,
      apiCalls: Object.fromEntries(
        Object.entries(result.run.apiCalls).map(([p, c]) => [p, `${c.made} made, ${c.minimum} minimum`]),
      ),
      seconds: Math.round(result.run.durationMs / 100) / 10,
      written,
      ...(result.history ? { history: result.history.counts } : {}),
    },
    'audit done',
  );
  return result;
}

/** Every usage error of the flags at once, before any file is read or any cloud called. */
export function checkAuditUsage(options: AuditCommandOptions): ReportFormat[] {
  const errors: ConfigError[] = [];
  let formats: ReportFormat[] = [];
  try {
    formats = parseFormats(options.format, ['md', 'json', 'html', 'prometheus-rules']);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    errors.push(error);
  }
  if (options.out === '-' && formats.length > 1)
    errors.push(flagError('--out', '- (stdout) takes exactly one --format'));
  if (options.since !== undefined) {
    const problem = durationProblem(options.since);
    if (problem) errors.push(flagError('--since', `${problem} (found "${options.since}")`));
  }
  if (options.eventMultiplier !== undefined) {
    const n = Number(options.eventMultiplier);
    if (!Number.isFinite(n) || n <= 0)
      errors.push(
        flagError(
          '--event-multiplier',
          `expected a number above 0 such as 3 (found "${options.eventMultiplier}")`,
        ),
      );
  }
  const excludes: [keyof AuditCommandOptions, keyof AuditCommandOptions, string][] = [
    ['demo', 'fromArtifacts', ''],
    ['demo', 'config', ' (the demo runs its own config)'],
    ['fromArtifacts', 'since', ' (a replay keeps the window it was collected with)'],
    ['fromArtifacts', 'saveArtifacts', ' (a replay collects nothing new)'],
    ['fromArtifacts', 'until', ' (a replay keeps the window it was collected with)'],
    ['demo', 'shard', ' (shards split a configured fleet)'],
    ['fromArtifacts', 'shard', ' (shards collect; `fleetlens report` judges their run)'],
    ['shard', 'saveArtifacts', ' (a shard stores its artifacts in the shared store)'],
  ];
  for (const [a, b, why] of excludes) {
    if (options[a] !== undefined && options[b] !== undefined)
      errors.push(flagError(`--${kebab(b)}`, `not with --${kebab(a)}${why}`));
  }
  if (options.shard !== undefined) {
    if (options.runId === undefined)
      errors.push(flagError('--shard', 'needs --run-id ID: the id every shard of the run shares'));
    if (storeSpec(options) === null)
      errors.push(
        flagError(
          '--shard',
          'needs the shared store the shards write to (--store postgres://…), not --no-store',
        ),
      );
  }
  if (options.runId !== undefined && !RUN_ID.test(options.runId))
    errors.push(
      flagError(
        '--run-id',
        `1 to 128 letters, digits, dot, dash, underscore or colon (found "${options.runId}")`,
      ),
    );
  if (options.until !== undefined) {
    try {
      const untilMs = timeOption(options.until, '--until');
      if (untilMs > Date.now())
        errors.push(
          flagError('--until', `${options.until} is in the future: a window ends at the latest now`),
        );
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error);
    }
  }
  errors.push(...historyFlagErrors(options));
  if (options.onlyStable && storeSpec(options) === null)
    errors.push(
      flagError('--only-stable', 'needs a history store (--store FILE; the demo keeps none by default)'),
    );
  ConfigErrorList.throwIfAny(errors);
  return formats;
}

/**
 * The store an audit records to: `--store`, else `.fleetlens/history.duckdb` beside the config. The
 * demo and a replay without --config keep none unless asked: the demo's fleet is made up, and two
 * demo runs (or two tests) must not share a history they did not ask for.
 */
function storeSpec(options: AuditCommandOptions): string | null {
  if (options.store === false) return null;
  if (typeof options.store === 'string') return options.store;
  if (options.demo || (options.fromArtifacts && !options.config)) return null;
  return defaultStorePath(options.config ?? DEFAULT_CONFIG_FILE);
}

/** The history flags an audit and the report step share: `--keep` and `--stable-runs`. */
type HistoryFlags = Pick<AuditCommandOptions, 'keep' | 'stableRuns' | 'onlyStable'>;

export function historyFlagErrors(options: HistoryFlags): ConfigError[] {
  const errors: ConfigError[] = [];
  if (options.keep !== undefined) {
    const problem = durationProblem(options.keep);
    if (problem) errors.push(flagError('--keep', `${problem} (found "${options.keep}")`));
  }
  if (options.stableRuns !== undefined && !/^[1-9]\d{0,2}$/.test(options.stableRuns))
    errors.push(
      flagError('--stable-runs', `a whole number of runs, 1 to 999 (found "${options.stableRuns}")`),
    );
  return errors;
}

function historyPlan(options: AuditCommandOptions): HistoryPlan {
  return historyPlanFor(storeSpec(options), options);
}

/** Where history goes (`store`, null for none) and how it is read, from flags already checked. */
export function historyPlanFor(store: string | null, options: HistoryFlags): HistoryPlan {
  return {
    store,
    keepMs: options.keep === undefined ? DEFAULT_KEEP_MS : (parseDurationMs(options.keep) ?? DEFAULT_KEEP_MS),
    stableRuns: options.stableRuns === undefined ? DEFAULT_STABLE_RUNS : Number(options.stableRuns),
    onlyStable: options.onlyStable === true,
  };
}

/** The config file, with the rules' own options and the mutes checked in the same pass as the schema. */
export function loadConfig(file: string, today: string): Promise<LoadedConfig> {
  return loadConfigFile(file, { checks: [rulesCheck, mutesCheck(today)] });
}

const rulesCheck: ConfigCheck = (raw, where) => {
  const byId = raw.rules;
  if (typeof byId !== 'object' || byId === null || Array.isArray(byId)) return [];
  // Entries the schema rejects (not false, not a map) are its errors already.
  const usable = Object.entries(byId).filter(
    ([, value]) => value === false || (typeof value === 'object' && value !== null && !Array.isArray(value)),
  );
  return ruleSettingsErrors(rules, {
    byId: Object.fromEntries(usable) as Record<string, false | Record<string, unknown>>,
    ...where,
  });
};

/** `--since` (or the config's `since`) past what a configured cloud keeps at the config's period. */
export function retentionErrors(
  loaded: LoadedConfig,
  sinceFlag: string | undefined,
  /** How long ago the window ends (`--until`): the oldest point is this much older. */
  ageMs = 0,
): ConfigError[] {
  const { config } = loaded;
  const since = sinceFlag ?? config.since;
  const windowMs = parseDurationMs(since);
  if (windowMs === undefined) return [];
  const sinceMs = windowMs + ageMs;
  return Object.keys(config.providers).flatMap((id) => {
    const provider = ProviderId.safeParse(id);
    if (!provider.success || !config.providers[provider.data]) return [];
    const problem = retentionProblem(provider.data, sinceMs, config.periodSec);
    if (!problem) return [];
    const message = `${since} of ${metricRetention[provider.data].service} data: ${problem}`;
    return sinceFlag !== undefined
      ? [flagError('--since', message)]
      : [
          new ConfigError(
            message,
            loaded.file,
            loaded.locate(['since']) ?? loaded.locate(['periodSec']),
            'since',
          ),
        ];
  });
}

/** A replay's config: the settings saved with the artifacts (never a secret), so it needs no file. */
async function settingsOfArtifacts(dir: string, log: Logger): Promise<LoadedConfig> {
  const settings = await loadArtifactsSettings(dir);
  const file = join(dir, existsSync(join(dir, MANIFEST_FILE)) ? MANIFEST_FILE : ARTIFACTS_FILE);
  const locate = () => undefined;
  if (!settings) {
    log.warn(
      { dir },
      'artifacts carry no settings (saved by an older fleetlens): replaying with the defaults; give --config to use yours',
    );
    return { config: Config.parse({}), file, locate };
  }
  return loadedFromSettings(settings, file);
}

/** A run's saved settings as a loaded config; `file` is named by any error in them. */
export function loadedFromSettings(settings: NonNullable<Artifacts['settings']>, file: string): LoadedConfig {
  const locate = () => undefined;
  const { since, periodSec, providers, onHost, sizing, rules: byId } = settings;
  const input = { since, periodSec, providers, onHost, sizing, rules: byId };
  const parsed = Config.safeParse(input);
  if (!parsed.success) {
    ConfigErrorList.throwIfAny(
      configErrorsFromIssues(parsed.error.issues, {
        file,
        locate,
        schema: Config,
        input,
        prefix: ['settings'],
      }),
    );
  }
  return { config: parsed.data!, file, locate };
}

function flagError(flag: string, message: string): ConfigError {
  return new ConfigError(message, undefined, undefined, flag);
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

// The audit command end to end: usage checks, config (or the demo, or saved artifacts' settings),
// the audit, the report files. Every usage and config error is raised before any cloud is called.
import { join } from 'node:path';
import { metricRetention, retentionProblem } from '../../providers/retention.ts';
import type { ReportFormat } from '../../reports/index.ts';
import type { AnalysisResult } from '../../reports/json/schema.ts';
import { ruleSettingsErrors } from '../analysis/engine.ts';
import { rules } from '../analysis/rules/index.ts';
import { ConfigErrorList } from '../config/config-errors.ts';
import { durationProblem, parseDurationMs } from '../config/duration.ts';
import { configErrorsFromIssues } from '../config/issues.ts';
import { type ConfigCheck, type LoadedConfig, loadConfigFile } from '../config/load.ts';
import { Config } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { ProviderId } from '../model/index.ts';
import { usd } from '../recommend/money.ts';
import { ARTIFACTS_FILE, loadArtifacts } from './artifacts.ts';
import type { AuditOptions } from './audit.ts';
import { parseFormats, writeAuditReports } from './output.ts';

export const DEFAULT_CONFIG_FILE = 'fleetlens.yaml';

export interface AuditCommandOptions {
  /** Absent: `fleetlens.yaml`, except on a replay, which uses the settings saved with the artifacts. */
  config?: string;
  demo?: true;
  since?: string;
  format: string;
  out: string;
  saveArtifacts?: string;
  fromArtifacts?: string;
  /** `--event-multiplier` as typed; checked in checkAuditUsage. */
  eventMultiplier?: string;
}

export async function runAuditCommand(options: AuditCommandOptions, log: Logger): Promise<AnalysisResult> {
  const formats = checkAuditUsage(options);
  const common = {
    log,
    ...(options.since ? { since: options.since } : {}),
    ...(options.saveArtifacts ? { saveArtifactsDir: options.saveArtifacts } : {}),
    ...(options.fromArtifacts ? { fromArtifactsDir: options.fromArtifacts } : {}),
    ...(options.eventMultiplier !== undefined ? { eventMultiplier: Number(options.eventMultiplier) } : {}),
  };
  // NOTE: the audit pulls in every cloud SDK; a usage or config error is told before that load.
  const runAudit = async (audit: AuditOptions) => (await import('./audit.ts')).runAudit(audit);
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
      ? await loadConfig(options.config)
      : await settingsOfArtifacts(options.fromArtifacts, log);
    result = await runAudit({ ...common, loaded, mode: 'live' });
  } else {
    const loaded = await loadConfig(options.config ?? DEFAULT_CONFIG_FILE);
    ConfigErrorList.throwIfAny(retentionErrors(loaded, options.since));
    result = await runAudit({ ...common, loaded, mode: 'live' });
  }
  const written = await writeAuditReports(result, formats, options.out);
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
    formats = parseFormats(options.format, ['md', 'json', 'prometheus-rules']);
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
  ];
  for (const [a, b, why] of excludes) {
    if (options[a] !== undefined && options[b] !== undefined)
      errors.push(flagError(`--${kebab(b)}`, `not with --${kebab(a)}${why}`));
  }
  ConfigErrorList.throwIfAny(errors);
  return formats;
}

/** The config file, with the rules' own options checked in the same pass as the schema. */
function loadConfig(file: string): Promise<LoadedConfig> {
  return loadConfigFile(file, { checks: [rulesCheck] });
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
export function retentionErrors(loaded: LoadedConfig, sinceFlag: string | undefined): ConfigError[] {
  const { config } = loaded;
  const since = sinceFlag ?? config.since;
  const sinceMs = parseDurationMs(since);
  if (sinceMs === undefined) return [];
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
  const artifacts = await loadArtifacts(dir);
  const file = join(dir, ARTIFACTS_FILE);
  const locate = () => undefined;
  if (!artifacts.settings) {
    log.warn(
      { dir },
      'artifacts carry no settings (saved by an older fleetlens): replaying with the defaults; give --config to use yours',
    );
    return { config: Config.parse({}), file, locate };
  }
  const { since, periodSec, providers, onHost, sizing, rules: byId } = artifacts.settings;
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

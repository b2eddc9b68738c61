#!/usr/bin/env node
// commander wiring only: parse flags, call src/run/*, set the exit code (DESIGN.md "Commands").
// Exit codes (src/run/exit-status.ts decides 3 and 4): 0 done; 2 usage or config error; 3 findings at or
// above --fail-on; 4 incomplete (a configured scope listed nothing because of an error); 1 a bug.
import { existsSync, statSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import type { AnalysisResult } from '../reports/json/schema.ts';
import { ConfigError, isKnownError } from './errors.ts';
import { createLogger, type Logger } from './log.ts';
import { Severity } from './model/index.ts';
import { packageVersion } from './paths.ts';
import type { ExitStatus } from './run/exit-status.ts';
import { StoreError } from './store/errors.ts';

// The pinned SDK warns that *future* releases need Node 22 (README: "Node version"); not the user's concern per run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function exitCodesHelp(): string {
  return `
Exit codes:
  0  done
  1  a bug (the stack is printed)
  2  usage or config error, before any cloud is called (each error names the file, line and key)
  3  audit/diagnose: a finding at or above --fail-on (reliability and performance; cost only with
     --fail-on-category cost)
  4  audit: incomplete, a configured cloud, account, project or region listed nothing because of an
     error (unless --allow-partial)
When several apply: 2, then 4, then 3.`;
}

const program = new Command()
  .name('fleetlens')
  .description(
    'Fleet analyzer for cloud VMs: joins cloud metrics with on-host samples, names what limits each host,\n' +
      'and writes an instance-sizing and tuning report with its evidence and arithmetic.',
  )
  .version(packageVersion)
  .showHelpAfterError()
  .exitOverride()
  .addHelpText('after', exitCodesHelp());

const failOnOption = () =>
  new Option(
    '--fail-on <severity>',
    'exit 3 when a reliability or performance finding is at or above this severity',
  ).choices(Severity.options);

program
  .command('audit')
  .description(
    'Inventory and metrics from every configured provider, on-host samples, analysis, recommendations, reports',
  )
  .option('--config <file>', 'fleetlens.yaml to read (default: fleetlens.yaml; a replay needs none)')
  .option('--demo', 'run against the built-in mock clouds and bundled samples: no credentials, no network')
  .option(
    '--since <duration>',
    "how far back to read metrics (e.g. 14d, 36h); default: the config's since (14d)",
  )
  .option('--format <list>', 'report formats, comma-separated: md,json,html,prometheus-rules', 'md,json')
  .option(
    '--out <dir>',
    'folder for report.md / report.json / report.html, or - for stdout (one format)',
    'fleetlens-report',
  )
  .option('--quiet', 'print nothing on stderr but errors (no progress, no info or warning lines)')
  .addOption(failOnOption())
  .option(
    '--fail-on-category <list>',
    'also count these categories toward --fail-on, comma-separated (cost; reliability and performance always count)',
  )
  .option(
    '--allow-partial',
    'exit 0/3 instead of 4 when a configured scope listed nothing because of an error',
  )
  .option(
    '--event-multiplier <n>',
    "pre-event review: every group and host at N × today's peak, go / no-go per unit (overrides the config's event.multiplier)",
  )
  .option('--save-artifacts <dir>', 'also write everything collected, for --from-artifacts')
  .option(
    '--from-artifacts <dir>',
    'analyze saved artifacts (with their saved settings) instead of calling the clouds',
  )
  .option(
    '--store <path|url>',
    'history store: a DuckDB file or postgres://… (default: .fleetlens/history.duckdb beside the config; the demo keeps none unless given)',
  )
  .option('--no-store', 'record nothing: no history, no statuses')
  .option('--keep <duration>', 'prune runs older than this at the end of the audit (default 180d)')
  .option('--stable-runs <n>', 'runs with the same target before a recommendation is stable (default 3)')
  .option('--only-stable', "limit the report's top actions to stable recommendations")
  .option(
    '--shard <keys>',
    'collect one slice of a sharded run: aws:ACCOUNT/REGION, gcp:PROJECT, linode:NAME, ovh:PROJECT, comma-separated (with --run-id and a shared --store)',
  )
  .option('--run-id <id>', "the run's id; every shard of a run gives the same one")
  .option('--until <time>', 'the window ends here instead of now (ISO-8601; UTC when no zone is given)')
  .addHelpText('after', exitCodesHelp())
  .action((options) =>
    auditLike(options, async (log) => {
      const { runAuditCommand } = await import('./run/audit-command.ts');
      return runAuditCommand(options, log);
    }),
  );

program
  .command('diagnose')
  .description(
    'On-host only: names what limits the host for each folder of on-host files (sysstat, ss, /proc, logs),\n' +
      'then for a live Prometheus (--prometheus)',
  )
  .argument('[dir...]', 'folders of on-host files')
  .addOption(
    new Option('--format <format>', 'md, json or html')
      .choices(['md', 'json', 'html'] as const)
      .default('md' as const),
  )
  .option('--quiet', 'print nothing on stderr but errors (no progress, no info or warning lines)')
  .option(
    '--prometheus <url>',
    'also read node_exporter and app metrics from this Prometheus (user:pass@ in the URL, or FLEETLENS_PROMETHEUS_TOKEN)',
  )
  .option('--from <iso>', 'window start for --prometheus (ISO-8601; UTC when no zone is given)')
  .option('--to <iso>', 'window end for --prometheus (default: now)')
  .option('--since <duration>', 'window length ending at --to, instead of --from (default 15m)')
  .option('--node-job <job>', 'job label of node_exporter (default node)')
  .option('--app-job <job>', 'job label of the application (default app)')
  .option('--instance <label>', 'instance label to read (host:port, or a host for every port of it)')
  .addOption(failOnOption())
  .option('--fail-on-category <list>', 'also count these categories toward --fail-on (cost)')
  .action(async (dirs, options, command) => {
    const { diagnoseExitStatus, parseFailOnCategories } = await import('./run/exit-status.ts');
    const policy = failPolicy(options, parseFailOnCategories);
    const { prometheus } = options;
    if (dirs.length === 0 && prometheus === undefined) {
      command.error('fleetlens diagnose: give at least one DIR, or --prometheus URL', { exitCode: 2 });
    }
    const liveOnly = (
      [
        ['from', '--from'],
        ['to', '--to'],
        ['since', '--since'],
        ['nodeJob', '--node-job'],
        ['appJob', '--app-job'],
        ['instance', '--instance'],
      ] as const
    ).find(([key]) => options[key] !== undefined);
    if (prometheus === undefined && liveOnly) {
      command.error(`fleetlens diagnose: ${liveOnly[1]} applies to --prometheus only`, { exitCode: 2 });
    }
    for (const dir of dirs) {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError('no such folder', dir);
    }
    const log = createLogger(logLevel(options));
    const { diagnoseProgressPlan, diagnoseWindow, runDiagnoseSources } = await import('./run/diagnose.ts');
    const { renderDiagnose } = await import('./run/output.ts');
    const live =
      prometheus === undefined
        ? undefined
        : {
            url: prometheus,
            ...diagnoseWindow(options),
            ...(options.nodeJob ? { nodeJob: options.nodeJob } : {}),
            ...(options.appJob ? { appJob: options.appJob } : {}),
            ...(options.instance ? { instance: options.instance } : {}),
          };
    const sources = { dirs, ...(live ? { prometheus: live } : {}) };
    const { createProgress } = await import('./run/progress.ts');
    const progress = createProgress({
      plan: diagnoseProgressPlan(sources, options.format),
      stream: process.stderr,
      log,
      command: 'diagnose',
      ...(options.quiet ? { quiet: true } : {}),
    });
    const writer = `${options.format} on stdout`;
    let result: Awaited<ReturnType<typeof runDiagnoseSources>>;
    let page: string;
    try {
      await progress.started();
      result = await runDiagnoseSources(sources, log, (event) => progress.update(event));
      progress.update({ type: 'writer', file: writer, state: 'running' });
      page = await renderDiagnose(result, options.format);
      progress.update({ type: 'writer', file: writer, state: 'done' });
    } finally {
      // NOTE: the list lets go of stderr before anything else is said there.
      await progress.finish();
    }
    process.stdout.write(page);
    finish(diagnoseExitStatus(result, policy));
  });

program
  .command('report')
  .description(
    'The report of a sharded audit: waits for every shard of the run, then judges the whole run from the shared store',
  )
  .requiredOption('--store <path|url>', 'the store the shards wrote to (postgres://…)')
  .requiredOption('--run-id <id>', 'the run id the shards were given')
  .option('--format <list>', 'report formats, comma-separated: md,json,html,prometheus-rules', 'md,json')
  .option('--out <dir>', 'folder for the report files, or - for stdout (one format)', 'fleetlens-report')
  .option(
    '--wait <duration>',
    'wait at most this long for shards still running or not started (0 reports at once); default 30m',
  )
  .option(
    '--config <file>',
    "mutes, rule options and onHost.prometheus from this config (default: the run's own settings)",
  )
  .option('--quiet', 'print nothing on stderr but errors')
  .addOption(failOnOption())
  .option('--fail-on-category <list>', 'also count these categories toward --fail-on (cost)')
  .option('--allow-partial', 'exit 0/3 instead of 4 when a shard failed or never finished')
  .option('--keep <duration>', 'prune runs older than this once the run is recorded (default 180d)')
  .option('--stable-runs <n>', 'runs with the same target before a recommendation is stable (default 3)')
  .option('--only-stable', "limit the report's top actions to stable recommendations")
  .addHelpText('after', exitCodesHelp())
  .action((options) =>
    auditLike(options, async (log) => {
      const { runReportCommand } = await import('./run/report-command.ts');
      return runReportCommand(options, log);
    }),
  );

const storeOption = () =>
  new Option(
    '--store <path|url>',
    'history store: a DuckDB file or postgres://… (default: .fleetlens/history.duckdb beside --config)',
  );
const configOption = () =>
  new Option('--config <file>', 'config whose default store to read (default fleetlens.yaml)');
const historyFormat = () =>
  new Option('--format <format>', 'md or json').choices(['md', 'json'] as const).default('md' as const);

program
  .command('history')
  .description('Past audits from the store, newest first; with --host or --finding, its numbers over runs')
  .option('--host <id-or-name>', "one host's headline numbers over runs (cloud id, or any name it had)")
  .option('--finding <id>', "one finding's severity and headline number over runs")
  .option('--limit <n>', 'at most this many runs', parsePositive)
  .addOption(storeOption())
  .addOption(configOption())
  .addOption(historyFormat())
  .action(async (options) => {
    const { runHistoryCommand } = await import('./run/history-command.ts');
    process.stdout.write(await runHistoryCommand(options));
  });

program
  .command('diff')
  .description('New / resolved / worse / better between two stored runs (default: the last two)')
  .argument('[run-a]', 'the older run id (alone: diff it against the run before it)')
  .argument('[run-b]', 'the newer run id')
  .addOption(storeOption())
  .addOption(configOption())
  .addOption(historyFormat())
  .action(async (runA, runB, options) => {
    const { runDiffCommand } = await import('./run/history-command.ts');
    process.stdout.write(await runDiffCommand(runA, runB, options));
  });

program
  .command('show')
  .description("One finding's standalone markdown from the newest stored run that saw it, for a ticket")
  .argument('<finding-id>', 'a finding id (report.json findings[].id, findings/ID.md)')
  .addOption(storeOption())
  .addOption(configOption())
  .action(async (findingId, options) => {
    const { runShowCommand } = await import('./run/history-command.ts');
    process.stdout.write(await runShowCommand(findingId, options));
  });

program
  .command('sample')
  .description(
    'On-host collector: samples one process from /proc, ss and (if installed) sadc/iostat/pidstat into a folder that diagnose and audit read. Read-only, at most 1h',
  )
  .requiredOption('--pid <pid>', 'process to sample')
  .option('--port <port>', "its listening port: also log the port's accept queue")
  .option('--duration <duration>', 'how long to sample (at most 1h)', '120s')
  .option('--interval <duration>', 'time between samples, whole seconds', '1s')
  .option('--no-children', 'sample the PID alone, not its worker processes (process-tree.jsonl)')
  .requiredOption('--out <dir>', 'folder to write (new or empty)')
  .action(async (options) => {
    const { runSampleCommand } = await import('./run/sample.ts');
    await runSampleCommand(options, createLogger());
  });

program
  .command('mock')
  .description('Serve the mock clouds on 127.0.0.1 and print their endpoints, for demos and manual tries')
  .option('--scenario <name>', 'scenario in mocks/scenarios/ (without .yaml)', 'demo')
  .option('--port <port>', 'port to listen on (default: any free port)', parsePort)
  .option(
    '--write-config <file>',
    'also write a fleetlens.yaml that `audit --config FILE` runs against these mocks',
  )
  .action(async (options) => {
    const { serveMock } = await import('./run/demo.ts');
    await serveMock(options.scenario, options.port, options.writeConfig);
  });

program
  .command('init')
  .description('Write a commented fleetlens.yaml')
  .option('--file <file>', 'where to write it', 'fleetlens.yaml')
  .option('--force', 'overwrite an existing file')
  .action(async (options) => {
    const { writeInitConfig } = await import('./config/init.ts');
    process.stderr.write(`wrote ${await writeInitConfig(options.file, options.force === true)}\n`);
  });

/** `--fail-on` and `--fail-on-category`, checked before anything runs. */
/** An audit or a sharded run's report: --fail-on checked first, then the run, then its exit status. */
async function auditLike(
  options: { failOn?: Severity; failOnCategory?: string; allowPartial?: true; quiet?: true },
  run: (log: Logger) => Promise<AnalysisResult>,
): Promise<void> {
  const { auditExitStatus, parseFailOnCategories } = await import('./run/exit-status.ts');
  const policy = failPolicy(options, parseFailOnCategories);
  const result = await run(createLogger(logLevel(options)));
  finish(auditExitStatus(result, { ...policy, allowPartial: options.allowPartial === true }));
}

function failPolicy<Category>(
  options: { failOn?: Severity; failOnCategory?: string },
  parseCategories: (text: string | undefined) => Set<Category>,
): { failOn?: Severity; categories: Set<Category> } {
  if (options.failOnCategory !== undefined && options.failOn === undefined) {
    throw new ConfigError(
      'counts toward --fail-on: give --fail-on too',
      undefined,
      undefined,
      '--fail-on-category',
    );
  }
  return {
    ...(options.failOn ? { failOn: options.failOn } : {}),
    categories: parseCategories(options.failOnCategory),
  };
}

/** `--quiet` leaves errors only; otherwise FLEETLENS_LOG_LEVEL, else info. */
function logLevel(options: { quiet?: true }): string | undefined {
  return options.quiet ? 'error' : undefined;
}

/** Sets the exit code and says why on stderr, one line each. */
function finish(status: ExitStatus): void {
  for (const reason of status.reasons) process.stderr.write(`fleetlens: ${reason}\n`);
  process.exitCode = status.code;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('expected a port number');
  return port;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error);
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version end through here with exit code 0.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof ConfigError) {
    // Every error of a file at once, one a line.
    for (const line of error.describe().split('\n')) process.stderr.write(`fleetlens: ${line}\n`);
    return 2;
  }
  if (error instanceof StoreError) {
    // A store that is corrupt, locked, newer or unreachable: one line, exit 2 (history, diff, show).
    process.stderr.write(`fleetlens: ${error.describe()}\n`);
    return 2;
  }
  if (isKnownError(error)) {
    process.stderr.write(`fleetlens: ${error.describe()}\n`);
    return 1;
  }
  process.stderr.write(
    `fleetlens: internal error (a bug; please report it with this stack)\n${error instanceof Error ? error.stack : String(error)}\n`,
  );
  return 1;
}

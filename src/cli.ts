#!/usr/bin/env node
// commander wiring only: parse flags, call src/run/*, set the exit code (DESIGN.md "Commands").
// Exit codes: 0 done; 2 usage or config error; 3 findings at or above --fail-on; 1 a bug (stack printed).
import { existsSync, statSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { ConfigError, isKnownError } from './errors.ts';
import { createLogger } from './log.ts';
import { Severity, severityRank } from './model/index.ts';
import { packageVersion } from './paths.ts';

// The pinned SDK warns that *future* releases need Node 22 (README: "Node version"); not the user's concern per run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command()
  .name('fleetlens')
  .description(
    'Fleet analyzer for cloud VMs: joins cloud metrics with on-host samples, names what limits each host,\n' +
      'and writes an instance-sizing and tuning report with its evidence and arithmetic.',
  )
  .version(packageVersion)
  .showHelpAfterError()
  .exitOverride();

program
  .command('audit')
  .description(
    'Inventory and metrics from every configured provider, on-host samples, analysis, recommendations, reports',
  )
  .option('--config <file>', 'fleetlens.yaml to read', 'fleetlens.yaml')
  .option('--demo', 'run against the built-in mock clouds and bundled samples: no credentials, no network')
  .option(
    '--since <duration>',
    "how far back to read metrics (e.g. 14d, 36h); default: the config's since (14d)",
  )
  .option('--format <list>', 'report formats, comma-separated: md,json', 'md,json')
  .option(
    '--out <dir>',
    'folder for report.md / report.json, or - for stdout (one format)',
    'fleetlens-report',
  )
  .addOption(
    new Option('--fail-on <severity>', 'exit 3 when a finding is at or above this severity').choices(
      Severity.options,
    ),
  )
  .option('--save-artifacts <dir>', 'also write everything collected, for --from-artifacts')
  .option('--from-artifacts <dir>', 'analyze saved artifacts instead of calling the clouds')
  .action(async (options) => {
    const log = createLogger();
    const { runAuditCommand } = await import('./run/audit-command.ts');
    const result = await runAuditCommand(options, log);
    if (
      options.failOn &&
      result.findings.some((f) => severityRank[f.severity] >= severityRank[options.failOn!])
    ) {
      log.warn({ failOn: options.failOn }, 'findings at or above --fail-on');
      process.exitCode = 3;
    }
  });

program
  .command('diagnose')
  .description(
    'On-host only: names what limits the host for each folder of on-host files (sysstat, ss, /proc, logs),\n' +
      'then for a live Prometheus (--prometheus)',
  )
  .argument('[dir...]', 'folders of on-host files')
  .addOption(
    new Option('--format <format>', 'md or json').choices(['md', 'json'] as const).default('md' as const),
  )
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
  .action(async (dirs, options, command) => {
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
    const log = createLogger();
    const { diagnoseWindow, runDiagnoseSources } = await import('./run/diagnose.ts');
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
    const result = await runDiagnoseSources({ dirs, ...(live ? { prometheus: live } : {}) }, log);
    process.stdout.write(renderDiagnose(result, options.format));
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
  .action(async (options) => {
    const { serveMock } = await import('./run/demo.ts');
    await serveMock(options.scenario, options.port);
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

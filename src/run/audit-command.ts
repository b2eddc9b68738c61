// The audit command end to end: config (or the demo), the audit, the report files.
import type { AnalysisResult } from '../../reports/json/schema.ts';
import { loadConfigFile } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { usd } from '../recommend/money.ts';
import { runAudit } from './audit.ts';
import { parseFormats, writeAuditReports } from './output.ts';

export interface AuditCommandOptions {
  config: string;
  demo?: true;
  since?: string;
  format: string;
  out: string;
  saveArtifacts?: string;
  fromArtifacts?: string;
}

export async function runAuditCommand(options: AuditCommandOptions, log: Logger): Promise<AnalysisResult> {
  const formats = parseFormats(options.format, ['md', 'json']);
  if (options.demo && options.fromArtifacts)
    throw new ConfigError(
      '--demo and --from-artifacts exclude each other',
      undefined,
      undefined,
      '--from-artifacts',
    );
  const common = {
    log,
    ...(options.since ? { since: options.since } : {}),
    ...(options.saveArtifacts ? { saveArtifactsDir: options.saveArtifacts } : {}),
    ...(options.fromArtifacts ? { fromArtifactsDir: options.fromArtifacts } : {}),
  };
  let result: AnalysisResult;
  if (options.demo) {
    const { withDemo } = await import('./demo.ts');
    result = await withDemo(log, (demo) => runAudit({ ...common, ...demo, mode: 'demo' }));
  } else {
    const loaded = await loadConfigFile(options.config);
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

// `fleetlens history`, `fleetlens diff` and `fleetlens show` (issue 10 point 5): read the store and
// print. A store that cannot be read is a StoreError (one line, exit 2 in the CLI); a run or finding
// that is not there is a usage error (exit 2). Nothing here writes to the store.
import { existsSync } from 'node:fs';
import { escapeText } from '../../reports/markdown/escape.ts';
import { renderFindingSection } from '../../reports/markdown/finding.ts';
import { mdTable } from '../../reports/markdown/table.ts';
import { formatUsdPerMonth, formatUtcMinute } from '../../reports/markdown/units.ts';
import { ConfigError } from '../errors.ts';
import { diffRuns, renderDiffJson, renderDiffMarkdown, statusText } from '../history/diff.ts';
import type { FindingRecord, RunRecord } from '../history/record.ts';
import { findingSeries, hostSeries, renderFindingTrend, renderHostTrend } from '../history/trend.ts';
import type { Finding } from '../model/index.ts';
import {
  defaultStorePath,
  type HistoryStore,
  isPostgresUrl,
  openStore,
  type RunSummary,
} from '../store/index.ts';
import { DEFAULT_CONFIG_FILE } from './audit-command.ts';

export type HistoryFormat = 'md' | 'json';

export interface StoreFlags {
  store?: string;
  config?: string;
}

export interface HistoryCommandOptions extends StoreFlags {
  host?: string;
  finding?: string;
  limit?: number;
  format: HistoryFormat;
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** `--store`, else the default store beside `--config` (or fleetlens.yaml); a missing file is a usage error. */
export function storeOf(flags: StoreFlags): string {
  const spec = flags.store ?? defaultStorePath(flags.config ?? DEFAULT_CONFIG_FILE);
  if (!isPostgresUrl(spec) && !existsSync(spec)) {
    throw new ConfigError(
      `no history store at ${spec}: run an audit first, or give --store PATH|postgres://…`,
      undefined,
      undefined,
      '--store',
    );
  }
  return spec;
}

async function withStore<T>(flags: StoreFlags, work: (store: HistoryStore) => Promise<T>): Promise<T> {
  const store = await openStore(storeOf(flags));
  try {
    return await work(store);
  } finally {
    await store.close().catch(() => undefined);
  }
}

function runLine(run: RunSummary): (string | null)[] {
  const sev = run.findingsBySeverity;
  const coverage = Object.entries(run.coverage)
    .map(
      ([provider, c]) =>
        `${provider} ${c!.hostsJudged}/${c!.hostsListed}${c!.failedScopes.length > 0 ? ` (failed: ${c!.failedScopes.join(', ')})` : ''}`,
    )
    .join('; ');
  return [
    formatUtcMinute(iso(run.startedAtMs)),
    escapeText(run.runId, { maxChars: 40 }),
    run.providers.join(', '),
    String(run.hosts),
    `${sev.critical}/${sev.high}/${sev.medium}/${sev.low}/${sev.info}`,
    formatUsdPerMonth(run.monthlyCostDeltaUsd),
    `${coverage}${run.complete ? '' : ' · incomplete'}`,
  ];
}

function runJson(run: RunSummary) {
  return {
    runId: run.runId,
    startedAt: iso(run.startedAtMs),
    mode: run.mode,
    providers: run.providers,
    complete: run.complete,
    hosts: run.hosts,
    findingsBySeverity: run.findingsBySeverity,
    monthlyCostDeltaUsd: run.monthlyCostDeltaUsd,
    recommendationsWithUnknownCost: run.recommendationsWithUnknownCost,
    gaps: run.gaps,
    coverage: run.coverage,
  };
}

/** `fleetlens history`: the runs newest first, or one host's or finding's trend over them. */
export async function runHistoryCommand(options: HistoryCommandOptions): Promise<string> {
  return withStore(options, async (store) => {
    if (options.host !== undefined) {
      const trends = await store.hostTrend(options.host);
      if (trends.length === 0) throw notFound('--host', `no host "${options.host}" in ${store.location}`);
      if (options.format === 'json') {
        const body = trends.map((t) => ({
          provider: t.provider,
          hostId: t.hostId,
          name: t.name,
          runs: t.points.map((p) => ({ ...p, startedAt: iso(p.startedAtMs) })),
          series: hostSeries(t),
        }));
        return `${JSON.stringify({ hosts: body }, null, 2)}\n`;
      }
      return `${trends.map(renderHostTrend).join('\n\n')}\n`;
    }
    if (options.finding !== undefined) {
      const trend = await store.findingTrend(options.finding);
      if (!trend) throw notFound('--finding', `no finding ${options.finding} in ${store.location}`);
      if (options.format === 'json') {
        return `${JSON.stringify({ finding: { ...trend, series: findingSeries(trend) } }, null, 2)}\n`;
      }
      return `${renderFindingTrend(trend)}\n`;
    }
    const runs = await store.listRuns(options.limit === undefined ? {} : { limit: options.limit });
    if (options.format === 'json') return `${JSON.stringify({ runs: runs.map(runJson) }, null, 2)}\n`;
    if (runs.length === 0) return `No runs in ${store.location} yet.\n`;
    return `${mdTable(
      [
        'When',
        'Run',
        'Clouds',
        'Hosts',
        'Findings crit/high/med/low/info',
        'Cost delta',
        'Coverage (judged/listed)',
      ],
      runs.map(runLine),
    )}\n`;
  });
}

function notFound(flag: string, message: string): ConfigError {
  return new ConfigError(message, undefined, undefined, flag);
}

async function runOrFail(store: HistoryStore, runId: string): Promise<RunRecord> {
  const run = await store.getRun(runId);
  if (!run) throw notFound('RUN', `no run ${runId} in ${store.location}`);
  return run;
}

/** `fleetlens diff [RUN_A] [RUN_B]`: default the last two runs; one run id: it against the run before it. */
export async function runDiffCommand(
  runA: string | undefined,
  runB: string | undefined,
  options: StoreFlags & { format: HistoryFormat },
): Promise<string> {
  return withStore(options, async (store) => {
    let from: RunRecord;
    let to: RunRecord;
    if (runA !== undefined && runB !== undefined) {
      [from, to] = [await runOrFail(store, runA), await runOrFail(store, runB)];
      if (from.startedAtMs > to.startedAtMs) [from, to] = [to, from];
    } else if (runA !== undefined) {
      to = await runOrFail(store, runA);
      const before = await store.previousRun(to);
      if (!before) throw notFound('RUN', `run ${runA} is the first of its line: nothing to diff against`);
      from = before;
    } else {
      const [latest] = await store.listRuns({ limit: 1 });
      if (!latest) throw notFound('--store', `no runs in ${store.location} yet`);
      to = await runOrFail(store, latest.runId);
      const before = await store.previousRun(to);
      if (!before) throw notFound('--store', `only one run in ${store.location}: nothing to diff yet`);
      from = before;
    }
    const diff = diffRuns(from, to);
    return options.format === 'json' ? renderDiffJson(diff) : renderDiffMarkdown(diff);
  });
}

/** A stored finding as the model's Finding: the store keeps no evidence, so the file says so. */
function asFinding(record: FindingRecord, run: RunRecord): Finding {
  return {
    id: record.id,
    ruleId: record.ruleId,
    messageId: record.messageId,
    severity: record.severity,
    category: record.category,
    subject: record.subject,
    title: record.title,
    message: record.message,
    evidence: record.headline
      ? [
          {
            kind: 'stat',
            label: record.headline.label,
            value: record.headline.value,
            unit: record.headline.unit,
            method:
              'headline number kept by the history store; the full evidence is in that run’s report.json',
          },
        ]
      : [],
    rationale: record.rationale,
    remediation: record.remediation,
    sources: record.sources,
    recommendationIds: record.recommendationIds.filter((id) => run.recommendations.some((r) => r.id === id)),
  };
}

/** `fleetlens show FINDING_ID`: the finding's standalone markdown from the newest run that saw it. */
export async function runShowCommand(findingId: string, options: StoreFlags): Promise<string> {
  return withStore(options, async (store) => {
    for (const summary of await store.listRuns()) {
      const run = await runOrFail(store, summary.runId);
      const record = run.findings.find((f) => f.id === findingId && f.status !== 'unseen');
      if (!record) continue;
      const recommendations = run.recommendations
        .filter((r) => r.findingId === findingId)
        .map((r) => ({ ...r, rationale: '', evidence: [] }));
      const context = `From fleetlens run ${run.runId} (${formatUtcMinute(iso(run.startedAtMs))}), status: ${statusText(record, null)}.`;
      return `${renderFindingSection(asFinding(record, run), recommendations, { level: 2, context })}\n`;
    }
    throw notFound('FINDING_ID', `no finding ${findingId} in ${store.location}`);
  });
}

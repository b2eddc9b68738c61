// `fleetlens diagnose DIR... [--prometheus URL]`: on-host only. Each folder is read, classified and
// judged by the on-host rules; one diagnosis per folder, in argument order, then one for the live
// Prometheus when one is given.
import { type DiagnoseResult, type Diagnosis, SCHEMA_VERSION } from '../../reports/json/schema.ts';
import { runRules } from '../analysis/engine.ts';
import { type Facts, indexSeries } from '../analysis/facts.ts';
import { rules } from '../analysis/rules/index.ts';
import { parseDurationMs } from '../config/duration.ts';
import { SizingConfig } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import { type PrometheusSource, readPrometheusLive } from '../ingest/prometheus-live.ts';
import { fillFromPrometheus } from '../ingest/prometheus-node.ts';
import { isoMs, utcMs } from '../ingest/time.ts';
import type { Logger } from '../log.ts';
import type { RetryPolicy } from '../net/call.ts';
import {
  analyzeOnHostDir,
  analyzeOnHostSamples,
  diagnosisWindow,
  type OnHostResult,
  onHostEntry,
} from './onhost.ts';
import type { ProgressEvent } from './progress.ts';

export interface DiagnoseSources {
  dirs: readonly string[];
  prometheus?: PrometheusSource;
  /** Retry policy for the Prometheus calls (tests shorten it). */
  retry?: Partial<RetryPolicy>;
}

/** The folders' diagnoses, in argument order, then the live Prometheus's (source: its URL without credentials). */
export async function runDiagnoseSources(
  sources: DiagnoseSources,
  log: Logger,
  onProgress?: (event: ProgressEvent) => void,
): Promise<DiagnoseResult> {
  const total = sources.dirs.length + (sources.prometheus ? 1 : 0);
  const result = await runDiagnose(sources.dirs, log, (done) => {
    onProgress?.({ type: 'onhost', done, total });
    onProgress?.({ type: 'rules', done, total });
  });
  if (sources.prometheus) {
    result.diagnoses.push(await diagnosePrometheus(sources.prometheus, log, sources.retry));
    onProgress?.({ type: 'onhost', done: total, total });
    onProgress?.({ type: 'rules', done: total, total });
  }
  return result;
}

async function diagnosePrometheus(
  source: PrometheusSource,
  log: Logger,
  retry: Partial<RetryPolicy> | undefined,
): Promise<Diagnosis> {
  const started = performance.now();
  const token = source.token ?? process.env.FLEETLENS_PROMETHEUS_TOKEN;
  const raw = await readPrometheusLive(
    { ...source, ...(token ? { token } : {}) },
    { log, ...(retry ? { retry } : {}) },
  );
  const jobs = { nodeJob: source.nodeJob ?? 'node', appJob: source.appJob ?? 'app' };
  const result = analyzeOnHostSamples(fillFromPrometheus(raw, jobs), raw.dir);
  log.info(
    {
      prometheus: raw.dir,
      primary: result.classification.primary,
      confidence: result.classification.confidence,
      queries: raw.inputs.length,
      gaps: raw.gaps.length,
      derived: result.facts.samples.derived?.map((d) => d.field),
      ms: Math.round(performance.now() - started),
    },
    'diagnosed',
  );
  return toDiagnosis(result);
}

export interface WindowOptions {
  from?: string;
  to?: string;
  /** How far back from `to` (or now) when `from` is not given; default 15m. */
  since?: string;
}

export function timeOption(text: string, key: string): number {
  const ms = Number.isNaN(isoMs(text)) ? utcMs(text) : isoMs(text);
  if (Number.isNaN(ms)) {
    throw new ConfigError(
      `expected an ISO-8601 time such as 2026-11-24T08:46:49Z, found "${text}"`,
      undefined,
      undefined,
      key,
    );
  }
  return ms;
}

/** The window asked on the command line: --from/--to (ISO-8601, UTC when no zone), else --since ending at --to or now. */
export function diagnoseWindow(options: WindowOptions, nowMs = Date.now()): { fromMs: number; toMs: number } {
  if (options.from !== undefined && options.since !== undefined) {
    throw new ConfigError('give --from or --since, not both', undefined, undefined, '--since');
  }
  const toMs = options.to === undefined ? nowMs : timeOption(options.to, '--to');
  let fromMs: number;
  if (options.from !== undefined) fromMs = timeOption(options.from, '--from');
  else {
    const sinceMs = parseDurationMs(options.since ?? '15m');
    if (sinceMs === undefined) {
      throw new ConfigError(
        `expected a duration such as 90s, 15m or 2h, found "${options.since}"`,
        undefined,
        undefined,
        '--since',
      );
    }
    fromMs = toMs - sinceMs;
  }
  if (fromMs >= toMs)
    throw new ConfigError('the window must start before it ends', undefined, undefined, '--from');
  return { fromMs, toMs };
}

/** `onFolder(done)` after each folder is read and judged (0 before the first). */
export async function runDiagnose(
  dirs: readonly string[],
  log: Logger,
  onFolder?: (done: number) => void,
): Promise<DiagnoseResult> {
  const diagnoses: Diagnosis[] = [];
  onFolder?.(0);
  for (const dir of dirs) {
    const started = performance.now();
    const result = await analyzeOnHostDir(dir);
    diagnoses.push(toDiagnosis(result));
    log.info(
      {
        dir,
        primary: result.classification.primary,
        confidence: result.classification.confidence,
        derived: result.facts.samples.derived?.map((d) => d.field),
        ms: Math.round(performance.now() - started),
      },
      'diagnosed',
    );
    onFolder?.(diagnoses.length);
  }
  return { schemaVersion: SCHEMA_VERSION, diagnoses };
}

/** The progress view of a diagnose run: the folders (and the live Prometheus), their rules, the page printed. */
export function diagnoseProgressPlan(sources: DiagnoseSources, format: string) {
  return {
    clouds: [],
    onHostFolders: sources.dirs.length + (sources.prometheus ? 1 : 0),
    writers: [`${format} on stdout`],
  };
}

export function toDiagnosis(result: OnHostResult): Diagnosis {
  const entry = onHostEntry(result, null);
  const facts: Facts = {
    window: { fromMs: result.facts.window?.fromMs ?? 0, toMs: result.facts.window?.toMs ?? 0, stepSec: 1 },
    hosts: [],
    volumes: [],
    groups: [],
    catalog: new Map(),
    series: indexSeries([]),
    onHost: [entry],
    sizing: SizingConfig.parse({}),
    unavailable: {
      inventory: 'diagnose reads on-host files only',
      metrics: 'diagnose reads on-host files only',
      catalog: 'diagnose reads on-host files only',
    },
  };
  const judged = runRules(rules, facts);
  const { samples } = result.facts;
  const { classification } = result;
  return {
    source: result.source,
    primary: classification.primary,
    confidence: classification.confidence,
    confidenceReasons: classification.confidenceReasons,
    window: diagnosisWindow(result.facts),
    scores: classification.scores.map((s) => ({ class: s.class, score: s.score, signals: s.signals })),
    findings: judged.findings,
    recommendations: judged.recommendations,
    inputs: samples.inputs.map((input) => ({
      file: input.file,
      kind: input.kind,
      records: input.records,
      from: input.from,
      to: input.to,
    })),
    gaps: samples.gaps.map((gap) => ({
      file: gap.file,
      kind: gap.kind,
      message: gap.message,
      ...(gap.line ? { line: gap.line } : {}),
    })),
    ignored: samples.ignored,
  };
}

// `fleetlens diagnose DIR...`: on-host only. Each folder is read, classified and judged by the
// on-host rules; one diagnosis per folder, in argument order.
import { type DiagnoseResult, type Diagnosis, SCHEMA_VERSION } from '../../reports/json/schema.ts';
import { runRules } from '../analysis/engine.ts';
import { type Facts, indexSeries } from '../analysis/facts.ts';
import { rules } from '../analysis/rules/index.ts';
import { SizingConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { analyzeOnHostDir, diagnosisWindow, type OnHostResult, onHostEntry } from './onhost.ts';

export async function runDiagnose(dirs: readonly string[], log: Logger): Promise<DiagnoseResult> {
  const diagnoses: Diagnosis[] = [];
  for (const dir of dirs) {
    const started = performance.now();
    const result = await analyzeOnHostDir(dir);
    diagnoses.push(toDiagnosis(result));
    log.info(
      {
        dir,
        primary: result.classification.primary,
        confidence: result.classification.confidence,
        ms: Math.round(performance.now() - started),
      },
      'diagnosed',
    );
  }
  return { schemaVersion: SCHEMA_VERSION, diagnoses };
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

// One on-host folder: read it, derive its facts, classify what limits it. Shared by diagnose and audit.
import { basename, resolve } from 'node:path';
import type { Diagnosis } from '../../reports/json/schema.ts';
import type { OnHostEntry } from '../analysis/facts.ts';
import { type Classification, classify } from '../analysis/onhost/classify.ts';
import { deriveOnHost, type OnHostFacts } from '../analysis/onhost/signals.ts';
import { fillFromPrometheus } from '../ingest/prometheus-node.ts';
import { readSampleDir } from '../ingest/read-sample-dir.ts';
import type { HostSamples } from '../ingest/types.ts';
import type { Host, Subject } from '../model/index.ts';

export interface OnHostResult {
  /** The folder as the user gave it (the diagnose contract's `source`). */
  source: string;
  facts: OnHostFacts;
  classification: Classification;
}

export async function analyzeOnHostDir(dir: string): Promise<OnHostResult> {
  // A folder with only prometheus-queries/ still gets CPU, disk, thread and fd facts; files win.
  const samples = fillFromPrometheus(await readSampleDir(resolve(dir)));
  return analyzeOnHostSamples(samples, dir);
}

/** A bundle read by other means (a live Prometheus): `source` is what the diagnosis names. */
export function analyzeOnHostSamples(samples: HostSamples, source: string): OnHostResult {
  const facts = deriveOnHost(samples);
  const classification = classify(facts);
  if (classification.primary === 'insufficient-data') {
    // A gap says so wherever the folder is reported (diagnose, and audit's gaps beside its hosts).
    samples.gaps.push({
      file: '.',
      kind: 'insufficient-data',
      message: `no verdict: ${classification.confidenceReasons.join('; ')}`,
    });
  }
  return { source, facts, classification };
}

export function onHostEntry(result: OnHostResult, host: Host | null): OnHostEntry {
  const subject: Subject = host
    ? { provider: host.provider, kind: 'host', id: host.id, name: host.name }
    : {
        provider: 'onhost',
        kind: 'host',
        id: result.source,
        name: result.facts.samples.sysstat?.nodename ?? basename(resolve(result.source)),
      };
  const { primary, confidence, scores } = result.classification;
  return { subject, host, facts: result.facts, verdict: { primary, confidence, scores } };
}

export function isoOrNull(ms: number | undefined | null): string | null {
  return ms === undefined || ms === null || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
}

export function diagnosisWindow(facts: OnHostFacts): Diagnosis['window'] {
  return { from: isoOrNull(facts.window?.fromMs), to: isoOrNull(facts.window?.toMs) };
}

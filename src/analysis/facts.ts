// What rules judge: the collected artifacts, indexed, plus on-host facts per host.
// Rules read these; they never call a provider or open a file.

import type { MetricWindow } from '../../providers/types.ts';
import type { DiagnosisClass } from '../../reports/json/schema.ts';
import type { SizingConfig } from '../config/schema.ts';
import type { Group, Host, InstanceType, MetricName, MetricSeries, Subject, Volume } from '../model/index.ts';
import type { ClassScore } from './onhost/classify.ts';
import type { OnHostFacts } from './onhost/signals.ts';

export type FactKey = 'inventory' | 'metrics' | 'catalog' | 'onhost';

export interface SeriesIndex {
  get(subjectId: string, metric: MetricName): MetricSeries | undefined;
  all(): readonly MetricSeries[];
}

export interface OnHostEntry {
  subject: Subject;
  /** The cloud host the folder belongs to, when the folder was mapped to one. */
  host: Host | null;
  facts: OnHostFacts;
  /** What the classifier named as the host's limit, and every class's score with its signals. */
  verdict: { primary: DiagnosisClass; confidence: number; scores: readonly ClassScore[] };
}

export interface Facts {
  window: MetricWindow;
  hosts: readonly Host[];
  volumes: readonly Volume[];
  groups: readonly Group[];
  catalog: ReadonlyMap<string, InstanceType>;
  series: SeriesIndex;
  onHost: readonly OnHostEntry[];
  /** fleetlens.yaml `sizing:` (Compute Optimizer's defaults unless changed). */
  sizing: SizingConfig;
  /** Why a fact is missing or partial, e.g. `metrics: throttled in eu-west-1`. */
  unavailable: Partial<Record<FactKey, string>>;
}

export function indexSeries(series: readonly MetricSeries[]): SeriesIndex {
  const byKey = new Map(series.map((s) => [`${s.subjectId}\u0000${s.metric}`, s]));
  return { get: (subjectId, metric) => byKey.get(`${subjectId}\u0000${metric}`), all: () => series };
}

/**
 * Whether the cloud reports metrics for the host. Every adapter maps its provider's running state
 * to `running` (AWS running, GCP RUNNING, Linode running, OVH ACTIVE); anything else is off or in transit.
 */
export function isRunning(host: Pick<Host, 'state'>): boolean {
  return host.state === 'running';
}

export function hostSubject(host: Host): Subject {
  return { provider: host.provider, kind: 'host', id: host.id, name: host.name };
}

export function volumeSubject(volume: Volume): Subject {
  return { provider: volume.provider, kind: 'volume', id: volume.id };
}

export function groupSubject(group: Group): Subject {
  return { provider: group.provider, kind: 'group', id: group.id, name: group.name };
}

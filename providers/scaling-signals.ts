// The signal kind of a scaling policy's metric, for every cloud that has managed autoscaling (AWS
// and GCP; Linode and OVH have none). Predefined metrics map by name; a customized or alarm metric
// maps by the words in its name, and anything else is `custom`.
import type { ScalingSignalKind } from '../src/model/index.ts';

/** Metric names that say what they count; checked in this order (a "RequestQueue" is a queue). */
const BY_WORDS: [RegExp, ScalingSignalKind][] = [
  [/queue|backlog|messages|undelivered|pending|depth/i, 'queue'],
  [/request|rps|qps/i, 'requests'],
  [/cpu/i, 'cpu'],
  [/network|bytes|bandwidth|packets|NetworkIn|NetworkOut/i, 'network'],
];

export function signalKindOf(metric: string): ScalingSignalKind {
  return BY_WORDS.find(([words]) => words.test(metric))?.[1] ?? 'custom';
}

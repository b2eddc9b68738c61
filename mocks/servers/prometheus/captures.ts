// The public captures' Prometheus series (mocks/prometheus/*.json.gz, written by
// scripts/prometheus-captures.ts from each capture's real TSDB), and their relabelling as the
// instances of a fleet: each placement copies one capture's series, gives them the placement's
// `instance` (and extra target labels such as `instance_id`), and shifts them to start at `startMs`.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { packagePath } from '../../../src/paths.ts';

export const CAPTURE_NAMES = [
  'cpu-saturation',
  'disk-saturation',
  'healthy',
  'threadpool-starvation',
] as const;
export type CaptureName = (typeof CAPTURE_NAMES)[number];

export interface CaptureSeries {
  capture: string;
  scrapeSec: number;
  durationMs: number;
  series: { labels: Record<string, string>; offsetsMs: number[]; values: number[] }[];
}

export interface RawSeries {
  labels: Record<string, string>;
  timesMs: number[];
  values: number[];
}

/** One capture relabelled as one host of the fleet. */
export interface Placement {
  capture: CaptureName;
  /** The `instance` of the node job; the app job gets the same host with port 8000. */
  nodeInstance: string;
  startMs: number;
  /** Target labels every series of this host carries (`instance_id`, `hostname`). */
  labels?: Record<string, string>;
  /** Leave the app job out (a host whose app exposes no /metrics). */
  withoutApp?: boolean;
}

const cache = new Map<string, CaptureSeries>();

export function loadCapture(name: CaptureName): CaptureSeries {
  let capture = cache.get(name);
  if (!capture) {
    const file = packagePath('mocks', 'prometheus', `${name}.json.gz`);
    capture = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as CaptureSeries;
    cache.set(name, capture);
  }
  return capture;
}

function appInstance(nodeInstance: string): string {
  return nodeInstance.replace(/:\d+$/, ':8000');
}

export function placedSeries(placements: readonly Placement[]): RawSeries[] {
  return placements.flatMap((p) => {
    const capture = loadCapture(p.capture);
    return capture.series
      .filter((s) => !(p.withoutApp && s.labels.job === 'app'))
      .map((s) => ({
        labels: {
          ...s.labels,
          ...p.labels,
          instance: s.labels.job === 'app' ? appInstance(p.nodeInstance) : p.nodeInstance,
        },
        timesMs: s.offsetsMs.map((o) => p.startMs + o),
        values: s.values.slice(),
      }));
  });
}

/** OpenMetrics text of the series (`promtool tsdb create-blocks-from openmetrics` reads it). */
export function* openMetricsLines(series: readonly RawSeries[]): Generator<string> {
  const byName = new Map<string, RawSeries[]>();
  for (const s of series) {
    const name = s.labels.__name__ ?? '';
    byName.set(name, [...(byName.get(name) ?? []), s]);
  }
  for (const [name, all] of byName) {
    yield `# TYPE ${name} gauge\n`;
    for (const s of all) {
      const labels = Object.entries(s.labels)
        .filter(([key]) => key !== '__name__')
        .map(
          ([key, value]) =>
            `${key}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
        )
        .join(',');
      const lines = s.timesMs.map((t, i) => `${name}{${labels}} ${s.values[i]} ${t / 1000}\n`);
      yield lines.join('');
    }
  }
  yield '# EOF\n';
}

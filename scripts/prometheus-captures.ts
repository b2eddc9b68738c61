// Writes mocks/prometheus/<capture>.json.gz: the raw samples of the metrics the fleet reader asks
// for, read back from each public capture's real Prometheus TSDB (../shared/host-samples), with
// times relative to the capture's start and no `instance` label. The demo's Prometheus mock and the
// multi-host TSDB of the tests are both built from these files, relabelled as fleet instances.
// Run: npx tsx scripts/prometheus-captures.ts   (needs Debian's prometheus; a maintainer's step)
import { writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import { CAPTURE_NAMES, type CaptureSeries } from '../mocks/servers/prometheus/captures.ts';
import { FLEET_METRICS } from '../src/onhost-prometheus/queries.ts';
import { packagePath } from '../src/paths.ts';
import { startPrometheus, threadsLogWindow } from '../test/helpers/prometheus.ts';

const Matrix = z.object({
  data: z.object({
    result: z.array(
      z.object({
        metric: z.record(z.string(), z.string()),
        values: z.array(z.tuple([z.number(), z.string()])),
      }),
    ),
  }),
});

for (const name of CAPTURE_NAMES) {
  const prom = await startPrometheus(name);
  try {
    const window = await threadsLogWindow(name);
    // A minute either side: the node exporter and app were scraped from before the load started.
    const fromMs = window.fromMs - 60_000;
    const toMs = window.toMs + 60_000;
    const spanSec = Math.ceil((toMs - fromMs) / 1000);
    const selector = `{__name__=~"${FLEET_METRICS.join('|')}",job=~"node|app"}[${spanSec}s]`;
    const params = new URLSearchParams({ query: selector, time: String(toMs / 1000) });
    const response = await fetch(`${prom.url}/api/v1/query?${params}`);
    const parsed = Matrix.parse(await response.json());
    const series = parsed.data.result.map(({ metric, values }) => {
      const { instance: _instance, ...labels } = metric;
      return {
        labels,
        offsetsMs: values.map(([t]) => Math.round(t * 1000) - fromMs),
        values: values.map(([, v]) => Number(v)),
      };
    });
    const capture: CaptureSeries = { capture: name, scrapeSec: 1, durationMs: toMs - fromMs, series };
    const file = packagePath('mocks', 'prometheus', `${name}.json.gz`);
    await writeFile(file, gzipSync(JSON.stringify(capture)));
    process.stdout.write(
      `${file}: ${series.length} series, ${series.reduce((n, s) => n + s.values.length, 0)} samples\n`,
    );
  } finally {
    await prom.stop();
  }
}

// Probe: RSS of a collection that spills N hosts' series and writes them as a folder.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host, MetricSeries } from '../src/model/index.ts';
import { saveArtifacts } from '../src/run/artifacts.ts';
import { CollectedSeries } from '../src/run/collected-series.ts';

const hosts = Number(process.argv[2] ?? 1000);
const points = 4032;
const root = await mkdtemp(join(tmpdir(), 'probe-'));
const inv = {
  hosts: Array.from(
    { length: hosts },
    (_, i): Host => ({
      provider: 'aws',
      id: `i-${i}`,
      name: `h${i}`,
      region: i % 2 ? 'eu-west-1' : 'us-east-1',
      zone: null,
      instanceType: 'm6i.large',
      state: 'running',
      vcpu: 2,
      memoryMiB: 8192,
      launchedAtMs: 0,
      groupId: null,
      volumeIds: [],
      tags: {},
    }),
  ),
  volumes: [],
  groups: [],
};
const c = new CollectedSeries({ budgetBytes: 0, tempRoot: root });
const sink = c.sink('aws', inv);
let peak = 0;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage().rss);
};
const t0 = performance.now();
for (let batch = 0; batch < hosts; batch += 30) {
  const list: MetricSeries[] = [];
  for (let h = batch; h < Math.min(hosts, batch + 30); h++)
    for (let m = 0; m < 15; m++) {
      const values = new Float64Array(points);
      for (let i = 0; i < points; i++) values[i] = Math.random() * 100;
      list.push({
        subjectKind: 'host',
        subjectId: process.env.SCRAMBLE ? `i-${(h * 7919) % hosts}` : `i-${h}`,
        metric: 'cpu.util',
        unit: 'percent',
        source: `s${m}`,
        startMs: 0,
        stepSec: 300,
        values,
      });
    }
  sink(list);
  sample();
  await new Promise((r) => setImmediate(r));
}
await c.settle();
sample();
const t1 = performance.now();
await saveArtifacts(
  join(root, 'out'),
  {
    artifactsVersion: 1,
    mode: 'live',
    collectedAt: new Date().toISOString(),
    window: { fromMs: 0, toMs: points * 300000, stepSec: 300 },
    providers: [
      {
        provider: 'aws',
        ...inv,
        instanceTypes: [],
        series: [],
        gaps: [],
        apiCalls: { made: 0, minimum: 0, retries: 0, failed: 0, byOperation: {} },
        blindSpots: {},
      },
    ],
    onHost: [],
  },
  c,
);
sample();
const t2 = performance.now();
await c.close();
await rm(root, { recursive: true, force: true });
console.log(
  `hosts ${hosts}: append ${((t1 - t0) / 1000).toFixed(1)} s, write ${((t2 - t1) / 1000).toFixed(1)} s, sampled peak ${(peak / 2 ** 20).toFixed(0)} MiB, maxRSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
);

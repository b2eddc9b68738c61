// `npx tsx bench/prometheus-fleet.ts [instances] [windows] [queriesPerSec]`: the fleet reader against
// the REAL Prometheus on a promtool-built TSDB of N instances (default 1,000) relabelled from the
// public captures, their busiest hours spread over W distinct windows (default 40) of a 14-day
// window. Prints queries and samples per host against the plan's minimum, the wall time, and the
// CPU time the Prometheus process itself spent during the read (/proc/PID/stat utime + stime).
// Measured here, never in a timed test.
import { readFileSync } from 'node:fs';
import type { Placement } from '../mocks/servers/prometheus/captures.ts';
import { CAPTURE_NAMES } from '../mocks/servers/prometheus/captures.ts';
import { PrometheusOnHost } from '../src/config/schema.ts';
import { silentLogger } from '../src/log.ts';
import type { Host } from '../src/model/index.ts';
import { readOnHostPrometheus } from '../src/run/onhost-prometheus.ts';
import { startFleetPrometheus } from '../test/helpers/prometheus-fleet.ts';

const INSTANCES = Number(process.argv[2] ?? 1000);
const WINDOWS = Number(process.argv[3] ?? 40);
const QPS = Number(process.argv[4] ?? 20);
const DAY_MS = 86_400_000;
const TO_MS = Date.UTC(2026, 10, 30);
const WINDOW = { fromMs: TO_MS - 14 * DAY_MS, toMs: TO_MS };

const ids = Array.from({ length: INSTANCES }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
const placements: Placement[] = ids.map((id, i) => {
  const w = i % WINDOWS;
  return {
    capture: CAPTURE_NAMES[i % CAPTURE_NAMES.length]!,
    nodeInstance: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:9100`,
    // W distinct busiest hours, a few hours apart, across the 14 days.
    startMs:
      WINDOW.fromMs + DAY_MS + w * Math.floor((12 * DAY_MS) / WINDOWS / 3_600_000) * 3_600_000 + 20 * 60_000,
    labels: { instance_id: id },
  };
});
const hosts: Host[] = ids.map((id) => ({
  provider: 'aws',
  id,
  name: id,
  region: 'us-east-1',
  zone: null,
  instanceType: 'm6i.large',
  state: 'running',
  vcpu: 2,
  memoryMiB: 8192,
  launchedAtMs: null,
  groupId: null,
  volumeIds: [],
  tags: {},
}));

/** utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSec(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

let start = performance.now();
const prom = await startFleetPrometheus(placements, { readyMs: 600_000 });
process.stdout.write(
  `TSDB of ${INSTANCES} instances built and served in ${((performance.now() - start) / 1000).toFixed(0)} s\n`,
);
try {
  // Let start-up work (block loading, head compaction) settle before measuring.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const cpuBefore = cpuSec(prom.pid);
  start = performance.now();
  const { judged, reads } = await readOnHostPrometheus(
    [PrometheusOnHost.parse({ url: prom.url, queriesPerSec: QPS })],
    hosts,
    WINDOW,
    new Set(),
    [],
    { log: silentLogger },
  );
  const wallSec = (performance.now() - start) / 1000;
  const cpu = cpuSec(prom.pid) - cpuBefore;
  const read = reads[0]!;
  const classes = new Map<string, number>();
  for (const j of judged)
    classes.set(j.result.classification.primary, (classes.get(j.result.classification.primary) ?? 0) + 1);
  const lines = [
    `instances ${INSTANCES}, busiest windows ${read.plan.windows}, queries/s cap ${QPS}, concurrency 2`,
    `queries made ${read.apiCalls.made}, minimum ${read.apiCalls.minimum}, failed ${read.apiCalls.failed}`,
    `queries per host ${(read.apiCalls.made / INSTANCES).toFixed(2)}, samples ${read.samples} (${(read.samples / INSTANCES).toFixed(0)} per host)`,
    `hosts judged ${read.hostsJudged}: ${[...classes].map(([c, n]) => `${c} ${n}`).join(', ')}`,
    `wall ${wallSec.toFixed(1)} s; Prometheus CPU ${cpu.toFixed(1)} s during the read`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await prom.stop();
}

// One benchmark case per process (see index.ts). Peak memory is sampled every 20 ms.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { parseSysstatJson } from '../src/ingest/sysstat-json.ts';
import { silentLogger } from '../src/log.ts';
import { packagePath } from '../src/paths.ts';
import { runAudit } from '../src/run/audit.ts';
import { withDemo } from '../src/run/demo.ts';
import { runDiagnose } from '../src/run/diagnose.ts';

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);
sampler.unref();

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;

/** A day of 1 s sadf -j records, built from a real capture's records with advancing timestamps. */
function* sadfDay(records: number): Generator<string> {
  const doc = JSON.parse(
    gunzipSync(readFileSync(packagePath('mocks', 'samples', 'healthy', 'sadf-A.json.gz'))).toString('utf8'),
  );
  const host = doc.sysstat.hosts[0];
  const source: Record<string, unknown>[] = host.statistics;
  const { statistics: _drop, ...header } = host;
  yield `{"sysstat": {"hosts": [${JSON.stringify(header).slice(0, -1)}, "statistics": [\n`;
  const start = Date.UTC(2026, 10, 24, 0, 0, 0);
  for (let i = 0; i < records; i++) {
    const record = { ...source[i % source.length]! };
    const t = new Date(start + i * 1000).toISOString();
    record.timestamp = { date: t.slice(0, 10), time: t.slice(11, 19), utc: 1, interval: 1 };
    yield `${i === 0 ? '' : ',\n'}${JSON.stringify(record)}`;
  }
  yield '\n]}]}}\n';
}

async function sysstatDay() {
  const records = 86_400;
  let bytes = 0;
  const stream = Readable.from(
    (function* () {
      for (const chunk of sadfDay(records)) {
        bytes += chunk.length;
        yield chunk;
      }
    })(),
  );
  const started = performance.now();
  const { series } = await parseSysstatJson(stream, 'sadf-day.json');
  const seconds = (performance.now() - started) / 1000;
  if (series.timesMs.length !== records)
    throw new Error(`parsed ${series.timesMs.length} of ${records} records`);
  // What reading the whole document at once would hold: the text plus its parsed tree.
  const wholeFileEstimate = bytes * 3;
  console.log(
    [
      `sysstat-day: ${records.toLocaleString('en-US')} records, ${mib(bytes)} of JSON streamed in ${seconds.toFixed(1)} s`,
      `  ${Math.round(records / seconds).toLocaleString('en-US')} records/s, ${(bytes / 1_048_576 / seconds).toFixed(1)} MiB/s`,
      `  peak RSS ${mib(peakRss)} for ${mib(bytes)} of input: input/peak ratio ${(bytes / peakRss).toFixed(1)}×`,
      `  a whole-file JSON.parse would need about ${mib(wholeFileEstimate)}: ${(wholeFileEstimate / Math.max(1, peakRss)).toFixed(1)}× this run's peak`,
    ].join('\n'),
  );
}

/** Every capture folder we have: the bundled ones and, beside the repo, the public host samples. */
function captureFolders(): string[] {
  const roots = [packagePath('mocks', 'samples'), packagePath('..', 'shared', 'host-samples')];
  return roots
    .filter((root) => existsSync(root))
    .flatMap((root) =>
      readdirSync(root, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && entry.name !== 'labels')
        .map((entry) => join(root, entry.name)),
    );
}

async function diagnoseFolder() {
  const dirs = captureFolders();
  await runDiagnose([dirs[0]!], silentLogger); // warm-up: module loading and JIT
  const timings: { dir: string; ms: number; primary: string }[] = [];
  for (const dir of dirs) {
    const started = performance.now();
    const { diagnoses } = await runDiagnose([dir], silentLogger);
    timings.push({ dir, ms: performance.now() - started, primary: diagnoses[0]!.primary });
  }
  const slowest = Math.max(...timings.map((t) => t.ms));
  console.log(
    [
      `diagnose-folder: ${dirs.length} capture folders of ~110-150 s each, one at a time`,
      ...timings.map((t) => `  ${relative(packagePath('..'), t.dir)} ${Math.round(t.ms)} ms (${t.primary})`),
      `  slowest ${Math.round(slowest)} ms against the 2,000 ms budget: ratio ${(slowest / 2000).toFixed(2)}`,
      `  peak RSS ${mib(peakRss)}`,
    ].join('\n'),
  );
}

async function auditDemo() {
  const started = performance.now();
  const result = await withDemo(silentLogger, (demo) =>
    runAudit({ ...demo, mode: 'demo', log: silentLogger }),
  );
  const seconds = (performance.now() - started) / 1000;
  const calls = Object.entries(result.run.apiCalls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([provider, c]) => `${provider} ${c?.made}/${c?.minimum} (retries ${c?.retries}, failed ${c?.failed})`,
    );
  console.log(
    [
      `audit-demo: ${result.hosts.length} hosts on ${Object.keys(result.run.apiCalls).length} clouds, ${result.findings.length} findings, ${result.recommendations.length} recommendations in ${seconds.toFixed(1)} s`,
      `  calls made/minimum: ${calls.join(', ')}`,
      `  peak RSS ${mib(peakRss)} (the four mocks run in the same process)`,
    ].join('\n'),
  );
}

/**
 * Issue 12: 200 GCP VMs × 14 days × 5 min through the real client and the mock (same process), and
 * the CPU it costs against the rate-limit floor (calls ÷ Cloud Monitoring's 100 requests a second).
 * The mock computes every answer in this process, so the CPU printed bounds fleetlens' own from above.
 */
async function gcp200() {
  const { startGcpMock } = await import('../mocks/servers/gcp.ts');
  const { parseScenario } = await import('../mocks/scenarios/schema.ts');
  const { createGcpAdapter } = await import('../providers/gcp/index.ts');
  const { collectProvider } = await import('../src/run/collect.ts');
  const nowMs = Date.parse('2025-01-15T00:00:00Z');
  const scenario = parseScenario({
    name: 'bench-gcp-200',
    gcp: {
      accessToken: 'bench-token',
      projects: {
        'bench-gcp': {
          instances: Array.from({ length: 200 }, (_, n) => ({
            name: `vm-${n}`,
            zone: 'us-central1-a',
            machineType: n % 3 === 0 ? 'e2-standard-4' : 'n2-standard-4',
            cpu: 20 + (n % 50),
            ...(n % 5 === 0 ? { agent: { memUsedPct: 60, iowaitPct: 2, stealPct: 0 } } : {}),
          })),
        },
      },
    },
  });
  const mock = await startGcpMock({ scenario, now: () => nowMs, rateLimits: false });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = await collectProvider(
    createGcpAdapter({ accessToken: 'bench-token' }),
    { projects: ['bench-gcp'], endpoint: mock.endpoint, labels: {} },
    { fromMs: nowMs - 14 * 86_400_000, toMs: nowMs, stepSec: 300 },
    silentLogger,
  );
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (performance.now() - started) / 1000;
  await mock.close();
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const calls = result.apiCalls;
  const floorSec = calls.made / 100;
  console.log(
    [
      `gcp-200: ${result.hosts.length} VMs, ${result.series.length} series in ${seconds.toFixed(1)} s wall`,
      `  calls made/minimum ${calls.made}/${calls.minimum}, retries ${calls.retries}, gaps ${result.gaps.length}`,
      `  CPU ${cpuSec.toFixed(1)} s (fleetlens and the mock together: an upper bound on fleetlens' own); rate-limit floor ${floorSec.toFixed(2)} s (${calls.made} calls at 100/s)`,
      `  peak RSS ${mib(peakRss)}`,
    ].join('\n'),
  );
}

const which = process.argv[2];
const run = {
  'sysstat-day': sysstatDay,
  'diagnose-folder': diagnoseFolder,
  'audit-demo': auditDemo,
  'gcp-200': gcp200,
}[which ?? ''];
if (!run) throw new Error(`unknown bench case ${which}`);
await run();
clearInterval(sampler);

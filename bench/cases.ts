// One benchmark case per process (see index.ts). Peak memory is sampled every 20 ms.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { bundledCatalogs } from '../providers/index.ts';
import type { Facts } from '../src/analysis/facts.ts';
import { judgeFleet, seriesFromMemory } from '../src/analysis/judge-fleet.ts';
import { rules } from '../src/analysis/rules/index.ts';
import { Config, SizingConfig } from '../src/config/schema.ts';
import { projectEvent } from '../src/event/project.ts';
import { parseSysstatJson } from '../src/ingest/sysstat-json.ts';
import { silentLogger } from '../src/log.ts';
import { type Group, type Host, MetricSeries } from '../src/model/index.ts';
import { packagePath } from '../src/paths.ts';
import { runAudit } from '../src/run/audit.ts';
import { withDemo } from '../src/run/demo.ts';
import { runDiagnose } from '../src/run/diagnose.ts';
import { mocksScale, rateFloor } from './mocks-scale.ts';

let peakRss = process.memoryUsage().rss;
// FLEETLENS_BENCH_MEMTRACE=1 prints the process' memory every 2 s on stderr: where a peak is.
const memtrace = process.env.FLEETLENS_BENCH_MEMTRACE === '1';
const started = performance.now();
let tracedAt = -Infinity;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  const now = performance.now();
  if (memtrace && now - tracedAt >= 2_000) {
    tracedAt = now;
    console.error(
      `memtrace ${((now - started) / 1000).toFixed(0)} s: rss ${mib(m.rss)}, heap ${mib(m.heapUsed)} of ${mib(m.heapTotal)}, array buffers ${mib(m.arrayBuffers)}`,
    );
  }
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
 * How cost grows: for each fleet size, make-fleet's artifacts (14 days of 5-minute points), then
 * `audit --from-artifacts` on them, each in a child process so its peak RSS (the kernel's maxRSS)
 * is its own. Sizes from FLEETLENS_BENCH_HOSTS (default 1000,5000,10000).
 */
async function fleetScale() {
  const sizes = (process.env.FLEETLENS_BENCH_HOSTS ?? '1000,5000,10000').split(',').map(Number);
  const root = mkdtempSync(join(tmpdir(), 'fleetlens-bench-fleet-'));
  const rows: string[][] = [];
  try {
    for (const hosts of sizes) {
      const out = join(root, `fleet-${hosts}`);
      const made = child([
        '--import',
        'tsx',
        packagePath('scripts', 'make-fleet.ts'),
        '--hosts',
        `${hosts}`,
        '--days',
        '14',
        '--out',
        out,
      ]);
      const size = folderBytes(out);
      const audit = child(['--import', 'tsx', packagePath('bench', 'cases.ts'), 'audit-artifacts', out]);
      const result = audit.ok ? (JSON.parse(audit.stdout.trim().split('\n').at(-1)!) as AuditRun) : undefined;
      const fleet = made.ok ? (JSON.parse(made.stdout.trim().split('\n').at(-1)!) as MadeFleet) : undefined;
      if (!fleet) throw new Error(`make-fleet failed: ${made.reason}`);
      rows.push([
        hosts.toLocaleString('en-US'),
        fleet.points.toLocaleString('en-US'),
        `${fleet.seconds.toFixed(0)} s (${fleet.cpuSeconds.toFixed(0)} CPU-s), ${mib(fleet.maxRssBytes)}`,
        mib(size),
        result
          ? `${result.seconds.toFixed(1)} s (${result.cpuSeconds.toFixed(1)} CPU-s)`
          : `failed after ${audit.seconds.toFixed(0)} s: ${audit.reason}`,
        result ? mib(result.maxRssBytes) : '-',
        result ? `${result.findings}` : '-',
      ]);
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const header = [
    'hosts',
    'points',
    'make-fleet (wall, CPU, peak RSS)',
    'artifacts on disk',
    'audit --from-artifacts (wall, CPU)',
    'audit peak RSS',
    'findings',
  ];
  console.log(
    [
      'fleet-scale: make-fleet artifacts (14 days, 5-minute points), then audit --from-artifacts',
      `| ${header.join(' | ')} |`,
      `|${header.map(() => '---').join('|')}|`,
      ...rows.map((r) => `| ${r.join(' | ')} |`),
    ].join('\n'),
  );
}

/**
 * A large fleet analysed in memory: BENCH_HOSTS hosts (1,000 by default) × 14 days × 5-minute
 * points × 5 metrics, built here (seeded, no mocks), then judged one unit at a time as the audit
 * does. Prints wall time, peak RSS and bytes per point (RSS grown while building ÷ points).
 */
async function analyseFleet() {
  const hostCount = Number(process.env.BENCH_HOSTS ?? 1000);
  const stepSec = 300;
  const steps = (14 * 86_400) / stepSec;
  const startMs = Date.UTC(2026, 10, 10);
  const metrics = ['cpu.util', 'cpu.util.max', 'mem.used', 'net.in.bytes', 'net.out.bytes'] as const;
  const units = { 'cpu.util': 'percent', 'cpu.util.max': 'percent', 'mem.used': 'percent' } as const;
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const hosts: Host[] = [];
  const groups: Group[] = [];
  const series: MetricSeries[] = [];
  for (let h = 0; h < hostCount; h++) {
    const id = `i-${String(h).padStart(6, '0')}`;
    // One host in five belongs to a group of five; a tenth run hot, a tenth idle.
    const groupId = h < hostCount / 5 ? `asg-${Math.floor(h / 5)}` : null;
    hosts.push({
      provider: 'aws',
      id,
      name: id,
      region: 'us-east-1',
      zone: 'us-east-1a',
      instanceType: h % 10 === 0 ? 'm5.large' : 'm5.2xlarge',
      state: 'running',
      vcpu: 8,
      memoryMiB: 32_768,
      launchedAtMs: startMs - 86_400_000 * 30,
      groupId,
      volumeIds: [],
      tags: { Name: id },
    });
    if (groupId && h % 5 === 0)
      groups.push({
        provider: 'aws',
        id: groupId,
        name: groupId,
        region: 'us-east-1',
        minSize: 5,
        maxSize: 10,
        desiredCapacity: 5,
        memberIds: Array.from({ length: 5 }, (_, k) => `i-${String(h + k).padStart(6, '0')}`),
        instanceTypes: ['m5.2xlarge'],
        enabledMetrics: [],
      });
    const base = h % 10 === 0 ? 85 : h % 10 === 1 ? 0.5 : 10 + 30 * random();
    for (const metric of metrics) {
      const values = new Float64Array(steps);
      for (let i = 0; i < steps; i++) {
        const daily = 1 + 0.5 * Math.cos((((i * stepSec) / 3600 - 15) / 24) * 2 * Math.PI);
        const v = base * daily * (0.9 + 0.2 * random());
        values[i] = metric.startsWith('net')
          ? v * 1e5
          : Math.min(100, metric === 'cpu.util.max' ? v * 1.2 : v);
      }
      series.push(
        benchSeries(
          {
            subjectKind: 'host',
            subjectId: id,
            metric,
            unit: units[metric as keyof typeof units] ?? 'bytes-per-second',
            stepSec,
            source: 'bench',
          },
          startMs,
          values,
        ),
      );
    }
  }
  // What loading artifacts does to every series: the model's schema checks it.
  const checked = z.array(MetricSeries).parse(series);
  const built = performance.now();
  const rssBuilt = process.memoryUsage().rss;
  const points = hostCount * metrics.length * steps;
  const facts = {
    window: { fromMs: startMs, toMs: startMs + steps * stepSec * 1000, stepSec },
    hosts,
    volumes: [],
    groups,
    catalog: new Map(bundledCatalogs().map((t) => [t.name, t])),
    onHost: [],
    sizing: SizingConfig.parse({}),
    unavailable: {},
  };
  const judged = await benchJudge(facts, checked);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    [
      `analyse-fleet: ${hostCount} hosts × 14 d × 5 min × ${metrics.length} metrics = ${(points / 1e6).toFixed(1)} M points, ${judged} findings`,
      `  wall ${seconds.toFixed(1)} s (build ${((built - started) / 1000).toFixed(1)} s, judge ${((performance.now() - built) / 1000).toFixed(1)} s)`,
      `  peak RSS ${mib(peakRss)}; ${((rssBuilt - rssBefore) / points).toFixed(1)} bytes per point held`,
    ].join('\n'),
  );
}

interface MadeFleet {
  points: number;
  seconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
}

interface AuditRun {
  seconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
  findings: number;
  hosts: number;
}

/** One replay of saved artifacts, as `audit --from-artifacts` runs it, printed as one JSON line. */
async function auditArtifacts() {
  const dir = process.argv[3]!;
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const result = await runAudit({
    loaded: { config: Config.parse({}), file: join(dir, 'manifest.json'), locate: () => undefined },
    mode: 'live',
    log: silentLogger,
    fromArtifactsDir: dir,
  });
  const cpu = process.cpuUsage(cpuAtStart);
  const run: AuditRun = {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    // NOTE: maxRSS is in KiB.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    findings: result.findings.length,
    hosts: result.hosts.length,
  };
  console.log(JSON.stringify(run));
}

function child(args: string[]): { ok: boolean; seconds: number; stdout: string; reason: string } {
  const started = performance.now();
  const done = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: {
      ...process.env,
      FLEETLENS_LOG_LEVEL: 'silent',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - started) / 1000;
  const lastError =
    done.stderr
      .trim()
      .split('\n')
      .filter((l) => /Error|heap/i.test(l))
      .at(-1) ?? `exit ${done.status}`;
  return { ok: done.status === 0, seconds, stdout: done.stdout, reason: lastError.slice(0, 120) };
}

function folderBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
}

function benchSeries(
  meta: Omit<MetricSeries, 'startMs' | 'values'>,
  startMs: number,
  values: Float64Array,
): MetricSeries {
  return { ...meta, startMs, values };
}

async function benchJudge(facts: Omit<Facts, 'series'>, series: MetricSeries[]): Promise<number> {
  const judged = await judgeFleet({
    rules,
    facts,
    hasMetrics: true,
    series: seriesFromMemory(series),
    event: { project: (unitFacts) => projectEvent(unitFacts, { multiplier: 2 }) },
    summaryMetrics: ['cpu.util', 'cpu.util.max'],
  });
  return judged.findings.length;
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
  'fleet-scale': fleetScale,
  'audit-artifacts': auditArtifacts,
  'analyse-fleet': analyseFleet,
  'gcp-200': gcp200,
  'mocks-1000': () => mocksScale(() => peakRss),
  'rate-floor': () => rateFloor(() => peakRss),
}[which ?? ''];
if (!run) throw new Error(`unknown bench case ${which}`);
await run();
clearInterval(sampler);

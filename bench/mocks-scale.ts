// Issue 12 point 3: collection at scale against the mock clouds. The mocks run in a child process
// (bench/mock-process.ts) so fleetlens' CPU and RSS (this process) and the mocks' are each their own.
//   mocks-1000: 250 hosts a cloud, 14 days of 5-minute points, collect + judge; the client paces
//     itself on a virtual clock and the mocks enforce no rate, so the run measures work, not waits.
//   rate-floor: the mocks enforce each cloud's published rate on the real clock and the client
//     keeps to it on the real clock; wall time against the floor (calls ÷ published rate).
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { AdapterOptions } from '../providers/index.ts';
import { providers } from '../providers/index.ts';
import type { ApiCalls } from '../reports/json/schema.ts';
import type { AwsConfig } from '../src/config/schema.ts';
import { Config } from '../src/config/schema.ts';
import { createLogger } from '../src/log.ts';
import type { ProviderId } from '../src/model/index.ts';
import { type Clock, realClock, virtualClock } from '../src/net/clock.ts';
import { packagePath } from '../src/paths.ts';
import { runAudit } from '../src/run/audit.ts';
import { DEFAULT_SPILL_BUDGET_BYTES } from '../src/run/collected-series.ts';
import type { MockFleetOptions } from './mock-fleet.ts';
import type { MockProcessDone, MockProcessReady, MockProcessSwitched } from './mock-process.ts';

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MiB`;

interface MockChild {
  ready: MockProcessReady;
  /** Turns the AWS mock's rate limits on; returns the child's CPU until then. */
  awsLimitsOn(): Promise<MockProcessSwitched>;
  /** Stops the child and returns what it spent. */
  stop(): Promise<MockProcessDone>;
}

interface ChildOptions {
  rateLimits: boolean;
  /** The AWS mock keeps its datapoints and starts without limits until `awsLimitsOn`. */
  awsWarmUp?: boolean;
}

/** The mock child's heap cap: 512 MiB, or 0.75 MiB a host for a larger fleet. */
function mockHeapMiB(fleet: MockFleetOptions): number {
  const hosts = fleet.aws + fleet.gcp + fleet.linode + fleet.ovh;
  return Math.max(512, Math.ceil(hosts * 0.75));
}

async function startMockChild(fleet: MockFleetOptions, options: ChildOptions): Promise<MockChild> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // The mocks' working set is small (400 hosts run in a 300 MB heap, 2,000 AWS hosts in about
      // 1 GB); without a cap V8 lets their garbage grow toward its default limit before collecting,
      // and peak RSS shows that instead.
      ...(process.env.MOCK_NODE_ARGS?.split(' ') ?? [`--max-old-space-size=${mockHeapMiB(fleet)}`]),
      '--import',
      'tsx',
      packagePath('bench', 'mock-process.ts'),
      JSON.stringify({
        ...fleet,
        rateLimits: options.rateLimits,
        ...(options.awsWarmUp ? { awsWarmUp: true, storeDatapoints: true } : {}),
      }),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, FLEETLENS_LOG_LEVEL: 'silent' } },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('the mock process ended without a word');
    return JSON.parse(line.value) as unknown;
  };
  const ready = (await next()) as MockProcessReady;
  return {
    ready,
    awsLimitsOn: async () => {
      child.stdin!.write('aws rate limits on\n');
      return (await next()) as MockProcessSwitched;
    },
    stop: async () => {
      child.kill('SIGTERM');
      return (await next()) as MockProcessDone;
    },
  };
}

/** The config and client options of an audit of every cloud the child serves. */
function auditSetup(fleet: MockFleetOptions, ready: MockProcessReady, clock: Clock) {
  const clouds: Record<string, unknown> = {};
  const { aws, gcp, linode, ovh } = ready.endpoints;
  if (aws) clouds.aws = { regions: ['us-east-1', 'eu-west-1'], endpoint: aws } satisfies Partial<AwsConfig>;
  if (gcp)
    clouds.gcp = {
      projects: Array.from({ length: Math.ceil(fleet.gcp / 250) }, (_, p) => `bench-gcp-${p}`),
      endpoint: gcp,
    };
  if (linode) clouds.linode = { endpoint: linode };
  if (ovh) clouds.ovh = { endpoint: ovh };
  const config = Config.parse({ since: '14d', periodSec: 300, providers: clouds });
  const certificate = ready.ovhCertificate;
  const adapterOptions: AdapterOptions = {
    net: { clock },
    aws: { ...providers.aws?.demoOptions.aws },
    gcp: { accessToken: 'bench-token' },
    linode: { ...providers.linode?.demoOptions.linode },
    ovh: {
      ...providers.ovh?.demoOptions.ovh,
      ...(ovh && certificate
        ? { certificateFor: (asked: string) => (asked === ovh ? certificate : undefined) }
        : {}),
    },
  };
  return { loaded: { config, file: '<bench>', locate: () => undefined }, adapterOptions };
}

interface Measured {
  seconds: number;
  cpuSec: number;
  peakRssBytes: number;
  mock: MockProcessDone;
  mockStartCpuSec: number;
  /** The unmeasured warm-up audit's wall time, when there was one. */
  warmUpSec?: number;
  hosts: number;
  findings: number;
  calls: [ProviderId, ApiCalls][];
}

async function measuredAudit(
  fleet: MockFleetOptions,
  rateLimits: boolean,
  clock: Clock,
  peakRss: () => number,
  awsWarmUp = false,
): Promise<Measured> {
  const mock = await startMockChild(fleet, { rateLimits, awsWarmUp });
  try {
    let mockStartCpuSec = mock.ready.startCpuSec;
    let warmUpSec: number | undefined;
    if (awsWarmUp && mock.ready.endpoints.aws) {
      // The same AWS fleet asked once without limits (and no waits: a virtual clock), so the mock
      // has every datapoint stored, as CloudWatch has, before the measured run.
      const awsOnly = { aws: fleet.aws, gcp: 0, linode: 0, ovh: 0 };
      const warm = auditSetup(
        awsOnly,
        { ...mock.ready, endpoints: { aws: mock.ready.endpoints.aws } },
        virtualClock(Date.now()),
      );
      const warmStarted = performance.now();
      await runAudit({ ...warm, mode: 'live', log: createLogger('warn') });
      warmUpSec = (performance.now() - warmStarted) / 1000;
      mockStartCpuSec = (await mock.awsLimitsOn()).cpuSec;
    }
    const { loaded, adapterOptions } = auditSetup(fleet, mock.ready, clock);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    // Warnings (a call retried, a gap) reach stderr: a fault-free run should print none.
    const result = await runAudit({
      loaded,
      mode: 'live',
      log: createLogger('warn'),
      adapterOptions,
      ...seriesBudget(),
    });
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const done = await mock.stop();
    return {
      seconds,
      cpuSec: (cpu.user + cpu.system) / 1e6,
      peakRssBytes: Math.max(peakRss(), process.resourceUsage().maxRSS * 1024),
      mock: done,
      mockStartCpuSec,
      ...(warmUpSec === undefined ? {} : { warmUpSec }),
      hosts: result.hosts.length,
      findings: result.findings.length,
      calls: (Object.entries(result.run.apiCalls) as Measured['calls']).sort(([a], [b]) =>
        a.localeCompare(b),
      ),
    };
  } catch (error) {
    await mock.stop().catch(() => undefined);
    throw error;
  }
}

/**
 * SERIES_BUDGET_MIB: the series a live audit holds before it spills them to disk (the default
 * otherwise); "none" holds them all, as before the spill, for comparison.
 */
function seriesBudget(): { seriesSpill?: { budgetBytes: number } } {
  const budget = process.env.SERIES_BUDGET_MIB;
  if (budget === undefined) return {};
  const budgetBytes = budget === 'none' ? Number.POSITIVE_INFINITY : Number(budget) * 1_048_576;
  if (!(budgetBytes >= 0)) throw new Error(`SERIES_BUDGET_MIB: a number of MiB or "none", not ${budget}`);
  return { seriesSpill: { budgetBytes } };
}

function seriesBudgetLine(): string {
  const budget = process.env.SERIES_BUDGET_MIB;
  return budget === undefined
    ? `  series held up to the default budget (${mib(DEFAULT_SPILL_BUDGET_BYTES)}), the rest spilled to disk`
    : budget === 'none'
      ? '  series all held in memory (SERIES_BUDGET_MIB=none)'
      : `  series held up to ${budget} MiB (SERIES_BUDGET_MIB), the rest spilled to disk`;
}

function callLines(measured: Measured): string[] {
  return measured.calls.map(
    ([provider, c]) =>
      `  ${provider}: made ${c.made} / minimum ${c.minimum}${c.made === c.minimum ? ' (= minimum)' : ' (NOT the minimum)'}, retries ${c.retries}, failed ${c.failed}`,
  );
}

/** mocks-1000: HOSTS_PER_CLOUD (250) hosts on each of the four clouds, end to end. */
export async function mocksScale(peakRss: () => number): Promise<void> {
  const perCloud = Number(process.env.HOSTS_PER_CLOUD ?? 250);
  const only = process.env.CLOUDS?.split(',');
  const count = (id: string) => (only && !only.includes(id) ? 0 : perCloud);
  const fleet = { aws: count('aws'), gcp: count('gcp'), linode: count('linode'), ovh: count('ovh') };
  const measured = await measuredAudit(fleet, false, virtualClock(Date.now()), peakRss);
  const mockWorkSec = measured.mock.cpuSec - measured.mockStartCpuSec;
  const awsCalls = measured.mock.awsRequests.GetMetricData ?? 0;
  console.log(
    [
      `mocks-${measured.hosts}: ${measured.hosts} hosts (${Object.entries(fleet)
        .filter(([, n]) => n > 0)
        .map(([id, n]) => `${id} ${n}`)
        .join(', ')}), 14 d × 5 min, collect + judge: ${measured.findings} findings`,
      `  wall ${measured.seconds.toFixed(1)} s (rate waits on a virtual clock; mocks enforce no rate)`,
      seriesBudgetLine(),
      `  fleetlens CPU ${measured.cpuSec.toFixed(1)} s, peak RSS ${mib(measured.peakRssBytes)}`,
      `  mocks CPU ${mockWorkSec.toFixed(1)} s answering (+${measured.mockStartCpuSec.toFixed(1)} s start), peak RSS ${mib(measured.mock.maxRssBytes)}${awsCalls ? `; AWS GetMetricData ${awsCalls} calls` : ''}`,
      `  together ${mib(measured.peakRssBytes + measured.mock.maxRssBytes)} at most`,
      ...callLines(measured),
    ].join('\n'),
  );
}

type CallCounts = Measured['calls'][number][1];

/**
 * Each cloud's rate-limit floor in seconds: its calls ÷ the published rate its binding quota allows
 * (the rates the adapters declare and the mocks enforce), quotas of separate regions or projects
 * running side by side.
 */
function floorOf(
  provider: ProviderId,
  calls: CallCounts,
  mock: MockProcessDone,
): { seconds: number; how: string } {
  const made = (match: (op: string) => boolean) =>
    Object.entries(calls.byOperation)
      .filter(([op]) => match(op))
      .reduce((total, [, c]) => total + c.made, 0);
  switch (provider) {
    case 'aws': {
      // Per region: GetMetricData at 50 a second and at 396,000 datapoints a second, whichever binds.
      const regions = Object.entries(mock.awsMetricData).map(([region, r]) => ({
        region,
        seconds: Math.max(r.calls / 50, r.datapoints / 396_000),
        text: `${region}: ${r.calls} GetMetricData ÷ 50/s = ${(r.calls / 50).toFixed(1)} s, ${r.datapoints.toLocaleString('en-US')} datapoints ÷ 396,000/s = ${(r.datapoints / 396_000).toFixed(1)} s`,
      }));
      const worst = regions.reduce((a, b) => (b.seconds > a.seconds ? b : a), {
        region: '-',
        seconds: 0,
        text: '',
      });
      return { seconds: worst.seconds, how: regions.map((r) => r.text).join('; ') };
    }
    case 'gcp': {
      const monitoring = made((op) => op.startsWith('monitoring.'));
      const compute = made((op) => op.startsWith('compute.'));
      return {
        seconds: Math.max(monitoring / 100, compute / 25),
        how: `${monitoring} timeSeries.list ÷ 100/s, ${compute} Compute reads ÷ 25/s (one project's quota: a bound from above)`,
      };
    }
    case 'linode': {
      const stats = made((op) => op === 'linode.getLinodeStatsByDate');
      const collections = made((op) => op !== 'linode.getLinodeStatsByDate');
      return {
        seconds: Math.max((stats / 50) * 60, (collections / 200) * 60),
        how: `${stats} /stats ÷ 50/min, ${collections} collection pages ÷ 200/min`,
      };
    }
    case 'ovh': {
      const all = made(() => true);
      return {
        seconds: (all / 60) * 60,
        how: `${all} calls ÷ 60/min (fair use; the adapter keeps to 50/min)`,
      };
    }
  }
  return { seconds: 0, how: '' };
}

/**
 * rate-floor: RATE_FLOOR_FLEET (default aws:2000) through mocks that enforce each cloud's published
 * rate on the real clock; wall time against the floor (the largest cloud floor: clouds run side by side).
 */
export async function rateFloor(peakRss: () => number): Promise<void> {
  const fleet: MockFleetOptions = { aws: 0, gcp: 0, linode: 0, ovh: 0 };
  for (const part of (process.env.RATE_FLOOR_FLEET ?? 'aws:2000').split(',')) {
    const [cloud, n] = part.split(':') as [keyof MockFleetOptions, string];
    fleet[cloud] = Number(n);
  }
  // By default the AWS mock answers from stored datapoints (a warm-up audit fills the store), as
  // CloudWatch does: computing them is the mock's simulation, about 3 µs a datapoint, and on a
  // 2-core machine a mock that cannot keep up with 792,000 datapoints a second (two regions) is what
  // would be measured. RATE_FLOOR_COLD=1 measures against the simulation itself.
  const cold = process.env.RATE_FLOOR_COLD === '1';
  const measured = await measuredAudit(fleet, true, realClock, peakRss, !cold);
  const floors = measured.calls.map(([provider, c]) => ({
    provider,
    c,
    ...floorOf(provider, c, measured.mock),
  }));
  const floorSec = Math.max(...floors.map((f) => f.seconds));
  console.log(
    [
      `rate-floor: ${measured.hosts} hosts (${Object.entries(fleet)
        .filter(([, n]) => n > 0)
        .map(([id, n]) => `${id} ${n}`)
        .join(', ')}), 14 d × 5 min, mocks enforcing the published rates, real clock`,
      cold
        ? '  the AWS mock computes every datapoint as it is asked (RATE_FLOOR_COLD=1)'
        : `  the AWS mock answers from its stored datapoints (a warm-up audit without limits took ${measured.warmUpSec?.toFixed(1) ?? '-'} s)`,
      ...floors.map(
        (f) =>
          `  ${f.provider}: made ${f.c.made} / minimum ${f.c.minimum}, retries ${f.c.retries}, failed ${f.c.failed}; floor ${f.seconds.toFixed(1)} s (${f.how})`,
      ),
      `  AWS mock error answers: ${
        Object.entries(measured.mock.awsErrors)
          .map(([what, n]) => `${n} ${what}`)
          .join(', ') || 'none'
      }`,
      `  floor ${floorSec.toFixed(1)} s, wall ${measured.seconds.toFixed(1)} s: ratio ${(measured.seconds / floorSec).toFixed(2)} (goal ≤ 1.2)`,
      `  fleetlens CPU ${measured.cpuSec.toFixed(1)} s, peak RSS ${mib(measured.peakRssBytes)}; mocks CPU ${(measured.mock.cpuSec - measured.mockStartCpuSec).toFixed(1)} s, peak RSS ${mib(measured.mock.maxRssBytes)}; ${measured.findings} findings`,
    ].join('\n'),
  );
}

// `npm run make-fleet -- --hosts N --days 14 --out DIR [--seed 1] [--end 2026-11-24T00:00:00Z]`:
// saved artifacts (a folder) of a synthetic fleet across the four clouds, without the mocks, so the
// analysis can be measured alone. Series come from the mocks' own shape functions
// (mocks/scenarios/shapes.ts), one host at a time, so memory stays flat in N; the same seed and end
// give byte-identical files. A share of the hosts carries a story the audit must find (idle,
// over-provisioned, saturated); the rest are healthy diurnal web hosts in groups.
import { parseArgs } from 'node:util';
import { Load } from '../mocks/scenarios/schema.ts';
import { hashKey, shapeValue, unitRandom } from '../mocks/scenarios/shapes.ts';
import { bundledCatalog as awsCatalog } from '../providers/aws/catalog.ts';
import { bundledCatalog as gcpCatalog } from '../providers/gcp/catalog.ts';
import { bundledCatalog as linodeCatalog } from '../providers/linode/catalog.ts';
import { bundledCatalog as ovhCatalog } from '../providers/ovh/catalog.ts';
import type { Group, Host, InstanceType, MetricName, ProviderId, Unit, Volume } from '../src/model/index.ts';
import type { ArtifactSeries, HostSeriesBatch } from '../src/run/artifacts-series.ts';
import { ArtifactsWriter } from '../src/run/artifacts-writer.ts';

export type Story = 'web' | 'idle' | 'oversized' | 'saturated' | 'spiky';

/**
 * Stories by round: hosts 8j .. 8j+7 (one per cloud and region) share round j's story, and the
 * rounds repeat every 25, so any fleet of 40 hosts or more has every story in every cloud and
 * region: 4 % idle, 4 % saturated, 8 % over-provisioned, 8 % spiky, the rest healthy web hosts.
 */
const STORY_BY_ROUND: Partial<Record<number, Story>> = {
  1: 'idle',
  2: 'saturated',
  3: 'oversized',
  4: 'spiky',
  13: 'oversized',
  14: 'spiky',
};
const ROUNDS = 25;

const PROVIDERS: readonly ProviderId[] = ['aws', 'gcp', 'linode', 'ovh'];
const REGIONS: Record<ProviderId, readonly string[]> = {
  aws: ['us-east-1', 'eu-west-1'],
  gcp: ['us-central1', 'europe-west1'],
  linode: ['us-east', 'eu-central'],
  ovh: ['GRA11', 'BHS5'],
};
/**
 * Types by cloud: non-burstable, with a price in the bundled catalog. A group's members share the
 * first (a group of mixed types is sized per type); an over-provisioned host runs on the second
 * (8 vCPUs), the others on any.
 */
const TYPES: Record<ProviderId, readonly string[]> = {
  aws: ['m6i.xlarge', 'm6i.2xlarge', 'c6i.xlarge', 'r6i.xlarge'],
  gcp: ['n2-standard-4', 'n2-standard-8', 'c3-standard-4', 'n2-highmem-4'],
  linode: ['g6-dedicated-4', 'g6-dedicated-8', 'g6-standard-4', 'g6-standard-6'],
  ovh: ['b3-16', 'b3-32', 'c3-16', 'r3-32'],
};
const CATALOGS: Record<ProviderId, () => InstanceType[]> = {
  aws: awsCatalog,
  gcp: gcpCatalog,
  linode: linodeCatalog,
  ovh: ovhCatalog,
};
const GROUP_SIZE = 8;
const MiB = 1_048_576;
const DAY_MS = 86_400_000;

export interface FleetOptions {
  hosts: number;
  days: number;
  seed: number;
  /** End of the window, epoch ms (on a step boundary). */
  endMs: number;
  stepSec: number;
}

interface PlannedHost {
  host: Host;
  story: Story;
  volume: Volume | null;
}

/** The story of host i. */
export function storyOf(index: number): Story {
  return STORY_BY_ROUND[Math.floor(index / 8) % ROUNDS] ?? 'web';
}

function hex(seed: number, index: number, lanes: number): string {
  let out = '';
  for (let lane = 0; lane < lanes; lane++) {
    out += Math.floor(unitRandom(seed, index, 10 + lane) * 0x10000)
      .toString(16)
      .padStart(4, '0');
  }
  return out;
}

function hostId(provider: ProviderId, seed: number, index: number): string {
  const s = hashKey(`make-fleet/${seed}/id`);
  switch (provider) {
    case 'aws':
      return `i-0${hex(s, index, 4)}`;
    case 'gcp':
      return String(1_000_000_000_000 + index * 7919 + (s % 7919));
    case 'linode':
      return String(40_000_000 + index);
    case 'ovh': {
      const h = hex(s, index, 8);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
    }
  }
}

function zoneOf(provider: ProviderId, region: string, index: number): string | null {
  const letter = 'abc'[index % 3];
  if (provider === 'aws') return `${region}${letter}`;
  if (provider === 'gcp') return `${region}-${letter}`;
  return null;
}

/** Every host of one cloud and region, in the order their series are written. */
export function planRegion(options: FleetOptions, provider: ProviderId, region: string): PlannedHost[] {
  const catalog = new Map(CATALOGS[provider]().map((t) => [t.name, t]));
  const p = PROVIDERS.indexOf(provider);
  const r = REGIONS[provider].indexOf(region);
  const planned: PlannedHost[] = [];
  let webInRegion = 0;
  // Host i lives in cloud i % 4 and that cloud's region (i / 4) % 2.
  for (let i = p + 4 * r; i < options.hosts; i += 4 * REGIONS[provider].length) {
    const story = storyOf(i);
    const types = TYPES[provider];
    const typeName =
      story === 'web'
        ? types[0]!
        : story === 'oversized'
          ? types[1]!
          : types[Math.floor(unitRandom(options.seed, i, 3) * types.length)]!;
    const type = catalog.get(typeName);
    if (!type) throw new Error(`${typeName} is not in the bundled ${provider} catalog`);
    const id = hostId(provider, options.seed, i);
    const groupId = story === 'web' ? `${region}-web-${Math.floor(webInRegion++ / GROUP_SIZE)}` : null;
    const volume = diskOf(provider, region, id, i);
    planned.push({
      story,
      volume,
      host: {
        provider,
        id,
        name: `${story}-${i}`,
        region,
        zone: zoneOf(provider, region, i),
        instanceType: typeName,
        state: 'running',
        vcpu: type.vcpu,
        memoryMiB: type.memoryMiB,
        launchedAtMs: options.endMs - (options.days + 30) * DAY_MS,
        groupId,
        volumeIds: volume ? [volume.id] : [],
        tags: { fleet: 'make-fleet', story, env: 'prod', team: `team-${i % 7}` },
        privateIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      },
    });
  }
  return planned;
}

/** AWS and GCP list a boot disk of their own; Linode and OVH include it in the plan. */
function diskOf(provider: ProviderId, region: string, id: string, index: number): Volume | null {
  if (provider !== 'aws' && provider !== 'gcp') return null;
  return {
    provider,
    id: provider === 'aws' ? `vol-0${id.slice(3)}` : `disk-${index}`,
    region,
    zone: zoneOf(provider, region, index),
    type: provider === 'aws' ? 'gp3' : 'pd-balanced',
    sizeGiB: 50,
    iops: provider === 'aws' ? 3000 : null,
    throughputMiBps: provider === 'aws' ? 125 : null,
    attachedTo: [{ hostId: id, device: provider === 'aws' ? '/dev/xvda' : 'persistent-disk-0' }],
    tags: {},
  };
}

/** Groups of the healthy web hosts of one region, GROUP_SIZE at most (AWS and GCP only). */
function groupsOf(provider: ProviderId, planned: readonly PlannedHost[]): Group[] {
  if (provider !== 'aws' && provider !== 'gcp') {
    for (const p of planned) p.host.groupId = null;
    return [];
  }
  const byId = new Map<string, Host[]>();
  for (const { host } of planned) {
    if (host.groupId) byId.set(host.groupId, [...(byId.get(host.groupId) ?? []), host]);
  }
  return [...byId].map(([id, members]) => ({
    provider,
    id,
    name: id,
    region: members[0]!.region,
    minSize: members.length,
    maxSize: members.length + 4,
    desiredCapacity: members.length,
    memberIds: members.map((m) => m.id),
    instanceTypes: [...new Set(members.map((m) => m.instanceType))],
    enabledMetrics: [],
  }));
}

// Load shapes in the scenarios' vocabulary (mocks/scenarios/schema.ts), per story.
const CPU: Record<Story, Load> = {
  web: Load.parse({ shape: 'diurnal', base: 30, peak: 65 }),
  idle: Load.parse({ shape: 'idle', base: 0, peak: 0.3 }),
  oversized: Load.parse({ shape: 'diurnal', base: 2, peak: 9 }),
  saturated: Load.parse({ shape: 'saturated', base: 90, peak: 99 }),
  spiky: Load.parse({ shape: 'spiky', base: 12, peak: 85 }),
};
/** Network in MiB/s. */
const NET_IN: Record<Story, Load> = {
  web: Load.parse({ shape: 'diurnal', base: 2, peak: 12 }),
  idle: Load.parse({ shape: 'idle', base: 0, peak: 0.001 }),
  oversized: Load.parse({ shape: 'diurnal', base: 0.5, peak: 3 }),
  saturated: Load.parse({ shape: 'steady', base: 20 }),
  spiky: Load.parse({ shape: 'spiky', base: 1, peak: 30 }),
};
const DISK_IOPS: Load = Load.parse({ shape: 'diurnal', base: 20, peak: 120 });

/** What each cloud's adapter calls its series (the `source` column), per fleetlens metric. */
function sourceOf(provider: ProviderId, metric: MetricName, stepSec: number): string {
  const names: Record<ProviderId, Partial<Record<MetricName, string>>> = {
    aws: {
      'cpu.util': 'AWS/EC2 CPUUtilization Average',
      'cpu.util.max': 'AWS/EC2 CPUUtilization Maximum',
      'net.in.bytes': 'AWS/EC2 NetworkIn Sum',
      'net.out.bytes': 'AWS/EC2 NetworkOut Sum',
      'disk.read.ops': 'AWS/EBS VolumeReadOps Sum',
      'disk.write.ops': 'AWS/EBS VolumeWriteOps Sum',
    },
    gcp: {
      'cpu.util': 'compute.googleapis.com/instance/cpu/utilization ALIGN_MEAN',
      'cpu.util.max': 'compute.googleapis.com/instance/cpu/utilization ALIGN_MAX',
      'net.in.bytes': 'compute.googleapis.com/instance/network/received_bytes_count ALIGN_RATE',
      'net.out.bytes': 'compute.googleapis.com/instance/network/sent_bytes_count ALIGN_RATE',
      'disk.read.ops': 'compute.googleapis.com/instance/disk/read_ops_count ALIGN_RATE',
      'disk.write.ops': 'compute.googleapis.com/instance/disk/write_ops_count ALIGN_RATE',
    },
    linode: {
      'cpu.util': 'Linode /stats cpu, 5-min average',
      'cpu.util.max': 'Linode /stats cpu, highest 5-min average',
      'net.in.bytes': 'Linode /stats netv4+netv6 in',
      'net.out.bytes': 'Linode /stats netv4+netv6 out',
    },
    ovh: {
      'cpu.util': 'cpu:used / cpu:max × 100 (period=lastweek)',
      'cpu.util.max': 'highest sample of cpu:used / cpu:max × 100',
      'net.in.bytes': 'net:rx',
      'net.out.bytes': 'net:tx',
    },
  };
  return `${names[provider][metric] ?? metric} (${stepSec} s)`;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The series of one host (and its disk): from the shape functions, step by step. */
export function seriesOfHost(options: FleetOptions, planned: PlannedHost): HostSeriesBatch {
  const { host, story, volume } = planned;
  const count = Math.round((options.days * DAY_MS) / (options.stepSec * 1000));
  const startMs = options.endMs - count * options.stepSec * 1000;
  const key = (metric: string, subject = host.id) => hashKey(`${options.seed}/${subject}/${metric}`);
  const cpuSeed = key('cpu');
  const inSeed = key('net.in');
  const outSeed = key('net.out');
  const cpu = new Float64Array(count);
  const cpuMax = new Float64Array(count);
  const netIn = new Float64Array(count);
  const netOut = new Float64Array(count);
  const minutes = options.stepSec / 60;
  for (let i = 0; i < count; i++) {
    const stepStartSec = startMs / 1000 + i * options.stepSec;
    // NOTE: like CloudWatch, the step's Average and Maximum come from the 1-minute values inside it.
    let sum = 0;
    let max = 0;
    for (let m = 0; m < minutes; m++) {
      const v = Math.min(100, shapeValue(CPU[story], cpuSeed, stepStartSec + m * 60));
      sum += v;
      max = Math.max(max, v);
    }
    cpu[i] = round2(sum / minutes);
    cpuMax[i] = round2(max);
    netIn[i] = Math.round(shapeValue(NET_IN[story], inSeed, stepStartSec) * MiB);
    netOut[i] = Math.round(shapeValue(NET_IN[story], outSeed, stepStartSec) * MiB * 0.6);
  }
  const make = (
    subjectKind: 'host' | 'volume',
    subjectId: string,
    metric: MetricName,
    unit: Unit,
    values: Float64Array,
  ): ArtifactSeries => ({
    subjectKind,
    subjectId,
    metric,
    unit,
    source: sourceOf(host.provider, metric, options.stepSec),
    columns: { startMs, stepSec: options.stepSec, values },
  });
  const series = [
    make('host', host.id, 'cpu.util', 'percent', cpu),
    make('host', host.id, 'cpu.util.max', 'percent', cpuMax),
    make('host', host.id, 'net.in.bytes', 'bytes-per-second', netIn),
    make('host', host.id, 'net.out.bytes', 'bytes-per-second', netOut),
  ];
  if (volume) {
    const reads = new Float64Array(count);
    const writes = new Float64Array(count);
    const readSeed = key('read', volume.id);
    const writeSeed = key('write', volume.id);
    for (let i = 0; i < count; i++) {
      const t = startMs / 1000 + i * options.stepSec;
      reads[i] = round2(shapeValue(DISK_IOPS, readSeed, t));
      writes[i] = round2(shapeValue(DISK_IOPS, writeSeed, t));
    }
    // AWS reports EBS ops per volume, GCP per instance disk: both are the volume's series here.
    series.push(make('volume', volume.id, 'disk.read.ops', 'ops-per-second', reads));
    series.push(make('volume', volume.id, 'disk.write.ops', 'ops-per-second', writes));
  }
  return { hostId: host.id, series };
}

export interface FleetSummary {
  hosts: number;
  series: number;
  points: number;
  byStory: Record<Story, string[]>;
  manifest: string;
}

/** Writes the fleet's artifacts into `out`, one cloud and region at a time. */
export async function makeFleet(options: FleetOptions, out: string): Promise<FleetSummary> {
  const writer = await ArtifactsWriter.open(out);
  const byStory: Record<Story, string[]> = { web: [], idle: [], oversized: [], saturated: [], spiky: [] };
  let series = 0;
  let points = 0;
  try {
    for (const provider of PROVIDERS) {
      const hosts: Host[] = [];
      const volumes: Volume[] = [];
      const groups: Group[] = [];
      for (const region of REGIONS[provider]) {
        const planned = planRegion(options, provider, region);
        groups.push(...groupsOf(provider, planned));
        for (const p of planned) {
          hosts.push(p.host);
          if (p.volume) volumes.push(p.volume);
          byStory[p.story].push(p.host.id);
        }
        // A generator: each host's series exist only until DuckDB has them.
        const entry = await writer.writeRegion(
          provider,
          region,
          (function* () {
            for (const p of planned) yield seriesOfHost(options, p);
          })(),
        );
        series += entry.series;
        points += entry.points;
      }
      await writer.writeInventory({ provider, hosts, volumes, groups, instanceTypes: [] });
    }
    const fromMs = options.endMs - options.days * DAY_MS;
    const manifest = await writer.commit(
      {
        mode: 'demo',
        collectedAt: new Date(options.endMs).toISOString(),
        window: { fromMs, toMs: options.endMs, stepSec: options.stepSec },
        settings: {
          since: `${options.days}d`,
          periodSec: options.stepSec,
          providers: {
            aws: { regions: [...REGIONS.aws] },
            gcp: { projects: ['make-fleet-1'] },
            linode: {},
            ovh: { projects: ['make-fleet'] },
          },
          onHost: [],
          sizing: {},
          rules: {},
        },
        onHost: [],
      },
      PROVIDERS.map((provider) => ({
        provider,
        gaps: [],
        apiCalls: { made: 0, minimum: 0, retries: 0, failed: 0, byOperation: {} },
        blindSpots: {},
      })),
    );
    return { hosts: options.hosts, series, points, byStory, manifest };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** The command line: `--hosts N --days D --out DIR [--seed S] [--end ISO]`. */
export function fleetOptionsOf(argv: readonly string[]): { options: FleetOptions; out: string } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      hosts: { type: 'string' },
      days: { type: 'string', default: '14' },
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      end: { type: 'string', default: '2026-11-24T00:00:00Z' },
    },
  });
  const hosts = Number(values.hosts);
  const days = Number(values.days);
  const seed = Number(values.seed);
  const endMs = Date.parse(values.end);
  const stepSec = 300;
  if (!Number.isInteger(hosts) || hosts < 1) throw new Error('--hosts: a whole number of hosts, 1 or more');
  if (!(days > 0)) throw new Error('--days: a positive number of days');
  if (!Number.isInteger(seed)) throw new Error('--seed: a whole number');
  if (!Number.isFinite(endMs) || endMs % (stepSec * 1000) !== 0) {
    throw new Error('--end: an ISO time on a 5-minute boundary');
  }
  if (!values.out) throw new Error('--out: the folder to write the artifacts to');
  return { options: { hosts, days, seed, endMs, stepSec }, out: values.out };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { options, out } = fleetOptionsOf(process.argv.slice(2));
    const startedMs = performance.now();
    const cpuAtStart = process.cpuUsage();
    const summary = await makeFleet(options, out);
    const counts = Object.fromEntries(Object.entries(summary.byStory).map(([k, v]) => [k, v.length]));
    const cpu = process.cpuUsage(cpuAtStart);
    const line = {
      manifest: summary.manifest,
      hosts: summary.hosts,
      series: summary.series,
      points: summary.points,
      stories: counts,
      seconds: (performance.now() - startedMs) / 1000,
      // On a shared machine wall time waits for the CPU; CPU time and maxRSS (KiB) do not.
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } catch (error) {
    process.stderr.write(`make-fleet: ${(error as Error).message}\n`);
    process.exitCode = 2;
  }
}

// Builds the Facts a rule judges, without a cloud: hosts from the bundled catalog, series from
// simple shapes, volumes, groups and on-host entries. Deterministic.

import { bundledCatalogs } from '../../providers/index.ts';
import { type Facts, indexSeries, type OnHostEntry } from '../../src/analysis/facts.ts';
import { classify } from '../../src/analysis/onhost/classify.ts';
import type { OnHostFacts } from '../../src/analysis/onhost/signals.ts';
import { SizingConfig } from '../../src/config/schema.ts';
import type {
  Group,
  Host,
  InstanceType,
  MetricName,
  MetricSeries,
  ProviderId,
  Unit,
  Volume,
} from '../../src/model/index.ts';

export const T0 = Date.UTC(2026, 10, 10, 0, 0, 0);

export type Shape = (index: number) => number;
export const flat =
  (value: number): Shape =>
  () =>
    value;
/** Daily cosine between base and peak (peak at 15:00 UTC) at the builder's step. */
export const diurnal =
  (base: number, peak: number, stepSec = 300): Shape =>
  (i) => {
    const hour = ((i * stepSec) / 3600) % 24;
    return base + ((peak - base) * (1 + Math.cos(((hour - 15) / 24) * 2 * Math.PI))) / 2;
  };
/** `value` for the first `count` points of every `every`, else `rest`. */
export const bursts =
  (value: number, rest: number, count: number, every: number): Shape =>
  (i) =>
    i % every < count ? value : rest;

const UNITS: Partial<Record<MetricName, Unit>> = {
  'disk.read.ops': 'ops-per-second',
  'disk.write.ops': 'ops-per-second',
  'disk.read.bytes': 'bytes-per-second',
  'disk.write.bytes': 'bytes-per-second',
  'net.in.bytes': 'bytes-per-second',
  'net.out.bytes': 'bytes-per-second',
  'disk.queue': 'count',
  'cpu.credit.balance': 'credits',
  'cpu.credit.usage': 'credits',
  'cpu.credit.surplus': 'credits',
  'group.desired': 'instances',
};

const DEFAULT_TYPES: Record<ProviderId, string> = {
  aws: 'm6i.xlarge',
  gcp: 'n2-standard-4',
  linode: 'g6-standard-2',
  ovh: 'b3-16',
};

const DEFAULT_REGIONS: Record<ProviderId, string> = {
  aws: 'us-east-1',
  gcp: 'us-central1',
  linode: 'us-east',
  ovh: 'GRA11',
};

export class FleetBuilder {
  readonly hosts: Host[] = [];
  readonly volumes: Volume[] = [];
  readonly groups: Group[] = [];
  readonly series: MetricSeries[] = [];
  readonly onHost: OnHostEntry[] = [];
  catalog: InstanceType[] = bundledCatalogs();
  sizing = SizingConfig.parse({});

  constructor(
    readonly points: number,
    readonly stepSec: number,
  ) {}

  host(
    id: string,
    options: {
      type?: string;
      name?: string;
      groupId?: string;
      region?: string;
      state?: string;
      provider?: ProviderId;
      tags?: Record<string, string>;
    } = {},
  ) {
    const provider = options.provider ?? 'aws';
    const type = options.type ?? DEFAULT_TYPES[provider];
    const spec = this.catalog.find((t) => t.provider === provider && t.name === type);
    this.hosts.push({
      provider,
      id,
      name: options.name ?? id,
      region: options.region ?? DEFAULT_REGIONS[provider],
      zone: provider === 'aws' ? 'us-east-1a' : null,
      instanceType: type,
      state: options.state ?? 'running',
      vcpu: spec?.vcpu ?? null,
      memoryMiB: spec?.memoryMiB ?? null,
      launchedAtMs: T0 - 86_400_000 * 30,
      groupId: options.groupId ?? null,
      volumeIds: [],
      tags: { Name: options.name ?? id, ...options.tags },
    });
    return this;
  }

  /**
   * CPU average and per-period maximum (max = average × 1.15, capped at 100), at the builder's
   * step or the series' own (an hourly OVH series in a 5-minute window).
   */
  cpu(hostId: string, shape: Shape, options: { stepSec?: number; points?: number } = {}) {
    this.metric(hostId, 'cpu.util', shape, 'percent', options.points, options.stepSec);
    return this.metric(
      hostId,
      'cpu.util.max',
      (i) => Math.min(100, shape(i) * 1.15),
      'percent',
      options.points,
      options.stepSec,
    );
  }

  metric(
    subjectId: string,
    metric: MetricName,
    shape: Shape,
    unit?: Unit,
    points = this.points,
    stepSec = this.stepSec,
  ) {
    const kind = this.volumes.some((v) => v.id === subjectId)
      ? 'volume'
      : this.groups.some((g) => g.id === subjectId)
        ? 'group'
        : 'host';
    this.series.push({
      subjectKind: kind,
      subjectId,
      metric,
      unit: unit ?? UNITS[metric] ?? 'percent',
      startMs: T0,
      stepSec,
      values: Float64Array.from({ length: points }, (_, i) => shape(i)),
      source: `test ${metric}`,
    });
    return this;
  }

  /** A volume attached to `hostId` (of that host's cloud), or to nothing when `hostId` is null. */
  volume(
    id: string,
    hostId: string | null,
    options: {
      type: string;
      sizeGiB: number;
      iops?: number;
      throughputMiBps?: number;
      provider?: ProviderId;
      region?: string;
      tags?: Record<string, string>;
    },
  ) {
    const host = hostId === null ? undefined : this.hosts.find((h) => h.id === hostId);
    const provider = options.provider ?? host?.provider ?? 'aws';
    this.volumes.push({
      provider,
      id,
      region: options.region ?? host?.region ?? DEFAULT_REGIONS[provider],
      zone: provider === 'aws' ? 'us-east-1a' : provider === 'gcp' ? 'us-central1-a' : null,
      type: options.type,
      sizeGiB: options.sizeGiB,
      iops: options.iops ?? null,
      throughputMiBps: options.throughputMiBps ?? null,
      attachedTo: hostId === null ? [] : [{ hostId, device: '/dev/xvdf' }],
      tags: options.tags ?? {},
    });
    host?.volumeIds.push(id);
    return this;
  }

  /** Per-volume load: IOPS split evenly read/write, MiB/s likewise. */
  volumeLoad(volumeId: string, iops: Shape, mibps: Shape) {
    this.metric(volumeId, 'disk.read.ops', (i) => iops(i) / 2);
    this.metric(volumeId, 'disk.write.ops', (i) => iops(i) / 2);
    this.metric(volumeId, 'disk.read.bytes', (i) => (mibps(i) / 2) * 1_048_576);
    return this.metric(volumeId, 'disk.write.bytes', (i) => (mibps(i) / 2) * 1_048_576);
  }

  group(
    id: string,
    memberIds: string[],
    options: { min?: number; max?: number; desired?: number; scaling?: Group['scaling'] } = {},
  ) {
    this.groups.push({
      provider: 'aws',
      id,
      name: id.split('/').pop() ?? id,
      region: 'us-east-1',
      minSize: options.min ?? memberIds.length,
      maxSize: options.max ?? memberIds.length * 2,
      desiredCapacity: options.desired ?? memberIds.length,
      memberIds,
      instanceTypes: [
        ...new Set(this.hosts.filter((h) => memberIds.includes(h.id)).map((h) => h.instanceType)),
      ],
      enabledMetrics: [],
      ...(options.scaling ? { scaling: options.scaling } : {}),
    });
    for (const host of this.hosts) if (memberIds.includes(host.id)) host.groupId = id;
    return this;
  }

  withOnHost(facts: OnHostFacts, hostId?: string) {
    const host = hostId ? (this.hosts.find((h) => h.id === hostId) ?? null) : null;
    this.onHost.push({
      subject: host
        ? { provider: host.provider, kind: 'host', id: host.id, name: host.name }
        : { provider: 'onhost', kind: 'host', id: facts.dir, name: facts.dir },
      host,
      facts,
      verdict: classify(facts),
    });
    return this;
  }

  facts(): Facts {
    return {
      window: { fromMs: T0, toMs: T0 + this.points * this.stepSec * 1000, stepSec: this.stepSec },
      hosts: this.hosts,
      volumes: this.volumes,
      groups: this.groups,
      catalog: new Map(this.catalog.map((t) => [t.name, t])),
      series: indexSeries(this.series),
      onHost: this.onHost,
      sizing: this.sizing,
      unavailable: {},
    };
  }
}

/** 14 days at 300 s by default: 4,032 points, Compute Optimizer's window. */
export function fleet(options: { days?: number; stepSec?: number } = {}) {
  const stepSec = options.stepSec ?? 300;
  return new FleetBuilder(Math.round(((options.days ?? 14) * 86_400) / stepSec), stepSec);
}

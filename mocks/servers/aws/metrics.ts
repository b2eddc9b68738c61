import type { Load } from '../../scenarios/schema.ts';
import { seriesOf } from '../../scenarios/shapes.ts';
import { ebsBurstStep, SteppedSimulation } from './bursts.ts';
import type { FleetGroup, FleetInstance, FleetVolume, RegionFleet } from './fleet.ts';
import {
  alignUp,
  type CreditSignals,
  counter,
  gauge,
  instanceCredits,
  loadSignal,
  loadUpperBound,
  type Signal,
  type VolumeIoSample,
  type VolumeSignals,
  volumeSignals,
} from './signals.ts';

// Every metric the scenario publishes, as CloudWatch would list it, with a sample function per
// publisher. Signals are defined per minute (the ground truth); a metric's samples aggregate the
// minutes of its resolution: gauges average them, counters add them up, as the service does.
// Metric names and dimensions:
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html
// https://docs.aws.amazon.com/ebs/latest/userguide/using_cloudwatch_ebs.html
// https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-metrics.html

export type StandardUnit = 'Percent' | 'Count' | 'Bytes' | 'Seconds' | 'Milliseconds' | 'None';

export interface Dimension {
  readonly Name: string;
  readonly Value: string;
}

/** The samples one publisher (an instance, a volume, a group) sends for a metric. */
export interface SampleSource {
  readonly resolutionSec: number;
  /** Time of the first sample, aligned to the resolution. */
  readonly fromSec: number;
  readonly value: (epochSec: number) => number;
}

export interface MetricSeries {
  readonly key: string;
  readonly namespace: string;
  readonly metricName: string;
  /** Sorted by name. */
  readonly dimensions: readonly Dimension[];
  readonly unit: StandardUnit;
  /** One source, or every member's for an aggregate (AWS/EC2 by AutoScalingGroupName). */
  readonly sources: readonly SampleSource[];
}

export interface MetricRegistry {
  /** Sorted by namespace, name and dimensions, the order ListMetrics pages through. */
  readonly all: readonly MetricSeries[];
  find(namespace: string, metricName: string, dimensions: readonly Dimension[]): MetricSeries | undefined;
}

const mib = 1_048_576;
const secPerDay = 86_400;

export function metricKey(namespace: string, metricName: string, dimensions: readonly Dimension[]): string {
  const dims = [...dimensions]
    .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0))
    .map((d) => `${d.Name}=${d.Value}`);
  return `${namespace}\u0000${metricName}\u0000${dims.join('\u0001')}`;
}

interface Builder {
  add(
    namespace: string,
    metricName: string,
    dimensions: Dimension[],
    unit: StandardUnit,
    source: SampleSource,
  ): void;
}

function source(resolutionSec: number, fromSec: number, value: Signal): SampleSource {
  return { resolutionSec, fromSec: alignUp(fromSec, resolutionSec), value };
}

function addVolumeMetrics(builder: Builder, volume: FleetVolume, signals: VolumeSignals): void {
  const dims = [{ Name: 'VolumeId', Value: volume.id }];
  // Nitro volumes publish 1-minute data.
  const at = (value: Signal) => source(60, volume.attachTimeSec, value);
  const ops =
    (pick: (s: VolumeIoSample) => number): Signal =>
    (t) =>
      pick(signals.delivered(t)) * 60;
  const bytes =
    (pick: (s: VolumeIoSample) => number): Signal =>
    (t) =>
      pick(signals.delivered(t)) * mib * 60;
  builder.add('AWS/EBS', 'VolumeReadOps', dims, 'Count', at(ops((s) => s.readIops)));
  builder.add('AWS/EBS', 'VolumeWriteOps', dims, 'Count', at(ops((s) => s.writeIops)));
  builder.add('AWS/EBS', 'VolumeReadBytes', dims, 'Bytes', at(bytes((s) => s.readMiBps)));
  builder.add('AWS/EBS', 'VolumeWriteBytes', dims, 'Bytes', at(bytes((s) => s.writeMiBps)));
  const readTime: Signal = (t) => signals.delivered(t).readIops * 60 * (signals.readLatencyMs(t) / 1000);
  const writeTime: Signal = (t) => signals.delivered(t).writeIops * 60 * (signals.writeLatencyMs(t) / 1000);
  builder.add('AWS/EBS', 'VolumeTotalReadTime', dims, 'Seconds', at(readTime));
  builder.add('AWS/EBS', 'VolumeTotalWriteTime', dims, 'Seconds', at(writeTime));
  builder.add(
    'AWS/EBS',
    'VolumeIdleTime',
    dims,
    'Seconds',
    at((t) => (1 - signals.busyPct(t) / 100) * 60),
  );
  builder.add('AWS/EBS', 'VolumeQueueLength', dims, 'Count', at(signals.queue));
  // Nitro-only 1-minute metrics (AWS storage blog; names UNVERIFIED in providers.md §1.1).
  const latency =
    (iops: (s: VolumeIoSample) => number, ms: Signal): Signal =>
    (t) =>
      iops(signals.delivered(t)) > 0 ? ms(t) : 0;
  builder.add(
    'AWS/EBS',
    'VolumeAvgReadLatency',
    dims,
    'Milliseconds',
    at(latency((s) => s.readIops, signals.readLatencyMs)),
  );
  builder.add(
    'AWS/EBS',
    'VolumeAvgWriteLatency',
    dims,
    'Milliseconds',
    at(latency((s) => s.writeIops, signals.writeLatencyMs)),
  );
  const iopsExceeded: Signal = (t) => {
    const want = signals.demand(t);
    return want.readIops + want.writeIops > signals.capIops(t) ? 1 : 0;
  };
  const throughputExceeded: Signal = (t) => {
    const want = signals.demand(t);
    return want.readMiBps + want.writeMiBps > volume.maxMiBps ? 1 : 0;
  };
  builder.add('AWS/EBS', 'VolumeIOPSExceededCheck', dims, 'Count', at(iopsExceeded));
  builder.add('AWS/EBS', 'VolumeThroughputExceededCheck', dims, 'Count', at(throughputExceeded));
  if (signals.burstBalancePct)
    builder.add('AWS/EBS', 'BurstBalance', dims, 'Percent', at(signals.burstBalancePct));
  if (volume.spec.type === 'io1' || volume.spec.type === 'io2') {
    const provisioned = volume.reportedIops ?? 1;
    const totalIops: Signal = (t) => {
      const s = signals.delivered(t);
      return s.readIops + s.writeIops;
    };
    builder.add(
      'AWS/EBS',
      'VolumeThroughputPercentage',
      dims,
      'Percent',
      at((t) => Math.min(100, (totalIops(t) / provisioned) * 100)),
    );
    builder.add(
      'AWS/EBS',
      'VolumeConsumedReadWriteOps',
      dims,
      'Count',
      at((t) => totalIops(t) * 60),
    );
  }
}

function addCreditMetrics(
  builder: Builder,
  instance: FleetInstance,
  dims: Dimension[],
  credits: CreditSignals,
): void {
  // Credit metrics are 5-minute only, whatever the monitoring level.
  const at = (value: Signal) => source(300, instance.launchTimeSec, value);
  builder.add(
    'AWS/EC2',
    'CPUCreditUsage',
    dims,
    'Count',
    at((t) => credits.at(t).usage),
  );
  builder.add(
    'AWS/EC2',
    'CPUCreditBalance',
    dims,
    'Count',
    at((t) => credits.at(t).balance),
  );
  builder.add(
    'AWS/EC2',
    'CPUSurplusCreditBalance',
    dims,
    'Count',
    at((t) => credits.at(t).surplus),
  );
  builder.add(
    'AWS/EC2',
    'CPUSurplusCreditsCharged',
    dims,
    'Count',
    at((t) => credits.at(t).charged),
  );
}

function addEbsBalance(
  builder: Builder,
  instance: FleetInstance,
  dims: Dimension[],
  resolutionSec: number,
  used: { iops: Signal; mbps: Signal },
  anchorSec: number,
): void {
  const type = instance.type;
  if (!type.ebsMaxBurstLimitedTo30MinPer24h) return;
  const startSec = alignUp(Math.max(anchorSec, instance.launchTimeSec), 60);
  // The most the attached volumes are ever asked for (delivered never exceeds demand).
  const most = (pick: (io: FleetVolume['spec']['io']) => number) =>
    instance.volumes.reduce((total, volume) => total + pick(volume.spec.io), 0);
  const mostIops = most((io) => loadUpperBound(io.readIops) + loadUpperBound(io.writeIops));
  const mostMBps = (most((io) => loadUpperBound(io.readMiBps) + loadUpperBound(io.writeMiBps)) * mib) / 1e6;
  const pairs: [string, number | null, number | null, Signal, number][] = [
    ['EBSIOBalance%', type.ebsBaselineIops, type.ebsMaxIops, used.iops, mostIops],
    ['EBSByteBalance%', type.ebsBaselineThroughputMBps, type.ebsMaxThroughputMBps, used.mbps, mostMBps],
  ];
  for (const [name, baseline, max, signal, mostUsed] of pairs) {
    if (baseline === null || max === null || max <= baseline) continue;
    const capacity = (max - baseline) * 1800;
    // Never used above the baseline: the bucket stays full, with no walk from the anchor.
    const sim =
      mostUsed <= baseline
        ? null
        : new SteppedSimulation(startSec, 60, capacity, (balance: number, t: number) => {
            const next = ebsBurstStep(balance, baseline, max, signal(t), 60);
            return { state: next, out: (balance / capacity) * 100 };
          });
    builder.add(
      'AWS/EC2',
      name,
      dims,
      'Percent',
      source(
        resolutionSec,
        instance.launchTimeSec,
        gauge((t) => sim?.at(t) ?? 100, resolutionSec),
      ),
    );
  }
}

function agentDimensions(instance: FleetInstance): Dimension[] {
  const mode = instance.spec.agent?.dimensions ?? 'append';
  if (mode === 'host') return [{ Name: 'host', Value: instance.privateDnsName }];
  const dims = [{ Name: 'InstanceId', Value: instance.id }];
  if (mode === 'instance-id') return dims;
  dims.push(
    { Name: 'ImageId', Value: instance.imageId },
    { Name: 'InstanceType', Value: instance.type.name },
  );
  if (instance.groupName !== undefined)
    dims.push({ Name: 'AutoScalingGroupName', Value: instance.groupName });
  return dims;
}

function addAgentMetrics(builder: Builder, instance: FleetInstance, key: string): void {
  const agent = instance.spec.agent;
  if (!agent) return;
  const dims = agentDimensions(instance);
  // totalcpu: true publishes the whole-instance figure under cpu=cpu-total.
  const cpuDims = [...dims, { Name: 'cpu', Value: 'cpu-total' }];
  const at = (load: Load) => (name: string) =>
    source(
      agent.intervalSec,
      instance.launchTimeSec,
      gauge(loadSignal(load, `${key}/agent/${name}`, 100), agent.intervalSec),
    );
  if (agent.memUsedPct)
    builder.add('CWAgent', 'mem_used_percent', dims, 'Percent', at(agent.memUsedPct)('mem'));
  if (agent.iowaitPct)
    builder.add('CWAgent', 'cpu_usage_iowait', cpuDims, 'Percent', at(agent.iowaitPct)('iowait'));
  if (agent.stealPct)
    builder.add('CWAgent', 'cpu_usage_steal', cpuDims, 'Percent', at(agent.stealPct)('steal'));
}

function addInstanceMetrics(
  builder: Builder,
  instance: FleetInstance,
  seed: string,
  anchorSec: number,
): void {
  const key = `${seed}/${instance.region}/${instance.id}`;
  const dims = [{ Name: 'InstanceId', Value: instance.id }];
  const resolutionSec = instance.spec.detailedMonitoring ? 60 : 300;
  const at = (value: Signal) => source(resolutionSec, instance.launchTimeSec, value);
  const rawCpu = loadSignal(instance.spec.cpu, `${key}/cpu`, 100);
  const credits = instanceCredits(instance, key, rawCpu, anchorSec);
  const cpu: Signal = (t) => rawCpu(t) * (credits?.at(t).cpuFactor ?? 1);
  builder.add('AWS/EC2', 'CPUUtilization', dims, 'Percent', at(gauge(cpu, resolutionSec)));
  const network = instance.spec.network;
  const netIn = loadSignal(network.inMiBps, `${key}/netIn`);
  const netOut = loadSignal(network.outMiBps, `${key}/netOut`);
  builder.add('AWS/EC2', 'NetworkIn', dims, 'Bytes', at(counter((t) => netIn(t) * mib, resolutionSec)));
  builder.add('AWS/EC2', 'NetworkOut', dims, 'Bytes', at(counter((t) => netOut(t) * mib, resolutionSec)));
  const packets = (signal: Signal) =>
    counter((t) => (signal(t) * mib) / network.avgPacketBytes, resolutionSec);
  builder.add('AWS/EC2', 'NetworkPacketsIn', dims, 'Count', at(packets(netIn)));
  builder.add('AWS/EC2', 'NetworkPacketsOut', dims, 'Count', at(packets(netOut)));
  const volumes = instance.volumes.map((volume) => volumeSignals(volume, `${key}/${volume.id}`, anchorSec));
  // Instance-level EBS metrics add up every attached volume (Nitro instances).
  const sum =
    (pick: (s: VolumeIoSample) => number): Signal =>
    (t) =>
      volumes.reduce((total, volume) => total + pick(volume.delivered(t)), 0);
  builder.add(
    'AWS/EC2',
    'EBSReadOps',
    dims,
    'Count',
    at(
      counter(
        sum((s) => s.readIops),
        resolutionSec,
      ),
    ),
  );
  builder.add(
    'AWS/EC2',
    'EBSWriteOps',
    dims,
    'Count',
    at(
      counter(
        sum((s) => s.writeIops),
        resolutionSec,
      ),
    ),
  );
  builder.add(
    'AWS/EC2',
    'EBSReadBytes',
    dims,
    'Bytes',
    at(counter((t) => sum((s) => s.readMiBps)(t) * mib, resolutionSec)),
  );
  builder.add(
    'AWS/EC2',
    'EBSWriteBytes',
    dims,
    'Bytes',
    at(counter((t) => sum((s) => s.writeMiBps)(t) * mib, resolutionSec)),
  );
  const usedIops = sum((s) => s.readIops + s.writeIops);
  const usedMBps: Signal = (t) => (sum((s) => s.readMiBps + s.writeMiBps)(t) * mib) / 1e6;
  addEbsBalance(builder, instance, dims, resolutionSec, { iops: usedIops, mbps: usedMBps }, anchorSec);
  // Status checks are 1-minute metrics; a healthy fleet reports 0.
  for (const name of ['StatusCheckFailed', 'StatusCheckFailed_Instance', 'StatusCheckFailed_System']) {
    builder.add(
      'AWS/EC2',
      name,
      dims,
      'Count',
      source(60, instance.launchTimeSec, () => 0),
    );
  }
  if (credits) addCreditMetrics(builder, instance, dims, credits);
  instance.volumes.forEach((volume, index) => {
    const signals = volumes[index];
    if (signals) addVolumeMetrics(builder, volume, signals);
  });
  addAgentMetrics(builder, instance, key);
}

function groupCapacity(group: FleetGroup, seed: string, region: string): Signal {
  const { minSize, maxSize, desiredCapacity, capacity } = group.spec;
  if (capacity === undefined) return () => desiredCapacity;
  const shape = seriesOf(capacity, `${seed}/${region}/asg/${group.name}/capacity`);
  return (t) => Math.min(maxSize, Math.max(minSize, Math.round(shape(t))));
}

function addGroupMetrics(builder: Builder, group: FleetGroup, seed: string, region: string): void {
  const dims = [{ Name: 'AutoScalingGroupName', Value: group.name }];
  const capacity = groupCapacity(group, seed, region);
  const values: Record<string, Signal> = {
    GroupMinSize: () => group.spec.minSize,
    GroupMaxSize: () => group.spec.maxSize,
    GroupDesiredCapacity: capacity,
    GroupInServiceInstances: capacity,
    GroupTotalInstances: capacity,
    GroupInServiceCapacity: capacity,
    GroupTotalCapacity: capacity,
  };
  for (const name of group.enabledMetrics) {
    // Group metrics have the granularity 1Minute only (API_EnableMetricsCollection).
    builder.add(
      'AWS/AutoScaling',
      name,
      dims,
      'None',
      source(60, group.createdTimeSec, values[name] ?? (() => 0)),
    );
  }
}

/** AWS/EC2 metrics aggregated over the members of each group (AutoScalingGroupName dimension). */
function addGroupAggregates(series: MetricSeries[], fleet: RegionFleet, builder: Builder): void {
  for (const group of fleet.groups) {
    const members = new Set(group.memberIds);
    const byName = new Map<string, { unit: StandardUnit; sources: SampleSource[] }>();
    for (const metric of series) {
      const instanceId = metric.dimensions.length === 1 ? metric.dimensions[0] : undefined;
      if (
        metric.namespace !== 'AWS/EC2' ||
        instanceId?.Name !== 'InstanceId' ||
        !members.has(instanceId.Value)
      )
        continue;
      const entry = byName.get(metric.metricName) ?? { unit: metric.unit, sources: [] };
      entry.sources.push(...metric.sources);
      byName.set(metric.metricName, entry);
    }
    for (const [name, entry] of byName) {
      for (const member of entry.sources)
        builder.add(
          'AWS/EC2',
          name,
          [{ Name: 'AutoScalingGroupName', Value: group.name }],
          entry.unit,
          member,
        );
    }
  }
}

function compareSeries(a: MetricSeries, b: MetricSeries): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Every metric of a region. `anchorSec` starts the credit simulations (see bursts.ts); the same
 * scenario, seed and anchor give the same numbers in every process.
 */
export function buildMetricRegistry(fleet: RegionFleet, seed: string, anchorSec: number): MetricRegistry {
  const byKey = new Map<string, MetricSeries>();
  const builder: Builder = {
    add(namespace, metricName, dimensions, unit, sampleSource) {
      const sorted = [...dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
      const key = metricKey(namespace, metricName, sorted);
      const existing = byKey.get(key);
      const sources = existing ? [...existing.sources, sampleSource] : [sampleSource];
      byKey.set(key, { key, namespace, metricName, dimensions: sorted, unit, sources });
    },
  };
  for (const instance of fleet.instances) {
    if (instance.state === 'running') addInstanceMetrics(builder, instance, seed, anchorSec);
  }
  addGroupAggregates([...byKey.values()], fleet, builder);
  for (const group of fleet.groups) addGroupMetrics(builder, group, seed, fleet.region);
  const all = [...byKey.values()].sort(compareSeries);
  return {
    all,
    find: (namespace, metricName, dimensions) => byKey.get(metricKey(namespace, metricName, dimensions)),
  };
}

/** Anchor of the simulations: 92 days before the start of the mock's first day (covers 63-day 5-minute retention). */
export function simulationAnchorSec(nowSec: number): number {
  return Math.floor(nowSec / secPerDay) * secPerDay - 92 * secPerDay;
}

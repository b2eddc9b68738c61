import {
  type GroupMetricName,
  groupMetricNames,
  type InstanceState,
  resolveTimeSec,
  type Scenario,
  type ScenarioDetachedVolume,
  type ScenarioGroup,
  type ScenarioInstance,
  type ScenarioVolume,
} from '../../scenarios/schema.ts';
import { hashKey } from '../../scenarios/shapes.ts';
import type { CatalogInstanceType } from './catalog.ts';

// The scenario resolved for one region: ids, derived defaults (AMI, IP, volume limits) and
// relative times fixed against the mock's clock at start.

export interface FleetVolume {
  readonly id: string;
  readonly instanceId: string;
  readonly az: string;
  readonly device: string;
  readonly spec: ScenarioVolume;
  /** What DescribeVolumes reports: provisioned, or the gp2 size-based baseline; absent for HDD. */
  readonly reportedIops: number | undefined;
  readonly reportedThroughputMiBps: number | undefined;
  /** The ceilings delivered I/O is capped at (gp2: the 3,000 IOPS burst while credits last). */
  readonly maxIops: number;
  readonly maxMiBps: number;
  readonly attachTimeSec: number;
}

export interface FleetInstance {
  readonly id: string;
  readonly spec: ScenarioInstance;
  readonly type: CatalogInstanceType;
  readonly region: string;
  readonly state: InstanceState;
  readonly launchTimeSec: number;
  readonly imageId: string;
  readonly privateIp: string;
  readonly privateDnsName: string;
  readonly reservationId: string;
  readonly groupName: string | undefined;
  /** Every tag EC2 would show, Name and aws:autoscaling:groupName included. */
  readonly tags: Readonly<Record<string, string>>;
  readonly volumes: readonly FleetVolume[];
}

export interface FleetGroup {
  readonly name: string;
  readonly spec: ScenarioGroup;
  readonly arn: string;
  readonly memberIds: readonly string[];
  readonly azs: readonly string[];
  readonly createdTimeSec: number;
  readonly enabledMetrics: readonly GroupMetricName[];
}

/** A volume attached to nothing: DescribeVolumes lists it as `available`; it publishes no metrics. */
export interface FleetDetachedVolume {
  readonly id: string;
  readonly spec: ScenarioDetachedVolume;
  readonly reportedIops: number | undefined;
  readonly reportedThroughputMiBps: number | undefined;
  readonly createTimeSec: number;
}

export interface RegionFleet {
  readonly region: string;
  readonly accountId: string;
  readonly instances: readonly FleetInstance[];
  readonly volumes: readonly FleetVolume[];
  readonly detachedVolumes: readonly FleetDetachedVolume[];
  readonly groups: readonly FleetGroup[];
  readonly instanceById: ReadonlyMap<string, FleetInstance>;
}

/** EC2 state codes (API_InstanceState: the low byte). */
export const instanceStateCode: Record<InstanceState, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

function hexOf(key: string, length: number): string {
  let out = '';
  for (let lane = 0; out.length < length; lane += 1)
    out += hashKey(`${key}#${lane}`).toString(16).padStart(8, '0');
  return out.slice(0, length);
}

function derivedPrivateIp(id: string): string {
  const hash = hashKey(id);
  return `10.0.${(hash >>> 8) & 0xff}.${Math.max(4, hash & 0xff)}`;
}

/** us-east-1 uses ec2.internal; every other region <region>.compute.internal. */
function privateDnsName(ip: string, region: string): string {
  const domain = region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
  return `ip-${ip.replaceAll('.', '-')}.${domain}`;
}

interface VolumeLimits {
  reportedIops: number | undefined;
  reportedThroughputMiBps: number | undefined;
  maxIops: number;
  maxMiBps: number;
}

// Volume ceilings from the bundled EBS catalog (providers/aws/data/aws-ebs-volume-types.json,
// https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html).
export function volumeLimits(
  spec: Pick<ScenarioVolume, 'type' | 'sizeGiB' | 'iops' | 'throughputMiBps'>,
): VolumeLimits {
  const sizeTiB = spec.sizeGiB / 1024;
  switch (spec.type) {
    case 'gp2': {
      const baseline = Math.min(16_000, Math.max(100, 3 * spec.sizeGiB));
      const maxMiBps = spec.sizeGiB <= 170 ? 128 : 250;
      return {
        reportedIops: baseline,
        reportedThroughputMiBps: undefined,
        maxIops: Math.max(baseline, 3000),
        maxMiBps,
      };
    }
    case 'gp3': {
      const iops = spec.iops ?? 3000;
      const throughput = spec.throughputMiBps ?? 125;
      return { reportedIops: iops, reportedThroughputMiBps: throughput, maxIops: iops, maxMiBps: throughput };
    }
    case 'io1': {
      const iops = spec.iops ?? 100;
      const maxMiBps = iops <= 32_000 ? Math.min(500, iops * 0.25) : Math.min(1000, iops / 64);
      return { reportedIops: iops, reportedThroughputMiBps: undefined, maxIops: iops, maxMiBps };
    }
    case 'io2': {
      const iops = spec.iops ?? 100;
      return {
        reportedIops: iops,
        reportedThroughputMiBps: undefined,
        maxIops: iops,
        maxMiBps: Math.min(4000, iops * 0.256),
      };
    }
    case 'st1':
      return {
        reportedIops: undefined,
        reportedThroughputMiBps: undefined,
        maxIops: 500,
        maxMiBps: Math.min(500, 250 * sizeTiB),
      };
    case 'sc1':
      return {
        reportedIops: undefined,
        reportedThroughputMiBps: undefined,
        maxIops: 250,
        maxMiBps: Math.min(250, 80 * sizeTiB),
      };
    case 'standard':
      // Magnetic: about 100 IOPS on average, bursts to hundreds (previous-generation volumes page).
      return { reportedIops: undefined, reportedThroughputMiBps: undefined, maxIops: 200, maxMiBps: 90 };
  }
}

function buildVolume(spec: ScenarioVolume, instance: ScenarioInstance, launchTimeSec: number): FleetVolume {
  return {
    id: spec.id,
    instanceId: instance.id,
    az: instance.az,
    device: spec.device,
    spec,
    ...volumeLimits(spec),
    attachTimeSec: launchTimeSec,
  };
}

function instanceTags(spec: ScenarioInstance, groupName: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  if (spec.name !== undefined) tags.Name = spec.name;
  if (groupName !== undefined) tags['aws:autoscaling:groupName'] = groupName;
  return { ...tags, ...spec.tags };
}

function buildInstance(
  spec: ScenarioInstance,
  region: string,
  nowSec: number,
  catalog: ReadonlyMap<string, CatalogInstanceType>,
  groupName: string | undefined,
): FleetInstance {
  const type = catalog.get(spec.type);
  if (!type) throw new Error(`instance ${spec.id}: type ${spec.type} is not in the bundled catalog`);
  const launchTimeSec = resolveTimeSec(spec.launchTime, nowSec);
  const privateIp = spec.privateIp ?? derivedPrivateIp(spec.id);
  return {
    id: spec.id,
    spec,
    type,
    region,
    state: spec.state,
    launchTimeSec,
    imageId: spec.imageId ?? `ami-0${hexOf(`ami/${spec.type}`, 16)}`,
    privateIp,
    privateDnsName: privateDnsName(privateIp, region),
    reservationId: `r-0${hexOf(`reservation/${spec.id}`, 16)}`,
    groupName,
    tags: instanceTags(spec, groupName),
    volumes: spec.volumes.map((volume) => buildVolume(volume, spec, launchTimeSec)),
  };
}

function memberIdsOf(group: ScenarioGroup, instances: readonly ScenarioInstance[]): string[] {
  if (group.instanceIds) return [...group.instanceIds];
  return instances.filter((instance) => instance.group === group.name).map((instance) => instance.id);
}

function buildGroup(
  spec: ScenarioGroup,
  members: readonly FleetInstance[],
  region: string,
  accountId: string,
  nowSec: number,
): FleetGroup {
  const uuid = hexOf(`asg/${region}/${spec.name}`, 32).replace(
    /^(.{8})(.{4})(.{4})(.{4})(.{12})$/,
    '$1-$2-$3-$4-$5',
  );
  return {
    name: spec.name,
    spec,
    arn: `arn:aws:autoscaling:${region}:${accountId}:autoScalingGroup:${uuid}:autoScalingGroupName/${spec.name}`,
    memberIds: members.map((member) => member.id),
    azs: [...new Set(members.map((member) => member.spec.az))].sort(),
    createdTimeSec: resolveTimeSec(spec.createdTime, nowSec),
    enabledMetrics: spec.enabledMetrics === 'all' ? [...groupMetricNames] : spec.enabledMetrics,
  };
}

/** The fleet of one region; a region the scenario does not name is an empty fleet, as in AWS. */
export function buildRegionFleet(
  scenario: Scenario,
  region: string,
  nowSec: number,
  catalog: ReadonlyMap<string, CatalogInstanceType>,
): RegionFleet {
  const spec = scenario.aws.regions[region] ?? { instances: [], autoScalingGroups: [], volumes: [] };
  const groupOf = new Map<string, string>();
  for (const group of spec.autoScalingGroups) {
    for (const id of memberIdsOf(group, spec.instances)) groupOf.set(id, group.name);
  }
  const instances = spec.instances.map((instance) =>
    buildInstance(instance, region, nowSec, catalog, groupOf.get(instance.id)),
  );
  const instanceById = new Map(instances.map((instance) => [instance.id, instance]));
  const groups = spec.autoScalingGroups.map((group) => {
    const members = memberIdsOf(group, spec.instances).flatMap((id) => instanceById.get(id) ?? []);
    return buildGroup(group, members, region, scenario.aws.accountId, nowSec);
  });
  return {
    region,
    accountId: scenario.aws.accountId,
    instances,
    volumes: instances.flatMap((instance) => instance.volumes),
    detachedVolumes: spec.volumes.map((volume) => {
      const { reportedIops, reportedThroughputMiBps } = volumeLimits(volume);
      return {
        id: volume.id,
        spec: volume,
        reportedIops,
        reportedThroughputMiBps,
        createTimeSec: resolveTimeSec(volume.createdAt, nowSec),
      };
    }),
    groups,
    instanceById,
  };
}

// Inventory per region: DescribeInstances, DescribeVolumes, DescribeAutoScalingGroups (and the kept
// groups' scaling policies, policies.ts), each paged
// at its largest page size (../shared/reference/providers.md §1.2), each page through call().
// Stopped instances and volumes attached to nothing are listed too: they are still billed.
import type { Filter } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import type { AwsConfig } from '../../src/config/schema.ts';
import { ProviderError } from '../../src/errors.ts';
import type { Gap, Group, Host, Volume } from '../../src/model/index.ts';
import { LooseArray } from '../../src/model/zod-utils.ts';
import { operationLabel } from '../../src/net/call.ts';
import { followPages, maxPagesOf, type Page } from '../../src/net/pages.ts';
import { mergeInventories } from '../collected.ts';
import { gapOf } from '../gaps.ts';
import type { Collected, Inventory, ProviderContext } from '../types.ts';
import type { AwsClientFactory } from './clients.ts';
import { withScalingPolicies } from './policies.ts';
import { AutoScalingGroup, Ec2Instance, Ec2Volume } from './schema.ts';

// DescribeInstances MaxResults 5-1000; DescribeVolumes 5-500 (API reference); MaxRecords ≤ 100.
export const PAGE_SIZE = { instances: 1000, volumes: 500, groups: 100 } as const;
/**
 * The most items a region's listing can hold, which bounds its pages. Auto Scaling documents a
 * quota of 500 groups per region (adjustable; 10× is allowed here):
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-quotas.html. EC2 and EBS
 * document no count, only vCPU and storage quotas; 100,000 instances and 500,000 volumes in one
 * region is an assumption above any account we know of.
 */
export const MAX_ITEMS = { instances: 100_000, volumes: 500_000, groups: 5_000 } as const;
const GROUP_TAG = 'aws:autoscaling:groupName';
/** Every state but the gone ones: stopped instances still bill their volumes and Elastic IPs. */
export const LISTED_STATES = ['pending', 'running', 'stopping', 'stopped'];

export async function listInventory(
  ctx: ProviderContext<AwsConfig>,
  clients: AwsClientFactory,
): Promise<Collected<Inventory>> {
  const perRegion = await Promise.all(ctx.config.regions.map((region) => listRegion(ctx, clients, region)));
  return mergeInventories(perRegion);
}

async function listRegion(
  ctx: ProviderContext<AwsConfig>,
  clients: AwsClientFactory,
  region: string,
): Promise<Collected<Inventory>> {
  const gaps: Gap[] = [];
  const empty = { hosts: [], volumes: [], groups: [] };
  // The SDK loads with the first AWS call, never on a run without AWS (issue 12).
  const [{ DescribeInstancesCommand, DescribeVolumesCommand }, { DescribeAutoScalingGroupsCommand }] =
    await Promise.all([import('@aws-sdk/client-ec2'), import('@aws-sdk/client-auto-scaling')]);
  const { ec2, autoscaling, cloudwatch } = clients.forRegion(region);

  let instances: Ec2Instance[];
  try {
    instances = await pages(ctx, region, 'ec2.DescribeInstances', 'instances', async (token, signal) => {
      const out = await ec2.send(
        new DescribeInstancesCommand({
          Filters: instanceFilters(ctx.config),
          MaxResults: PAGE_SIZE.instances,
          NextToken: token,
        }),
        { abortSignal: signal },
      );
      // NOTE: EC2 answers an empty region with <reservationSet/>; no set at all is not EC2's answer.
      const reservations = listField(out.Reservations, 'ec2.DescribeInstances', region, 'reservationSet');
      const items = reservations.flatMap((reservation) => reservation.Instances ?? []);
      return { items: parseList(ctx, Ec2Instance, items, 'instances'), next: out.NextToken };
    });
  } catch (error) {
    ctx.scope(region, error);
    return { value: empty, gaps: [toGap(error, `instances in ${region}`, region)] };
  }
  ctx.scope(region);
  ctx.observe('instances', region, instances.length);

  const [volumes, groups] = await Promise.all([
    pages(ctx, region, 'ec2.DescribeVolumes', 'volumes', async (token, signal) => {
      const out = await ec2.send(
        new DescribeVolumesCommand({ MaxResults: PAGE_SIZE.volumes, NextToken: token }),
        { abortSignal: signal },
      );
      const list = listField(out.Volumes, 'ec2.DescribeVolumes', region, 'volumeSet');
      return { items: parseList(ctx, Ec2Volume, list, 'volumes'), next: out.NextToken };
    }).catch((error: unknown) => {
      gaps.push(toGap(error, `volumes in ${region}`, region));
      return undefined;
    }),
    pages(ctx, region, 'autoscaling.DescribeAutoScalingGroups', 'groups', async (token, signal) => {
      const out = await autoscaling.send(
        new DescribeAutoScalingGroupsCommand({ MaxRecords: PAGE_SIZE.groups, NextToken: token }),
        { abortSignal: signal },
      );
      const list = listField(
        out.AutoScalingGroups,
        'autoscaling.DescribeAutoScalingGroups',
        region,
        'AutoScalingGroups',
      );
      return { items: parseList(ctx, AutoScalingGroup, list, 'groups'), next: out.NextToken };
    }).catch((error: unknown) => {
      gaps.push(toGap(error, `Auto Scaling groups in ${region}`, region));
      return undefined;
    }),
  ]);
  if (volumes) ctx.observe('volumes', region, volumes.length);
  if (groups) ctx.observe('groups', region, groups.length);

  const hosts = instances.map((instance) => toHost(instance, region));
  const hostIds = new Set(hosts.map((host) => host.id));
  const keptGroups = (groups ?? [])
    .map((group) => toGroup(group, region))
    .filter((g) => g.memberIds.some((id) => hostIds.has(id)));
  for (const group of keptGroups) {
    for (const host of hosts) if (group.memberIds.includes(host.id)) host.groupId = group.id;
  }
  // What the kept groups scale on (DescribePolicies, and DescribeAlarms for step policies).
  const scaled = await withScalingPolicies(ctx, { autoscaling, cloudwatch }, region, keptGroups);
  gaps.push(...scaled.gaps);
  const keptVolumes = (volumes ?? [])
    .map((volume) => toVolume(volume, region))
    .filter((volume) =>
      volume.attachedTo.length === 0
        ? carriesTags(volume.tags, ctx.config.tags)
        : volume.attachedTo.some((a) => hostIds.has(a.hostId)),
    );
  return { value: { hosts, volumes: keptVolumes, groups: scaled.groups }, gaps };
}

function instanceFilters(config: AwsConfig): Filter[] {
  return [
    { Name: 'instance-state-name', Values: LISTED_STATES },
    ...Object.entries(config.tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
  ];
}

/** A volume attached to nothing belongs to the audit when it carries the configured tags too. */
function carriesTags(tags: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => tags[key] === value);
}

/** The list of a 200 answer; absent means the body was not this call's answer (a proxy page, a new shape). */
function listField<T>(list: T[] | undefined, operation: string, region: string, element: string): T[] {
  if (Array.isArray(list)) return list;
  throw new ProviderError(
    'aws',
    'bad-response',
    operationLabel({ operation, region }),
    `answered 200 without a ${element}: not a ${operation.split('.')[1]} response`,
  );
}

/** Follows NextToken to the end, one call() per page, at most the pages the listing can hold. */
async function pages<T>(
  ctx: ProviderContext<AwsConfig>,
  region: string,
  operation: string,
  what: keyof typeof MAX_ITEMS,
  fetchPage: (token: string | undefined, signal: AbortSignal) => Promise<Page<T>>,
): Promise<T[]> {
  const bucket = operation.split('.')[0]!;
  const bound = maxPagesOf({ pageSize: PAGE_SIZE[what], maxItems: MAX_ITEMS[what] });
  return followPages('aws', operationLabel({ operation, region }), bound, (token) =>
    ctx.call({ bucket, operation, region }, (signal) => fetchPage(token, signal)),
  );
}

export function parseList<S extends z.ZodType>(
  ctx: Pick<ProviderContext<unknown>, 'log'>,
  schema: S,
  items: unknown[],
  what: string,
): z.output<S>[] {
  return LooseArray(schema, (dropped) =>
    ctx.log.warn({ provider: 'aws', what, dropped }, 'dropped list entries that did not parse'),
  ).parse(items);
}

export function toHost(instance: Ec2Instance, region: string): Host {
  return {
    provider: 'aws',
    id: instance.InstanceId,
    name: instance.Tags.Name || instance.InstanceId,
    region,
    zone: instance.Placement.AvailabilityZone ?? null,
    instanceType: instance.InstanceType,
    state: instance.State.Name ?? 'unknown',
    vcpu: null,
    memoryMiB: null,
    launchedAtMs: instance.LaunchTime ?? null,
    groupId: instance.Tags[GROUP_TAG] ? `${region}/${instance.Tags[GROUP_TAG]}` : null,
    volumeIds: instance.BlockDeviceMappings.flatMap((m) => (m.Ebs ? [m.Ebs.VolumeId] : [])),
    tags: instance.Tags,
    privateIp: instance.PrivateIpAddress ?? null,
  };
}

export function toVolume(volume: Ec2Volume, region: string): Volume {
  return {
    provider: 'aws',
    id: volume.VolumeId,
    region,
    zone: volume.AvailabilityZone ?? null,
    type: volume.VolumeType,
    sizeGiB: volume.Size,
    iops: volume.Iops ?? null,
    throughputMiBps: volume.Throughput ?? null,
    attachedTo: volume.Attachments.flatMap((a) =>
      a.InstanceId ? [{ hostId: a.InstanceId, device: a.Device ?? null }] : [],
    ),
    tags: volume.Tags,
  };
}

export function toGroup(group: AutoScalingGroup, region: string): Group {
  return {
    provider: 'aws',
    id: `${region}/${group.AutoScalingGroupName}`,
    name: group.AutoScalingGroupName,
    region,
    minSize: group.MinSize,
    maxSize: group.MaxSize,
    desiredCapacity: group.DesiredCapacity,
    memberIds: group.Instances.map((i) => i.InstanceId),
    instanceTypes: [...new Set(group.Instances.flatMap((i) => (i.InstanceType ? [i.InstanceType] : [])))],
    enabledMetrics: group.EnabledMetrics.flatMap((m) => (m.Metric ? [m.Metric] : [])),
  };
}

export function toGap(error: unknown, what: string, region?: string): Gap {
  return gapOf('aws', error, what, region);
}

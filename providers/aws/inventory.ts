// Inventory per region: DescribeInstances, DescribeVolumes, DescribeAutoScalingGroups, each paged
// at its largest page size (../shared/reference/providers.md §1.2), each page through call().
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, DescribeVolumesCommand, type Filter } from '@aws-sdk/client-ec2';
import type { z } from 'zod';
import type { AwsConfig } from '../../src/config/schema.ts';
import { ProviderError } from '../../src/errors.ts';
import type { Gap, Group, Host, Volume } from '../../src/model/index.ts';
import { LooseArray } from '../../src/model/zod-utils.ts';
import { mergeInventories } from '../collected.ts';
import type { Collected, Inventory, ProviderContext } from '../types.ts';
import type { AwsClientFactory } from './clients.ts';
import { AutoScalingGroup, Ec2Instance, Ec2Volume } from './schema.ts';

// DescribeInstances MaxResults 5-1000; DescribeVolumes 5-500 (API reference); MaxRecords ≤ 100.
export const PAGE_SIZE = { instances: 1000, volumes: 500, groups: 100 } as const;
const GROUP_TAG = 'aws:autoscaling:groupName';

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
  const { ec2, autoscaling } = clients.forRegion(region);

  let instances: Ec2Instance[];
  try {
    instances = await pages(ctx, region, 'ec2.DescribeInstances', async (token, signal) => {
      const out = await ec2.send(
        new DescribeInstancesCommand({
          Filters: instanceFilters(ctx.config),
          MaxResults: PAGE_SIZE.instances,
          NextToken: token,
        }),
        { abortSignal: signal },
      );
      const items = (out.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []);
      return { items: parseList(ctx, Ec2Instance, items, 'instances'), next: out.NextToken };
    });
  } catch (error) {
    return { value: empty, gaps: [toGap(error, `instances in ${region}`)] };
  }
  ctx.observe('instances', region, instances.length);

  const [volumes, groups] = await Promise.all([
    pages(ctx, region, 'ec2.DescribeVolumes', async (token, signal) => {
      const out = await ec2.send(
        new DescribeVolumesCommand({ MaxResults: PAGE_SIZE.volumes, NextToken: token }),
        {
          abortSignal: signal,
        },
      );
      return { items: parseList(ctx, Ec2Volume, out.Volumes ?? [], 'volumes'), next: out.NextToken };
    }).catch((error: unknown) => {
      gaps.push(toGap(error, `volumes in ${region}`));
      return undefined;
    }),
    pages(ctx, region, 'autoscaling.DescribeAutoScalingGroups', async (token, signal) => {
      const out = await autoscaling.send(
        new DescribeAutoScalingGroupsCommand({ MaxRecords: PAGE_SIZE.groups, NextToken: token }),
        { abortSignal: signal },
      );
      return {
        items: parseList(ctx, AutoScalingGroup, out.AutoScalingGroups ?? [], 'groups'),
        next: out.NextToken,
      };
    }).catch((error: unknown) => {
      gaps.push(toGap(error, `Auto Scaling groups in ${region}`));
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
  const keptVolumes = (volumes ?? [])
    .map((volume) => toVolume(volume, region))
    .filter((volume) => volume.attachedTo.some((a) => hostIds.has(a.hostId)));
  return { value: { hosts, volumes: keptVolumes, groups: keptGroups }, gaps };
}

function instanceFilters(config: AwsConfig): Filter[] {
  const states = config.includeStopped ? ['running', 'stopped'] : ['running'];
  return [
    { Name: 'instance-state-name', Values: states },
    ...Object.entries(config.tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
  ];
}

/** Follows NextToken to the end, one call() per page. */
async function pages<T>(
  ctx: ProviderContext<AwsConfig>,
  region: string,
  operation: string,
  fetchPage: (
    token: string | undefined,
    signal: AbortSignal,
  ) => Promise<{ items: T[]; next: string | undefined }>,
): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const page = await ctx.call({ bucket: operation.split('.')[0]!, operation, region }, (signal) =>
      fetchPage(token, signal),
    );
    all.push(...page.items);
    token = page.next || undefined;
  } while (token);
  return all;
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

export function toGap(error: unknown, what: string): Gap {
  if (!(error instanceof ProviderError)) throw error;
  return {
    provider: 'aws',
    what,
    kind: error.kind === 'config' ? 'bad-response' : error.kind,
    message: error.describe(),
  };
}

// Inventory per project: instances, persistent disks, managed instance groups and autoscalers, each through its
// aggregatedList (every zone and region in one listing), paged at 500 (the maximum `maxResults`,
// compute.v1 discovery document), one call() per page (providers.md §2.2). Stopped VMs and disks
// attached to nothing are listed too: their disks and addresses are still billed.
import type { z } from 'zod';
import type { GcpConfig } from '../../src/config/schema.ts';
import { ProviderError } from '../../src/errors.ts';
import type { Gap, Group, Host, Volume } from '../../src/model/index.ts';
import { LooseArray } from '../../src/model/zod-utils.ts';
import { operationLabel } from '../../src/net/call.ts';
import { followPages, maxPagesOf } from '../../src/net/pages.ts';
import { mergeInventories } from '../collected.ts';
import { gapOf } from '../gaps.ts';
import type { Collected, Inventory, ProviderContext } from '../types.ts';
import { scalingOf } from './autoscaling.ts';
import { abortable, CALL_OPTIONS } from './client-settings.ts';
import type { GcpClients } from './clients.ts';
import { Autoscaler, GceDisk, GceInstance, InstanceGroupManager } from './schema.ts';

export const PAGE_SIZE = 500;
/**
 * The most resources one aggregated listing can hold, which bounds its pages: Compute documents
 * 15,000 VM instances per VPC network (https://cloud.google.com/vpc/docs/quota) and 5 networks per
 * project by default (adjustable), so 100,000 covers a project with room to spare; disks, groups
 * and autoscalers are fewer than that.
 */
export const MAX_PER_LISTING = 100_000;
const CREATED_BY = 'created-by';
/** An aggregated listing's keys are scopes: `zones/us-central1-a`, `regions/us-central1`, `global`. */
const SCOPE_KEY = /^((zones|regions)\/[a-z0-9-]+|global)$/;

/** The generated clients expose each page call as `innerApiCalls[method]`; the *Async iterators hide pages. */
interface PagedClient {
  initialize(): Promise<unknown>;
  innerApiCalls: Record<string, unknown>;
}
type PageCall = (
  request: object,
  options: object,
) => Promise<[unknown, { pageToken?: string } | null, unknown]>;

export interface AggregatedPage {
  /** Entries of every scope (`zones/us-central1-a`, `regions/us-central1`) with the scope they came from. */
  items: { scope: string; item: unknown }[];
  unreachables: string[];
}

/** Follows nextPageToken to the end, one call() per page, at most the pages the listing can hold. */
export async function aggregatedList(
  ctx: ProviderContext<GcpConfig>,
  client: PagedClient,
  project: string,
  operation: string,
  field: string,
  extra: Record<string, unknown> = {},
): Promise<AggregatedPage> {
  await client.initialize();
  const fetchPage = client.innerApiCalls.aggregatedList as PageCall;
  const label = operationLabel({ operation, region: project });
  const all: AggregatedPage = { items: [], unreachables: [] };
  const maxPages = maxPagesOf({ pageSize: PAGE_SIZE, maxItems: MAX_PER_LISTING });
  await followPages('gcp', label, maxPages, async (pageToken) => {
    const request = {
      project,
      maxResults: PAGE_SIZE,
      returnPartialSuccess: true,
      ...extra,
      ...(pageToken ? { pageToken } : {}),
    };
    const [scopes, next, raw] = await ctx.call({ bucket: 'compute', operation, region: project }, (signal) =>
      abortable(fetchPage(request, CALL_OPTIONS), signal),
    );
    const byScope = (scopes ?? {}) as Record<string, Record<string, unknown>>;
    const odd = Object.keys(byScope).find((key) => !SCOPE_KEY.test(key));
    if (odd !== undefined || typeof byScope !== 'object') {
      throw new ProviderError(
        'gcp',
        'bad-response',
        label,
        `answered 200 with items keyed "${String(odd).slice(0, 40)}", not by zone or region: not an aggregated list`,
      );
    }
    for (const [scope, list] of Object.entries(byScope)) {
      const entries = list?.[field];
      if (Array.isArray(entries)) for (const item of entries) all.items.push({ scope, item });
    }
    const unreachable = (raw as { unreachables?: unknown } | undefined)?.unreachables;
    if (Array.isArray(unreachable)) all.unreachables.push(...unreachable.map(String));
    return { items: [], next: next?.pageToken };
  });
  return all;
}

export async function listInventory(
  ctx: ProviderContext<GcpConfig>,
  clients: GcpClients,
): Promise<Collected<Inventory>> {
  const perProject = await Promise.all(ctx.config.projects.map((p) => listProject(ctx, clients, p)));
  return mergeInventories(perProject);
}

async function listProject(
  ctx: ProviderContext<GcpConfig>,
  clients: GcpClients,
  project: string,
): Promise<Collected<Inventory>> {
  const gaps: Gap[] = [];
  let listed: AggregatedPage;
  try {
    listed = await aggregatedList(
      ctx,
      clients.instances,
      project,
      'compute.instances.aggregatedList',
      'instances',
      filterOf(instanceFilter(ctx.config)),
    );
  } catch (error) {
    ctx.scope(project, error);
    return {
      value: { hosts: [], volumes: [], groups: [] },
      gaps: [toGap(error, `instances in ${project}`, project)],
    };
  }
  ctx.observe('instances', project, listed.items.length);
  if (listed.unreachables.length > 0) {
    const reason = `these scopes did not answer: ${listed.unreachables.join(', ')}`;
    ctx.scope(project, new ProviderError('gcp', 'unavailable', 'compute.instances.aggregatedList', reason));
    gaps.push({
      provider: 'gcp',
      what: `instances in ${project}`,
      kind: 'unavailable',
      operation: 'compute.instances.aggregatedList',
      scope: project,
      message: `gcp compute.instances.aggregatedList (${project}): unavailable: ${reason}`,
    });
  } else ctx.scope(project);
  const instances = parseList(
    ctx,
    GceInstance,
    listed.items.map((entry) => ({ ...(entry.item as object), zone: zoneOf(entry) })),
    'instances',
  );

  const [managers, autoscalers, disks] = await Promise.all([
    aggregatedList(
      ctx,
      clients.groupManagers,
      project,
      'compute.instanceGroupManagers.aggregatedList',
      'instanceGroupManagers',
    ).catch((error: unknown) => {
      gaps.push(toGap(error, `managed instance groups in ${project}`, project));
      return undefined;
    }),
    aggregatedList(
      ctx,
      clients.autoscalers,
      project,
      'compute.autoscalers.aggregatedList',
      'autoscalers',
    ).catch((error: unknown) => {
      gaps.push(toGap(error, `autoscalers in ${project}`, project));
      return undefined;
    }),
    aggregatedList(ctx, clients.disks, project, 'compute.disks.aggregatedList', 'disks').catch(
      (error: unknown) => {
        gaps.push(
          toGap(error, `persistent disks in ${project} (volumes listed without their type)`, project),
        );
        return undefined;
      },
    ),
  ]);
  if (managers) ctx.observe('groups', project, managers.items.length);
  if (autoscalers) ctx.observe('autoscalers', project, autoscalers.items.length);
  if (disks) ctx.observe('disks', project, disks.items.length);

  const hosts = instances.map((instance) => toHost(instance, project));
  const listedDisks = parseList(
    ctx,
    GceDisk,
    (disks?.items ?? []).map((e) => e.item),
    'disks',
  );
  const diskBySource = new Map(listedDisks.map((d) => [sourceKey(d.selfLink), d]));
  const volumes = [
    ...instances.flatMap((instance) => toVolumes(instance, project, diskBySource)),
    ...listedDisks
      .filter((disk) => disk.users.length === 0 && carriesLabels(disk.labels, ctx.config.labels))
      .map((disk) => detachedVolume(disk, project)),
  ];
  const scalers = parseList(
    ctx,
    Autoscaler,
    (autoscalers?.items ?? []).map((e) => e.item),
    'autoscalers',
  );
  const groups = parseList(
    ctx,
    InstanceGroupManager,
    (managers?.items ?? []).map((e) => ({ ...(e.item as object), ...scopeFields(e.scope) })),
    'instance group managers',
  ).map((manager) => toGroup(manager, project, scalers, instances, autoscalers !== undefined));
  for (const group of groups) {
    for (const host of hosts) if (group.memberIds.includes(host.id)) host.groupId = group.id;
  }
  return { value: { hosts, volumes, groups: groups.filter((g) => g.memberIds.length > 0) }, gaps };
}

/** Every instance (a stopped one still bills its disks) with every configured label. */
export function instanceFilter(config: GcpConfig): string | undefined {
  const labels = Object.entries(config.labels).map(([key, value]) => `(labels.${key} = "${value}")`);
  return labels.length > 0 ? labels.join(' ') : undefined;
}

function filterOf(filter: string | undefined): Record<string, unknown> {
  return filter ? { filter } : {};
}

function carriesLabels(labels: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}

/**
 * Compute Engine statuses in the words every adapter uses: TERMINATED is GCP's "stopped" (the VM
 * can start again; its disks still bill), not AWS's "terminated" (gone).
 * https://cloud.google.com/compute/docs/instances/instance-life-cycle
 */
const STATES = new Map<string, string>(
  Object.entries({
    RUNNING: 'running',
    PROVISIONING: 'pending',
    STAGING: 'pending',
    STOPPING: 'stopping',
    TERMINATED: 'stopped',
    STOPPED: 'stopped',
    SUSPENDING: 'stopping',
    SUSPENDED: 'suspended',
    REPAIRING: 'running',
  }),
);

function zoneOf(entry: { scope: string; item: unknown }): string | undefined {
  const zone = (entry.item as { zone?: unknown }).zone;
  if (typeof zone === 'string') return lastSegment(zone);
  return entry.scope.startsWith('zones/') ? entry.scope.slice('zones/'.length) : undefined;
}

function scopeFields(scope: string): { zone?: string; region?: string } {
  if (scope.startsWith('zones/')) return { zone: scope.slice('zones/'.length) };
  if (scope.startsWith('regions/')) return { region: scope.slice('regions/'.length) };
  return {};
}

export function lastSegment(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

/** us-central1-a → us-central1 */
export function regionOfZone(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

export function parseList<S extends z.ZodType>(
  ctx: Pick<ProviderContext<unknown>, 'log'>,
  schema: S,
  items: unknown[],
  what: string,
): z.output<S>[] {
  return LooseArray(schema, (dropped) =>
    ctx.log.warn({ provider: 'gcp', what, dropped }, 'dropped list entries that did not parse'),
  ).parse(items);
}

export function toHost(instance: GceInstance, project: string): Host {
  const zone = instance.zone ? lastSegment(instance.zone) : null;
  const launched = instance.creationTimestamp ? Date.parse(instance.creationTimestamp) : Number.NaN;
  return {
    provider: 'gcp',
    id: instance.id,
    name: instance.name,
    region: zone ? regionOfZone(zone) : 'unknown',
    zone,
    instanceType: lastSegment(instance.machineType),
    state: STATES.get(instance.status) ?? instance.status.toLowerCase(),
    vcpu: null,
    memoryMiB: null,
    launchedAtMs: Number.isFinite(launched) ? launched : null,
    groupId: null,
    volumeIds: instance.disks.flatMap((disk) => (disk.source ? [diskId(project, disk.source)] : [])),
    tags: { ...instance.labels, 'gcp:project': project, 'gcp:status': instance.status },
    privateIp: instance.networkInterfaces.find((nic) => nic.networkIP)?.networkIP ?? null,
  };
}

function diskId(project: string, source: string): string {
  const match = /zones\/([^/]+)\/disks\/([^/]+)$/.exec(source);
  return match ? `${project}/${match[1]}/${match[2]}` : `${project}/${lastSegment(source)}`;
}

/** `projects/p/zones/z/disks/d` of a full or partial disk URL: the join key of attachment and disk. */
function sourceKey(url: string): string {
  return url.replace(/^.*?(projects\/)/, '$1');
}

/** Attached persistent disks as volumes: type, size and provisioned performance from disks.aggregatedList. */
export function toVolumes(
  instance: GceInstance,
  project: string,
  disks: ReadonlyMap<string, GceDisk> = new Map(),
): Volume[] {
  const zone = instance.zone ? lastSegment(instance.zone) : null;
  return instance.disks.flatMap((disk) =>
    disk.source
      ? [
          {
            provider: 'gcp' as const,
            id: diskId(project, disk.source),
            region: zone ? regionOfZone(zone) : 'unknown',
            zone,
            // pd-standard, pd-balanced, pd-ssd, hyperdisk-*; the attachment alone says only PERSISTENT.
            type: lastSegment(
              disks.get(sourceKey(disk.source))?.type ?? (disk.type ?? 'persistent').toLowerCase(),
            ),
            sizeGiB: disks.get(sourceKey(disk.source))?.sizeGb ?? disk.diskSizeGb ?? 0,
            iops: disks.get(sourceKey(disk.source))?.provisionedIops ?? null,
            throughputMiBps: disks.get(sourceKey(disk.source))?.provisionedThroughput ?? null,
            attachedTo: [{ hostId: instance.id, device: disk.deviceName ?? null }],
            tags: disks.get(sourceKey(disk.source))?.labels ?? {},
          },
        ]
      : [],
  );
}

/** A persistent disk no instance uses (`users` empty): billed for its size, never measured. */
function detachedVolume(disk: GceDisk, project: string): Volume {
  const zone = disk.zone ? lastSegment(disk.zone) : null;
  return {
    provider: 'gcp',
    id: zone ? `${project}/${zone}/${disk.name}` : `${project}/${disk.name}`,
    region: zone ? regionOfZone(zone) : 'unknown',
    zone,
    type: lastSegment(disk.type),
    sizeGiB: disk.sizeGb,
    iops: disk.provisionedIops ?? null,
    throughputMiBps: disk.provisionedThroughput ?? null,
    attachedTo: [],
    tags: disk.labels,
  };
}

/** A managed instance group, sized by its autoscaler when it has one; members from `created-by`. */
export function toGroup(
  manager: InstanceGroupManager,
  project: string,
  autoscalers: readonly Autoscaler[],
  instances: readonly GceInstance[],
  /** Whether the autoscalers were listed: without them, what the group scales on is unknown. */
  scalersListed = true,
): Group {
  const location = manager.zone
    ? lastSegment(manager.zone)
    : manager.region
      ? lastSegment(manager.region)
      : 'global';
  const path = manager.zone ? `zones/${location}` : `regions/${location}`;
  const suffix = `${path}/instanceGroupManagers/${manager.name}`;
  const scaler = autoscalers.find(
    (a) => a.target.endsWith(suffix) || manager.status.autoscaler?.endsWith(`/autoscalers/${a.name}`),
  );
  const members = instances.filter((instance) =>
    instance.metadata.items.some((item) => item.key === CREATED_BY && (item.value ?? '').endsWith(suffix)),
  );
  // Without an autoscaler the group holds targetSize: min = max = target.
  const policy = scaler?.autoscalingPolicy;
  const target = manager.targetSize;
  const minSize = policy?.minNumReplicas ?? target;
  const maxSize = policy?.maxNumReplicas ?? Math.max(target, policy?.minNumReplicas ?? 0);
  const scaling = scaler
    ? scalingOf(scaler, { min: minSize, max: maxSize })
    : scalersListed
      ? { signals: [], min: minSize, max: maxSize }
      : undefined;
  return {
    provider: 'gcp',
    id: `${project}/${location}/${manager.name}`,
    name: manager.name,
    region: manager.zone ? regionOfZone(location) : location,
    minSize,
    maxSize,
    desiredCapacity: target,
    memberIds: members.map((m) => m.id),
    instanceTypes: [...new Set(members.map((m) => lastSegment(m.machineType)))],
    // Group-level series (instance_group/size) are not fetched: the model's group metrics are AWS's.
    enabledMetrics: [],
    ...(scaling ? { scaling } : {}),
  };
}

export function toGap(error: unknown, what: string, project?: string): Gap {
  return gapOf('gcp', error, what, project);
}

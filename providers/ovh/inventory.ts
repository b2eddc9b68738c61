// Inventory: the API time once (the client signs with it), the projects, then per project its
// instances, its flavors and its Block Storage volumes (providers.md §4.2). OVH's 1.0 calls return
// whole lists: no pages; a list that never ends is stopped by call()'s ceiling. Flavors are listed
// here, not in catalog(), because an instance names its flavor by id only. Stopped (SHUTOFF,
// SHELVED) instances and volumes attached to nothing are listed too: both are billed.
import type { z } from 'zod';
import type { OvhConfig } from '../../src/config/schema.ts';
import { ProviderError } from '../../src/errors.ts';
import type { Gap, Host, Volume } from '../../src/model/index.ts';
import { LooseArray } from '../../src/model/zod-utils.ts';
import { operationLabel } from '../../src/net/call.ts';
import { readPackageJson } from '../../src/paths.ts';
import { mergeInventories } from '../collected.ts';
import { gapOf } from '../gaps.ts';
import type { Collected, Inventory, ProviderContext } from '../types.ts';
import { type OvhClientHandle, request } from './clients.ts';
import { CatalogVolumeClass, OvhFlavor, OvhInstance, OvhVolume, ProjectIds } from './schema.ts';

export const BUCKET = 'ovh';
/** The scope of what comes before any project: the API time and the account's project list. */
export const ACCOUNT = 'account';

/** What inventory() learnt that catalog() and metrics() need: flavors by project and id. */
export interface OvhInventoryState {
  flavors: Map<string, OvhFlavor>;
  /** host id -> project id */
  projectOf: Map<string, string>;
  /** The API clock minus ours, from /auth/time: monitoring periods count back from the API's now. */
  apiOffsetMs: number;
}

export async function listInventory(
  ctx: ProviderContext<OvhConfig>,
  handle: OvhClientHandle,
  state: OvhInventoryState,
): Promise<Collected<Inventory>> {
  const empty = { hosts: [], volumes: [], groups: [] };
  let projects: string[];
  try {
    ctx.observe('auth', '*', 1);
    state.apiOffsetMs = await syncTime(ctx, handle);
    if (!ctx.config.projects) ctx.observe('project-list', '*', 1);
    projects = ctx.config.projects ?? (await listProjects(ctx, handle));
  } catch (error) {
    // Nothing of the account could be listed: every configured project failed, or the account's list.
    for (const project of ctx.config.projects ?? [ACCOUNT]) ctx.scope(project, error);
    return { value: empty, gaps: [toGap(error, 'projects', ACCOUNT)] };
  }
  ctx.observe('projects', '*', projects.length);
  const perProject = await Promise.all(projects.map((project) => listProject(ctx, handle, state, project)));
  return mergeInventories(perProject);
}

/** GET /auth/time (unsigned, a bare number of epoch seconds): the offset every signature uses. */
async function syncTime(ctx: ProviderContext<OvhConfig>, handle: OvhClientHandle): Promise<number> {
  const serverSec = await ctx.call({ bucket: BUCKET, operation: 'auth.time' }, (signal) =>
    request<unknown>(handle, '/auth/time', {}, signal),
  );
  if (typeof serverSec !== 'number' || !Number.isFinite(serverSec)) {
    throw new ProviderError('ovh', 'bad-response', 'auth.time', 'the API time is not a number');
  }
  // NOTE: the `ovh` client signs with the process clock plus this offset, so the offset is measured
  // against the process clock (not the run's clock, which tests replace).
  handle.client.apiTimeDiff = serverSec - Math.round(Date.now() / 1000);
  return serverSec * 1000 - Date.now();
}

async function listProjects(ctx: ProviderContext<OvhConfig>, handle: OvhClientHandle): Promise<string[]> {
  const raw = await ctx.call({ bucket: BUCKET, operation: 'cloud.projects' }, (signal) =>
    request<unknown>(handle, '/cloud/project', {}, signal),
  );
  const parsed = ProjectIds.safeParse(raw);
  if (!parsed.success) {
    throw new ProviderError('ovh', 'bad-response', 'cloud.projects', 'the project list is not a list of ids');
  }
  return parsed.data;
}

async function listProject(
  ctx: ProviderContext<OvhConfig>,
  handle: OvhClientHandle,
  state: OvhInventoryState,
  project: string,
): Promise<Collected<Inventory>> {
  const gaps: Gap[] = [];
  const label = (operation: string) => operationLabel({ operation, scope: project });
  const get = (operation: string, path: string) =>
    ctx.call({ bucket: BUCKET, operation, scope: project }, (signal) =>
      request<unknown>(handle, path, { serviceName: project }, signal),
    );
  const [instances, flavors, volumes] = await Promise.all([
    get('cloud.instances', '/cloud/project/{serviceName}/instance')
      .then((raw) => parseList(ctx, OvhInstance, raw, label('cloud.instances'), 'instances'))
      .catch((error: unknown) => {
        gaps.push(toGap(error, `instances of project ${project}`, project));
        ctx.scope(project, error);
        return undefined;
      }),
    get('cloud.flavors', '/cloud/project/{serviceName}/flavor')
      .then((raw) => parseList(ctx, OvhFlavor, raw, label('cloud.flavors'), 'flavors'))
      .catch((error: unknown) => {
        gaps.push(toGap(error, `flavors of project ${project}`, project));
        return undefined;
      }),
    get('cloud.volumes', '/cloud/project/{serviceName}/volume')
      .then((raw) => parseList(ctx, OvhVolume, raw, label('cloud.volumes'), 'volumes'))
      .catch((error: unknown) => {
        gaps.push(toGap(error, `volumes of project ${project}`, project));
        return undefined;
      }),
  ]);
  for (const flavor of flavors ?? []) state.flavors.set(flavor.id, flavor);
  if (!instances) return { value: { hosts: [], volumes: [], groups: [] }, gaps };
  ctx.scope(project);
  ctx.observe('instances', project, instances.length);
  const hosts = instances.map((instance) => toHost(instance, project, state.flavors.get(instance.flavorId)));
  for (const host of hosts) state.projectOf.set(host.id, project);
  ctx.observe('active-instances', project, hosts.filter((h) => h.state === 'running').length);
  const hostIds = new Set(hosts.map((host) => host.id));
  // Volumes of listed instances, and those attached to nothing (billed all the same).
  const kept = (volumes ?? [])
    .map((volume) => toVolume(volume, project))
    .filter(
      (volume) => volume.attachedTo.length === 0 || volume.attachedTo.some((a) => hostIds.has(a.hostId)),
    );
  for (const volume of kept) {
    for (const host of hosts)
      if (volume.attachedTo.some((a) => a.hostId === host.id)) host.volumeIds.push(volume.id);
  }
  // OVH Public Cloud has no instance groups with a scaling target.
  return { value: { hosts, volumes: kept, groups: [] }, gaps };
}

let volumeCaps: Map<string, number | null> | undefined;

/** classic 250 and high-speed 3,000 IOPS per volume; gen2 scales with size (../shared/catalogs). */
function iopsCapOf(type: string): number | null {
  volumeCaps ??= new Map(
    readPackageJson<{ blockStorage: unknown[] }>(
      'providers',
      'ovh',
      'data',
      'ovh-flavors.json',
    ).blockStorage.flatMap((entry) => {
      const parsed = CatalogVolumeClass.safeParse(entry);
      return parsed.success ? [[parsed.data.type, parsed.data.maxIopsPerVolume] as const] : [];
    }),
  );
  return volumeCaps.get(type) ?? null;
}

export function toVolume(volume: OvhVolume, project: string): Volume {
  return {
    provider: 'ovh',
    id: volume.id,
    region: volume.region,
    zone: null,
    type: volume.type,
    sizeGiB: volume.size,
    iops: iopsCapOf(volume.type),
    throughputMiBps: null,
    attachedTo: volume.attachedTo.map((hostId) => ({ hostId, device: null })),
    tags: {
      'ovh:project': project,
      'ovh:status': volume.status,
      ...(volume.name ? { Name: volume.name } : {}),
    },
  };
}

/** A list body: not an array at all is a bad response; single entries that do not parse are dropped. */
export function parseList<S extends z.ZodType>(
  ctx: Pick<ProviderContext<unknown>, 'log'>,
  schema: S,
  raw: unknown,
  operation: string,
  what: string,
): z.output<S>[] {
  if (!Array.isArray(raw)) {
    throw new ProviderError('ovh', 'bad-response', operation, `the ${what} list is not a JSON array`);
  }
  return LooseArray(schema, (dropped) =>
    ctx.log.warn({ provider: 'ovh', what, dropped }, 'dropped list entries that did not parse'),
  ).parse(raw);
}

// Nova statuses (cloud.instance.InstanceStatusEnum) in the words the rules use.
const STATES = new Map<string, string>(
  Object.entries({
    ACTIVE: 'running',
    SHUTOFF: 'stopped',
    STOPPED: 'stopped',
    SHELVED: 'stopped',
    SHELVED_OFFLOADED: 'stopped',
    SUSPENDED: 'stopped',
    PAUSED: 'stopped',
    DELETED: 'terminated',
    SOFT_DELETED: 'terminated',
  }),
);

export function toHost(instance: OvhInstance, project: string, flavor: OvhFlavor | undefined): Host {
  // NOTE: an instance names its flavor by id; the plan code ("b3-8.consumption") is the fallback.
  const type = flavor?.name ?? instance.planCode?.split('.')[0] ?? (instance.flavorId || 'unknown');
  return {
    provider: 'ovh',
    id: instance.id,
    name: instance.name || instance.id,
    region: instance.region,
    zone: null,
    instanceType: type,
    state: STATES.get(instance.status) ?? instance.status.toLowerCase(),
    vcpu: flavor?.vcpus ?? null,
    // The flavor's `ram` is in GB ("Gio" in the model); the catalog uses the same figure.
    memoryMiB: flavor ? flavor.ram * 1024 : null,
    launchedAtMs: instance.created,
    groupId: null,
    volumeIds: [],
    tags: {
      'ovh:project': project,
      'ovh:status': instance.status,
      ...(instance.planCode ? { 'ovh:planCode': instance.planCode } : {}),
      ...(instance.monthlyBilling?.status ? { 'ovh:monthlyBilling': instance.monthlyBilling.status } : {}),
    },
    privateIp: instance.ipAddresses.find((address) => address.type === 'private' && address.ip)?.ip ?? null,
  };
}

export function toGap(error: unknown, what: string, project?: string): Gap {
  return gapOf('ovh', error, what, project);
}

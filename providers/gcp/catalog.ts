// Machine-type specs for the zones and types in use: one filtered machineTypes.list per zone
// (never the global aggregatedList: zones × types, thousands of entries; providers.md §6),
// merged over the bundled catalog, which is the only source of prices and egress bandwidth
// (the Compute API carries neither) and the offline fallback when the call fails.
import { z } from 'zod';
import type { GcpConfig } from '../../src/config/schema.ts';
import type { Gap, Host, InstanceType } from '../../src/model/index.ts';
import { operationLabel } from '../../src/net/call.ts';
import { followPages } from '../../src/net/pages.ts';
import { readPackageJson } from '../../src/paths.ts';
import type { Collected, Inventory, ProviderContext } from '../types.ts';
import { abortable, CALL_OPTIONS } from './client-settings.ts';
import type { GcpClients } from './clients.ts';
import { parseList, toGap } from './inventory.ts';
import { type MachineType as ApiMachineType, CatalogMachineType, MachineType } from './schema.ts';

/** machineTypes.list `maxResults` (compute.v1 discovery document: 500 at most). */
export const TYPES_PER_PAGE = 500;

let bundled: InstanceType[] | undefined;

/** The bundled catalog (9 series, us-central1 on-demand prices), parsed once. */
export function bundledCatalog(): InstanceType[] {
  bundled ??= z
    .object({ machineTypes: z.array(CatalogMachineType) })
    .parse(readPackageJson('providers', 'gcp', 'data', 'gcp-machine-types.json'))
    .machineTypes.map((entry) => fromCatalog(entry));
  return bundled;
}

function fromCatalog(entry: CatalogMachineType): InstanceType {
  return {
    provider: 'gcp',
    name: entry.name,
    family: entry.family,
    vcpu: entry.vcpu,
    memoryMiB: entry.memoryMiB,
    arch: entry.family === 't2a' ? 'arm64' : 'x86_64',
    // Shared-core E2 types (e2-micro/small/medium) run on a fraction of a vCPU with bursting;
    // GCP publishes no credit balance for them.
    burstable: entry.sharedCore,
    baselineCpuPct: null,
    networkBaselineGbps: entry.egressBandwidthGbpsDefault,
    networkPeakGbps: entry.tier1EgressBandwidthGbps ?? entry.egressBandwidthGbpsDefault,
    ebsBaselineIops: null,
    ebsMaxIops: null,
    ebsBaselineThroughputMBps: null,
    ebsMaxThroughputMBps: null,
    priceUsdPerHour: entry.priceUsdPerHourUsCentral1,
    source: 'bundled',
  };
}

/** The zones and machine types in use, per project: what listMachineTypes asks for. */
export function typesInUse(hosts: readonly Host[]): Map<string, Map<string, string[]>> {
  const byProject = new Map<string, Map<string, Set<string>>>();
  for (const host of hosts) {
    const project = host.tags['gcp:project'];
    if (!project || !host.zone) continue;
    const zones = byProject.get(project) ?? new Map<string, Set<string>>();
    byProject.set(project, zones);
    const names = zones.get(host.zone) ?? new Set<string>();
    zones.set(host.zone, names);
    names.add(host.instanceType);
  }
  return new Map(
    [...byProject].map(([project, zones]) => [
      project,
      new Map([...zones].map(([zone, names]) => [zone, [...names].sort()])),
    ]),
  );
}

export async function listMachineTypes(
  ctx: ProviderContext<GcpConfig>,
  clients: GcpClients,
  inventory: Inventory,
): Promise<Collected<InstanceType[]>> {
  const byName = new Map(bundledCatalog().map((entry) => [entry.name, entry]));
  const gaps: Gap[] = [];
  await clients.machineTypes.initialize();
  const list = clients.machineTypes.innerApiCalls.list as (
    request: object,
    options: object,
  ) => Promise<[unknown[], { pageToken?: string } | null, unknown]>;
  const work = [...typesInUse(inventory.hosts)].flatMap(([project, zones]) =>
    [...zones].map(([zone, names]) => ({ project, zone, names })),
  );
  for (const { project, zone, names } of work) ctx.observe('zone-types', `${project}/${zone}`, names.length);
  await Promise.all(
    work.map(async ({ project, zone, names }) => {
      const filter = names.map((name) => `(name = "${name}")`).join(' OR ');
      const operation = 'compute.machineTypes.list';
      try {
        // The filter names the types in use: one page; a few more is a server's business, not a loop.
        await followPages('gcp', operationLabel({ operation, region: project }), 10, async (pageToken) => {
          const request = {
            project,
            zone,
            filter,
            maxResults: TYPES_PER_PAGE,
            ...(pageToken ? { pageToken } : {}),
          };
          const [items, next] = await ctx.call({ bucket: 'compute', operation, region: project }, (signal) =>
            abortable(list(request, CALL_OPTIONS), signal),
          );
          for (const api of parseList(ctx, MachineType, items ?? [], 'machine types')) {
            byName.set(api.name, fromApi(api, byName.get(api.name)));
          }
          return { items: [], next: next?.pageToken };
        });
      } catch (error) {
        const gap = toGap(error, `machine-type specs in ${project}/${zone} (${names.length} types)`, project);
        gaps.push({ ...gap, message: `${gap.message}; sizing used the bundled catalog for these types` });
      }
    }),
  );
  return { value: [...byName.values()], gaps };
}

function fromApi(api: ApiMachineType, known: InstanceType | undefined): InstanceType {
  return {
    ...(known ??
      fromCatalog({
        name: api.name,
        family: api.name.split('-')[0] ?? api.name,
        vcpu: api.guestCpus,
        memoryMiB: api.memoryMb,
        sharedCore: api.isSharedCpu,
        egressBandwidthGbpsDefault: null,
        tier1EgressBandwidthGbps: null,
        priceUsdPerHourUsCentral1: null,
      })),
    vcpu: api.guestCpus,
    memoryMiB: api.memoryMb,
    burstable: api.isSharedCpu,
    arch: api.architecture ? (api.architecture === 'ARM64' ? 'arm64' : 'x86_64') : (known?.arch ?? null),
    source: 'api',
  };
}

// Plans with prices: GET /v4/linode/types (37 plans, one page of 500), merged over the bundled
// catalog, which is the offline fallback when the call fails and the mock's data.
import { z } from 'zod';
import type { LinodeConfig } from '../../src/config/schema.ts';
import type { Gap, InstanceType } from '../../src/model/index.ts';
import { readPackageJson } from '../../src/paths.ts';
import type { Collected, Inventory, ProviderContext } from '../types.ts';
import type { LinodeClient } from './clients.ts';
import { ACCOUNT, PAGE_SIZE, pages, toGap } from './inventory.ts';
import { CatalogLinodeType, LinodeType } from './schema.ts';

let bundled: InstanceType[] | undefined;

/** The bundled catalog (../shared/catalogs/linode-types.json, a 2024-07 API recording), parsed once. */
export function bundledCatalog(): InstanceType[] {
  bundled ??= z
    .object({ types: z.array(CatalogLinodeType) })
    .parse(readPackageJson('providers', 'linode', 'data', 'linode-types.json'))
    .types.map((entry) =>
      toInstanceType(
        {
          id: entry.id,
          class: entry.class,
          vcpus: entry.vcpus,
          memory: entry.memoryMB,
          network_out: entry.networkOutMbps ?? undefined,
          price: { hourly: entry.priceHourlyUsd },
        },
        'bundled',
      ),
    );
  return bundled;
}

export async function listTypes(
  ctx: ProviderContext<LinodeConfig>,
  client: LinodeClient,
  inventory: Inventory,
): Promise<Collected<InstanceType[]>> {
  const byName = new Map(bundledCatalog().map((entry) => [entry.name, entry]));
  const gaps: Gap[] = [];
  // No Linodes (or none listed): nothing to size, no call.
  if (inventory.hosts.length === 0) return { value: [...byName.values()], gaps };
  try {
    const types = await pages(ctx, client, 'linode.getLinodeTypes', LinodeType, (page) =>
      client.api.getLinodeTypes({ page, page_size: PAGE_SIZE }),
    );
    ctx.observe('instance-types', ACCOUNT, types.length);
    for (const type of types) byName.set(type.id, toInstanceType(type, 'api'));
  } catch (error) {
    const gap = toGap(error, 'Linode plan types');
    gaps.push({ ...gap, message: `${gap.message}; sizing used the bundled catalog` });
  }
  return { value: [...byName.values()], gaps };
}

export function toInstanceType(type: LinodeType, source: InstanceType['source']): InstanceType {
  // Linode publishes one outbound cap per plan (network_out, Mbit/s) and no inbound or disk limits.
  const networkGbps = type.network_out === undefined ? null : type.network_out / 1000;
  return {
    provider: 'linode',
    name: type.id,
    family: type.class,
    vcpu: type.vcpus,
    // NOTE: the API's `memory` is in MB of 1024 × 1024 bytes (2048 for "Linode 2GB"): MiB.
    memoryMiB: type.memory,
    arch: 'x86_64',
    // Shared-CPU plans have no credit model; nothing to burst from or run out of.
    burstable: false,
    baselineCpuPct: null,
    networkBaselineGbps: networkGbps,
    networkPeakGbps: networkGbps,
    ebsBaselineIops: null,
    ebsMaxIops: null,
    ebsBaselineThroughputMBps: null,
    ebsMaxThroughputMBps: null,
    priceUsdPerHour: type.price.hourly,
    source,
  };
}

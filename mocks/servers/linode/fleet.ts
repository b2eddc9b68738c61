import { z } from 'zod';
import { readPackageJson } from '../../../src/paths.ts';
import type { LinodeScenario, LinodeScenarioInstance } from '../../scenarios/linode.ts';
import { resolveTimeSec } from '../../scenarios/schema.ts';

// The account as the Linode API v4 returns it: every field of the 4.189.0 reference's Linode,
// Volume and Type objects and no other (those objects are `additionalProperties: false`).
// Timestamps are written as the API writes them: ISO-8601 without a zone, UTC.

const CatalogType = z.object({
  id: z.string(),
  label: z.string(),
  class: z.string(),
  vcpus: z.number(),
  memoryMB: z.number(),
  diskMB: z.number(),
  transferMB: z.number(),
  networkOutMbps: z.number(),
  gpus: z.number(),
  priceHourlyUsd: z.number(),
  priceMonthlyUsd: z.number(),
  regionPrices: z.array(z.object({ id: z.string(), hourly: z.number(), monthly: z.number() })),
  backupsAddon: z.object({
    price: z.object({ hourly: z.number(), monthly: z.number() }),
    region_prices: z.array(z.object({ id: z.string(), hourly: z.number(), monthly: z.number() })),
  }),
  successor: z.string().nullable(),
});
export type CatalogType = z.infer<typeof CatalogType>;

let catalog: CatalogType[] | undefined;

/** The bundled copy of ../shared/catalogs/linode-types.json: the plans /linode/types answers. */
export function loadTypeCatalog(): CatalogType[] {
  catalog ??= z
    .object({ types: z.array(CatalogType) })
    .parse(readPackageJson('providers', 'linode', 'data', 'linode-types.json')).types;
  return catalog;
}

export function apiTime(epochSec: number): string {
  return new Date(epochSec * 1000).toISOString().slice(0, 19);
}

/** A stable fake address in TEST-NET-2 (198.51.100.0/24), derived from the id. */
function ipv4Of(id: number): string {
  return `198.51.100.${(id % 254) + 1}`;
}

export function typeBody(type: CatalogType) {
  return {
    addons: { backups: { price: type.backupsAddon.price, region_prices: type.backupsAddon.region_prices } },
    class: type.class,
    disk: type.diskMB,
    gpus: type.gpus,
    id: type.id,
    label: type.label,
    memory: type.memoryMB,
    network_out: type.networkOutMbps,
    price: { hourly: type.priceHourlyUsd, monthly: type.priceMonthlyUsd },
    region_prices: type.regionPrices,
    successor: type.successor,
    transfer: type.transferMB,
    vcpus: type.vcpus,
  };
}

export function instanceBody(instance: LinodeScenarioInstance, type: CatalogType, nowSec: number) {
  const created = apiTime(resolveTimeSec(instance.created, nowSec));
  return {
    alerts: { cpu: 90 * type.vcpus, io: 10_000, network_in: 10, network_out: 10, transfer_quota: 80 },
    backups: { available: false, enabled: false, schedule: { day: null, window: null } },
    capabilities: [],
    created,
    group: '',
    has_user_data: false,
    host_uuid: uuidOf(instance.id),
    hypervisor: 'kvm',
    id: instance.id,
    image: 'linode/ubuntu24.04',
    ipv4: [ipv4Of(instance.id)],
    ipv6: `2001:db8::${instance.id.toString(16)}/128`,
    label: instance.label,
    lke_cluster_id: null,
    placement_group: null,
    region: instance.region,
    specs: {
      disk: type.diskMB,
      gpus: type.gpus,
      memory: type.memoryMB,
      transfer: type.transferMB,
      vcpus: type.vcpus,
    },
    status: instance.status,
    tags: instance.tags,
    type: instance.type,
    updated: created,
    watchdog_enabled: true,
  };
}

export function volumeBodies(scenario: LinodeScenario, nowSec: number) {
  const detached = scenario.volumes.map((volume) => {
    const created = apiTime(nowSec - 120 * 86_400);
    return {
      created,
      encryption: 'disabled',
      filesystem_path: `/dev/disk/by-id/scsi-0Linode_Volume_${volume.label}`,
      hardware_type: volume.hardware,
      id: volume.id,
      label: volume.label,
      linode_id: null,
      linode_label: null,
      region: volume.region,
      size: volume.sizeGiB,
      status: 'active',
      tags: volume.tags,
      updated: created,
    };
  });
  return [...attachedVolumeBodies(scenario, nowSec), ...detached];
}

function attachedVolumeBodies(scenario: LinodeScenario, nowSec: number) {
  return scenario.instances.flatMap((instance) =>
    instance.volumes.map((volume) => {
      const created = apiTime(resolveTimeSec(instance.created, nowSec));
      return {
        created,
        encryption: 'disabled',
        filesystem_path: `/dev/disk/by-id/scsi-0Linode_Volume_${volume.label}`,
        hardware_type: volume.hardware,
        id: volume.id,
        label: volume.label,
        linode_id: instance.id,
        linode_label: instance.label,
        region: instance.region,
        size: volume.sizeGiB,
        status: 'active',
        tags: volume.tags,
        updated: created,
      };
    }),
  );
}

function uuidOf(id: number): string {
  const hex = id.toString(16).padStart(12, '0').slice(-12);
  return `7e0c1f3a-0000-4000-8000-${hex}`;
}

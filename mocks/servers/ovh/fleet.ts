import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { packagePath } from '../../../src/paths.ts';
import type { OvhScenario, OvhScenarioInstance, OvhScenarioProject } from '../../scenarios/ovh.ts';
import { resolveTimeSec } from '../../scenarios/schema.ts';
import { seriesOf } from '../../scenarios/shapes.ts';
import { uuidOf } from './protocol.ts';

// The scenario's projects as the API returns them: instances (cloud.instance.Instance), flavors
// (cloud.flavor.Flavor, one per bundled flavor and region in use), monitoring series
// (cloud.instance.InstanceMetrics) and the public order catalog, all from
// providers/ovh/data/ovh-flavors.json (../shared/catalogs, unchanged).

const BundledFlavor = z.object({
  name: z.string(),
  family: z.string(),
  vcpu: z.number(),
  ramGB: z.number(),
  diskGB: z.number().nullable(),
  publicBandwidthMbps: z.number().nullable(),
  planCodes: z.array(
    z.object({
      planCode: z.string(),
      priceEurPerHour: z.number().optional(),
      priceEurPerMonth: z.number().optional(),
    }),
  ),
});
type BundledFlavor = z.infer<typeof BundledFlavor>;

let cached: ReadonlyMap<string, BundledFlavor> | undefined;

export function loadFlavorCatalog(): ReadonlyMap<string, BundledFlavor> {
  if (cached) return cached;
  const file = z
    .object({ flavors: z.array(BundledFlavor) })
    .parse(JSON.parse(readFileSync(packagePath('providers', 'ovh', 'data', 'ovh-flavors.json'), 'utf8')));
  cached = new Map(file.flavors.map((flavor) => [flavor.name, flavor]));
  return cached;
}

export const flavorIdOf = (name: string, region: string) => uuidOf(`flavor/${name}/${region}`);

function planCode(flavor: BundledFlavor, suffix: string): string | null {
  return flavor.planCodes.find((p) => p.planCode === `${flavor.name}.${suffix}`)?.planCode ?? null;
}

/** Throws on a flavor the bundled catalog does not have (a scenario typo). */
export function checkFlavors(part: OvhScenario): void {
  const catalog = loadFlavorCatalog();
  for (const [project, fleet] of Object.entries(part.projects)) {
    for (const instance of fleet.instances) {
      if (!catalog.has(instance.flavor)) {
        throw new Error(
          `ovh scenario: project ${project} instance ${instance.name}: no flavor ${instance.flavor} in ovh-flavors.json`,
        );
      }
    }
  }
}

export function instanceBody(instance: OvhScenarioInstance, nowSec: number): Record<string, unknown> {
  const flavor = loadFlavorCatalog().get(instance.flavor)!;
  const createdSec = resolveTimeSec(instance.created, nowSec);
  const octet = (n: number) => (Number.parseInt(instance.id.slice(n, n + 2), 16) % 250) + 2;
  return {
    id: instance.id,
    name: instance.name,
    flavorId: flavorIdOf(instance.flavor, instance.region),
    imageId: uuidOf('image/debian-12'),
    ipAddresses: [
      {
        ip: `51.${octet(0)}.${octet(2)}.${octet(4)}`,
        type: 'public',
        version: 4,
        networkId: uuidOf(`net/${instance.region}/Ext-Net`),
        gatewayIp: null,
      },
    ],
    monthlyBilling: instance.monthlyBilling
      ? { since: new Date((createdSec + 3600) * 1000).toISOString(), status: 'ok' }
      : null,
    operationIds: [],
    planCode: instance.monthlyBilling
      ? planCode(flavor, 'monthly.postpaid')
      : planCode(flavor, 'consumption'),
    region: instance.region,
    sshKeyId: null,
    status: instance.status,
    created: new Date(createdSec * 1000).toISOString(),
    currentMonthOutgoingTraffic: null,
  };
}

/** Every volume of the project: those of its instances, attached, and those attached to nothing. */
export function volumesBody(
  instances: readonly OvhScenarioInstance[],
  nowSec: number,
  detached: OvhScenarioProject['volumes'] = [],
): Record<string, unknown>[] {
  const loose = detached.map((volume) => ({
    attachedTo: [],
    bootable: false,
    creationDate: new Date((nowSec - 120 * 86_400) * 1000).toISOString(),
    description: '',
    id: volume.id,
    name: volume.name,
    planCode: `volume.${volume.type}.consumption`,
    region: volume.region,
    size: volume.sizeGiB,
    status: 'available',
    type: volume.type,
  }));
  return [...attachedVolumes(instances, nowSec), ...loose];
}

function attachedVolumes(
  instances: readonly OvhScenarioInstance[],
  nowSec: number,
): Record<string, unknown>[] {
  return instances.flatMap((instance) =>
    instance.volumes.map((volume) => ({
      attachedTo: [instance.id],
      bootable: false,
      creationDate: new Date(resolveTimeSec(instance.created, nowSec) * 1000).toISOString(),
      description: '',
      id: volume.id,
      name: volume.name,
      planCode: `volume.${volume.type}.consumption`,
      region: instance.region,
      size: volume.sizeGiB,
      status: 'in-use',
      type: volume.type,
    })),
  );
}

/** Every bundled flavor in every region the project has instances in (the API lists them all). */
export function flavorsBody(
  instances: readonly OvhScenarioInstance[],
  region?: string,
): Record<string, unknown>[] {
  const regions = [...new Set(instances.map((i) => i.region))].filter((r) => !region || r === region).sort();
  return regions.flatMap((r) =>
    [...loadFlavorCatalog().values()].map((flavor) => ({
      id: flavorIdOf(flavor.name, r),
      name: flavor.name,
      region: r,
      vcpus: flavor.vcpu,
      ram: flavor.ramGB,
      disk: flavor.diskGB ?? 0,
      type: `ovh.${flavor.family}`,
      osType: 'linux',
      inboundBandwidth: flavor.publicBandwidthMbps,
      outboundBandwidth: flavor.publicBandwidthMbps,
      available: true,
      quota: 20,
      capabilities: ['failoverip', 'resize', 'snapshot', 'volume'].map((name) => ({ name, enabled: true })),
      planCodes: { hourly: planCode(flavor, 'consumption'), monthly: planCode(flavor, 'monthly.postpaid') },
    })),
  );
}

export const metricTypes = ['cpu:used', 'cpu:max', 'mem:used', 'mem:max', 'net:rx', 'net:tx'] as const;
export const metricPeriods = ['today', 'lastday', 'lastweek', 'lastmonth', 'lastyear'] as const;

// The mock's own sample interval per period (OVH does not document its granularity).
const PERIOD: Record<(typeof metricPeriods)[number], { spanSec: number; stepSec: number }> = {
  today: { spanSec: 86_400, stepSec: 300 },
  lastday: { spanSec: 86_400, stepSec: 300 },
  lastweek: { spanSec: 7 * 86_400, stepSec: 900 },
  lastmonth: { spanSec: 30 * 86_400, stepSec: 3600 },
  lastyear: { spanSec: 365 * 86_400, stepSec: 86_400 },
};

const MIB = 1024 * 1024;

/**
 * One type of one instance over a period. cpu:used and cpu:max are in % of one vCPU summed over
 * the vCPUs (max = 100 × vCPUs), memory in MB, network in B/s: the mock's choice of units, which
 * the adapter reads from `unit` rather than assuming.
 */
export function monitoringBody(
  seed: string,
  instance: OvhScenarioInstance,
  type: (typeof metricTypes)[number],
  period: (typeof metricPeriods)[number],
  nowSec: number,
): { unit: string; values: { timestamp: number; value: number }[] } {
  const flavor = loadFlavorCatalog().get(instance.flavor)!;
  const { spanSec, stepSec } = PERIOD[period];
  const endSec = Math.floor(nowSec / stepSec) * stepSec;
  const startSec =
    period === 'today'
      ? Math.floor(nowSec / 86_400) * 86_400
      : Math.max(endSec - spanSec, createdSec(instance, nowSec));
  const key = `${seed}/ovh/${instance.id}`;
  const cpu = seriesOf(instance.cpu, `${key}/cpu`);
  const mem = seriesOf(instance.memUsedPct, `${key}/mem`);
  const rx = seriesOf(instance.network.inMiBps, `${key}/rx`);
  const tx = seriesOf(instance.network.outMiBps, `${key}/tx`);
  const memMaxMB = flavor.ramGB * 1000;
  const value: Record<typeof type, [string, (t: number) => number]> = {
    'cpu:used': ['%', (t) => (Math.min(100, cpu(t)) / 100) * 100 * flavor.vcpu],
    'cpu:max': ['%', () => 100 * flavor.vcpu],
    'mem:used': ['MB', (t) => (Math.min(100, mem(t)) / 100) * memMaxMB],
    'mem:max': ['MB', () => memMaxMB],
    'net:rx': ['B/s', (t) => rx(t) * MIB],
    'net:tx': ['B/s', (t) => tx(t) * MIB],
  };
  const [unit, at] = value[type];
  const values: { timestamp: number; value: number }[] = [];
  for (let t = Math.ceil(startSec / stepSec) * stepSec; t <= endSec; t += stepSec) {
    values.push({ timestamp: t, value: Math.round(at(t) * 1000) / 1000 });
  }
  return { unit, values };
}

function createdSec(instance: OvhScenarioInstance, nowSec: number): number {
  return resolveTimeSec(instance.created, nowSec);
}

/**
 * `GET /order/catalog/public/cloud`: the instance plan codes are addons of the project plan, each
 * priced in 1e-8 of the currency per hour (consumption) or per month (monthly.postpaid).
 */
export function catalogBody(subsidiary: string): Record<string, unknown> {
  const flavors = [...loadFlavorCatalog().values()];
  const addons = flavors.flatMap((flavor) =>
    flavor.planCodes.map((plan) => {
      const hourly = plan.priceEurPerHour !== undefined;
      const price = hourly ? plan.priceEurPerHour! : (plan.priceEurPerMonth ?? 0);
      return {
        planCode: plan.planCode,
        invoiceName: `${flavor.name} instance`,
        product: `publiccloud-instance-${flavor.name}`,
        pricingType: hourly ? 'consumption' : 'rental',
        pricings: [
          {
            capacities: hourly ? ['consumption'] : ['renew'],
            commitment: 0,
            description: hourly ? 'Consumption' : 'Monthly fees',
            interval: 1,
            intervalUnit: hourly ? 'hour' : 'month',
            maximumQuantity: 1000,
            maximumRepeat: 1,
            minimumQuantity: 1,
            minimumRepeat: 1,
            mode: hourly ? 'consumption' : 'default',
            phase: 1,
            price: Math.round(price * 1e8),
            tax: 0,
            type: hourly ? 'consumption' : 'renew',
          },
        ],
        blobs: { technical: { cpu: { cores: flavor.vcpu }, memory: { size: flavor.ramGB } } },
      };
    }),
  );
  return {
    catalogId: 1,
    locale: { currencyCode: 'EUR', subsidiary, taxRate: 20 },
    plans: [
      {
        planCode: 'project.2018',
        invoiceName: 'Public Cloud Project',
        product: 'publiccloud-project',
        pricingType: 'rental',
        addonFamilies: [{ name: 'instance', addons: addons.map((a) => a.planCode) }],
        pricings: [],
      },
    ],
    products: flavors.map((flavor) => ({
      name: `publiccloud-instance-${flavor.name}`,
      description: flavor.name,
    })),
    addons,
  };
}

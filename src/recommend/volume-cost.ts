// What a volume or an instance costs a month, for every cloud, from the bundled catalogs
// (../shared/catalogs/README.md): EBS from aws-ebs-volume-types.json, Persistent Disk from
// gcp-disk-types.json (us-central1 list prices), Linode Block Storage from linode-types.json,
// OVHcloud Block Storage from ovh-flavors.json (EUR, converted at the OVH adapter's fixed rate).
// A price the catalog does not hold is null and named, never guessed.
import { z } from 'zod';
import { USD_PER_EUR } from '../../providers/ovh/catalog.ts';
import type { InstanceType, Volume } from '../model/index.ts';
import { readPackageJson } from '../paths.ts';
import { type MonthlyCost, volumeMonthlyCost } from './ebs.ts';
import { monthly, roundUsd } from './money.ts';

const Price = z.number().nullable().optional();

const GcpDiskCatalog = z.object({
  diskTypes: z.array(
    z.object({
      type: z.string(),
      priceUsdUsCentral1: z.object({
        perGBMonth: Price,
        perGBMonthRegional: Price,
        perProvisionedIopsMonth: Price,
        perProvisionedThroughputMiBpsMonth: Price,
      }),
    }),
  ),
});

const LinodeVolumeCatalog = z.object({
  volumeTypes: z.object({
    data: z.array(
      z.object({
        id: z.string(),
        price: z.object({ monthly: z.number() }),
        region_prices: z.array(z.object({ id: z.string(), monthly: z.number() })).default([]),
      }),
    ),
  }),
});

const OvhVolumeCatalog = z.object({
  blockStorage: z.array(z.object({ type: z.string(), priceEurPerGBMonth: Price })),
});

let gcpDisks: z.infer<typeof GcpDiskCatalog> | undefined;
let linodeVolumes: z.infer<typeof LinodeVolumeCatalog> | undefined;
let ovhVolumes: z.infer<typeof OvhVolumeCatalog> | undefined;

type PricedVolume = Pick<
  Volume,
  'provider' | 'type' | 'sizeGiB' | 'iops' | 'throughputMiBps' | 'region' | 'zone'
>;

/** The monthly list price of a volume as it is provisioned today. */
export function volumeCost(volume: PricedVolume): MonthlyCost {
  switch (volume.provider) {
    case 'aws':
      return volumeMonthlyCost(volume.type, volume.sizeGiB, volume.iops, volume.throughputMiBps);
    case 'gcp':
      return gcpDiskCost(volume);
    case 'linode':
      return linodeVolumeCost(volume);
    case 'ovh':
      return ovhVolumeCost(volume);
  }
}

/** The monthly price of an instance type running all month (730 h), or null where unknown. */
export function instanceMonthlyCost(type: InstanceType | undefined): MonthlyCost {
  if (type?.priceUsdPerHour == null) {
    const name = type?.name ?? 'the type';
    return { usd: null, formula: `${name}: price unknown`, unknown: [`${name} hourly price`] };
  }
  return {
    usd: roundUsd(monthly(type.priceUsdPerHour)),
    formula: `$${type.priceUsdPerHour}/h × 730 h`,
    unknown: [],
  };
}

/** Sum of monthly costs; null as soon as one part is unknown (the unknown parts are listed). */
export function sumCosts(costs: readonly MonthlyCost[]): MonthlyCost {
  const unknown = costs.flatMap((c) => c.unknown);
  const total = costs.reduce((sum, c) => sum + (c.usd ?? 0), 0);
  return {
    usd: unknown.length > 0 || costs.some((c) => c.usd === null) ? null : roundUsd(total),
    formula: costs.map((c) => c.formula).join(' + ') || 'nothing',
    unknown,
  };
}

function unknownCost(what: string): MonthlyCost {
  return { usd: null, formula: `${what}: price unknown`, unknown: [what] };
}

function gcpDiskCost(volume: PricedVolume): MonthlyCost {
  gcpDisks ??= GcpDiskCatalog.parse(readPackageJson('providers', 'gcp', 'data', 'gcp-disk-types.json'));
  const entry = gcpDisks.diskTypes.find((d) => d.type === volume.type);
  // NOTE: a regional disk has no zone; it is billed at the regional (two-zone) rate.
  const perGB =
    volume.zone === null
      ? entry?.priceUsdUsCentral1.perGBMonthRegional
      : entry?.priceUsdUsCentral1.perGBMonth;
  if (!entry || perGB == null) return unknownCost(`${volume.type} capacity`);
  const parts = [`${volume.sizeGiB} GB × $${perGB} (us-central1 list price)`];
  const unknown: string[] = [];
  let usd = volume.sizeGiB * perGB;
  const provisioned: [number | null, number | null | undefined, string][] = [
    [volume.iops, entry.priceUsdUsCentral1.perProvisionedIopsMonth, 'provisioned IOPS'],
    [
      volume.throughputMiBps,
      entry.priceUsdUsCentral1.perProvisionedThroughputMiBpsMonth,
      'provisioned throughput',
    ],
  ];
  for (const [amount, price, what] of provisioned) {
    if (amount === null || amount === 0) continue;
    if (price == null) unknown.push(`${volume.type} ${what}`);
    else {
      usd += amount * price;
      parts.push(`${amount} × $${price}`);
    }
  }
  return { usd: unknown.length > 0 ? null : roundUsd(usd), formula: parts.join(' + '), unknown };
}

function linodeVolumeCost(volume: PricedVolume): MonthlyCost {
  linodeVolumes ??= LinodeVolumeCatalog.parse(
    readPackageJson('providers', 'linode', 'data', 'linode-types.json'),
  );
  // Block Storage has one price per GB whatever the hardware (NVMe or HDD); a few regions differ.
  const entry = linodeVolumes.volumeTypes.data.find((t) => t.id === 'volume');
  if (!entry) return unknownCost('Block Storage');
  const perGB = entry.region_prices.find((r) => r.id === volume.region)?.monthly ?? entry.price.monthly;
  return {
    usd: roundUsd(volume.sizeGiB * perGB),
    formula: `${volume.sizeGiB} GB × $${perGB}`,
    unknown: [],
  };
}

function ovhVolumeCost(volume: PricedVolume): MonthlyCost {
  ovhVolumes ??= OvhVolumeCatalog.parse(readPackageJson('providers', 'ovh', 'data', 'ovh-flavors.json'));
  const perGBEur = ovhVolumes.blockStorage.find((b) => b.type === volume.type)?.priceEurPerGBMonth;
  if (perGBEur == null) return unknownCost(`${volume.type} Block Storage`);
  return {
    usd: roundUsd(volume.sizeGiB * perGBEur * USD_PER_EUR),
    formula: `${volume.sizeGiB} GB × €${perGBEur} × ${USD_PER_EUR} $/€`,
    unknown: [],
  };
}

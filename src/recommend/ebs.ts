// EBS volume performance and price models, from the bundled catalog
// (providers/aws/data/aws-ebs-volume-types.json; sources in ../shared/catalogs/README.md).
// Where the catalog has no price, the cost is null: never a guess.
import { z } from 'zod';
import { readPackageJson } from '../paths.ts';

const Price = z.number().nullable().optional();
const EbsCatalog = z.object({
  volumeTypes: z.array(
    z.object({
      type: z.string(),
      iops: z.record(z.string(), z.unknown()),
      throughputMiBps: z.record(z.string(), z.unknown()),
      priceUsd: z
        .object({
          perGBMonth: Price,
          perProvisionedIopsMonth: Price,
          perProvisionedIopsMonthAbove3000: Price,
          perProvisionedMiBpsMonthAbove125: Price,
          perProvisionedIopsMonthTier1UpTo32000: Price,
        })
        .partial(),
    }),
  ),
});
type EbsCatalog = z.infer<typeof EbsCatalog>;

let catalog: EbsCatalog | undefined;
function ebsCatalog(): EbsCatalog {
  catalog ??= EbsCatalog.parse(readPackageJson('providers', 'aws', 'data', 'aws-ebs-volume-types.json'));
  return catalog;
}

function entry(type: string) {
  return ebsCatalog().volumeTypes.find((v) => v.type === type);
}

function num(record: Record<string, unknown> | undefined, key: string, fallback: number): number {
  const value = record?.[key];
  return typeof value === 'number' ? value : fallback;
}

export const GP3 = {
  get includedIops() {
    return num(entry('gp3')?.iops, 'included', 3000);
  },
  get maxIops() {
    return num(entry('gp3')?.iops, 'max', 80000);
  },
  get includedMiBps() {
    return num(entry('gp3')?.throughputMiBps, 'included', 125);
  },
  get maxMiBps() {
    return num(entry('gp3')?.throughputMiBps, 'max', 2000);
  },
  /** 2023 ratios, the only ones sourced (catalog note): 500 IOPS per GiB, 0.25 MiB/s per IOPS. */
  get maxIopsPerGiB() {
    return num(entry('gp3')?.iops, 'maxIopsPerGiB', 500);
  },
  get maxMiBpsPerIops() {
    return num(entry('gp3')?.throughputMiBps, 'maxMiBpsPerProvisionedIops', 0.25);
  },
};

export interface VolumeCapacity {
  /** Sustained IOPS the volume delivers (gp2: its baseline). */
  iops: number | null;
  /** What it can reach while burst credits last (gp2 below 1 TiB: 3,000). */
  burstIops: number | null;
  /** Sustained throughput. */
  throughputMiBps: number | null;
  /** Throughput while burst credits last (gp2 170-334 GiB: 250; st1/sc1: the burst formula). */
  burstThroughputMiBps: number | null;
  /** How the numbers were derived, for the arithmetic. */
  basis: string;
}

/**
 * Each type's limits from the catalog's models: gp2 3 IOPS/GiB (100..16,000), burst 3,000 below
 * 1 TiB, 128 MiB/s up to 170 GiB, 250 MiB/s on credits between 170 and 334 GiB and sustained from
 * 334 GiB; gp3 and io1/io2 as provisioned; st1/sc1 per TiB with a burst.
 */
export function volumeCapacity(
  type: string,
  sizeGiB: number,
  iops: number | null,
  throughputMiBps: number | null,
): VolumeCapacity {
  switch (type) {
    case 'gp2': {
      const base = Math.min(16000, Math.max(100, 3 * sizeGiB));
      const sustained = sizeGiB >= 334 ? 250 : 128;
      const burst = sizeGiB > 170 ? 250 : 128;
      const burstIops = sizeGiB < 1024 ? Math.max(base, 3000) : base;
      return {
        iops: base,
        burstIops,
        throughputMiBps: sustained,
        burstThroughputMiBps: burst,
        basis:
          `gp2 ${sizeGiB} GiB: baseline min(16000, max(100, 3 × ${sizeGiB})) = ${base} IOPS` +
          `${burstIops > base ? `, ${burstIops} on burst credits` : ''}; ${sustained} MiB/s` +
          `${burst > sustained ? `, ${burst} on burst credits (170-334 GiB)` : ''}`,
      };
    }
    case 'gp3':
      return {
        iops: iops ?? GP3.includedIops,
        burstIops: null,
        throughputMiBps: throughputMiBps ?? GP3.includedMiBps,
        burstThroughputMiBps: null,
        basis: `gp3 provisioned ${iops ?? GP3.includedIops} IOPS, ${throughputMiBps ?? GP3.includedMiBps} MiB/s`,
      };
    case 'io1':
    case 'io2': {
      const provisioned = iops ?? 100;
      // io1: 256 KiB per I/O up to 500 MiB/s while ≤ 32,000 IOPS, then 16 KiB per IOPS up to 1,000 MiB/s
      // (64,000 IOPS); io2 Block Express: 0.256 MiB/s per IOPS up to 4,000 MiB/s.
      const throughput =
        type === 'io1'
          ? provisioned <= 32000
            ? Math.min(500, provisioned * 0.25)
            : Math.min(1000, (provisioned * 16) / 1024)
          : Math.min(4000, provisioned * 0.256);
      return {
        iops: provisioned,
        burstIops: null,
        throughputMiBps: throughput,
        burstThroughputMiBps: null,
        basis: `${type} provisioned ${provisioned} IOPS, up to ${round1(throughput)} MiB/s`,
      };
    }
    case 'st1':
    case 'sc1': {
      // MiB/s per TiB: st1 40 baseline / 250 burst, capped at 500; sc1 12 / 80, capped at 192 / 250.
      const tib = sizeGiB / 1024;
      const [perTib, burstPerTib, cap, burstCap] = type === 'st1' ? [40, 250, 500, 500] : [12, 80, 192, 250];
      const sustained = round1(Math.min(cap, perTib * tib));
      const burst = round1(Math.min(burstCap, burstPerTib * tib));
      return {
        iops: null,
        burstIops: null,
        throughputMiBps: sustained,
        burstThroughputMiBps: burst,
        basis: `${type} ${sizeGiB} GiB: ${perTib} MiB/s per TiB = ${sustained} MiB/s, ${burst} on burst credits`,
      };
    }
    default:
      return {
        iops,
        burstIops: null,
        throughputMiBps,
        burstThroughputMiBps: null,
        basis: `${type}: performance model not bundled`,
      };
  }
}

export interface MonthlyCost {
  usd: number | null;
  formula: string;
  /** Parts whose price is not in the bundled catalog. */
  unknown: string[];
}

export function volumeMonthlyCost(
  type: string,
  sizeGiB: number,
  iops: number | null,
  throughputMiBps: number | null,
): MonthlyCost {
  const price = entry(type)?.priceUsd ?? {};
  const perGB = price.perGBMonth ?? null;
  if (perGB === null)
    return { usd: null, formula: `${type} storage price unknown`, unknown: [`${type} storage`] };
  let usd = sizeGiB * perGB;
  const parts = [`${sizeGiB} GiB × $${perGB}`];
  const unknown: string[] = [];
  if (type === 'gp3') {
    const extraIops = Math.max(0, (iops ?? GP3.includedIops) - GP3.includedIops);
    const extraMiBps = Math.max(0, (throughputMiBps ?? GP3.includedMiBps) - GP3.includedMiBps);
    if (extraIops > 0) {
      const p = price.perProvisionedIopsMonthAbove3000 ?? null;
      if (p === null) unknown.push(`${extraIops} IOPS above the included ${GP3.includedIops}`);
      else {
        usd += extraIops * p;
        parts.push(`${extraIops} IOPS × $${p}`);
      }
    }
    if (extraMiBps > 0) {
      const p = price.perProvisionedMiBpsMonthAbove125 ?? null;
      if (p === null) unknown.push(`${extraMiBps} MiB/s above the included ${GP3.includedMiBps}`);
      else {
        usd += extraMiBps * p;
        parts.push(`${extraMiBps} MiB/s × $${p}`);
      }
    }
  } else if (type === 'io1' || type === 'io2') {
    const p =
      type === 'io1'
        ? (price.perProvisionedIopsMonth ?? null)
        : (price.perProvisionedIopsMonthTier1UpTo32000 ?? null);
    const provisioned = iops ?? 0;
    // io2 is tiered above 32,000 IOPS; only the first tier's price is bundled.
    if (p === null || (type === 'io2' && provisioned > 32000)) unknown.push(`${type} provisioned IOPS`);
    else {
      usd += provisioned * p;
      parts.push(`${provisioned} IOPS × $${p}`);
    }
  }
  return {
    usd: unknown.length > 0 ? null : Math.round(usd * 100) / 100,
    formula: parts.join(' + '),
    unknown,
  };
}

export interface Gp3Plan {
  iops: number;
  throughputMiBps: number;
  /** The size the plan needs: the current one, or larger when the IOPS need more GiB (500 IOPS each). */
  sizeGiB: number;
  fits: boolean;
  steps: { label: string; formula: string; result: string }[];
}

/** The gp3 configuration that serves the observed peaks with headroom, within gp3's ratios and maxima. */
export function planGp3(sizeGiB: number, peakIops: number, peakMiBps: number, headroom: number): Gp3Plan {
  const steps: Gp3Plan['steps'] = [];
  const wantIops = Math.ceil((peakIops * headroom) / 100) * 100;
  const wantMiBps = Math.ceil(peakMiBps * headroom);
  let iops = Math.max(GP3.includedIops, wantIops);
  const throughput = Math.max(GP3.includedMiBps, wantMiBps);
  steps.push({
    label: 'IOPS to provision',
    formula: `max(${GP3.includedIops} included, peak ${Math.round(peakIops)} × ${headroom.toFixed(2)} rounded up to 100)`,
    result: `${iops} IOPS`,
  });
  steps.push({
    label: 'throughput to provision',
    formula: `max(${GP3.includedMiBps} included, peak ${round1(peakMiBps)} MiB/s × ${headroom.toFixed(2)})`,
    result: `${throughput} MiB/s`,
  });
  // gp3 allows at most 0.25 MiB/s per provisioned IOPS: more throughput needs more IOPS.
  const iopsForThroughput = Math.ceil(throughput / GP3.maxMiBpsPerIops / 100) * 100;
  if (throughput > GP3.includedMiBps && iopsForThroughput > iops) {
    steps.push({
      label: 'IOPS for that throughput',
      formula: `${throughput} MiB/s ÷ ${GP3.maxMiBpsPerIops} MiB/s per IOPS`,
      result: `${iopsForThroughput} IOPS`,
    });
    iops = iopsForThroughput;
  }
  // The included 3,000 IOPS come at any size; only IOPS above them need 1 GiB per 500. A volume
  // too small for its IOPS can grow (online) instead of moving to io2.
  const neededGiB = iops > GP3.includedIops ? Math.ceil(iops / GP3.maxIopsPerGiB) : 0;
  const plannedGiB = Math.max(sizeGiB, neededGiB);
  if (plannedGiB > sizeGiB) {
    steps.push({
      label: 'size for those IOPS',
      formula: `${iops} IOPS ÷ ${GP3.maxIopsPerGiB} IOPS per GiB`,
      result: `${plannedGiB} GiB (grow from ${sizeGiB})`,
    });
  }
  const fits = iops <= GP3.maxIops && throughput <= GP3.maxMiBps;
  steps.push({
    label: 'within gp3 limits',
    formula: `${iops} ≤ ${GP3.maxIops} IOPS and ${throughput} ≤ ${GP3.maxMiBps} MiB/s`,
    result: fits ? 'yes' : 'no',
  });
  return { iops, throughputMiBps: throughput, sizeGiB: plannedGiB, fits, steps };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

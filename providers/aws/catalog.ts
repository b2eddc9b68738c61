// Instance-type specs: DescribeInstanceTypes for the types in use (≤ 100 names per call,
// providers.md §1.2), merged over the bundled catalog, which is also the only source of prices
// (the API carries none) and the offline fallback when the call fails.
import type { _InstanceType } from '@aws-sdk/client-ec2';
import { z } from 'zod';
import type { AwsConfig } from '../../src/config/schema.ts';
import type { Gap, InstanceType } from '../../src/model/index.ts';
import { readPackageJson } from '../../src/paths.ts';
import type { Collected, Inventory, ProviderContext } from '../types.ts';
import type { AwsClientFactory } from './clients.ts';
import { parseList, toGap } from './inventory.ts';
import { CatalogInstanceType, Ec2InstanceType } from './schema.ts';

export const TYPES_PER_CALL = 100;

let bundled: InstanceType[] | undefined;

/** The bundled catalog (16 families, us-east-1 on-demand Linux prices), parsed once. */
export function bundledCatalog(): InstanceType[] {
  bundled ??= z
    .object({ instanceTypes: z.array(CatalogInstanceType) })
    .parse(readPackageJson('providers', 'aws', 'data', 'aws-ec2-instance-types.json'))
    .instanceTypes.map((entry) => ({ provider: 'aws' as const, ...entry, source: 'bundled' as const }));
  return bundled;
}

export async function listInstanceTypes(
  ctx: ProviderContext<AwsConfig>,
  clients: AwsClientFactory,
  inventory: Inventory,
): Promise<Collected<InstanceType[]>> {
  // The SDK loads with the first AWS call, never on a run without AWS (issue 12).
  const { DescribeInstanceTypesCommand } = await import('@aws-sdk/client-ec2');
  const byName = new Map(bundledCatalog().map((entry) => [entry.name, entry]));
  const gaps: Gap[] = [];
  const regions = [...new Set(inventory.hosts.map((host) => host.region))];
  await Promise.all(
    regions.map(async (region) => {
      const names = [
        ...new Set(inventory.hosts.filter((h) => h.region === region).map((h) => h.instanceType)),
      ].sort();
      ctx.observe('instance-types', region, names.length);
      const { ec2 } = clients.forRegion(region);
      for (let start = 0; start < names.length; start += TYPES_PER_CALL) {
        // NOTE: the SDK types InstanceTypes as a closed union; the names come from the API itself.
        const batch = names.slice(start, start + TYPES_PER_CALL) as _InstanceType[];
        try {
          const out = await ctx.call(
            { bucket: 'ec2', operation: 'ec2.DescribeInstanceTypes', region },
            (signal) =>
              ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: batch }), { abortSignal: signal }),
          );
          for (const api of parseList(ctx, Ec2InstanceType, out.InstanceTypes ?? [], 'instance types')) {
            byName.set(api.InstanceType, fromApi(api, byName.get(api.InstanceType)));
          }
        } catch (error) {
          const gap = toGap(error, `instance-type specs in ${region} (${batch.length} types)`, region);
          gaps.push({ ...gap, message: `${gap.message}; sizing used the bundled catalog for these types` });
        }
      }
    }),
  );
  return { value: [...byName.values()], gaps };
}

function fromApi(api: Ec2InstanceType, known: InstanceType | undefined): InstanceType {
  const card = api.NetworkInfo.NetworkCards[0];
  const ebs = api.EbsInfo.EbsOptimizedInfo;
  const family = api.InstanceType.split('.')[0] ?? api.InstanceType;
  return {
    provider: 'aws',
    name: api.InstanceType,
    family,
    vcpu: api.VCpuInfo.DefaultVCpus,
    memoryMiB: api.MemoryInfo.SizeInMiB,
    // NOTE: older types list i386 before x86_64; the 64-bit one is what a resize compares.
    arch: pickArch(api.ProcessorInfo.SupportedArchitectures) ?? known?.arch ?? null,
    burstable: api.BurstablePerformanceSupported,
    // The API does not give a burstable type's baseline; only the catalog does.
    baselineCpuPct: known?.baselineCpuPct ?? null,
    networkBaselineGbps: card?.BaselineBandwidthInGbps ?? known?.networkBaselineGbps ?? null,
    networkPeakGbps: card?.PeakBandwidthInGbps ?? known?.networkPeakGbps ?? null,
    ebsBaselineIops: ebs?.BaselineIops ?? known?.ebsBaselineIops ?? null,
    ebsMaxIops: ebs?.MaximumIops ?? known?.ebsMaxIops ?? null,
    ebsBaselineThroughputMBps: ebs?.BaselineThroughputInMBps ?? known?.ebsBaselineThroughputMBps ?? null,
    ebsMaxThroughputMBps: ebs?.MaximumThroughputInMBps ?? known?.ebsMaxThroughputMBps ?? null,
    priceUsdPerHour: known?.priceUsdPerHour ?? null,
    source: 'api',
  };
}

function pickArch(architectures: readonly string[]): string | undefined {
  return architectures.find((a) => a === 'x86_64' || a === 'arm64') ?? architectures[0];
}

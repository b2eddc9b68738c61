import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { packagePath } from '../../../src/paths.ts';

// The bundled catalog (../shared/catalogs/README.md) is what the mock answers DescribeInstanceTypes
// from; nulls there stay absent in the XML rather than being invented.
const nullableNumber = z.number().nullable();

export const CatalogInstanceType = z.object({
  name: z.string(),
  family: z.string(),
  vcpu: z.number().int().positive(),
  memoryMiB: z.number().int().positive(),
  arch: z.string(),
  burstable: z.boolean(),
  baselineCpuPct: nullableNumber,
  networkBaselineGbps: nullableNumber,
  networkPeakGbps: nullableNumber,
  networkPerformanceLabel2023: z.string().nullable(),
  ebsBaselineMbps: nullableNumber,
  ebsMaxMbps: nullableNumber,
  ebsBaselineIops: nullableNumber,
  ebsMaxIops: nullableNumber,
  ebsBaselineThroughputMBps: nullableNumber,
  ebsMaxThroughputMBps: nullableNumber,
  ebsMaxBurstLimitedTo30MinPer24h: z.boolean().nullable(),
});
export type CatalogInstanceType = z.infer<typeof CatalogInstanceType>;

const CatalogFile = z.object({ instanceTypes: z.array(CatalogInstanceType) });

let cached: ReadonlyMap<string, CatalogInstanceType> | undefined;

/** Instance types by name, in catalog order; read once per process. */
export function loadInstanceTypeCatalog(): ReadonlyMap<string, CatalogInstanceType> {
  if (cached) return cached;
  const path = packagePath('providers', 'aws', 'data', 'aws-ec2-instance-types.json');
  const file = CatalogFile.parse(JSON.parse(readFileSync(path, 'utf8')));
  cached = new Map(file.instanceTypes.map((entry) => [entry.name, entry]));
  return cached;
}

import { describe, expect, it } from 'vitest';
import { bundledCatalogs } from '../../providers/index.ts';
import type { Volume } from '../../src/model/index.ts';
import { instanceMonthlyCost, sumCosts, volumeCost } from '../../src/recommend/volume-cost.ts';

const volume = (v: Partial<Volume> & Pick<Volume, 'provider' | 'type' | 'sizeGiB'>) => ({
  region: 'r',
  zone: 'z',
  iops: null,
  throughputMiBps: null,
  ...v,
});

describe('volumeCost', () => {
  it('prices EBS from the AWS catalog, with provisioned IOPS', () => {
    expect(volumeCost(volume({ provider: 'aws', type: 'io1', sizeGiB: 400, iops: 12000 }))).toEqual({
      usd: 830,
      formula: '400 GiB × $0.125 + 12000 IOPS × $0.065',
      unknown: [],
    });
  });

  it('prices Persistent Disk zonal and regional from gcp-disk-types.json', () => {
    expect(volumeCost(volume({ provider: 'gcp', type: 'pd-balanced', sizeGiB: 200 })).usd).toBe(20);
    expect(volumeCost(volume({ provider: 'gcp', type: 'pd-balanced', sizeGiB: 200, zone: null })).usd).toBe(
      40,
    );
  });

  it('says what it does not know instead of guessing', () => {
    expect(volumeCost(volume({ provider: 'gcp', type: 'hyperdisk-balanced', sizeGiB: 100 }))).toMatchObject({
      usd: null,
      unknown: ['hyperdisk-balanced capacity'],
    });
    expect(
      volumeCost(volume({ provider: 'gcp', type: 'pd-extreme', sizeGiB: 500, iops: 20000 })),
    ).toMatchObject({
      usd: null,
      unknown: ['pd-extreme provisioned IOPS'],
    });
    expect(volumeCost(volume({ provider: 'aws', type: 'st1', sizeGiB: 500 })).usd).toBeNull();
  });

  it('prices Linode Block Storage per GB, with the regions that cost more', () => {
    expect(
      volumeCost(volume({ provider: 'linode', type: 'block-storage-nvme', sizeGiB: 50, region: 'us-east' }))
        .usd,
    ).toBe(5);
    expect(
      volumeCost(volume({ provider: 'linode', type: 'block-storage-nvme', sizeGiB: 50, region: 'br-gru' }))
        .usd,
    ).toBe(7);
  });

  it('prices OVHcloud Block Storage in EUR converted to USD', () => {
    expect(volumeCost(volume({ provider: 'ovh', type: 'classic', sizeGiB: 100 }))).toEqual({
      usd: 4.4,
      formula: '100 GB × €0.04 × 1.1 $/€',
      unknown: [],
    });
  });
});

describe('instanceMonthlyCost and sumCosts', () => {
  it('prices a plan for 730 h and sums to null when a part is unknown', () => {
    const g6 = bundledCatalogs().find((t) => t.name === 'g6-standard-2');
    const plan = instanceMonthlyCost(g6);
    expect(plan.usd).toBe(26.28);
    expect(instanceMonthlyCost(undefined).usd).toBeNull();
    const disk = volumeCost(
      volume({ provider: 'linode', type: 'block-storage-nvme', sizeGiB: 50, region: 'us-east' }),
    );
    expect(sumCosts([plan, disk]).usd).toBe(31.28);
    expect(sumCosts([plan, instanceMonthlyCost(undefined)]).usd).toBeNull();
    expect(sumCosts([]).usd).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { planGp3, volumeCapacity, volumeMonthlyCost } from '../../src/recommend/ebs.ts';

describe('EBS models', () => {
  it('gp2: 3 IOPS per GiB with a 3,000 burst below 1 TiB; 128 MiB/s sustained to 334 GiB, 250 on credits above 170', () => {
    expect(volumeCapacity('gp2', 100, null, null)).toMatchObject({
      iops: 300,
      burstIops: 3000,
      throughputMiBps: 128,
      burstThroughputMiBps: 128,
    });
    expect(volumeCapacity('gp2', 200, null, null)).toMatchObject({
      iops: 600,
      throughputMiBps: 128,
      burstThroughputMiBps: 250,
    });
    expect(volumeCapacity('gp2', 500, null, null)).toMatchObject({ iops: 1500, throughputMiBps: 250 });
    expect(volumeCapacity('gp2', 2000, null, null)).toMatchObject({ iops: 6000, burstIops: 6000 });
  });

  it('io1: 256 KiB per I/O to 500 MiB/s, then 16 KiB per IOPS to 1,000 MiB/s', () => {
    expect(volumeCapacity('io1', 400, 1000, null).throughputMiBps).toBe(250);
    expect(volumeCapacity('io1', 1280, 64000, null).throughputMiBps).toBe(1000);
  });

  it('st1 and sc1 have a throughput model', () => {
    expect(volumeCapacity('st1', 2048, null, null)).toMatchObject({
      throughputMiBps: 80,
      burstThroughputMiBps: 500,
    });
    expect(volumeCapacity('sc1', 1024, null, null)).toMatchObject({
      throughputMiBps: 12,
      burstThroughputMiBps: 80,
    });
  });

  it('gp3 gives its 3,000 IOPS at any size and grows a small volume for more', () => {
    expect(planGp3(4, 100, 1, 1.2)).toMatchObject({ fits: true, iops: 3000, sizeGiB: 4 });
    const grown = planGp3(8, 3400, 10, 1.2);
    expect(grown).toMatchObject({ fits: true, iops: 4100, sizeGiB: 9 });
    expect(planGp3(100, 90000, 10, 1.2).fits).toBe(false);
  });

  it('gp3 needs IOPS for throughput beyond 0.25 MiB/s per IOPS', () => {
    expect(planGp3(500, 100, 1000, 1)).toMatchObject({ throughputMiBps: 1000, iops: 4000 });
  });

  it('prices what the catalog prices and says what it does not', () => {
    expect(volumeMonthlyCost('gp2', 100, null, null)).toMatchObject({ usd: 10 });
    expect(volumeMonthlyCost('io1', 100, 1000, null)).toMatchObject({ usd: 77.5 });
    const extra = volumeMonthlyCost('gp3', 100, 6000, 125);
    expect(extra.usd).toBeNull();
    expect(extra.unknown).toEqual(['3000 IOPS above the included 3000']);
  });
});

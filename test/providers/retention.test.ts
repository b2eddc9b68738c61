import { describe, expect, it } from 'vitest';
import { keptDaysAt, metricRetention, retentionProblem } from '../../providers/retention.ts';
import { ProviderId } from '../../src/model/index.ts';

const DAY_MS = 86_400_000;

describe('metric retention per cloud', () => {
  it("keeps CloudWatch's documented tiers: 1-minute 15 days, 5-minute 63 days, 1-hour 455 days", () => {
    expect(keptDaysAt('aws', 60)).toBe(15);
    expect(keptDaysAt('aws', 300)).toBe(63);
    expect(keptDaysAt('aws', 3600)).toBe(455);
  });

  it('keeps Cloud Monitoring 6 weeks at any step, OVH a year, and Linode without a documented limit', () => {
    for (const step of [60, 300, 3600]) {
      expect(keptDaysAt('gcp', step)).toBe(42);
      expect(keptDaysAt('ovh', step)).toBe(365);
      expect(keptDaysAt('linode', step)).toBeNull();
    }
  });

  it("links each cloud's own page", () => {
    for (const id of ProviderId.options) expect(metricRetention[id].source).toMatch(/^https:\/\//);
  });

  it('lets a window inside retention pass, and says what the cloud keeps when it is past it', () => {
    expect(retentionProblem('aws', 14 * DAY_MS, 60)).toBeUndefined();
    expect(retentionProblem('aws', 15 * DAY_MS, 60)).toBeUndefined();
    const aws = retentionProblem('aws', 30 * DAY_MS, 60)!;
    expect(aws).toMatch(/CloudWatch keeps 1-minute data 15 days/);
    expect(aws).toMatch(/use --since 15d, or a 300 s period \(periodSec: 300\)/);
    expect(retentionProblem('gcp', 60 * DAY_MS, 300)).toMatch(/6 weeks \(42 days\).*at most 42d/);
    expect(retentionProblem('ovh', 400 * DAY_MS, 300)).toMatch(/one year/);
    expect(retentionProblem('linode', 400 * DAY_MS, 300)).toBeUndefined();
  });
});

import type { AwsService } from './protocol.ts';

// Token buckets per region, service and bucket: a request takes one token; tokens refill
// continuously up to the bucket size. A run that respects the published limits never sees them.

export interface BucketSpec {
  readonly capacity: number;
  readonly refillPerSec: number;
}

/**
 * The bucket a call draws from, or undefined when the action is not rate limited here.
 * - CloudWatch GetMetricData 50 TPS, ListMetrics 25 TPS, DescribeAlarms 9 TPS, per region:
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html
 * - EC2 non-mutating actions: bucket 100, refill 20/s, one bucket per action:
 *   https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
 * - Auto Scaling: one bucket shared by every action, size not published
 *   (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/Welcome.html, "API request rate");
 *   20 tokens refilled at 10/s is a conservative guess.
 */
export function bucketFor(
  service: AwsService,
  action: string,
): { name: string; spec: BucketSpec } | undefined {
  switch (service) {
    case 'cloudwatch':
      if (action === 'GetMetricData') return { name: action, spec: { capacity: 50, refillPerSec: 50 } };
      if (action === 'ListMetrics') return { name: action, spec: { capacity: 25, refillPerSec: 25 } };
      if (action === 'DescribeAlarms') return { name: action, spec: { capacity: 9, refillPerSec: 9 } };
      return undefined;
    case 'ec2':
      return { name: action, spec: { capacity: 100, refillPerSec: 20 } };
    case 'autoscaling':
      return { name: 'shared', spec: { capacity: 20, refillPerSec: 10 } };
  }
}

/**
 * GetMetricData's second quota: 396,000 datapoints a second per region when StartTime is older
 * than 3 hours (same quotas page), the rate fleetlens' adapter declares; a page of datapoints
 * takes as many tokens as it returns, from a bucket of one second's worth.
 */
export const getMetricDataPoints: { name: string; spec: BucketSpec } = {
  name: 'GetMetricData-datapoints',
  spec: { capacity: 396_000, refillPerSec: 396_000 },
};

interface BucketState {
  tokens: number;
  updatedMs: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, BucketState>();

  constructor(readonly clockMs: () => number = () => performance.now()) {}

  /** Takes `cost` tokens; false when the bucket has fewer (the caller answers the throttling error). */
  take(key: string, spec: BucketSpec, cost = 1, atMs = this.clockMs()): boolean {
    const state = this.buckets.get(key) ?? { tokens: spec.capacity, updatedMs: atMs };
    // Requests are charged at arrival; one that waited behind another's computation is not earlier.
    const nowMs = Math.max(atMs, state.updatedMs);
    state.tokens = Math.min(
      spec.capacity,
      state.tokens + ((nowMs - state.updatedMs) / 1000) * spec.refillPerSec,
    );
    state.updatedMs = nowMs;
    this.buckets.set(key, state);
    if (state.tokens < Math.min(cost, spec.capacity)) return false;
    state.tokens -= cost;
    return true;
  }
}

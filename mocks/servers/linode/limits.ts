import { TokenBuckets } from '../aws/rate-limit.ts';

// Linode's published rates, per user token (https://techdocs.akamai.com/linode-api/reference/rate-limits;
// ../shared/reference/providers.md §3.3): paginated collection GETs 200/min, /stats 50/min, every
// other operation 1,600/min. A bucket of `perWindow` tokens refilled evenly over `windowSec`, so a
// client throttled to the same rate never sees a 429. Tests shrink the window to reach the limit fast.

export type LinodeBucket = 'collections' | 'stats' | 'other';

export interface LinodeRateLimits {
  collections: number;
  stats: number;
  other: number;
  windowSec: number;
}

export const publishedLimits: LinodeRateLimits = { collections: 200, stats: 50, other: 1600, windowSec: 60 };

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

export class LinodeRateLimiter {
  private readonly buckets: TokenBuckets;

  constructor(
    private readonly limits: LinodeRateLimits,
    clockMs: () => number = () => performance.now(),
  ) {
    this.buckets = new TokenBuckets(clockMs);
  }

  take(token: string, bucket: LinodeBucket): RateDecision {
    const capacity = this.limits[bucket];
    const refillPerSec = capacity / this.limits.windowSec;
    const allowed = this.buckets.take(`${token}|${bucket}`, { capacity, refillPerSec });
    // One token comes back every 1 / refillPerSec seconds.
    const retryAfterSec = Math.max(1, Math.ceil(1 / refillPerSec));
    const headers: Record<string, string> = {
      'X-RateLimit-Limit': String(capacity),
      'X-RateLimit-Reset': String(Math.ceil(Date.now() / 1000) + this.limits.windowSec),
    };
    if (!allowed) headers['Retry-After'] = String(retryAfterSec);
    return { allowed, headers };
  }
}

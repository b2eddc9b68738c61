// The one wrapper every remote call goes through (DESIGN.md "Published limits, not guesses"):
// a concurrency slot (p-limit), then a rate slot per attempt (p-throttle), then retries with
// backoff that honour Retry-After (p-retry), a timeout per attempt, and one conversion of every
// failure to a ProviderError. The SDKs' own retries are switched off, so a request is never
// retried twice (models-and-libraries.md §2.3).
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit, { type LimitFunction } from 'p-limit';
import pRetry, { AbortError } from 'p-retry';
import pThrottle from 'p-throttle';
import { ProviderError, type RemoteSource } from '../errors.ts';
import type { Logger } from '../log.ts';

/** A provider's published limit for one family of calls, with the page that publishes it. */
export interface RateLimit {
  concurrency: number;
  /** Requests allowed per `intervalMs`; omit where the provider publishes no rate. */
  requestsPerInterval?: number;
  intervalMs?: number;
  /**
   * A second quota in units per `intervalMs` (e.g. CloudWatch's 396,000 datapoints per second);
   * each call says how many units it uses in `CallRequest.units`.
   */
  unitsPerInterval?: number;
  source: string;
}

export interface RetryPolicy {
  attempts: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails as `throttled`. */
  maxRetryAfterMs: number;
  timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 4,
  minDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
  timeoutMs: 30_000,
};

export interface CallRequest {
  /** Which published limit applies (e.g. `cloudwatch.GetMetricData`, `ec2`). */
  bucket: string;
  /** Shown in logs and gaps: `ec2.DescribeInstances`. */
  operation: string;
  /** Limits are per region where the provider says so; the bucket key includes it. */
  region?: string;
  /** What this call spends of the bucket's `unitsPerInterval` (default 1). */
  units?: number;
}

export interface OperationStats {
  made: number;
  retries: number;
  failed: number;
}

export type ErrorMapper = (error: unknown, request: CallRequest) => ProviderError | undefined;

export interface Caller {
  <T>(request: CallRequest, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
  stats(): Record<string, OperationStats>;
}

export interface CallerOptions {
  provider: RemoteSource;
  limits: Record<string, RateLimit>;
  /** Converts what the SDK threw; undefined means "not a provider failure" (a bug: rethrown as is). */
  toProviderError: ErrorMapper;
  log: Logger;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
}

interface Slot {
  limit: LimitFunction;
  throttle: <T>(fn: () => Promise<T>, units: number) => Promise<T>;
}

export function createCaller(options: CallerOptions): Caller {
  const policy = { ...defaultRetryPolicy, ...options.retry };
  const slots = new Map<string, Slot>();
  const stats: Record<string, OperationStats> = {};

  function slotFor(request: CallRequest): Slot {
    const key = `${request.bucket}@${request.region ?? '*'}`;
    let slot = slots.get(key);
    if (!slot) {
      const limit = options.limits[request.bucket];
      if (!limit)
        throw new Error(`no published limit declared for ${options.provider} bucket ${request.bucket}`);
      slot = { limit: pLimit(limit.concurrency), throttle: makeThrottle(limit) };
      slots.set(key, slot);
    }
    return slot;
  }

  const call = async <T>(request: CallRequest, fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const entry = stats[request.operation] ?? { made: 0, retries: 0, failed: 0 };
    stats[request.operation] = entry;
    entry.made += 1;
    const slot = slotFor(request);
    const attempt = async (attemptNumber: number): Promise<T> => {
      if (attemptNumber > 1) entry.retries += 1;
      try {
        return await slot.throttle(
          () => withTimeout(fn, policy.timeoutMs, options.signal),
          request.units ?? 1,
        );
      } catch (error) {
        throw classify(error, request, options, policy);
      }
    };
    try {
      return await slot.limit(() =>
        pRetry(attempt, {
          retries: policy.attempts - 1,
          minTimeout: policy.minDelayMs,
          maxTimeout: policy.maxDelayMs,
          randomize: true,
          signal: options.signal,
          onFailedAttempt: async ({ error, retriesLeft }) => {
            if (!(error instanceof ProviderError) || retriesLeft === 0) return;
            options.log.warn(
              {
                provider: options.provider,
                operation: request.operation,
                region: request.region,
                kind: error.kind,
              },
              'provider call failed, retrying',
            );
            // p-retry adds its own (small) backoff after this; Retry-After comes first.
            if (error.retryAfterMs) await sleep(error.retryAfterMs, undefined, { signal: options.signal });
          },
        }),
      );
    } catch (error) {
      entry.failed += 1;
      throw error;
    }
  };

  return Object.assign(call, { stats: () => structuredClone(stats) });
}

function makeThrottle(limit: RateLimit): Slot['throttle'] {
  const interval = limit.intervalMs ?? 1000;
  const perRequest = limit.requestsPerInterval
    ? pThrottle({ limit: limit.requestsPerInterval, interval })((fn: () => Promise<unknown>) => fn())
    : (fn: () => Promise<unknown>) => fn();
  const unitsLimit = limit.unitsPerInterval;
  // Units are paid first, then a request slot; a call heavier than the whole quota pays it all.
  const perUnit = unitsLimit
    ? pThrottle({
        limit: unitsLimit,
        interval,
        weight: (_fn: unknown, units: number) => Math.min(units, unitsLimit),
      })((fn: () => Promise<unknown>, _units: number) => fn())
    : (fn: () => Promise<unknown>, _units: number) => fn();
  return <T>(fn: () => Promise<T>, units: number) => perUnit(() => perRequest(fn), units) as Promise<T>;
}

class CallTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs / 1000} s`);
  }
}

async function withTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<T> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
  try {
    return await fn(signal);
  } catch (error) {
    if (timeout.aborted && !outer?.aborted) throw new CallTimeout(timeoutMs);
    throw error;
  }
}

/** Returns the error to throw from an attempt: retryable ProviderErrors as they are, the rest aborted. */
function classify(error: unknown, request: CallRequest, options: CallerOptions, policy: RetryPolicy): Error {
  if (options.signal?.aborted) return new AbortError(asError(options.signal.reason ?? error));
  const providerError =
    error instanceof ProviderError
      ? error
      : error instanceof CallTimeout
        ? new ProviderError(options.provider, 'unavailable', request.operation, error.message)
        : options.toProviderError(error, request);
  if (!providerError) return new AbortError(asError(error));
  if (!providerError.retryable) return new AbortError(providerError);
  if (providerError.retryAfterMs !== undefined && providerError.retryAfterMs > policy.maxRetryAfterMs) {
    const waitSec = Math.round(providerError.retryAfterMs / 1000);
    return new AbortError(
      new ProviderError(
        options.provider,
        'throttled',
        request.operation,
        `asked to wait ${waitSec} s (Retry-After), longer than the ${policy.maxRetryAfterMs / 1000} s allowed`,
        { retryAfterMs: providerError.retryAfterMs, status: providerError.status },
      ),
    );
  }
  return providerError;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** Parses an HTTP Retry-After value (seconds or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(value: string | null | undefined, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const dateMs = Date.parse(value);
  return Number.isNaN(dateMs) ? undefined : Math.max(0, dateMs - nowMs);
}

// The one wrapper every remote call goes through (DESIGN.md "Published limits, not guesses"):
// a concurrency slot (p-limit), then per attempt a rate slot on the clock, then the request, bounded
// by an idle timeout (no byte for `idleTimeoutMs`) and a ceiling (`timeoutMs`), both counted from
// the moment it is sent; failures are retried with backoff that honours Retry-After, and every
// failure becomes one ProviderError. The SDKs' own retries are switched off, so a request is never
// retried twice (models-and-libraries.md §2.3). Every wait is on the injected clock.
import type { ClientRequest } from 'node:http';
import pLimit, { type LimitFunction } from 'p-limit';
import { ProviderError, type RemoteSource } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type AttemptIo, withAttemptIo } from './attempt-io.ts';
import { type Clock, realClock } from './clock.ts';

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
  /**
   * The most units spent at once (default: `unitsPerInterval`). Below the server's own bucket, it
   * leaves the server headroom for calls that reach it bunched (sent in step, but one was delayed on
   * the way), which would otherwise find its bucket empty; the rate stays the same.
   */
  unitsBurst?: number;
  source: string;
}

export interface RetryPolicy {
  attempts: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails as `throttled`. */
  maxRetryAfterMs: number;
  /**
   * The ceiling of one attempt, from the moment it is sent (after its concurrency and rate slots).
   * An attempt that is still receiving at the ceiling is given up and not retried: asking again
   * would cost another ceiling.
   */
  timeoutMs: number;
  /**
   * The longest an attempt may go without receiving a byte (a stalled server or connection);
   * retried. Only attempts that send through node:http(s) are watched (every cloud client is).
   */
  idleTimeoutMs: number;
  /**
   * The most bytes one attempt may receive: an answer that never ends (a list that loops) is cut
   * here instead of filling memory until the ceiling; not retried.
   */
  maxAnswerBytes: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 4,
  minDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
  // A 14-day GetMetricData page (100,800 points) or timeSeries.list page (100,000) is a few MB: a
  // slow but steady link delivers it well inside 5 minutes.
  timeoutMs: 300_000,
  idleTimeoutMs: 30_000,
  // The largest page any adapter asks for (timeSeries.list, 100,000 points) is a few tens of MB as JSON.
  maxAnswerBytes: 512 * 1024 * 1024,
};

export interface CallRequest {
  /** Which published limit applies (e.g. `cloudwatch.GetMetricData`, `ec2`). */
  bucket: string;
  /** Shown in logs and gaps: `ec2.DescribeInstances`. */
  operation: string;
  /** Limits are per region where the provider says so; the bucket key includes it. */
  region?: string;
  /** The region, project or account a message names (default: `region`). */
  scope?: string;
  /** What this call spends of the bucket's `unitsPerInterval` (default 1). */
  units?: number;
}

export interface OperationStats {
  /** Calls sent (a retried call counts once). */
  made: number;
  retries: number;
  failed: number;
  /**
   * HTTP requests the attempts put on the wire, counted as each is sent: what the servers
   * received. Equals made + retries when every attempt is one request (no client retrying or
   * redirecting behind call()'s back); attempts that send through no node:http(s) count none.
   */
  attempts: number;
}

export type ErrorMapper = (error: unknown, request: CallRequest) => ProviderError | undefined;

export interface Caller {
  <T>(request: CallRequest, fn: (signal: AbortSignal) => Promise<T>): Promise<T>;
  stats(): Record<string, OperationStats>;
}

/**
 * Watches call() without changing it (progress on stderr): told synchronously, before the fact, so a
 * wait can be shown while it lasts. Counts and timing are the same with or without an observer.
 */
export interface CallObserver {
  /** An attempt is being sent: `attempt` 1 is a new call (counted as made), later ones are retries. */
  onSend?(request: CallRequest, attempt: number): void;
  /** The call waits `waitMs` on the clock: for its rate slot, or before a retry (backoff, Retry-After). */
  onWait?(request: CallRequest, waitMs: number, reason: 'rate-limit' | 'retry'): void;
}

export interface CallerOptions {
  provider: RemoteSource;
  limits: Record<string, RateLimit>;
  /** Converts what the SDK threw; undefined means "not a provider failure" (a bug: rethrown as is). */
  toProviderError: ErrorMapper;
  log: Logger;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /** Waits and timeouts run on it (default: the real clock). */
  clock?: Clock;
  observer?: CallObserver;
}

/** `ec2.DescribeInstances (eu-west-1)`: the call and its scope, as every message names them. */
export function operationLabel(request: Pick<CallRequest, 'operation' | 'region' | 'scope'>): string {
  const scope = request.scope ?? request.region;
  return scope ? `${request.operation} (${scope})` : request.operation;
}

/** Told how long the rate limit holds a call, before it waits. */
type OnThrottle = (waitMs: number) => void;

interface Slot {
  limit: LimitFunction;
  throttle: (units: number, signal: AbortSignal | undefined, onWait?: OnThrottle) => Promise<void>;
}

export function createCaller(options: CallerOptions): Caller {
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const clock = options.clock ?? realClock;
  const slots = new Map<string, Slot>();
  const stats: Record<string, OperationStats> = {};
  const observer = options.observer;

  function slotFor(request: CallRequest): Slot {
    const key = `${request.bucket}@${request.region ?? '*'}`;
    let slot = slots.get(key);
    if (!slot) {
      const limit = options.limits[request.bucket];
      if (!limit)
        throw new Error(`no published limit declared for ${options.provider} bucket ${request.bucket}`);
      slot = { limit: pLimit(limit.concurrency), throttle: makeThrottle(limit, clock) };
      slots.set(key, slot);
    }
    return slot;
  }

  const call = async <T>(request: CallRequest, fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const slot = slotFor(request);
    const onThrottle: OnThrottle | undefined = observer?.onWait
      ? (waitMs) => observer.onWait?.(request, waitMs, 'rate-limit')
      : undefined;
    const entry = stats[request.operation] ?? { made: 0, retries: 0, failed: 0, attempts: 0 };
    stats[request.operation] = entry;
    return slot.limit(async () => {
      for (let attempt = 1; ; attempt += 1) {
        await slot.throttle(request.units ?? 1, options.signal, onThrottle);
        if (attempt === 1) entry.made += 1;
        else entry.retries += 1;
        observer?.onSend?.(request, attempt);
        let failure: Failure;
        try {
          return await runAttempt(fn, policy, clock, options.signal, () => {
            entry.attempts += 1;
          });
        } catch (error) {
          failure = classify(error, request, options, policy);
        }
        if (!(failure.error instanceof ProviderError) || !failure.retry || attempt >= policy.attempts) {
          entry.failed += 1;
          throw failure.error;
        }
        options.log.warn(
          {
            provider: options.provider,
            operation: request.operation,
            region: request.scope ?? request.region,
            kind: failure.error.kind,
            attempt,
            why: failure.error.message,
          },
          'provider call failed, retrying',
        );
        const retryWaitMs = waitBeforeRetryMs(failure.error, attempt, policy);
        observer?.onWait?.(request, retryWaitMs, 'retry');
        await clock.sleep(retryWaitMs, options.signal);
      }
    });
  };

  return Object.assign(call, { stats: () => structuredClone(stats) });
}

/** Exponential backoff with jitter (×1 to ×2, capped), but never shorter than the Retry-After. */
function waitBeforeRetryMs(error: ProviderError, attempt: number, policy: RetryPolicy): number {
  const backoffMs = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** (attempt - 1) * (1 + Math.random()));
  return Math.max(backoffMs, error.retryAfterMs ?? 0);
}

/**
 * A sliding window on the clock: at most `limit` (units or requests) started in any `intervalMs`.
 * Callers are served in arrival order; a call heavier than the whole quota pays all of it.
 */
function windowThrottle(limit: number, intervalMs: number, clock: Clock) {
  const spent: { atMs: number; units: number }[] = [];
  const take = async (units: number, signal: AbortSignal | undefined, onWait: OnThrottle | undefined) => {
    const cost = Math.min(units, limit);
    for (;;) {
      const nowMs = clock.now();
      while (spent.length > 0 && spent[0]!.atMs + intervalMs <= nowMs) spent.shift();
      const used = spent.reduce((sum, s) => sum + s.units, 0);
      if (used + cost <= limit) {
        spent.push({ atMs: nowMs, units: cost });
        return;
      }
      const waitMs = spent[0]!.atMs + intervalMs - nowMs;
      onWait?.(waitMs);
      await clock.sleep(waitMs, signal);
    }
  };
  return inTurn(take);
}

/**
 * A token bucket on the clock: `capacity` units, refilled continuously at `capacity` per
 * `intervalMs`, as AWS meters a quota such as GetMetricData's datapoints a second. A sliding window
 * fits only whole calls in a second (three 100,800-point pages of 396,000: 76 % of the quota); the
 * bucket lets the fourth start as soon as its points have refilled. Callers are served in arrival
 * order; a call heavier than the whole bucket pays all of it.
 */
function bucketThrottle(perInterval: number, intervalMs: number, clock: Clock, burst = perInterval) {
  const capacity = Math.min(burst, perInterval);
  let tokens = capacity;
  let updatedMs = clock.now();
  const take = async (units: number, signal: AbortSignal | undefined, onWait: OnThrottle | undefined) => {
    const cost = Math.min(units, capacity);
    for (;;) {
      const nowMs = clock.now();
      tokens = Math.min(capacity, tokens + ((nowMs - updatedMs) * perInterval) / intervalMs);
      updatedMs = nowMs;
      if (tokens >= cost) {
        tokens -= cost;
        return;
      }
      const waitMs = Math.max(1, Math.ceil(((cost - tokens) * intervalMs) / perInterval));
      onWait?.(waitMs);
      await clock.sleep(waitMs, signal);
    }
  };
  return inTurn(take);
}

type Take = (units: number, signal: AbortSignal | undefined, onWait: OnThrottle | undefined) => Promise<void>;

/** Callers take their turn in arrival order: one waits for the quota while the others queue. */
function inTurn(take: Take) {
  let turn: Promise<void> = Promise.resolve();
  return (units: number, signal: AbortSignal | undefined, onWait?: OnThrottle): Promise<void> => {
    const mine = turn.then(() => take(units, signal, onWait));
    turn = mine.catch(() => {});
    return mine;
  };
}

function makeThrottle(limit: RateLimit, clock: Clock): Slot['throttle'] {
  const intervalMs = limit.intervalMs ?? 1000;
  const requests = limit.requestsPerInterval
    ? windowThrottle(limit.requestsPerInterval, intervalMs, clock)
    : undefined;
  const units = limit.unitsPerInterval
    ? bucketThrottle(limit.unitsPerInterval, intervalMs, clock, limit.unitsBurst)
    : undefined;
  // Units are paid first, then a request slot.
  return async (count, signal, onWait) => {
    await units?.(count, signal, onWait);
    await requests?.(1, signal, onWait);
  };
}

/** Why call() itself ended an attempt. */
type EndReason = 'idle' | 'ceiling' | 'size' | 'closed';

class AttemptEnded extends Error {
  constructor(
    readonly reason: EndReason,
    policy: RetryPolicy,
  ) {
    super(endMessage(reason, policy));
    this.name = 'AttemptEnded';
  }

  /** A stall or a dropped connection may not happen again; a ceiling or a size limit will. */
  get retryable(): boolean {
    return this.reason === 'idle' || this.reason === 'closed';
  }
}

function endMessage(reason: EndReason, policy: RetryPolicy): string {
  switch (reason) {
    case 'idle':
      return `timed out: no data for ${policy.idleTimeoutMs / 1000} s`;
    case 'ceiling':
      return `timed out after ${policy.timeoutMs / 1000} s (the ceiling for one call)`;
    case 'size':
      return `answered more than ${sizeText(policy.maxAnswerBytes)} without ending; stopped`;
    case 'closed':
      return 'the connection closed before the answer ended';
  }
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`;
}

/**
 * One attempt, bounded by its idle timeout and its ceiling, both counted from when its first request
 * has a socket (it is being sent): time spent before, in the client's own socket pool, is not the
 * server's. Until a request exists the ceiling counts from now, so an attempt that never sends still ends.
 */
async function runAttempt<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  clock: Clock,
  outer: AbortSignal | undefined,
  onSent: () => void,
): Promise<T> {
  const controller = new AbortController();
  const requests = new Set<ClientRequest>();
  let ended: AttemptEnded | undefined;
  let received = 0;
  let stop: (error: AttemptEnded) => void = () => {};
  // Whatever the client does with its signal, the attempt is over when call() ends it.
  const stopped = new Promise<never>((_resolve, reject) => {
    stop = reject;
  });
  stopped.catch(() => {});
  const end = (reason: EndReason) => {
    if (ended || controller.signal.aborted) return;
    ended = new AttemptEnded(reason, policy);
    stop(ended);
    controller.abort(ended);
    // Clients without an AbortSignal (gax over REST, `ovh`) stop only when their socket does.
    for (const request of requests) request.destroy(ended);
  };
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });

  let cancelIdle: (() => void) | undefined;
  const armIdle = () => {
    cancelIdle?.();
    cancelIdle = clock.timer(policy.idleTimeoutMs, () => end('idle'));
  };
  let cancelCeiling = clock.timer(policy.timeoutMs, () => end('ceiling'));
  let sent = false;
  const release = clock.hold?.();
  const io: AttemptIo = {
    onRequest: (request) => {
      requests.add(request);
      request.once('close', () => requests.delete(request));
      onSent();
    },
    // Waiting in the client's socket pool is not the server's time: no ceiling until a socket.
    onQueued: () => {
      if (!sent) cancelCeiling();
    },
    onSocket: () => {
      if (ended) return;
      if (!sent) {
        sent = true;
        cancelCeiling();
        cancelCeiling = clock.timer(policy.timeoutMs, () => end('ceiling'));
      }
      if (!cancelIdle) armIdle();
    },
    onActivity: (bytes) => {
      received += bytes;
      if (received > policy.maxAnswerBytes) end('size');
      else if (cancelIdle && !ended) armIdle();
    },
    onClosedEarly: () => end('closed'),
  };
  try {
    return await Promise.race([withAttemptIo(io, () => fn(controller.signal)), stopped]);
  } catch (error) {
    throw ended ?? error;
  } finally {
    release?.();
    cancelCeiling();
    cancelIdle?.();
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

interface Failure {
  /** A ProviderError, or anything else as it is (a bug, or the run's own abort). */
  error: Error;
  retry: boolean;
}

function classify(
  error: unknown,
  request: CallRequest,
  options: CallerOptions,
  policy: RetryPolicy,
): Failure {
  if (options.signal?.aborted) return { error: asError(options.signal.reason ?? error), retry: false };
  if (error instanceof AttemptEnded) {
    const failed = new ProviderError(options.provider, 'unavailable', operationLabel(request), error.message);
    return { error: failed, retry: error.retryable };
  }
  const providerError = error instanceof ProviderError ? error : options.toProviderError(error, request);
  if (!providerError) return { error: asError(error), retry: false };
  if (
    providerError.retryable &&
    providerError.retryAfterMs !== undefined &&
    providerError.retryAfterMs > policy.maxRetryAfterMs
  ) {
    const waitSec = Math.round(providerError.retryAfterMs / 1000);
    const refused = new ProviderError(
      options.provider,
      'throttled',
      providerError.operation,
      `asked to wait ${waitSec} s (Retry-After), longer than the ${policy.maxRetryAfterMs / 1000} s allowed`,
      { retryAfterMs: providerError.retryAfterMs, status: providerError.status },
    );
    return { error: refused, retry: false };
  }
  return { error: providerError, retry: providerError.retryable };
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

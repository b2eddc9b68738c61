import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { createCaller, parseRetryAfter, type RateLimit } from '../../src/net/call.ts';

const limits: Record<string, RateLimit> = {
  api: { concurrency: 2, source: 'test' },
  rated: { concurrency: 10, requestsPerInterval: 3, intervalMs: 200, source: 'test' },
};
const fast = { minDelayMs: 1, maxDelayMs: 5, timeoutMs: 1_000 };

function caller(retry = {}) {
  return createCaller({
    provider: 'aws',
    limits,
    log: silentLogger,
    retry: { ...fast, ...retry },
    toProviderError: (error, request) =>
      error instanceof Error && error.message.startsWith('http ')
        ? new ProviderError('aws', 'unavailable', request.operation, error.message)
        : undefined,
  });
}

const op = { bucket: 'api', operation: 'svc.Op' };

describe('call()', () => {
  it('retries a throttled call and counts it as one call made with one retry', async () => {
    const call = caller();
    let attempts = 0;
    const result = await call(op, async () => {
      attempts += 1;
      if (attempts === 1) throw new ProviderError('aws', 'throttled', 'svc.Op', 'Rate exceeded');
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(call.stats()['svc.Op']).toEqual({ made: 1, retries: 1, failed: 0 });
  });

  it('waits at least the Retry-After the provider asked for', async () => {
    const call = caller();
    const startedAt: number[] = [];
    await call(op, async () => {
      startedAt.push(performance.now());
      if (startedAt.length === 1) {
        throw new ProviderError('aws', 'throttled', 'svc.Op', 'slow down', { retryAfterMs: 150 });
      }
      return 1;
    });
    expect(startedAt[1]! - startedAt[0]!).toBeGreaterThanOrEqual(145);
  });

  it('does not retry an auth failure and rethrows it typed', async () => {
    const call = caller();
    let attempts = 0;
    const failing = call(op, async () => {
      attempts += 1;
      throw new ProviderError(
        'aws',
        'auth',
        'svc.Op',
        'The security token included in the request is expired',
      );
    });
    await expect(failing).rejects.toMatchObject({ name: 'ProviderError', kind: 'auth' });
    expect(attempts).toBe(1);
    expect(call.stats()['svc.Op']).toEqual({ made: 1, retries: 0, failed: 1 });
  });

  it('gives up after the attempt budget with the last error', async () => {
    const call = caller({ attempts: 3 });
    let attempts = 0;
    const failing = call(op, async () => {
      attempts += 1;
      throw new Error('http 503');
    });
    await expect(failing).rejects.toMatchObject({ kind: 'unavailable', message: 'http 503' });
    expect(attempts).toBe(3);
    expect(call.stats()['svc.Op']).toEqual({ made: 1, retries: 2, failed: 1 });
  });

  it('turns a Retry-After beyond the ceiling into a throttled failure without waiting', async () => {
    const call = caller({ maxRetryAfterMs: 1_000 });
    const failing = call(op, async () => {
      throw new ProviderError('aws', 'throttled', 'svc.Op', 'quota', { retryAfterMs: 3_600_000 });
    });
    await expect(failing).rejects.toMatchObject({
      kind: 'throttled',
      message: expect.stringContaining('3600 s'),
    });
  });

  it('times out a hung attempt, aborts its signal, and reports it as unavailable', async () => {
    const call = caller({ timeoutMs: 50, attempts: 1 });
    let sawAbort = false;
    const hung = call(
      op,
      (signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(new Error('aborted by signal'));
          });
        }),
    );
    await expect(hung).rejects.toMatchObject({ kind: 'unavailable', message: 'timed out after 0.05 s' });
    expect(sawAbort).toBe(true);
  });

  it('keeps a bug (an error the mapper does not know) as it is, without retrying', async () => {
    const call = caller();
    let attempts = 0;
    const bug = call(op, async () => {
      attempts += 1;
      throw new RangeError('index out of range');
    });
    await expect(bug).rejects.toBeInstanceOf(RangeError);
    expect(attempts).toBe(1);
  });

  it('never has more calls in flight than the bucket allows', async () => {
    const call = caller();
    let inFlight = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        call(op, async () => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 10));
          inFlight -= 1;
        }),
      ),
    );
    expect(peak).toBe(2);
  });

  it('starts no more calls per interval than the published rate', async () => {
    const call = caller();
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 7 }, () =>
        call({ bucket: 'rated', operation: 'svc.Rated' }, async () => {
          starts.push(performance.now());
        }),
      ),
    );
    const first = starts[0]!;
    // 3 per 200 ms: the 4th call cannot start inside the first window, the 7th not inside the second.
    expect(starts.filter((t) => t - first < 190)).toHaveLength(3);
    expect(starts.filter((t) => t - first < 390)).toHaveLength(6);
  });

  it('refuses a bucket with no declared limit', async () => {
    const call = caller();
    await expect(call({ bucket: 'nope', operation: 'x' }, async () => 1)).rejects.toThrow(
      /no published limit/,
    );
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2_000);
    const now = Date.parse('2026-11-24T10:00:00Z');
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('call() with a second, weighted quota', () => {
  it('spends units per call: heavy calls wait for the quota, light ones do not', async () => {
    const call = createCaller({
      provider: 'aws',
      limits: {
        data: {
          concurrency: 10,
          requestsPerInterval: 100,
          intervalMs: 200,
          unitsPerInterval: 1000,
          source: 'test',
        },
      },
      log: silentLogger,
      retry: fast,
      toProviderError: () => undefined,
    });
    const starts: number[] = [];
    const run = (units: number) =>
      call({ bucket: 'data', operation: 'svc.Data', units }, async () => {
        starts.push(performance.now());
      });
    await Promise.all([run(600), run(600), run(600)]);
    const first = starts[0]!;
    // 1000 units per 200 ms: only one 600-unit call fits each window.
    expect(starts.filter((t) => t - first < 190)).toHaveLength(1);
    expect(starts.filter((t) => t - first < 390)).toHaveLength(2);
  });
});

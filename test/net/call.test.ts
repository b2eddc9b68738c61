import { Agent, createServer, get, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { createCaller, parseRetryAfter, type RateLimit, type RetryPolicy } from '../../src/net/call.ts';
import { type Clock, virtualClock } from '../../src/net/clock.ts';

// Waits (rate slots, backoff, Retry-After) run on a virtual clock: they cost no real time and every
// count and wait below is exact on any machine. Only the idle and ceiling tests use real sockets.

const limits: Record<string, RateLimit> = {
  api: { concurrency: 2, source: 'test' },
  rated: { concurrency: 10, requestsPerInterval: 3, intervalMs: 200, source: 'test' },
  data: {
    concurrency: 10,
    requestsPerInterval: 100,
    intervalMs: 200,
    unitsPerInterval: 1000,
    source: 'test',
  },
  headroom: {
    concurrency: 10,
    intervalMs: 200,
    unitsPerInterval: 1000,
    unitsBurst: 500,
    source: 'test',
  },
};
const fast = { minDelayMs: 1, maxDelayMs: 5 };

function caller(retry: Partial<RetryPolicy> = {}, clock: Clock = virtualClock()) {
  return createCaller({
    provider: 'aws',
    limits,
    log: silentLogger,
    retry: { ...fast, ...retry },
    clock,
    toProviderError: (error, request) =>
      error instanceof Error && /^http |socket hang up|aborted/.test(error.message)
        ? new ProviderError('aws', 'unavailable', request.operation, error.message)
        : undefined,
  });
}

const op = { bucket: 'api', operation: 'svc.Op' };

describe('call() retries', () => {
  it('retries a throttled call and counts it as one call made with one retry', async () => {
    const call = caller();
    let attempts = 0;
    const result = await call(op, async () => {
      attempts += 1;
      if (attempts === 1) throw new ProviderError('aws', 'throttled', 'svc.Op', 'Rate exceeded');
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(call.stats()['svc.Op']).toEqual({ made: 1, retries: 1, failed: 0, attempts: 0 });
  });

  it('waits the Retry-After the provider asked for, on the clock', async () => {
    const clock = virtualClock();
    const call = caller({}, clock);
    const startedAt: number[] = [];
    await call(op, async () => {
      startedAt.push(clock.now());
      if (startedAt.length === 1) {
        throw new ProviderError('aws', 'throttled', 'svc.Op', 'slow down', { retryAfterMs: 50_000 });
      }
      return 1;
    });
    // 50 s of Retry-After, longer than any backoff here: exactly that, and no real time spent.
    expect(startedAt[1]! - startedAt[0]!).toBe(50_000);
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
    expect(call.stats()['svc.Op']).toEqual({ made: 1, retries: 0, failed: 1, attempts: 0 });
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
    expect(call.stats()['svc.Op']).toEqual({ made: 1, retries: 2, failed: 1, attempts: 0 });
  });

  it('backs off exponentially between attempts, within the policy', async () => {
    const clock = virtualClock();
    const call = caller({ attempts: 4, minDelayMs: 1_000, maxDelayMs: 3_000 }, clock);
    const at: number[] = [];
    await expect(
      call(op, async () => {
        at.push(clock.now());
        throw new Error('http 500');
      }),
    ).rejects.toMatchObject({ kind: 'unavailable' });
    const waits = at.slice(1).map((t, i) => t - at[i]!);
    // 1 s, 2 s, 4 s, each ×1 to ×2 and at most 3 s.
    expect(waits[0]).toBeGreaterThanOrEqual(1_000);
    expect(waits[0]).toBeLessThanOrEqual(2_000);
    expect(waits[1]).toBeGreaterThanOrEqual(2_000);
    expect(waits[2]).toBe(3_000);
  });

  it('turns a Retry-After beyond the ceiling into a throttled failure without waiting', async () => {
    const call = caller({ maxRetryAfterMs: 1_000 });
    let attempts = 0;
    const failing = call(op, async () => {
      attempts += 1;
      throw new ProviderError('aws', 'throttled', 'svc.Op', 'quota', { retryAfterMs: 3_600_000 });
    });
    await expect(failing).rejects.toMatchObject({
      kind: 'throttled',
      message: expect.stringContaining('3600 s'),
    });
    expect(attempts).toBe(1);
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

  it('refuses a bucket with no declared limit', async () => {
    const call = caller();
    await expect(call({ bucket: 'nope', operation: 'x' }, async () => 1)).rejects.toThrow(
      /no published limit/,
    );
  });
});

describe('call() limits', () => {
  it('never has more calls in flight than the bucket allows', async () => {
    const call = caller();
    let inFlight = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        call(op, async () => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 5));
          inFlight -= 1;
        }),
      ),
    );
    expect(peak).toBe(2);
  });

  it('starts no more calls per interval than the published rate', async () => {
    const clock = virtualClock();
    const call = caller({}, clock);
    const starts: number[] = [];
    const t0 = clock.now();
    await Promise.all(
      Array.from({ length: 7 }, () =>
        call({ bucket: 'rated', operation: 'svc.Rated' }, async () => {
          starts.push(clock.now() - t0);
        }),
      ),
    );
    // 3 per 200 ms: three at once, three when the window has passed, the seventh one window later.
    expect(starts).toEqual([0, 0, 0, 200, 200, 200, 400]);
  });

  it('spends units per call: heavy calls wait for the quota, light ones do not', async () => {
    const clock = virtualClock();
    const call = caller({}, clock);
    const t0 = clock.now();
    const starts: number[] = [];
    const run = (units: number) =>
      call({ bucket: 'data', operation: 'svc.Data', units }, async () => {
        starts.push(clock.now() - t0);
      });
    await Promise.all([run(600), run(600), run(600), run(5_000)]);
    // A bucket of 1000 units refilled at 1000 per 200 ms: each 600-unit call starts as soon as its
    // units are back (400 left, 200 more in 40 ms; then 600 in 120 ms); one over the quota pays all.
    expect(starts).toEqual([0, 40, 160, 360]);
  });

  it('spends at most unitsBurst at once, at the same rate, leaving the server headroom', async () => {
    const clock = virtualClock();
    const call = caller({}, clock);
    const t0 = clock.now();
    const starts: number[] = [];
    const run = (units: number) =>
      call({ bucket: 'headroom', operation: 'svc.Data', units }, async () => {
        starts.push(clock.now() - t0);
      });
    await Promise.all([run(400), run(400), run(400), run(400), run(2_000)]);
    // 500 units at most (not the 1000 a full interval holds), refilled at 1000 per 200 ms: the second
    // call waits 60 ms for 300 units, then each 80 ms; one over the burst pays the burst (100 ms).
    expect(starts).toEqual([0, 60, 140, 220, 320]);
  });

  it('counts a call as made when it is sent, not while it waits for its slot', async () => {
    const clock = virtualClock();
    const controller = new AbortController();
    const call = createCaller({
      provider: 'aws',
      limits,
      log: silentLogger,
      clock,
      signal: controller.signal,
      toProviderError: () => undefined,
    });
    const first = call({ bucket: 'rated', operation: 'svc.Rated' }, async () => 1);
    const queued = Array.from({ length: 4 }, () =>
      call({ bucket: 'rated', operation: 'svc.Rated' }, async () => 1),
    );
    await first;
    controller.abort(new Error('run cancelled'));
    const settled = await Promise.allSettled(queued);
    // Three fit the first window; the other two were still waiting for a rate slot when the run stopped.
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(2);
    expect(call.stats()['svc.Rated']).toEqual({ made: 3, retries: 0, failed: 0, attempts: 0 });
  });
});

describe('call() timeouts, against a real socket', () => {
  let server: Server | undefined;
  let received = 0;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    received = 0;
  });

  /** A server that answers headers, then `chunks` bytes every `everyMs`, or stalls (chunks 0). */
  async function serve(chunks: number, everyMs: number): Promise<string> {
    server = createServer((_req, res) => {
      received += 1;
      res.writeHead(200, { 'content-type': 'text/plain' });
      if (chunks === 0) return;
      let sent = 0;
      const tick = setInterval(() => {
        sent += 1;
        if (sent < chunks) res.write('x');
        else {
          clearInterval(tick);
          res.end('x');
        }
      }, everyMs);
      res.on('close', () => clearInterval(tick));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    return `http://127.0.0.1:${address.port}/`;
  }

  /** A GET through node:http that takes no AbortSignal, as `ovh` and gax over REST are. */
  const fetchText = (url: string) =>
    new Promise<string>((resolve, reject) => {
      get(url, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
        res.on('error', reject);
      }).on('error', reject);
    });

  it('ends a stalled call after the idle timeout, names provider, region and call, and retries it', async () => {
    const url = await serve(0, 0);
    const call = caller({ idleTimeoutMs: 150, attempts: 2 });
    const stalled = call({ ...op, region: 'eu-west-1' }, () => fetchText(url));
    await expect(stalled).rejects.toMatchObject({
      kind: 'unavailable',
      message: 'timed out: no data for 0.15 s',
    });
    const error = (await stalled.catch((e: unknown) => e)) as ProviderError;
    expect(error.describe()).toBe('aws svc.Op (eu-west-1): unavailable: timed out: no data for 0.15 s');
    expect(received).toBe(2);
    expect(call.stats()['svc.Op']).toEqual({ made: 1, retries: 1, failed: 1, attempts: 2 });
  });

  it('lets a slow but steady answer arrive: the idle timeout is between bytes, not overall', async () => {
    // 40 bytes, one every 25 ms: a second in all, longer than the 500 ms idle timeout.
    const url = await serve(40, 25);
    const call = caller({ idleTimeoutMs: 500, attempts: 1 });
    expect(await call(op, () => fetchText(url))).toBe('x'.repeat(40));
  });

  it('gives up at the ceiling even while bytes arrive, and does not try again', async () => {
    const url = await serve(400, 25);
    const call = caller({ idleTimeoutMs: 5_000, timeoutMs: 300, attempts: 3 });
    await expect(call(op, () => fetchText(url))).rejects.toMatchObject({
      kind: 'unavailable',
      message: 'timed out after 0.3 s (the ceiling for one call)',
    });
    expect(received).toBe(1);
    expect(call.stats()['svc.Op']).toEqual({ made: 1, retries: 0, failed: 1, attempts: 1 });
  });

  it('cuts an answer that never ends at the byte limit, and does not try again', async () => {
    server = createServer((_req, res) => {
      received += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const tick = setInterval(() => res.write(`${'"x",'.repeat(4096)}`), 1);
      res.on('close', () => clearInterval(tick));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    const call = caller({ maxAnswerBytes: 256 * 1024, attempts: 3 });
    await expect(call(op, () => fetchText(`http://127.0.0.1:${address.port}/`))).rejects.toMatchObject({
      kind: 'unavailable',
      message: 'answered more than 256 KB without ending; stopped',
    });
    expect(received).toBe(1);
  });

  it('ends an attempt whose connection drops mid-answer, and tries again', async () => {
    server = createServer((_req, res) => {
      received += 1;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('x'.repeat(40), () => res.socket?.destroy());
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    // A client that never settles on a dropped answer, as `ovh` does not.
    const silentOnAbort = (url: string) =>
      new Promise<string>((resolve) => {
        get(url, (res) => res.on('end', () => resolve('ended')).resume());
      });
    const call = caller({ attempts: 2, idleTimeoutMs: 60_000 });
    await expect(call(op, () => silentOnAbort(`http://127.0.0.1:${address.port}/`))).rejects.toMatchObject({
      kind: 'unavailable',
      message: 'the connection closed before the answer ended',
    });
    expect(received).toBe(2);
  });

  it('starts the ceiling when the call is sent, not while it waits for its concurrency slot', async () => {
    const url = await serve(2, 50);
    const call = createCaller({
      provider: 'aws',
      limits: { one: { concurrency: 1, source: 'test' } },
      log: silentLogger,
      retry: { timeoutMs: 400, attempts: 1 },
      clock: virtualClock(),
      toProviderError: () => undefined,
    });
    // Five calls of ~100 ms, one at a time: the last waits ~400 ms for its slot, then gets its own 400 ms.
    const texts = await Promise.all(
      [1, 2, 3, 4, 5].map(() => call({ bucket: 'one', operation: 'x' }, () => fetchText(url))),
    );
    expect(texts).toEqual(Array(5).fill('xx'));
  });
});

describe('call() on a busy machine (issue 12 point 3.3)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  }

  const fetchVia = (url: string, agent: Agent) =>
    new Promise<string>((resolve, reject) => {
      get(url, { agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
        res.on('error', reject);
      }).on('error', reject);
    });

  it('does not time out an answer that waited behind a blocked event loop, and retries nothing', async () => {
    let received = 0;
    const url = await listen((_req, res) => {
      received += 1;
      // The whole process is busy for 3× the idle timeout: the answer is written after it.
      const until = performance.now() + 300;
      while (performance.now() < until) {
        // busy on purpose
      }
      res.end('done');
    });
    const call = caller({ idleTimeoutMs: 100, timeoutMs: 200, attempts: 3 });
    const agent = new Agent({ keepAlive: false });
    expect(await call(op, () => fetchVia(url, agent))).toBe('done');
    expect(call.stats()['svc.Op']).toEqual({ made: 1, retries: 0, failed: 0, attempts: 1 });
    expect(received).toBe(1);
  });

  it('starts the ceiling when the request has a socket, not while it waits in the client pool', async () => {
    // Each answer takes at least 400 ms; one socket, so the fourth request waits >= 1.2 s in the
    // agent's queue (inside the client, after call() let it go) before it is sent.
    let received = 0;
    const url = await listen((_req, res) => {
      received += 1;
      res.writeHead(200, { 'content-type': 'text/plain' });
      setTimeout(() => res.write('x'), 200);
      setTimeout(() => res.end('x'), 400);
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const call = caller({ timeoutMs: 1_000, idleTimeoutMs: 1_000, attempts: 1 });
    // call() lets all four go at once (bucket concurrency 10); the client's pool is what queues them.
    const wide = { bucket: 'data', operation: 'svc.Wide' };
    const texts = await Promise.all([1, 2, 3, 4].map(() => call(wide, () => fetchVia(url, agent))));
    agent.destroy();
    expect(texts).toEqual(Array(4).fill('xx'));
    expect(call.stats()['svc.Wide']).toEqual({ made: 4, retries: 0, failed: 0, attempts: 4 });
    expect(received).toBe(4);
  });

  it('counts every request on the wire apart from the calls: a client retrying behind call() shows', async () => {
    let received = 0;
    const url = await listen((_req, res) => {
      received += 1;
      res.end(String(received));
    });
    const agent = new Agent({ keepAlive: false });
    const call = caller();
    // A client that quietly asks twice per attempt (an SDK retry left on): made 1, attempts 2.
    await call(op, async () => {
      await fetchVia(url, agent);
      return fetchVia(url, agent);
    });
    expect(call.stats()['svc.Op']).toMatchObject({ made: 1, retries: 0, attempts: 2 });
    expect(received).toBe(2);
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

describe('call() observer', () => {
  function observedCaller(clock: Clock, events: string[]) {
    return createCaller({
      provider: 'aws',
      limits,
      log: silentLogger,
      retry: fast,
      clock,
      toProviderError: () => undefined,
      observer: {
        onSend: (request, attempt) => events.push(`send ${request.operation} #${attempt} @${clock.now()}`),
        onWait: (request, waitMs, reason) =>
          events.push(`wait ${request.operation} ${reason} ${waitMs} ms @${clock.now()}`),
      },
    });
  }

  it('is told each send and each rate-limit wait before it happens, and changes no start or count', async () => {
    const run = async (observed: boolean) => {
      const clock = virtualClock(0);
      const events: string[] = [];
      const call = observed ? observedCaller(clock, events) : caller({}, clock);
      const starts: number[] = [];
      await Promise.all(
        Array.from({ length: 7 }, () =>
          call({ bucket: 'rated', operation: 'svc.Rated' }, async () => {
            starts.push(clock.now());
          }),
        ),
      );
      return { starts, events, stats: call.stats() };
    };
    const plain = await run(false);
    const watched = await run(true);
    expect(watched.starts).toEqual(plain.starts);
    expect(watched.stats).toEqual(plain.stats);
    // 3 per 200 ms: the fourth waits out the first window, the seventh the second; each wait is told at its start.
    expect(watched.events.filter((e) => e.startsWith('wait'))).toEqual([
      'wait svc.Rated rate-limit 200 ms @0',
      'wait svc.Rated rate-limit 200 ms @200',
    ]);
    expect(watched.events.filter((e) => e.startsWith('send'))).toHaveLength(7);
  });

  it('is told the wait before a retry, and the retry as attempt 2', async () => {
    const clock = virtualClock(0);
    const events: string[] = [];
    const call = observedCaller(clock, events);
    let attempts = 0;
    await call(op, async () => {
      attempts += 1;
      if (attempts === 1)
        throw new ProviderError('aws', 'throttled', 'svc.Op', 'slow down', { retryAfterMs: 3_000 });
      return 1;
    });
    expect(events).toEqual(['send svc.Op #1 @0', 'wait svc.Op retry 3000 ms @0', 'send svc.Op #2 @3000']);
  });
});

// The mock Linode API on the wire: paths, paging, filters, auth, the /stats shape and months,
// the published rates with Linode's 429, and the injected faults. Plain fetch, so each rule of
// the mock is seen as the client would see it.
import { afterEach, describe, expect, it } from 'vitest';
import { bundledScenarioPath, loadScenario, parseScenario } from '../../mocks/scenarios/schema.ts';
import { type LinodeMock, type LinodeMockOptions, startLinodeMock } from '../../mocks/servers/linode.ts';
import { createLinodeAdapter } from '../../providers/linode/index.ts';
import { silentLogger } from '../../src/log.ts';
import { collectProvider } from '../../src/run/collect.ts';

const nowMs = Date.parse('2025-03-10T00:00:00Z');
const fleet = {
  instances: [
    {
      id: 1001,
      label: 'a-1',
      type: 'g6-standard-2',
      region: 'us-east',
      tags: ['web'],
      cpu: 150 / 2,
      created: '2025-02-15T00:00:00Z',
    },
    { id: 1002, label: 'b-1', type: 'g6-standard-4', region: 'eu-central', tags: ['db', 'web'], cpu: 100 },
    ...Array.from({ length: 60 }, (_, i) => ({
      id: 2000 + i,
      label: `bulk-${i}`,
      type: 'g6-nanode-1',
      region: 'ap-south',
      status: 'offline' as const,
    })),
  ],
};

let mock: LinodeMock | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

async function start(linode: object = fleet, options: Partial<LinodeMockOptions> = {}) {
  mock = await startLinodeMock({
    // The rate limits refill on a clock that stands still: the 51st call is refused however slow the machine.
    limitsClockMs: () => 0,
    scenario: parseScenario({ name: 'linode-mock', linode }),
    now: () => nowMs,
    ...options,
  });
  return mock;
}

async function get(path: string, headers: Record<string, string> = { authorization: 'Bearer t' }) {
  const response = await fetch(`${mock!.endpoint}${path}`, { headers });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body: body as Record<string, unknown>, text };
}

describe('linode mock', () => {
  it('serves the same collections on /v4 and /v4beta, paged 25-500', async () => {
    await start();
    const beta = await get('/v4beta/linode/instances?page=2&page_size=25');
    const stable = await get('/v4/linode/instances?page=2&page_size=25');
    expect(beta.body).toEqual(stable.body);
    expect(beta.body).toMatchObject({ page: 2, pages: 3, results: 62 });
    expect(beta.body.data).toHaveLength(25);
    expect((await get('/v4/linode/instances?page_size=24')).body).toEqual({
      errors: [{ reason: 'Must be an integer between 25 and 500', field: 'page_size' }],
    });
    expect((await get('/v4/linode/instances?page=4&page_size=25')).status).toBe(404);
    const types = await get('/v4/linode/types?page_size=500');
    expect(types.body).toMatchObject({ page: 1, pages: 1, results: 37 });
  });

  it('filters with X-Filter on tags, +and and +or', async () => {
    await start();
    const filtered = async (filter: object) =>
      (
        (await get('/v4/linode/instances', { authorization: 'Bearer t', 'x-filter': JSON.stringify(filter) }))
          .body.data as { label: string }[]
      ).map((l) => l.label);
    expect(await filtered({ tags: 'web' })).toEqual(['a-1', 'b-1']);
    expect(await filtered({ '+and': [{ tags: 'web' }, { tags: 'db' }] })).toEqual(['b-1']);
    expect(await filtered({ '+or': [{ region: 'us-east' }, { region: 'eu-central' }] })).toEqual([
      'a-1',
      'b-1',
    ]);
  });

  it('wants a bearer token, the scenario’s if it names one, and refuses writes', async () => {
    await start({ ...fleet, token: 'right' });
    expect(await get('/v4/linode/instances', {})).toMatchObject({
      status: 401,
      body: { errors: [{ reason: 'Invalid Token' }] },
    });
    expect((await get('/v4/linode/instances', { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get('/v4/linode/instances', { authorization: 'Bearer right' })).status).toBe(200);
    const post = await fetch(`${mock!.endpoint}/v4/linode/instances`, {
      method: 'POST',
      headers: { authorization: 'Bearer right' },
      body: '{}',
    });
    expect(post.status).toBe(401);
  });

  it('answers /stats in the client’s shape: a past month whole, the current month 30 days back', async () => {
    await start();
    const feb = await get('/v4/linode/instances/1002/stats/2025/2');
    expect(Object.keys(feb.body)).toEqual(['title', 'data']);
    expect(Object.keys(feb.body.data as object)).toEqual(['cpu', 'io', 'netv4', 'netv6']);
    const cpu = (feb.body.data as unknown as { cpu: [number, number][] }).cpu;
    expect(cpu).toHaveLength(28 * 288);
    expect(cpu[0]).toEqual([Date.parse('2025-02-01T00:00:00Z'), 400]);
    // 100 % of a 4-vCPU Linode is 400 on Linode's one-core scale.
    const march = (await get('/v4/linode/instances/1002/stats/2025/3')).body.data as unknown as {
      cpu: [number, number][];
    };
    expect(march.cpu).toHaveLength(30 * 288);
    expect(march.cpu[0]![0]).toBe(nowMs - 30 * 86_400_000);
    // No points before the Linode was created; 75 % of 2 vCPUs is 150.
    const young = (await get('/v4/linode/instances/1001/stats/2025/2')).body.data as unknown as {
      cpu: [number, number][];
    };
    expect(young.cpu[0]).toEqual([Date.parse('2025-02-15T00:00:00Z'), 150]);
    expect((await get('/v4/linode/instances/1001/stats/2025/4')).status).toBe(400);
    expect((await get('/v4/linode/instances/4242/stats/2025/2')).status).toBe(404);
  });

  it('enforces 50 /stats calls a minute per token with Linode’s 429 and Retry-After', async () => {
    await start();
    const statuses: number[] = [];
    for (let i = 0; i < 50; i += 1) statuses.push((await get('/v4/linode/instances/1001/stats')).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const throttled = await get('/v4/linode/instances/1001/stats');
    expect(throttled.status).toBe(429);
    expect(throttled.body).toEqual({ errors: [{ reason: 'Too Many Requests' }] });
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(throttled.headers.get('x-ratelimit-limit')).toBe('50');
    // Another token has its own budget; collections have theirs.
    expect((await get('/v4/linode/instances/1001/stats', { authorization: 'Bearer other' })).status).toBe(
      200,
    );
    expect((await get('/v4/linode/instances')).status).toBe(200);
  });

  it('injects throttles, 503s, bad tokens and malformed pages on the nth call', async () => {
    await start({
      ...fleet,
      faults: [
        { kind: 'throttle', operation: 'instances', nth: 2 },
        { kind: 'server-error', operation: 'volumes', times: 2 },
        { kind: 'bad-token', operation: 'types' },
        { kind: 'malformed', operation: 'stats', instanceId: 1002 },
        { kind: 'malformed', operation: 'stats', instanceId: 1001, body: 'wrong-shape' },
      ],
    });
    expect((await get('/v4/linode/instances')).status).toBe(200);
    const throttled = await get('/v4/linode/instances');
    expect([throttled.status, throttled.headers.get('retry-after')]).toEqual([429, '1']);
    expect((await get('/v4/linode/instances')).status).toBe(200);
    expect((await get('/v4/volumes')).status).toBe(503);
    expect((await get('/v4/volumes')).status).toBe(503);
    expect((await get('/v4/volumes')).status).toBe(200);
    expect(await get('/v4/linode/types')).toMatchObject({
      status: 401,
      body: { errors: [{ reason: 'Invalid Token' }] },
    });
    const truncated = await get('/v4/linode/instances/1002/stats/2025/3');
    expect(truncated.status).toBe(200);
    expect(typeof truncated.body).toBe('string');
    expect((await get('/v4/linode/instances/1001/stats/2025/3')).body).toEqual({ items: 'see next page' });
    expect(mock!.requests.map((r) => r.status)).toEqual([200, 429, 200, 503, 503, 200, 401, 200, 200]);
  });
});

describe('the demo scenario’s Linode part', () => {
  it('has six Linodes or more in two regions, an idle one and a saturated one, collected at the minimum', async () => {
    const scenario = loadScenario(bundledScenarioPath('demo'));
    const linode = scenario.linode!;
    const running = linode.instances.filter((i) => i.status === 'running');
    expect(running.length).toBeGreaterThanOrEqual(6);
    expect(new Set(linode.instances.map((i) => i.region)).size).toBeGreaterThanOrEqual(2);
    expect(running.some((i) => i.cpu.shape === 'idle')).toBe(true);
    expect(running.some((i) => i.cpu.shape === 'saturated')).toBe(true);
    mock = await startLinodeMock({ scenario, now: () => nowMs });
    const result = await collectProvider(
      createLinodeAdapter({ token: 'demo' }),
      { tags: [], endpoint: mock.endpoint },
      { fromMs: nowMs - 14 * 86_400_000, toMs: nowMs, stepSec: 300 },
      silentLogger,
    );
    expect(result.hosts).toHaveLength(linode.instances.length);
    expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
    // Under the 50 /stats calls a minute: the demo never waits for the limit.
    expect(result.apiCalls.byOperation['linode.getLinodeStatsByDate']!.made).toBeLessThanOrEqual(50);
    expect(result.gaps).toEqual([]);
    expect(mock.requests.some((r) => r.status === 429)).toBe(false);
  });

  it('keeps no answer bodies in its request log when told to, and answers the same', async () => {
    await start(fleet, { keepBodies: false });
    const lean = await get('/v4/linode/instances/1001/stats/2025/2');
    await mock!.close();
    await start();
    const full = await get('/v4/linode/instances/1001/stats/2025/2');
    expect(lean.text).toBe(full.text);
    // A fleet's month of stats stays on the wire, not in the log: the record is there, its body not.
    expect(mock!.requests.map((r) => r.body === undefined)).toEqual([false]);
    await mock!.close();
    const again = await start(fleet, { keepBodies: false });
    await get('/v4/linode/instances/1001/stats/2025/2');
    expect(again.requests.map((r) => [r.operation, r.status, r.body])).toEqual([['stats', 200, undefined]]);
  });
});

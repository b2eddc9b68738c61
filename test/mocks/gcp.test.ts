import { AutoscalersClient, InstancesClient } from '@google-cloud/compute';
import { MetricServiceClient } from '@google-cloud/monitoring';
import { OAuth2Client } from 'google-auth-library';
import { afterEach, describe, expect, it } from 'vitest';
import { bundledScenarioPath, loadScenario, parseScenario } from '../../mocks/scenarios/schema.ts';
import { type GcpMock, startGcpMock } from '../../mocks/servers/gcp.ts';
import { gcpScenario, nowMs, PROJECT, TOKEN } from '../providers/gcp/fixtures.ts';

// The mock as the real clients see it (providers.md §5.2), and as a plain HTTP client sees it.

let mock: GcpMock | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

// The buckets refill on a clock that stands still: what a burst gets through is exact, however
// long the machine takes to serve it.
async function start(extra: Record<string, unknown> = {}, rateLimits = true) {
  mock = await startGcpMock({
    scenario: gcpScenario(extra),
    now: () => nowMs,
    rateLimits,
    limitsClockMs: () => 0,
  });
  return mock;
}

function clientOptions(m: GcpMock, token = TOKEN) {
  const authClient = new OAuth2Client();
  authClient.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  // NOTE: the clients' typings pin their own google-auth-library; the object is the one they accept.
  return {
    apiEndpoint: '127.0.0.1',
    port: m.port,
    protocol: 'http',
    fallback: true,
    authClient,
  } as unknown as NonNullable<ConstructorParameters<typeof MetricServiceClient>[0]>;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read loosely; the contract test checks their shape.
type Body = any;
const json = async (response: Response): Promise<Body> => response.json();

const get = (m: GcpMock, path: string, token = TOKEN) =>
  fetch(`${m.endpoint}${path}`, { headers: { authorization: `Bearer ${token}` } });

const series = (extra: Record<string, string> = {}) =>
  new URLSearchParams({
    filter:
      'metric.type = "compute.googleapis.com/instance/cpu/utilization" AND resource.type = "gce_instance"',
    'interval.startTime': new Date(nowMs - 3_600_000).toISOString(),
    'interval.endTime': new Date(nowMs).toISOString(),
    'aggregation.alignmentPeriod': '300s',
    'aggregation.perSeriesAligner': '12',
    'aggregation.crossSeriesReducer': '0',
    ...extra,
  });

describe('gcp mock', () => {
  it('answers listTimeSeries from the real client: numeric enums decoded, int64 as strings, RFC3339 times', async () => {
    const m = await start();
    const monitoring = new MetricServiceClient(clientOptions(m));
    const [page] = await monitoring.listTimeSeries(
      {
        name: `projects/${PROJECT}`,
        filter:
          'metric.type = "compute.googleapis.com/instance/network/sent_bytes_count" AND resource.type = "gce_instance"',
        interval: { startTime: { seconds: nowMs / 1000 - 3600 }, endTime: { seconds: nowMs / 1000 } },
        aggregation: {
          alignmentPeriod: { seconds: 300 },
          perSeriesAligner: 'ALIGN_RATE',
          crossSeriesReducer: 'REDUCE_SUM',
          groupByFields: ['resource.label.instance_id'],
        },
        pageSize: 100_000,
      },
      { autoPaginate: false, retry: null },
    );
    expect(page).toHaveLength(5);
    expect(page[0]).toMatchObject({ metricKind: 'GAUGE', valueType: 'DOUBLE', unit: 'By/s' });
    expect(page[0]!.points).toHaveLength(12);
    // web-1 sends 4 MiB/s.
    const web = page.find((s) => s.points?.[0]?.value?.doubleValue && s.points[0].value.doubleValue > 4e6)!;
    expect(web.points![0]!.value!.doubleValue).toBeCloseTo(4 * 1048576, -3);
    await monitoring.close();
    const request = m.requests.at(-1)!;
    expect(request).toMatchObject({ method: 'timeSeries.list', project: PROJECT, status: 200 });
    const raw = await json(
      await get(
        m,
        `/v3/projects/${PROJECT}/timeSeries?${series({ 'aggregation.perSeriesAligner': '0', filter: 'metric.type = "compute.googleapis.com/instance/disk/read_ops_count"' })}`,
      ),
    );
    expect(raw.timeSeries[0]).toMatchObject({ metricKind: 'DELTA', valueType: 'INT64' });
    expect(typeof raw.timeSeries[0].points[0].value.int64Value).toBe('string');
    expect(raw.timeSeries[0].points[0].interval.startTime).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    );
  });

  it('pages aggregatedList by maxResults through the real client iterator', async () => {
    const m = await start();
    const instances = new InstancesClient(clientOptions(m));
    const names: string[] = [];
    for await (const [, scoped] of instances.aggregatedListAsync({ project: PROJECT, maxResults: 2 })) {
      for (const instance of scoped.instances ?? []) names.push(instance.name!);
    }
    expect(names.sort()).toEqual(['batch-hot', 'idle-box', 'stopped-one', 'web-1', 'web-2', 'web-3']);
    expect(m.requests.filter((r) => r.method === 'instances.aggregatedList')).toHaveLength(3);
    const autoscalers = new AutoscalersClient(clientOptions(m));
    const found = [];
    for await (const [, scoped] of autoscalers.aggregatedListAsync({ project: PROJECT }))
      found.push(...(scoped.autoscalers ?? []));
    expect(found).toHaveLength(1);
    expect(found[0]!.autoscalingPolicy).toMatchObject({ minNumReplicas: 2, maxNumReplicas: 8 });
    await Promise.all([instances.close(), autoscalers.close()]);
  });

  it('filters instances and machine types with the compute filter syntax', async () => {
    const m = await start();
    const running = await json(
      await get(
        m,
        `/compute/v1/projects/${PROJECT}/aggregated/instances?filter=${encodeURIComponent('(status = "RUNNING") (labels.role = "web")')}`,
      ),
    );
    expect(running.items['zones/us-central1-a'].instances).toHaveLength(3);
    expect(running.items['zones/us-central1-b']).toBeUndefined();
    const types = await json(
      await get(
        m,
        `/compute/v1/projects/${PROJECT}/zones/us-central1-a/machineTypes?filter=${encodeURIComponent('(name = "e2-standard-4") OR (name = "n2-standard-8")')}`,
      ),
    );
    expect(types.items.map((t: { name: string }) => t.name).sort()).toEqual([
      'e2-standard-4',
      'n2-standard-8',
    ]);
    expect(types.items[0]).toMatchObject({
      kind: 'compute#machineType',
      guestCpus: expect.any(Number),
      memoryMb: expect.any(Number),
    });
  });

  it('splits a series across pages at pageSize points and resumes it from the token', async () => {
    const m = await start();
    const first = await json(
      await get(m, `/v3/projects/${PROJECT}/timeSeries?${series({ pageSize: '20' })}`),
    );
    const points = first.timeSeries.reduce((n: number, s: { points: unknown[] }) => n + s.points.length, 0);
    expect(points).toBe(20);
    expect(first.timeSeries.map((s: { points: unknown[] }) => s.points.length)).toEqual([12, 8]);
    const second = await json(
      await get(
        m,
        `/v3/projects/${PROJECT}/timeSeries?${series({ pageSize: '20', pageToken: first.nextPageToken })}`,
      ),
    );
    expect(second.timeSeries[0].resource.labels.instance_id).toBe(
      first.timeSeries[1].resource.labels.instance_id,
    );
    expect(second.timeSeries[0].points).toHaveLength(4);
    const bad = await get(m, `/v3/projects/${PROJECT}/timeSeries?${series({ pageToken: 'garbage' })}`);
    expect(bad.status).toBe(400);
  });

  it('enforces the published rates: Monitoring 429 RESOURCE_EXHAUSTED, Compute 403 rateLimitExceeded, with Retry-After', async () => {
    const m = await start();
    const monitoring = await Promise.all(
      Array.from({ length: 300 }, () => get(m, `/v3/projects/${PROJECT}/timeSeries?${series()}`)),
    );
    const limited = monitoring.filter((r) => r.status === 429);
    // A bucket of 100 (6,000 a minute); Compute's of 25 (1,500 a minute).
    expect(limited).toHaveLength(200);
    expect(limited[0]!.headers.get('retry-after')).toBe('1');
    expect(await limited[0]!.json()).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
    const compute = await Promise.all(
      Array.from({ length: 80 }, () => get(m, `/compute/v1/projects/${PROJECT}/aggregated/autoscalers`)),
    );
    const denied = compute.filter((r) => r.status === 403);
    expect(denied).toHaveLength(80 - 25);
    expect(await denied[0]!.json()).toMatchObject({
      error: { code: 403, errors: [{ reason: 'rateLimitExceeded', domain: 'usageLimits' }] },
    });
  });

  it('answers Google error JSON: bad token 401, unknown project 404, bad filter 400, writes refused', async () => {
    const m = await start({}, false);
    const unauthenticated = await get(m, `/compute/v1/projects/${PROJECT}/aggregated/instances`, 'nope');
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    const missing = await get(m, '/compute/v1/projects/no-such-project/aggregated/instances');
    expect(await missing.json()).toMatchObject({ error: { code: 404, errors: [{ reason: 'notFound' }] } });
    const filter = await get(
      m,
      `/v3/projects/${PROJECT}/timeSeries?${series({ filter: 'metric.type = "a" OR metric.type = "b"' })}`,
    );
    expect(filter.status).toBe(400);
    const rateOnGauge = await get(
      m,
      `/v3/projects/${PROJECT}/timeSeries?${series({ 'aggregation.perSeriesAligner': '2' })}`,
    );
    expect(await rateOnGauge.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
    const write = await fetch(`${m.endpoint}/compute/v1/projects/${PROJECT}/zones/us-central1-a/instances`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: '{}',
    });
    expect(write.status).toBe(404);
    const stop = await fetch(`${m.endpoint}/compute/v1/projects/${PROJECT}/aggregated/instances`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(stop.status).toBe(403);
  });

  it('injects faults: a 503 storm, then a truncated page, counted per project and method', async () => {
    const m = await start(
      {
        faults: [
          { kind: 'server-error', method: 'autoscalers.aggregatedList', times: 2 },
          { kind: 'malformed', method: 'machineTypes.get', nth: 1 },
        ],
      },
      false,
    );
    const path = `/compute/v1/projects/${PROJECT}/aggregated/autoscalers`;
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await get(m, path)).status);
    expect(statuses).toEqual([503, 503, 200]);
    const truncated = await (
      await get(m, `/compute/v1/projects/${PROJECT}/zones/us-central1-a/machineTypes/e2-standard-4`)
    ).text();
    expect(() => JSON.parse(truncated)).toThrow();
  });

  it('the demo scenario has a MIG with an autoscaler, an idle and a saturated VM; bad scenarios are refused', () => {
    const demo = loadScenario(bundledScenarioPath('demo')).gcp!;
    const instances = Object.values(demo.projects).flatMap((p) => p.instances);
    expect(instances.length).toBeGreaterThanOrEqual(6);
    expect(Object.values(demo.projects).some((p) => p.instanceGroups.some((g) => g.autoscaler))).toBe(true);
    expect(instances.some((i) => i.cpu.shape === 'idle')).toBe(true);
    expect(instances.some((i) => i.cpu.shape === 'saturated')).toBe(true);
    expect(() =>
      parseScenario({
        name: 'x',
        gcp: {
          projects: {
            'shop-gcp-x': {
              instances: [{ name: 'a', zone: 'us-central1-a', machineType: 'e2-small', group: 'nope' }],
            },
          },
        },
      }),
    ).toThrow(/no instance group nope/);
  });
});

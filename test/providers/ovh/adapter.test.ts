// The OVH adapter end to end: the real `ovh` client signs every call, the HTTPS mock checks it.

import { beforeAll, describe, expect, it } from 'vitest';
import { USD_PER_EUR } from '../../../providers/ovh/catalog.ts';
import { pointsFromColumns } from '../../../src/model/series-columns.ts';
import type { ProviderArtifacts } from '../../../src/run/artifacts.ts';
import { CREDENTIALS, collect, fleet, ids, PROJECT_A, PROJECT_B, window, withMock } from './harness.ts';

const values = (result: ProviderArtifacts, hostId: string, metric: string) => {
  const series = result.series.find((s) => s.subjectId === hostId && s.metric === metric);
  return series ? pointsFromColumns(series).map(([, v]) => v) : [];
};
const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;

describe('a normal run against two projects', () => {
  let result: ProviderArtifacts;
  let routes: string[];
  beforeAll(async () => {
    await withMock(fleet(), async (mock) => {
      result = await collect(mock);
      routes = mock.requests.map((r) => `${r.route} ${r.status}`);
    });
  });

  it('lists every instance of every project with its flavor, region, state and project', () => {
    expect(result.gaps).toEqual([]);
    expect(result.hosts).toHaveLength(5);
    const web = result.hosts.find((h) => h.id === ids.web)!;
    expect(web).toMatchObject({
      provider: 'ovh',
      name: 'web-1',
      region: 'GRA11',
      instanceType: 'b3-16',
      state: 'running',
      vcpu: 4,
      memoryMiB: 16 * 1024,
      tags: { 'ovh:project': PROJECT_A, 'ovh:status': 'ACTIVE', 'ovh:planCode': 'b3-16.consumption' },
    });
    expect(result.hosts.find((h) => h.id === ids.off)!.state).toBe('stopped');
    expect(result.hosts.find((h) => h.id === ids.db)!.tags).toMatchObject({
      'ovh:project': PROJECT_B,
      'ovh:monthlyBilling': 'ok',
    });
  });

  it('lists Block Storage volumes with their attachment, and the IOPS cap of fixed classes', () => {
    expect(result.volumes).toHaveLength(2);
    expect(result.volumes.find((v) => v.id === ids.webData)).toMatchObject({
      provider: 'ovh',
      type: 'classic',
      sizeGiB: 100,
      iops: 250,
      region: 'GRA11',
      attachedTo: [{ hostId: ids.web, device: null }],
      tags: { Name: 'web-1-data', 'ovh:project': PROJECT_A },
    });
    // gen2 scales with size: no fixed cap to state.
    expect(result.volumes.find((v) => v.id === ids.dbData)).toMatchObject({
      type: 'high-speed-gen2',
      iops: null,
    });
    expect(result.hosts.find((h) => h.id === ids.web)!.volumeIds).toEqual([ids.webData]);
    expect(result.series.some((s) => s.subjectKind === 'volume')).toBe(false);
  });

  it('prices flavors from the public order catalog, in USD at the stated rate', () => {
    const b3 = result.instanceTypes.find((t) => t.name === 'b3-16')!;
    expect(b3).toMatchObject({ provider: 'ovh', vcpu: 4, memoryMiB: 16 * 1024, source: 'api' });
    // ovh-flavors.json: b3-16.consumption 0.09 EUR/h (rounded there to 2 decimals).
    expect(b3.priceUsdPerHour).toBeCloseTo(0.09 * USD_PER_EUR, 5);
  });

  it('turns cpu and memory into percent of the flavor and network into bytes per second', () => {
    const batch = values(result, ids.batch, 'cpu.util');
    expect(batch).toHaveLength(14 * 24);
    expect(Math.min(...batch)).toBeGreaterThanOrEqual(90);
    expect(Math.max(...values(result, ids.idle, 'cpu.util'))).toBeLessThanOrEqual(1);
    expect(mean(values(result, ids.db, 'mem.used'))).toBeCloseTo(80, 0);
    expect(mean(values(result, ids.web, 'net.in.bytes'))).toBeCloseTo(2 * 1024 * 1024, -3);
    expect(mean(values(result, ids.web, 'net.out.bytes'))).toBeCloseTo(8 * 1024 * 1024, -3);
    const cpu = result.series.find((s) => s.subjectId === ids.web && s.metric === 'cpu.util')!;
    expect(cpu).toMatchObject({ unit: 'percent', stepSec: 3600 });
    expect(cpu.source).toContain('cpu:used / cpu:max');
    const [first] = pointsFromColumns(cpu);
    expect(first![0]).toBeGreaterThanOrEqual(window().fromMs);
    const net = result.series.find((s) => s.subjectId === ids.web && s.metric === 'net.in.bytes')!;
    expect(net.unit).toBe('bytes-per-second');
    expect(result.series.some((s) => s.subjectId === ids.off)).toBe(false);
  });

  it('says which dimensions OVH cannot give, never filling them', () => {
    expect(result.blindSpots[ids.web]).toEqual([
      'iowait',
      'steal',
      'disk-iops',
      'disk-queue',
      'network-packets',
    ]);
    const metrics = new Set(result.series.map((s) => s.metric));
    expect([...metrics].sort()).toEqual([
      'cpu.util',
      'cpu.util.max',
      'mem.used',
      'net.in.bytes',
      'net.out.bytes',
    ]);
  });

  it('makes exactly the minimum number of calls: 1 time + 1 projects + 3 × 2 projects + 1 catalog + 4 × 6', () => {
    expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
    expect(result.apiCalls.made).toBe(1 + 1 + 6 + 1 + 24);
    expect(result.apiCalls.byOperation['cloud.monitoring']).toMatchObject({
      made: 24,
      minimum: 24,
      retries: 0,
    });
    expect(routes.every((r) => r.endsWith(' 200'))).toBe(true);
    expect(routes[0]).toBe('auth.time 200');
  });
});

describe('lists', () => {
  it('takes a project of 150 instances in one call: OVH 1.0 lists have no pages', async () => {
    const many = Array.from({ length: 150 }, (_, i) => ({
      id: `1b6f9c3e-2a1d-4e5f-8a7b-${String(i).padStart(12, '0')}`,
      name: `node-${i}`,
      flavor: 'b3-8',
      region: 'DE1',
      status: i < 2 ? 'ACTIVE' : 'SHUTOFF',
    }));
    const scenario = fleet();
    const base = fleet();
    const ovh = { ...base.ovh!, projects: { [PROJECT_A]: { instances: many } } };
    const big = {
      ...scenario,
      ovh: (await import('../../../mocks/scenarios/ovh.ts')).OvhScenario.parse(ovh),
    };
    await withMock(big, async (mock) => {
      const result = await collect(mock);
      expect(result.hosts).toHaveLength(150);
      expect(result.apiCalls.byOperation['cloud.instances']).toMatchObject({ made: 1, minimum: 1 });
      expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
      expect(result.apiCalls.byOperation['cloud.monitoring']!.made).toBe(12);
    });
  });

  it('asks only the configured projects, and names an unknown one', async () => {
    await withMock(fleet(), async (mock) => {
      const result = await collect(mock, { projects: [PROJECT_B, 'no-such-project'] });
      expect(result.hosts.map((h) => h.name).sort()).toEqual(['db-1', 'ftp-1']);
      expect(result.apiCalls.byOperation['cloud.projects']).toMatchObject({ made: 0, minimum: 0 });
      const gap = result.gaps.find((g) => g.what.includes('no-such-project'))!;
      expect(gap).toMatchObject({ provider: 'ovh', kind: 'not-found' });
      expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
    });
  });

  it('an empty account is an empty inventory with no gap and no catalog call', async () => {
    const empty = { ...fleet(), ovh: { ...fleet().ovh!, projects: {} } };
    await withMock(empty, async (mock) => {
      const result = await collect(mock);
      expect(result.hosts).toEqual([]);
      expect(result.gaps).toEqual([]);
      expect(result.apiCalls).toMatchObject({ made: 2, minimum: 2 });
    });
  });
});

describe('billed but idle', () => {
  it('lists a SHUTOFF instance without asking its metrics, and a volume attached to nothing', async () => {
    const scenario = fleet();
    scenario.ovh!.projects[PROJECT_A]!.volumes.push({
      id: '7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e09',
      name: 'orphan-data',
      type: 'classic',
      sizeGiB: 250,
      region: 'GRA11',
    });
    await withMock(scenario, async (mock) => {
      const result = await collect(mock);
      expect(result.hosts.find((h) => h.id === ids.off)).toMatchObject({
        state: 'stopped',
        tags: { 'ovh:status': 'SHUTOFF' },
      });
      expect(result.series.some((s) => s.subjectId === ids.off)).toBe(false);
      expect(result.volumes.find((v) => v.id === '7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e09')).toMatchObject({
        sizeGiB: 250,
        attachedTo: [],
      });
      expect(result.coverage).toMatchObject({ scopes: [PROJECT_A, PROJECT_B], failedScopes: [] });
      expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
    });
  });
});

describe('credentials', () => {
  it('come from OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY by default', async () => {
    const saved = { ...process.env };
    process.env.OVH_APPLICATION_KEY = CREDENTIALS.appKey;
    process.env.OVH_APPLICATION_SECRET = CREDENTIALS.appSecret;
    process.env.OVH_CONSUMER_KEY = CREDENTIALS.consumerKey;
    try {
      await withMock(fleet(), async (mock) => {
        const result = await collect(mock, {}, { certificateFor: () => mock.certificate });
        expect(result.gaps).toEqual([]);
        expect(result.hosts).toHaveLength(5);
      });
    } finally {
      for (const name of ['OVH_APPLICATION_KEY', 'OVH_APPLICATION_SECRET', 'OVH_CONSUMER_KEY']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });
});

// The real @linode/api-v4 client against the mock Linode API on 127.0.0.1, through the whole
// collection path (inventory, catalog, metrics, call counts) the audit uses.

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLinodeAdapter, minimumLinodeCalls } from '../../../providers/linode/index.ts';
import { monthsTouched } from '../../../providers/linode/metrics.ts';
import { silentLogger } from '../../../src/log.ts';
import { pointsFromColumns } from '../../../src/model/series-columns.ts';
import { collectProvider } from '../../../src/run/collect.ts';
import { collect, current, fastRetries, fleet, start, TOKEN, window } from './harness.ts';

describe('linode adapter against the mock', () => {
  it('lists Linodes with region, type, state, tags and specs, and their attached volumes', async () => {
    const m = await start();
    const result = await collect();
    expect(result.hosts.map((h) => h.id)).toEqual(['41000001', '41000002', '41000003', '41000004']);
    expect(result.hosts[0]).toMatchObject({
      provider: 'linode',
      name: 'web-1',
      region: 'us-east',
      zone: null,
      instanceType: 'g6-standard-2',
      state: 'running',
      vcpu: 2,
      memoryMiB: 4096,
      tags: { web: '', prod: '', 'linode:status': 'running' },
      volumeIds: ['volume-900001'],
      groupId: null,
    });
    // An offline Linode is a stopped one: listed (its plan still bills), never asked for stats.
    expect(result.hosts[3]).toMatchObject({ state: 'stopped', tags: { 'linode:status': 'offline' } });
    expect(result.volumes).toEqual([
      expect.objectContaining({
        id: 'volume-900001',
        type: 'block-storage-nvme',
        sizeGiB: 100,
        attachedTo: [{ hostId: '41000001', device: '/dev/disk/by-id/scsi-0Linode_Volume_web-data' }],
      }),
    ]);
    expect(result.groups).toEqual([]);
    // The client's own paths: instances on /v4beta, the rest on /v4; every call authenticated.
    const paths = new Set(m.requests.map((r) => r.path.replace(/\/\d+\/stats\/.*/, '/{id}/stats/…')));
    expect(paths).toEqual(
      new Set([
        '/v4beta/linode/instances',
        '/v4/volumes',
        '/v4/linode/types',
        '/v4/linode/instances/{id}/stats/…',
      ]),
    );
    expect(m.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('lists a Block Storage volume attached to no Linode, unless the tags it must carry are missing', async () => {
    await start({ ...fleet, volumes: [{ id: 900009, label: 'orphan', sizeGiB: 50, region: 'us-east' }] });
    const all = await collect();
    expect(all.volumes.find((v) => v.id === 'volume-900009')).toMatchObject({ sizeGiB: 50, attachedTo: [] });
    const tagged = await collect({ tags: ['prod'] });
    expect(tagged.volumes.map((v) => v.id)).toEqual(['volume-900001']);
  });

  it('filters by tags with X-Filter', async () => {
    const m = await start();
    const result = await collect({ tags: ['prod', 'web'] });
    expect(result.hosts.map((h) => h.name)).toEqual(['web-1']);
    expect(JSON.parse(m.requests[0]!.filter!)).toEqual({ '+and': [{ tags: 'prod' }, { tags: 'web' }] });
  });

  it('reads plan types with prices from the API', async () => {
    await start();
    const result = await collect();
    const standard2 = result.instanceTypes.find((t) => t.name === 'g6-standard-2');
    expect(standard2).toMatchObject({
      provider: 'linode',
      family: 'standard',
      vcpu: 2,
      memoryMiB: 4096,
      priceUsdPerHour: 0.036,
      networkPeakGbps: 4,
      source: 'api',
    });
    expect(result.instanceTypes).toHaveLength(37);
  });

  it('turns /stats into percent of the instance, ops/s and bytes/s over the window', async () => {
    await start();
    const result = await collect();
    const series = (host: string, metric: string) =>
      result.series.find((s) => s.subjectId === host && s.metric === metric)!;
    const cpu = series('41000001', 'cpu.util');
    // 50 % of a 2-vCPU Linode is 100 % on Linode's one-core scale; back to 50 %.
    expect(cpu.unit).toBe('percent');
    expect(cpu.stepSec).toBe(300);
    expect(new Set(pointsFromColumns(cpu).map(([, v]) => v))).toEqual(new Set([50]));
    expect(pointsFromColumns(cpu)).toHaveLength(14 * 288);
    expect(pointsFromColumns(cpu)[0]![0]).toBe(window.fromMs);
    expect(pointsFromColumns(cpu).at(-1)![0]).toBe(window.toMs - 300_000);
    expect(pointsFromColumns(series('41000001', 'cpu.util.max'))[0]![1]).toBe(50);
    expect(pointsFromColumns(series('41000003', 'cpu.util'))[0]![1]).toBeCloseTo(97, 5);
    expect(series('41000001', 'disk.write.ops')).toMatchObject({
      unit: 'ops-per-second',
      values: expect.any(Float64Array),
    });
    expect(pointsFromColumns(series('41000001', 'disk.write.ops'))[5]![1]).toBe(40);
    // Public 8 Mbit/s (v4 + v6) + private 4 Mbit/s = 12 Mbit/s = 1.5 MB/s.
    expect(pointsFromColumns(series('41000001', 'net.in.bytes'))[5]![1]).toBeCloseTo(1_500_000, 0);
    expect(pointsFromColumns(series('41000001', 'net.out.bytes'))[5]![1]).toBeCloseTo(2_000_000, 0);
    // The offline Linode is not asked for stats; the idle one is.
    expect(result.series.some((s) => s.subjectId === '41000004')).toBe(false);
    expect(pointsFromColumns(series('41000002', 'cpu.util'))[0]![1]).toBeLessThanOrEqual(1);
    expect(result.blindSpots['41000001']).toEqual([
      'memory',
      'iowait',
      'steal',
      'disk-queue',
      'network-packets',
    ]);
  });

  it('averages 5-minute points to a longer step and keeps their maximum', async () => {
    await start({ instances: [{ ...fleet.instances[0], cpu: { shape: 'spiky', base: 10, peak: 90 } }] });
    const adapter = fastRetries(createLinodeAdapter({ token: TOKEN }));
    const hourly = await collectProvider(
      adapter,
      { tags: [], endpoint: current().endpoint },
      { ...window, stepSec: 3600 },
      silentLogger,
    );
    const avg = hourly.series.find((s) => s.metric === 'cpu.util')!;
    const max = hourly.series.find((s) => s.metric === 'cpu.util.max')!;
    expect(avg.stepSec).toBe(3600);
    expect(pointsFromColumns(avg)).toHaveLength(14 * 24);
    for (let i = 0; i < pointsFromColumns(avg).length; i += 1)
      expect(pointsFromColumns(max)[i]![1]).toBeGreaterThanOrEqual(pointsFromColumns(avg)[i]![1]);
  });

  it('makes exactly the minimum number of calls on a normal run, with no 429', async () => {
    const m = await start();
    const result = await collect();
    expect(monthsTouched(window)).toEqual([
      { year: 2025, month: 2 },
      { year: 2025, month: 3 },
    ]);
    expect(result.apiCalls.byOperation['linode.getLinodeStatsByDate']).toMatchObject({
      made: 6,
      minimum: 6,
      retries: 0,
    });
    expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
    expect(result.apiCalls.made).toBe(1 + 1 + 1 + 6);
    expect(m.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(result.gaps).toEqual([]);
  });

  it('follows pages of 500', async () => {
    const instances = Array.from({ length: 520 }, (_, i) => ({
      id: 50000000 + i,
      label: `node-${i}`,
      type: 'g6-nanode-1',
      region: 'us-east',
      status: 'offline',
    }));
    const m = await start({ instances });
    const result = await collect();
    expect(result.hosts).toHaveLength(520);
    const pages = m.requests.filter((r) => r.operation === 'instances');
    expect(pages.map((r) => [r.query.page, r.query.page_size])).toEqual([
      ['1', '500'],
      ['2', '500'],
    ]);
    expect(result.apiCalls.byOperation['linode.getLinodes']).toMatchObject({ made: 2, minimum: 2 });
    expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
  });

  it('turns a 503 storm on one Linode into one one-line gap naming the provider, and keeps the rest', async () => {
    await start({
      ...fleet,
      faults: [{ kind: 'server-error', operation: 'stats', instanceId: 41000003, times: 'always' }],
    });
    const result = await collect();
    // Two months of stats failed alike: one row that says so, not one per call.
    expect(result.gaps).toEqual([
      {
        provider: 'linode',
        kind: 'unavailable',
        what: 'metrics of batch-1 (41000003), 2025-02 and 1 more',
        operation: 'linode.getLinodeStatsByDate',
        scope: 'account',
        message:
          'linode linode.getLinodeStatsByDate: unavailable: HTTP 503: Service Unavailable (2 linode.getLinodeStatsByDate calls failed alike)',
      },
    ]);
    expect(result.series.some((s) => s.subjectId === '41000003')).toBe(false);
    expect(result.series.some((s) => s.subjectId === '41000001')).toBe(true);
    expect(result.blindSpots['41000003']).toContain('disk-iops');
  });

  it('falls back to the bundled catalog when /linode/types fails', async () => {
    await start({ ...fleet, faults: [{ kind: 'server-error', operation: 'types', times: 'always' }] });
    const result = await collect();
    expect(result.gaps).toEqual([
      expect.objectContaining({ provider: 'linode', what: 'Linode plan types', kind: 'unavailable' }),
    ]);
    expect(result.gaps[0]!.message).toMatch(/bundled catalog$/);
    expect(result.instanceTypes).toEqual([]);
    expect(result.series.find((s) => s.metric === 'cpu.util')).toBeDefined();
  });

  it('reports a malformed page as a bad response', async () => {
    await start({ ...fleet, faults: [{ kind: 'malformed', operation: 'instances' }] });
    const result = await collect();
    expect(result.hosts).toEqual([]);
    expect(result.gaps).toEqual([
      {
        provider: 'linode',
        what: 'Linodes',
        kind: 'bad-response',
        message: 'linode linode.getLinodes: bad-response: answered a body that is not JSON',
        operation: 'linode.getLinodes',
        scope: 'account',
      },
    ]);
    expect(result.coverage).toEqual({
      scopes: ['account'],
      failedScopes: [{ scope: 'account', reason: 'bad-response: answered a body that is not JSON' }],
      seriesExpected: 0,
    });
  });

  it('never puts the token in a gap, an error or a log line', async () => {
    const lines: string[] = [];
    const log = pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    await start({ ...fleet, token: 'the-right-token' });
    const result = await collect({}, TOKEN, fastRetries, log);
    expect(result.gaps).toEqual([
      {
        provider: 'linode',
        what: 'Linodes',
        kind: 'auth',
        message: 'linode linode.getLinodes: auth: HTTP 401: Invalid Token',
        operation: 'linode.getLinodes',
        scope: 'account',
      },
    ]);
    // One call: an auth failure is not retried.
    expect(result.apiCalls.byOperation['linode.getLinodes']).toMatchObject({
      made: 1,
      retries: 0,
      failed: 1,
    });
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    expect(lines.join('')).not.toContain(TOKEN);
  });

  it('says where the token comes from when there is none', async () => {
    await start();
    const saved = process.env.LINODE_TOKEN;
    delete process.env.LINODE_TOKEN;
    try {
      const result = await collect({}, null);
      expect(result.gaps[0]).toMatchObject({
        kind: 'auth',
        message: expect.stringContaining('LINODE_TOKEN'),
      });
      expect(current().requests).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.LINODE_TOKEN = saved;
    }
  });

  it('computes the minimum from what was listed', () => {
    const observed = {
      instances: { account: 1001 },
      volumes: { account: 0 },
      'metric-instances': { account: 7 },
    };
    expect(minimumLinodeCalls(window, observed)).toEqual({
      'linode.getLinodes': 3,
      'linode.getVolumes': 1,
      'linode.getLinodeTypes': 1,
      'linode.getLinodeStatsByDate': 14,
    });
  });
});

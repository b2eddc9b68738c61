// Bad input and failures: each becomes a gap naming the provider with a one-line reason, the rest
// of the run goes on, and no key ever reaches a message.
import { describe, expect, it } from 'vitest';
import type { ProviderArtifacts } from '../../../src/run/artifacts.ts';
import { CREDENTIALS, collect, fleet, ids, PROJECT_A, withMock } from './harness.ts';

function expectClean(result: ProviderArtifacts) {
  const text = JSON.stringify(result.gaps);
  for (const secret of Object.values(CREDENTIALS)) expect(text).not.toContain(secret);
  for (const gap of result.gaps) {
    expect(gap.provider).toBe('ovh');
    expect(gap.message.split('\n')).toHaveLength(1);
  }
}

describe('throttling and outages', () => {
  it('retries a 429 and counts it, with no gap and made == minimum', async () => {
    const faults = [{ kind: 'throttle', route: 'monitoring', instance: ids.web, type: 'cpu:used' }];
    await withMock(fleet(faults), async (mock) => {
      const result = await collect(mock);
      expect(result.gaps).toEqual([]);
      expect(result.apiCalls.byOperation['cloud.monitoring']).toMatchObject({
        made: 24,
        retries: 1,
        failed: 0,
      });
      expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
      expect(mock.requests.filter((r) => r.status === 429)).toHaveLength(1);
    });
  });

  it('rides out a short 503 storm on a listing', async () => {
    const faults = [{ kind: 'server-error', route: 'instances', project: PROJECT_A, times: 2 }];
    await withMock(fleet(faults), async (mock) => {
      const result = await collect(mock);
      expect(result.gaps).toEqual([]);
      expect(result.hosts).toHaveLength(5);
      expect(result.apiCalls.byOperation['cloud.instances']).toMatchObject({
        made: 2,
        retries: 2,
        failed: 0,
      });
    });
  });

  it('turns a refused monitoring call into one gap for that host; the others are complete', async () => {
    const faults = [{ kind: 'access-denied', route: 'monitoring', instance: ids.batch, times: 'always' }];
    await withMock(fleet(faults), async (mock) => {
      const result = await collect(mock);
      expectClean(result);
      expect(result.gaps).toHaveLength(1);
      expect(result.gaps[0]).toMatchObject({ kind: 'auth', what: expect.stringContaining('batch-1') });
      expect(result.gaps[0]!.message).toMatch(
        /^ovh cloud\.monitoring \(5f1c0b8e2d4a4c7e9b3a6d1f0e2c4b6a\): auth: HTTP 403: This call has not been granted/,
      );
      expect(result.series.some((s) => s.subjectId === ids.batch)).toBe(false);
      expect(result.series.filter((s) => s.subjectId === ids.web)).toHaveLength(5);
      expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
    });
  });
});

describe('credentials', () => {
  it('names an expired consumer key, with what to do', async () => {
    const faults = [{ kind: 'expired-credentials', route: 'projects', times: 'always' }];
    await withMock(fleet(faults), async (mock) => {
      const result = await collect(mock);
      expectClean(result);
      expect(result.hosts).toEqual([]);
      expect(result.gaps).toHaveLength(1);
      expect(result.gaps[0]).toMatchObject({ kind: 'auth', what: 'projects' });
      expect(result.gaps[0]!.message).toContain('This credential is not valid');
      expect(result.gaps[0]!.message).toContain('OVH_CONSUMER_KEY');
      // An auth failure is not retried.
      expect(result.apiCalls.byOperation['cloud.projects']).toMatchObject({ made: 1, retries: 0, failed: 1 });
    });
  });

  it('names an unknown consumer key and a wrong application secret', async () => {
    await withMock(fleet(), async (mock) => {
      const certificateFor = () => mock.certificate;
      const unknown = await collect(
        mock,
        {},
        { credentials: { ...CREDENTIALS, consumerKey: 'revokedconsumerkey0000000000000' }, certificateFor },
      );
      expectClean(unknown);
      expect(unknown.gaps[0]!.message).toContain('This credential is not valid');
      const wrong = await collect(
        mock,
        {},
        { credentials: { ...CREDENTIALS, appSecret: 'not-the-secret' }, certificateFor },
      );
      expectClean(wrong);
      expect(wrong.gaps[0]).toMatchObject({ kind: 'auth' });
      expect(wrong.gaps[0]!.message).toContain('Invalid signature');
      expect(wrong.gaps[0]!.message).not.toContain('not-the-secret');
    });
  });

  it('says which variables to set when there are no keys, and calls nothing', async () => {
    const saved = { ...process.env };
    for (const name of ['OVH_APPLICATION_KEY', 'OVH_APPLICATION_SECRET', 'OVH_CONSUMER_KEY'])
      delete process.env[name];
    try {
      await withMock(fleet(), async (mock) => {
        const result = await collect(mock, {}, { certificateFor: () => mock.certificate });
        expect(result.gaps).toHaveLength(1);
        expect(result.gaps[0]).toMatchObject({ provider: 'ovh', kind: 'auth' });
        expect(result.gaps[0]!.message).toContain(
          'OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET, OVH_CONSUMER_KEY',
        );
        expect(result.apiCalls.made).toBe(0);
        expect(mock.requests).toHaveLength(0);
      });
    } finally {
      Object.assign(process.env, saved);
    }
  });

  it('trusts the mock certificate only for the client given it, and not after it is done', async () => {
    await withMock(fleet(), async (mock) => {
      const trusted = await collect(mock);
      expect(trusted.gaps).toEqual([]);
      const untrusted = await collect(mock, {}, { credentials: CREDENTIALS });
      expect(untrusted.hosts).toEqual([]);
      expect(untrusted.gaps[0]).toMatchObject({ kind: 'auth', what: 'projects' });
      expect(untrusted.gaps[0]!.message).toMatch(/TLS certificate is not trusted/);
    });
  });
});

describe('malformed answers', () => {
  it('a cut-off flavor list is a bad-response gap; hosts keep the flavor from their plan code', async () => {
    const faults = [{ kind: 'malformed', route: 'flavors', project: PROJECT_A, times: 'always' }];
    await withMock(fleet(faults), async (mock) => {
      const result = await collect(mock);
      expectClean(result);
      expect(result.gaps).toHaveLength(1);
      expect(result.gaps[0]).toMatchObject({ kind: 'bad-response', what: `flavors of project ${PROJECT_A}` });
      expect(result.hosts.find((h) => h.id === ids.web)!.instanceType).toBe('b3-16');
      expect(result.hosts).toHaveLength(5);
    });
  });

  it('an instance list of the wrong shape is a bad-response gap', async () => {
    const faults = [{ kind: 'malformed', route: 'instances', project: PROJECT_A, body: 'wrong-shape' }];
    await withMock(fleet(faults), async (mock) => {
      const result = await collect(mock);
      expectClean(result);
      expect(result.gaps[0]).toMatchObject({ kind: 'bad-response' });
      expect(result.gaps[0]!.message).toContain('not a JSON array');
      expect(result.hosts.map((h) => h.name).sort()).toEqual(['db-1', 'ftp-1']);
    });
  });

  it('a catalog that fails leaves the bundled prices, and says so', async () => {
    const faults = [{ kind: 'access-denied', route: 'catalog' }];
    await withMock(fleet(faults), async (mock) => {
      const result = await collect(mock);
      expect(result.gaps).toHaveLength(1);
      expect(result.gaps[0]!.message).toContain("bundled catalog's prices");
      expect(result.instanceTypes.find((t) => t.name === 'b3-16')!.priceUsdPerHour).toBeGreaterThan(0);
    });
  });
});

// The pure parts: endpoint and credentials, the period a window needs, unit conversion, regrouping,
// and the error mapping of every shape the `ovh` client rejects with.
import { describe, expect, it } from 'vitest';
import { hourlyPrices, subsidiaryOf, USD_PER_EUR } from '../../../providers/ovh/catalog.ts';
import { credentialsFromEnv, OvhCallError, targetOf } from '../../../providers/ovh/clients.ts';
import { toProviderError } from '../../../providers/ovh/errors.ts';
import { minimumOvhCalls } from '../../../providers/ovh/index.ts';
import { bytesPerSecondIn, periodFor, regroup, stepOf } from '../../../providers/ovh/metrics.ts';

const DAY = 86_400_000;
const request = { bucket: 'ovh', operation: 'cloud.monitoring' };

describe('endpoint and credentials', () => {
  it('passes OVH endpoint names to the client and splits a mock URL into host, port and base path', () => {
    expect(targetOf('ovh-eu')).toEqual({ params: { endpoint: 'ovh-eu' } });
    expect(targetOf('https://127.0.0.1:8443/1.0')).toEqual({
      params: { host: '127.0.0.1', port: 8443, basePath: '/1.0' },
      trustKey: '127.0.0.1:8443',
    });
    expect(targetOf('https://localhost:9000').params).toMatchObject({ basePath: '/1.0' });
    expect(() => targetOf('http://127.0.0.1:80')).toThrow(/HTTPS only/);
  });

  it('reads all three standard variables or none', () => {
    const env = { OVH_APPLICATION_KEY: 'ak', OVH_APPLICATION_SECRET: 'as', OVH_CONSUMER_KEY: 'ck' };
    expect(credentialsFromEnv(env)).toEqual({ appKey: 'ak', appSecret: 'as', consumerKey: 'ck' });
    expect(credentialsFromEnv({ ...env, OVH_CONSUMER_KEY: ' ' })).toBeUndefined();
  });
});

describe('metrics', () => {
  it('asks the shortest period that reaches back to the window start, from the API clock', () => {
    const window = (days: number) => ({ fromMs: 100 * DAY - days * DAY, toMs: 100 * DAY, stepSec: 300 });
    expect(periodFor(window(1), 100 * DAY)).toBe('lastday');
    expect(periodFor(window(7), 100 * DAY)).toBe('lastweek');
    expect(periodFor(window(14), 100 * DAY)).toBe('lastmonth');
    expect(periodFor(window(14), 110 * DAY)).toBe('lastmonth');
    expect(periodFor(window(14), 120 * DAY)).toBe('lastyear');
    expect(periodFor(window(29), 102 * DAY)).toBe('lastyear');
    expect(periodFor(window(90), 100 * DAY)).toBe('lastyear');
  });

  it('reads network units and refuses to guess an unknown one', () => {
    expect(bytesPerSecondIn('B/s')).toBe(1);
    expect(bytesPerSecondIn('bit/s')).toBe(1 / 8);
    expect(bytesPerSecondIn('Mbps')).toBe(125_000);
    expect(bytesPerSecondIn('KiB/s')).toBe(1024);
    expect(bytesPerSecondIn('furlongs')).toBeUndefined();
  });

  it('groups finer samples into the window step (mean, or the highest), and keeps coarser ones', () => {
    const minute = Array.from({ length: 10 }, (_, i) => [i * 60_000, i] as [number, number]);
    expect(stepOf(minute, 300)).toBe(300);
    expect(regroup(minute, 300, 'mean')).toEqual([
      [0, 2],
      [300_000, 7],
    ]);
    expect(regroup(minute, 300, 'max')).toEqual([
      [0, 4],
      [300_000, 9],
    ]);
    const hourly = Array.from({ length: 5 }, (_, i) => [i * 3_600_000, 1] as [number, number]);
    expect(stepOf(hourly, 300)).toBe(3600);
  });

  it('counts 6 monitoring calls per running instance, and the listings per project', () => {
    expect(
      minimumOvhCalls({
        auth: { '*': 1 },
        'project-list': { '*': 1 },
        projects: { '*': 3 },
        catalog: { '*': 1 },
        'active-instances': { a: 2, b: 5, c: 0 },
      }),
    ).toEqual({
      'auth.time': 1,
      'cloud.projects': 1,
      'cloud.instances': 3,
      'cloud.flavors': 3,
      'cloud.volumes': 3,
      'order.catalog': 1,
      'cloud.monitoring': 42,
    });
  });
});

describe('catalog', () => {
  it('reads hourly consumption prices in 1e-8 EUR and converts them', () => {
    const prices = hourlyPrices({
      locale: { currencyCode: 'EUR' },
      addons: [
        {
          planCode: 'b3-8.consumption',
          pricings: [{ capacities: ['consumption'], intervalUnit: 'hour', price: 4_500_000 }],
        },
        {
          planCode: 'b3-8.monthly.postpaid',
          pricings: [{ capacities: ['renew'], intervalUnit: 'month', price: 2e9 }],
        },
        { nonsense: true },
      ],
    });
    expect([...prices.keys()]).toEqual(['b3-8.consumption']);
    expect(prices.get('b3-8.consumption')).toBeCloseTo(0.045 * USD_PER_EUR, 6);
    expect(hourlyPrices({ locale: { currencyCode: 'GBP' }, addons: [] }).size).toBe(0);
    expect(subsidiaryOf('ovh-ca')).toBe('CA');
    expect(subsidiaryOf('https://127.0.0.1:1/1.0')).toBe('FR');
  });
});

describe('error mapping', () => {
  const map = (error: unknown, message?: string) =>
    toProviderError(new OvhCallError({ error: error as number, message }), request)!;

  it('maps statuses to kinds, with a hint where the user can act', () => {
    expect(map(429, 'Too many requests').kind).toBe('throttled');
    expect(map(503).kind).toBe('unavailable');
    expect(map(404, 'This service does not exist').kind).toBe('not-found');
    expect(map(400, 'Invalid signature')).toMatchObject({ kind: 'auth', status: 400 });
    expect(map(400, 'Invalid value for parameter type').kind).toBe('bad-response');
    const expired = map(403, 'This credential is not valid');
    expect(expired.kind).toBe('auth');
    expect(expired.describe()).toBe(
      'ovh cloud.monitoring: auth: HTTP 403: This credential is not valid (the consumer key (OVH_CONSUMER_KEY) is expired, revoked or was never validated: create a new one)',
    );
  });

  it('maps what is not an HTTP answer: a body that is not JSON, a socket error, an untrusted certificate', () => {
    expect(map('[OVH] Unable to parse JSON reponse')).toMatchObject({ kind: 'bad-response' });
    expect(map(-111)).toMatchObject({ kind: 'unavailable', message: 'connection failed (errno -111)' });
    const tls = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(map(tls)).toMatchObject({ kind: 'auth', retryable: false });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(map(reset)).toMatchObject({ kind: 'unavailable', retryable: true });
    expect(toProviderError(new TypeError('a bug'), request)).toBeUndefined();
  });
});

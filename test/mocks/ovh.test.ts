// The OVH mock on its own: HTTPS with its own certificate, the signature check, OVH's error
// bodies, the fair-use bucket with 429 + Retry-After, faults, and the series it serves.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../mocks/scenarios/schema.ts';
import { signature } from '../../mocks/servers/ovh/protocol.ts';
import { type OvhMock, startOvhMock } from '../../mocks/servers/ovh.ts';
import { CREDENTIALS, fleet, ids, NOW_MS, PROJECT_A } from '../providers/ovh/harness.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

function get(
  mock: OvhMock,
  path: string,
  options: {
    sign?: boolean;
    secret?: string;
    consumerKey?: string;
    appKey?: string;
    method?: string;
    ca?: string;
  } = {},
): Promise<Answer> {
  const timestamp = String(Math.floor(NOW_MS / 1000));
  const consumerKey = options.consumerKey ?? CREDENTIALS.consumerKey;
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { 'X-Ovh-Application': options.appKey ?? CREDENTIALS.appKey };
  if (options.sign !== false) {
    headers['X-Ovh-Consumer'] = consumerKey;
    headers['X-Ovh-Timestamp'] = timestamp;
    headers['X-Ovh-Signature'] = signature(
      options.secret ?? CREDENTIALS.appSecret,
      consumerKey,
      method,
      `https://127.0.0.1/1.0${path}`,
      '',
      timestamp,
    );
  }
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: mock.port,
        path: `/1.0${path}`,
        method,
        headers,
        ca: options.ca ?? mock.certificate,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('protocol', () => {
  let mock: OvhMock;
  beforeAll(async () => {
    mock = await startOvhMock({ scenario: fleet(), now: () => NOW_MS, rateLimits: false });
  });
  afterAll(() => mock.close());

  it('listens on 127.0.0.1 over HTTPS with a certificate for 127.0.0.1, refused without it', async () => {
    expect(mock.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/1\.0$/);
    expect(mock.certificate).toContain('BEGIN CERTIFICATE');
    await expect(get(mock, '/auth/time', { ca: '' })).rejects.toMatchObject({
      code: expect.stringMatching(/SELF_SIGNED|CERT/),
    });
  });

  it('answers /auth/time unsigned with a bare number of epoch seconds; other calls need a known key', async () => {
    const answer = await get(mock, '/auth/time', { sign: false });
    expect(answer).toMatchObject({ status: 200, body: NOW_MS / 1000 });
    expect(await get(mock, '/cloud/project', { appKey: 'unknownapp' })).toMatchObject({
      status: 403,
      body: { errorCode: 'INVALID_KEY' },
    });
  });

  it('checks the signature of every other call', async () => {
    expect((await get(mock, '/cloud/project')).body).toEqual(expect.arrayContaining([PROJECT_A]));
    expect(await get(mock, '/cloud/project', { sign: false })).toMatchObject({
      status: 401,
      body: { class: 'Client::Unauthorized' },
    });
    expect(await get(mock, '/cloud/project', { secret: 'wrong' })).toMatchObject({
      status: 400,
      body: { errorCode: 'INVALID_SIGNATURE', httpCode: '400 Bad Request', message: 'Invalid signature' },
    });
    expect(await get(mock, '/cloud/project', { consumerKey: 'expiredkey' })).toMatchObject({
      status: 403,
      body: {
        errorCode: 'INVALID_CREDENTIAL',
        httpCode: '403 Forbidden',
        message: 'This credential is not valid',
      },
    });
  });

  it('is read-only and names unknown projects, instances, types and paths', async () => {
    expect((await get(mock, '/cloud/project', { method: 'DELETE' })).status).toBe(403);
    expect(await get(mock, '/cloud/project/nope/instance')).toMatchObject({
      status: 404,
      body: { class: 'Client::NotFound' },
    });
    expect(
      (await get(mock, `/cloud/project/${PROJECT_A}/instance/nope/monitoring?period=lastday&type=cpu%3Aused`))
        .status,
    ).toBe(404);
    expect(
      await get(
        mock,
        `/cloud/project/${PROJECT_A}/instance/${ids.web}/monitoring?period=lastday&type=disk%3Aiops`,
      ),
    ).toMatchObject({ status: 400, body: { class: 'Client::BadRequest' } });
    expect((await get(mock, '/vps')).status).toBe(404);
  });

  it('serves each period at its own granularity, the same numbers every time', async () => {
    const path = (period: string) =>
      `/cloud/project/${PROJECT_A}/instance/${ids.batch}/monitoring?period=${period}&type=cpu%3Aused`;
    const day = (await get(mock, path('lastday'))).body as {
      unit: string;
      values: { timestamp: number; value: number }[];
    };
    const month = (await get(mock, path('lastmonth'))).body as typeof day;
    expect(day.unit).toBe('%');
    expect(day.values[1]!.timestamp - day.values[0]!.timestamp).toBe(300);
    expect(month.values[1]!.timestamp - month.values[0]!.timestamp).toBe(3600);
    expect(month.values.at(-1)!.timestamp).toBeLessThanOrEqual(NOW_MS / 1000);
    // c3-8: 4 vCPUs, saturated at 90-99 % of all of them.
    for (const { value } of day.values) expect(value).toBeGreaterThanOrEqual(360);
    expect((await get(mock, path('lastday'))).body).toEqual(day);
    const stopped = (
      await get(
        mock,
        `/cloud/project/${PROJECT_A}/instance/${ids.off}/monitoring?period=lastday&type=cpu%3Aused`,
      )
    ).body;
    expect(stopped).toEqual({ unit: '', values: [] });
  });
});

describe('rate limit and faults', () => {
  it('answers the 61st call of a minute with 429 and Retry-After', async () => {
    // The bucket refills on a clock that stands still: the 61st call is refused however slow the machine.
    const mock = await startOvhMock({ scenario: fleet(), now: () => NOW_MS, limitsClockMs: () => 0 });
    try {
      const answers = [];
      for (let i = 0; i < 61; i += 1) answers.push(await get(mock, '/cloud/project'));
      expect(answers.slice(0, 60).every((a) => a.status === 200)).toBe(true);
      expect(answers[60]).toMatchObject({ status: 429, headers: { 'retry-after': '1' } });
    } finally {
      await mock.close();
    }
  });

  it('fails the nth matching call `times` times, with the real error bodies', async () => {
    const scenario = fleet([
      { kind: 'server-error', route: 'projects', nth: 2, times: 2 },
      { kind: 'malformed', route: 'flavors', project: PROJECT_A },
    ]);
    const mock = await startOvhMock({ scenario, now: () => NOW_MS, rateLimits: false });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await get(mock, '/cloud/project')).status);
      expect(statuses).toEqual([200, 503, 503, 200]);
      const cut = await get(mock, `/cloud/project/${PROJECT_A}/flavor`);
      expect(cut.status).toBe(200);
      expect(typeof cut.body).toBe('string');
      expect(Array.isArray((await get(mock, `/cloud/project/${PROJECT_A}/flavor`)).body)).toBe(true);
    } finally {
      await mock.close();
    }
  });
});

describe('scenario', () => {
  it('refuses duplicate instance ids and unknown flavors', async () => {
    const instance = { id: ids.web, name: 'a', flavor: 'b3-8', region: 'GRA11' };
    expect(() =>
      parseScenario({
        name: 'x',
        ovh: { projects: { p: { instances: [instance, { ...instance, name: 'b' }] } } },
      }),
    ).toThrow(/duplicate id/);
    const scenario = parseScenario({
      name: 'x',
      ovh: { projects: { p: { instances: [{ ...instance, flavor: 'z9-1' }] } } },
    });
    await expect(startOvhMock({ scenario })).rejects.toThrow(/no flavor z9-1/);
  });
});

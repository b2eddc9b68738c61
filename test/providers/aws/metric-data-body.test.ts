// GetMetricData's 200 answers are decoded by fleetlens, not the SDK (providers/aws/metric-data-body.ts):
// the same real client against the AWS mock gives the same datapoints, NextToken and Messages either
// way, pages included; errors and malformed answers reach the SDK untouched.
import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledScenarioPath, loadScenario, parseScenario } from '../../../mocks/scenarios/schema.ts';
import { type AwsMock, startAwsMock } from '../../../mocks/servers/aws.ts';
import { takeMetricDataResults, timestampMs } from '../../../providers/aws/metric-data-body.ts';

const nowMs = Date.parse('2025-01-15T00:00:00Z');
const dayMs = 86_400_000;
const testFleet = loadScenario(bundledScenarioPath('test-fleet'));

let mock: AwsMock;
let faulty: AwsMock;

beforeAll(async () => {
  mock = await startAwsMock({ scenario: testFleet, now: () => nowMs, rateLimits: false });
  const scenario = parseScenario({
    ...testFleet,
    aws: {
      ...testFleet.aws,
      faults: [
        { kind: 'throttle', action: 'GetMetricData', region: 'eu-west-1', nth: 1, times: 1 },
        { kind: 'malformed', action: 'GetMetricData', region: 'eu-west-1', nth: 2, times: 1 },
        {
          kind: 'malformed',
          action: 'GetMetricData',
          region: 'eu-west-1',
          nth: 3,
          times: 1,
          body: 'wrong-types',
        },
      ],
    },
  });
  faulty = await startAwsMock({ scenario, now: () => nowMs, rateLimits: false });
});
afterAll(async () => {
  await Promise.all([mock.close(), faulty.close()]);
});

function client(on: AwsMock): CloudWatchClient {
  return new CloudWatchClient({
    region: 'eu-west-1',
    endpoint: on.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

function query(id: string, metricName: string, instanceId: string): MetricDataQuery {
  return {
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/EC2',
        MetricName: metricName,
        Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
      },
      Period: 300,
      Stat: 'Average',
    },
  };
}

// 30 series × 4,032 five-minute datapoints: CloudWatch pages past 100,800. One more asks of an
// instance that does not exist (no datapoints at all).
const names = ['CPUUtilization', 'NetworkIn', 'NetworkOut', 'EBSReadOps', 'EBSWriteOps', 'NetworkPacketsIn'];
const hosts = [1, 2, 3, 4, 6].map((n) => `i-0a1b2c3d4e5f6000${n}`);
const input: GetMetricDataCommandInput = {
  StartTime: new Date(nowMs - 14 * dayMs),
  EndTime: new Date(nowMs),
  ScanBy: 'TimestampAscending',
  MetricDataQueries: [
    ...hosts.flatMap((host, h) => names.map((name, n) => query(`q${h}_${n}`, name, host))),
    query('gone', 'CPUUtilization', 'i-0a1b2c3d4e5f6dead'),
  ],
};

/** One page's results as (id, status, epoch ms, values), whichever way they were decoded. */
function normalized(results: readonly Record<string, unknown>[]) {
  return results.map((r) => ({
    id: r.Id,
    status: r.StatusCode,
    times: (r.Timestamps as unknown[]).map((t) => (t instanceof Date ? t.getTime() : timestampMs(t))),
    values: r.Values,
  }));
}

describe('GetMetricData decoded by fleetlens', () => {
  it('gives the SDK its own answer on every page: the same datapoints, NextToken and Messages', async () => {
    const cw = client(mock);
    let token: string | undefined;
    let pages = 0;
    let datapoints = 0;
    do {
      const sdk = await cw.send(new GetMetricDataCommand({ ...input, NextToken: token }));
      const command = new GetMetricDataCommand({ ...input, NextToken: token });
      const taken = takeMetricDataResults(command);
      const ours = await cw.send(command);
      expect(ours.MetricDataResults).toEqual([]);
      expect(ours.NextToken).toBe(sdk.NextToken);
      expect(ours.Messages).toEqual(sdk.Messages);
      const results = taken() as Record<string, unknown>[];
      expect(normalized(results)).toEqual(normalized(sdk.MetricDataResults as Record<string, unknown>[]));
      datapoints += results.reduce((n, r) => n + (r.Values as unknown[]).length, 0);
      token = sdk.NextToken;
      pages += 1;
    } while (token && pages < 10);
    expect(pages).toBeGreaterThan(1);
    expect(token).toBeUndefined();
    expect(datapoints).toBeGreaterThan(100_800);
  });

  it('leaves errors and malformed answers to the SDK, which fails as it would have', async () => {
    const cw = client(faulty);
    const small = { ...input, MetricDataQueries: [query('a', 'CPUUtilization', 'i-0a1b2c3d4e5f60001')] };
    const outcome = async () => {
      const command = new GetMetricDataCommand(small);
      const taken = takeMetricDataResults(command);
      try {
        const out = await cw.send(command);
        return { ok: true, taken: taken(), results: out.MetricDataResults };
      } catch (error) {
        return { ok: false, name: (error as Error).name, taken: taken() };
      }
    };
    // 1: throttled (400), as the SDK's own error, nothing taken.
    expect(await outcome()).toEqual({ ok: false, name: 'Throttling', taken: undefined });
    // 2: a truncated body: not JSON, handed back whole; the SDK's deserializer fails on it.
    const truncated = await outcome();
    expect(truncated.ok).toBe(false);
    expect(truncated.taken).toBeUndefined();
    // 3: numbers spelled "n/a": taken as they came, for metrics.ts to refuse point by point.
    const wrongTypes = await outcome();
    expect(wrongTypes.ok).toBe(true);
    const [result] = wrongTypes.taken as { Values: unknown[]; Timestamps: unknown[] }[];
    expect(result?.Values[0]).toBe('n/a');
    expect(timestampMs(result?.Timestamps[0])).toBeNaN();
    // 4: healthy again.
    const healthy = await outcome();
    expect(healthy.ok).toBe(true);
    expect((healthy.taken as unknown[]).length).toBe(1);
  });
});

describe('timestampMs', () => {
  it('reads epoch seconds as a number or a numeric string, and ISO 8601 date-times', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        const seconds = ms / 1000;
        expect(timestampMs(seconds)).toBeCloseTo(ms, 3);
        expect(timestampMs(String(seconds))).toBeCloseTo(ms, 3);
        expect(timestampMs(new Date(ms).toISOString())).toBe(ms);
      }),
    );
  });

  it('is NaN for anything else', () => {
    for (const value of ['', ' ', 'n/a', 'yesterday', null, undefined, {}, [], true])
      expect(timestampMs(value), JSON.stringify(value)).toBeNaN();
  });
});

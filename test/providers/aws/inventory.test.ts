// The AWS inventory through the real SDK clients against the mock: what it lists (stopped instances
// and volumes attached to nothing too), what a region's coverage says, and how each listing fails:
// a 200 of the wrong shape is a bad-response, a NextToken that repeats is stopped. Waits run on a
// virtual clock (the mock's buckets too): no wait costs real time.
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario } from '../../../mocks/scenarios/schema.ts';
import { type AwsMock, startAwsMock } from '../../../mocks/servers/aws.ts';
import { createAwsAdapter } from '../../../providers/aws/index.ts';
import { silentLogger } from '../../../src/log.ts';
import { virtualClock } from '../../../src/net/clock.ts';
import { collectProvider } from '../../../src/run/collect.ts';

const nowMs = Date.parse('2025-01-15T00:00:00Z');
const window = { fromMs: nowMs - 86_400_000, toMs: nowMs, stepSec: 300 };
const credentials = { accessKeyId: 'AKIDINVENTORYTEST', secretAccessKey: 'not-a-real-secret-for-tests' };

function scenario(faults: unknown[] = []) {
  return parseScenario({
    name: 'aws-inventory',
    aws: {
      faults,
      regions: {
        'eu-west-1': {
          instances: [
            {
              id: 'i-0d00000000000a001',
              name: 'web-1',
              type: 'm6i.large',
              az: 'eu-west-1a',
              cpu: 30,
              volumes: [{ id: 'vol-0d00000000000b001', device: '/dev/xvda', type: 'gp3', sizeGiB: 40 }],
            },
            {
              id: 'i-0d00000000000a002',
              name: 'old-builder',
              type: 'c6i.xlarge',
              az: 'eu-west-1b',
              state: 'stopped',
              volumes: [{ id: 'vol-0d00000000000b002', device: '/dev/xvda', type: 'gp3', sizeGiB: 200 }],
            },
          ],
          volumes: [{ id: 'vol-0d00000000000c001', az: 'eu-west-1a', type: 'gp2', sizeGiB: 500 }],
        },
        'us-east-1': {},
      },
    },
  });
}

let mock: AwsMock | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

async function collect(faults: unknown[] = []) {
  const clock = virtualClock(nowMs);
  mock = await startAwsMock({ scenario: scenario(faults), now: () => nowMs, limitsClockMs: clock.now });
  const config = {
    regions: ['eu-west-1', 'us-east-1'],
    endpoint: mock.endpoint,
    tags: {},
    includeStopped: false,
  };
  return collectProvider(createAwsAdapter({ credentials }), config, window, silentLogger, undefined, {
    clock,
  });
}

describe('aws inventory', () => {
  it('lists stopped instances with their volumes and volumes attached to nothing, and asks metrics of neither', async () => {
    const result = await collect();
    expect(result.hosts.map((h) => [h.name, h.state])).toEqual([
      ['web-1', 'running'],
      ['old-builder', 'stopped'],
    ]);
    expect(result.hosts[1]!.volumeIds).toEqual(['vol-0d00000000000b002']);
    expect(result.volumes.map((v) => [v.id, v.attachedTo.map((a) => a.hostId)])).toEqual([
      ['vol-0d00000000000b001', ['i-0d00000000000a001']],
      ['vol-0d00000000000b002', ['i-0d00000000000a002']],
      ['vol-0d00000000000c001', []],
    ]);
    const measured = new Set(result.series.map((s) => s.subjectId));
    expect([...measured].sort()).toEqual(['i-0d00000000000a001', 'vol-0d00000000000b001']);
    // Coverage: both regions asked, none failed; an empty region is a region with no instances.
    expect(result.coverage).toMatchObject({ scopes: ['eu-west-1', 'us-east-1'], failedScopes: [] });
    expect(result.coverage!.seriesExpected).toBe(result.series.length);
    expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
    expect(result.gaps).toEqual([]);
  });

  it('takes a DescribeInstances 200 of the wrong shape for a failed region, not an empty one', async () => {
    const result = await collect([
      {
        kind: 'malformed',
        action: 'DescribeInstances',
        region: 'eu-west-1',
        body: 'wrong-shape',
        times: 'always',
      },
    ]);
    expect(result.hosts).toEqual([]);
    expect(result.gaps).toEqual([
      {
        provider: 'aws',
        what: 'instances in eu-west-1',
        kind: 'bad-response',
        operation: 'ec2.DescribeInstances',
        scope: 'eu-west-1',
        message:
          'aws ec2.DescribeInstances (eu-west-1): bad-response: answered 200 without a reservationSet: not a DescribeInstances response',
      },
    ]);
    expect(result.coverage).toMatchObject({
      scopes: ['eu-west-1', 'us-east-1'],
      failedScopes: [
        {
          scope: 'eu-west-1',
          reason: 'bad-response: answered 200 without a reservationSet: not a DescribeInstances response',
        },
      ],
    });
  });

  it('takes wrong-shape volume and Auto Scaling listings for gaps, and keeps the instances', async () => {
    const result = await collect([
      { kind: 'malformed', action: 'DescribeVolumes', body: 'wrong-shape', times: 'always' },
      { kind: 'malformed', action: 'DescribeAutoScalingGroups', body: 'wrong-shape', times: 'always' },
    ]);
    expect(result.hosts).toHaveLength(2);
    expect(result.gaps.map((g) => [g.operation, g.scope, g.kind])).toEqual([
      ['ec2.DescribeVolumes', 'eu-west-1', 'bad-response'],
      ['autoscaling.DescribeAutoScalingGroups', 'eu-west-1', 'bad-response'],
      ['ec2.DescribeVolumes', 'us-east-1', 'bad-response'],
      ['autoscaling.DescribeAutoScalingGroups', 'us-east-1', 'bad-response'],
    ]);
    expect(result.coverage!.failedScopes).toEqual([]);
  });

  it('takes a GetMetricData 200 whose datapoints are not numbers for a bad-response, one line naming the query', async () => {
    const result = await collect([
      {
        kind: 'malformed',
        action: 'GetMetricData',
        region: 'eu-west-1',
        body: 'wrong-types',
        times: 'always',
      },
    ]);
    expect(result.hosts).toHaveLength(2);
    expect(result.series).toEqual([]);
    const gaps = result.gaps.filter((g) => g.operation === 'cloudwatch.GetMetricData');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ kind: 'bad-response', scope: 'eu-west-1' });
    expect(gaps[0]!.message).toMatch(
      /^aws cloudwatch\.GetMetricData \(eu-west-1\): bad-response: answered a datapoint that is not a time and a number \(q\d+ #0: \["n\/a","n\/a"\]\); no data for 2 subjects: i-0d00000000000a001, vol-0d00000000000b001$/,
    );
  });

  it('stops a listing whose NextToken comes back again, after two pages, with one gap', async () => {
    const result = await collect([
      { kind: 'loop', action: 'DescribeVolumes', region: 'eu-west-1', times: 'always' },
    ]);
    expect(result.gaps).toEqual([
      expect.objectContaining({
        kind: 'bad-response',
        operation: 'ec2.DescribeVolumes',
        scope: 'eu-west-1',
        message:
          'aws ec2.DescribeVolumes (eu-west-1): bad-response: page 2 gave the same next-page token as page 1; stopped instead of looping',
      }),
    ]);
    expect(result.apiCalls.byOperation['ec2.DescribeVolumes']!.made).toBe(3);
    expect(
      mock!.requests.filter((r) => r.action === 'DescribeVolumes' && r.region === 'eu-west-1'),
    ).toHaveLength(2);
  });

  it('retries a call refused for clock skew once the SDK has taken the service time, and ends complete', async () => {
    const clock = virtualClock(nowMs);
    const skewed = scenario();
    skewed.aws.clockSkewSec = -30 * 60;
    mock = await startAwsMock({ scenario: skewed, now: () => nowMs, limitsClockMs: clock.now });
    const config = { regions: ['eu-west-1'], endpoint: mock.endpoint, tags: {}, includeStopped: false };
    const result = await collectProvider(
      createAwsAdapter({ credentials }),
      config,
      window,
      silentLogger,
      undefined,
      {
        clock,
      },
    );
    expect(result.gaps).toEqual([]);
    expect(result.hosts).toHaveLength(2);
    // The first call of each client (EC2, Auto Scaling, CloudWatch) is refused once, then signed right.
    expect(
      mock.requests.filter(
        (r) => r.errorCode === 'RequestExpired' || r.errorCode === 'SignatureDoesNotMatch',
      ),
    ).toHaveLength(3);
    expect(result.apiCalls.retries).toBe(3);
    expect(result.apiCalls.failed).toBe(0);
  });
});

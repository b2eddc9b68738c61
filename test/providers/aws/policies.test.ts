// What each Auto Scaling group scales on, read through the real SDK clients from the mock:
// DescribePolicies for the region (paged at 100), DescribeAlarms only for step and simple policies
// (≤ 100 names a call), counted in the minimum. Waits run on a virtual clock.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario } from '../../../mocks/scenarios/schema.ts';
import { type AwsMock, startAwsMock } from '../../../mocks/servers/aws.ts';
import { createAwsAdapter } from '../../../providers/aws/index.ts';
import { minimumPolicyCalls, signalsOf } from '../../../providers/aws/policies.ts';
import { ScalingPolicy } from '../../../providers/aws/schema.ts';
import { silentLogger } from '../../../src/log.ts';
import { virtualClock } from '../../../src/net/clock.ts';
import { collectProvider } from '../../../src/run/collect.ts';

const nowMs = Date.parse('2025-01-15T00:00:00Z');
const window = { fromMs: nowMs - 86_400_000, toMs: nowMs, stepSec: 300 };
const credentials = { accessKeyId: 'AKIDPOLICYTEST', secretAccessKey: 'not-a-real-secret-for-tests' };

function instance(n: number, group: string) {
  return {
    id: `i-0e00000000000a${String(n).padStart(3, '0')}`,
    name: `${group}-${n}`,
    type: 'm6i.large',
    az: 'eu-west-1a',
    group,
    cpu: 20,
  };
}

function group(name: string, policies: unknown[]) {
  return { name, minSize: 1, maxSize: 6, desiredCapacity: 1, policies };
}

const stepPolicies = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-step-${i}`,
    type: 'StepScaling',
    alarm: { name: `${prefix}-alarm-${i}`, metricName: 'CPUUtilization', threshold: 60 + (i % 10) },
  }));

function scenario(groups: unknown[], instances: unknown[], faults: unknown[] = []) {
  return parseScenario({
    name: 'aws-policies',
    aws: { faults, regions: { 'eu-west-1': { autoScalingGroups: groups, instances } } },
  });
}

let mock: AwsMock | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

async function collect(groups: unknown[], instances: unknown[], faults: unknown[] = []) {
  const clock = virtualClock(nowMs);
  mock = await startAwsMock({
    scenario: scenario(groups, instances, faults),
    now: () => nowMs,
    limitsClockMs: clock.now,
  });
  const config = { regions: ['eu-west-1'], endpoint: mock.endpoint, tags: {}, includeStopped: false };
  return collectProvider(createAwsAdapter({ credentials }), config, window, silentLogger, undefined, {
    clock,
  });
}

describe('aws scaling policies', () => {
  it('reads target tracking (CPU, requests, a queue) and a step policy through its alarm, in the fewest calls', async () => {
    const result = await collect(
      [
        group('web', [
          {
            name: 'cpu50',
            type: 'TargetTrackingScaling',
            predefined: 'ASGAverageCPUUtilization',
            target: 50,
          },
          {
            name: 'cpu-high',
            type: 'StepScaling',
            alarm: { name: 'web-cpu-high', metricName: 'CPUUtilization', threshold: 70 },
          },
        ]),
        group('api', [
          {
            name: 'per-target',
            type: 'TargetTrackingScaling',
            predefined: 'ALBRequestCountPerTarget',
            target: 1000,
          },
        ]),
        group('jobs', [
          {
            name: 'backlog',
            type: 'TargetTrackingScaling',
            customized: { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible' },
            target: 100,
          },
        ]),
        group('manual', []),
      ],
      [instance(1, 'web'), instance(2, 'api'), instance(3, 'jobs'), instance(4, 'manual')],
    );
    const scaling = Object.fromEntries(result.groups.map((g) => [g.name, g.scaling]));
    expect(scaling.web).toEqual({
      min: 1,
      max: 6,
      signals: [
        {
          kind: 'cpu',
          target: 50,
          metric: 'ASGAverageCPUUtilization',
          policy: 'cpu50 (TargetTrackingScaling)',
        },
        { kind: 'cpu', target: 70, metric: 'AWS/EC2 CPUUtilization', policy: 'cpu-high (StepScaling)' },
      ],
    });
    expect(scaling.api!.signals).toEqual([
      {
        kind: 'requests',
        target: 1000,
        metric: 'ALBRequestCountPerTarget',
        policy: 'per-target (TargetTrackingScaling)',
      },
    ]);
    expect(scaling.jobs!.signals.map((s) => [s.kind, s.metric])).toEqual([
      ['queue', 'AWS/SQS ApproximateNumberOfMessagesVisible'],
    ]);
    // Known to have no policy: an empty list, not "unknown".
    expect(scaling.manual).toEqual({ min: 1, max: 6, signals: [] });
    const ops = result.apiCalls.byOperation;
    expect(ops['autoscaling.DescribePolicies']).toMatchObject({ made: 1, minimum: 1 });
    expect(ops['cloudwatch.DescribeAlarms']).toMatchObject({ made: 1, minimum: 1 });
    expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
  });

  it('pages 120 policies at 100 and asks for their 120 alarms in two calls: made = minimum', async () => {
    const result = await collect(
      [group('a', stepPolicies('a', 60)), group('b', stepPolicies('b', 60))],
      [instance(1, 'a'), instance(2, 'b')],
    );
    expect(result.groups.find((g) => g.name === 'a')!.scaling!.signals).toHaveLength(60);
    const ops = result.apiCalls.byOperation;
    expect(ops['autoscaling.DescribePolicies']).toMatchObject({ made: 2, minimum: 2 });
    expect(ops['cloudwatch.DescribeAlarms']).toMatchObject({ made: 2, minimum: 2 });
    expect(result.apiCalls.made).toBe(result.apiCalls.minimum);
  });

  it('makes no policy call for a region without groups, and no alarm call when every policy tracks a target', async () => {
    const none = await collect([], [{ ...instance(1, 'x'), group: undefined }]);
    expect(none.apiCalls.byOperation['autoscaling.DescribePolicies']?.made ?? 0).toBe(0);
    expect(none.apiCalls.made).toBe(none.apiCalls.minimum);
    await mock?.close();
    const tracking = await collect(
      [
        group('web', [
          {
            name: 'cpu50',
            type: 'TargetTrackingScaling',
            predefined: 'ASGAverageCPUUtilization',
            target: 50,
          },
        ]),
      ],
      [instance(1, 'web')],
    );
    expect(tracking.apiCalls.byOperation['cloudwatch.DescribeAlarms']?.made ?? 0).toBe(0);
    expect(tracking.apiCalls.made).toBe(tracking.apiCalls.minimum);
  });

  it('leaves scaling unknown (never "no policy") and says why when DescribePolicies fails', async () => {
    const result = await collect(
      [
        group('web', [
          {
            name: 'cpu50',
            type: 'TargetTrackingScaling',
            predefined: 'ASGAverageCPUUtilization',
            target: 50,
          },
        ]),
      ],
      [instance(1, 'web')],
      [{ kind: 'access-denied', action: 'DescribePolicies', region: 'eu-west-1', times: 'always' }],
    );
    expect(result.groups[0]!.scaling).toBeUndefined();
    expect(result.gaps).toContainEqual(
      expect.objectContaining({ provider: 'aws', kind: 'auth', what: 'scaling policies in eu-west-1' }),
    );
  });

  it('the policy parser never throws and keeps every signal it can name (property)', () => {
    const text = fc.oneof(
      fc.string(),
      fc.constantFrom('ASGAverageCPUUtilization', 'ALBRequestCountPerTarget', 'CPUUtilization'),
    );
    fc.assert(
      fc.property(
        fc.record({
          AutoScalingGroupName: fc.string(),
          PolicyName: fc.oneof(text, fc.integer()),
          PolicyType: fc.constantFrom(
            'TargetTrackingScaling',
            'StepScaling',
            'SimpleScaling',
            'PredictiveScaling',
            7,
          ),
          Alarms: fc.oneof(fc.array(fc.record({ AlarmName: text })), fc.constant(null)),
          TargetTrackingConfiguration: fc.option(
            fc.record({
              TargetValue: fc.oneof(fc.double({ noNaN: true }), fc.string()),
              PredefinedMetricSpecification: fc.option(fc.record({ PredefinedMetricType: text })),
            }),
          ),
        }),
        fc.array(fc.record({ AlarmName: text, MetricName: text, Threshold: fc.double({ noNaN: true }) })),
        (raw, alarms) => {
          const parsed = ScalingPolicy.parse(raw);
          const byName = new Map(alarms.map((a) => [a.AlarmName, a]));
          const signals = signalsOf(parsed, byName);
          for (const s of signals)
            expect(['cpu', 'network', 'requests', 'custom', 'queue']).toContain(s.kind);
          if (parsed.TargetTrackingConfiguration) expect(signals).toHaveLength(1);
        },
      ),
    );
  });

  it('names a predefined metric called like an Object property as custom, not as a function', () => {
    // Found by the property above: a lookup in an object literal answered `constructor` with Object.
    for (const predefined of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const parsed = ScalingPolicy.parse({
        AutoScalingGroupName: 'web',
        PolicyName: 'p',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingConfiguration: {
          TargetValue: 50,
          PredefinedMetricSpecification: { PredefinedMetricType: predefined },
        },
      });
      expect(signalsOf(parsed, new Map())).toEqual([
        { kind: 'custom', target: 50, metric: predefined, policy: 'p (TargetTrackingScaling)' },
      ]);
    }
  });

  it('counts the minimum per region from what was observed', () => {
    expect(
      minimumPolicyCalls({
        'policy-groups': { 'eu-west-1': 3, 'us-east-1': 0 },
        policies: { 'eu-west-1': 201 },
        'policy-alarms': { 'eu-west-1': 100 },
      }),
    ).toEqual({ 'autoscaling.DescribePolicies': 3, 'cloudwatch.DescribeAlarms': 1 });
  });
});

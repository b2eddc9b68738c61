// What each Auto Scaling group scales on: DescribePolicies for the whole region (paged at its
// MaxRecords maximum of 100, so one call for up to 100 policies whatever the number of groups), and,
// for step and simple policies, the CloudWatch alarms that trigger them: DescribePolicies names
// those alarms but not their metric, so DescribeAlarms (≤ 100 AlarmNames per call) gives the
// metric and threshold. Target tracking carries its metric and target itself: no alarm call.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribePolicies.html
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
import type { AwsConfig } from '../../src/config/schema.ts';
import type { Gap, Group, ScalingSignal } from '../../src/model/index.ts';
import { operationLabel } from '../../src/net/call.ts';
import { followPages, maxPagesOf } from '../../src/net/pages.ts';
import { signalKindOf } from '../scaling-signals.ts';
import type { ProviderContext } from '../types.ts';
import type { AwsClients } from './clients.ts';
import { parseList, toGap } from './inventory.ts';
import { MetricAlarm, ScalingPolicy } from './schema.ts';

export const POLICIES_PAGE = 100;
export const ALARMS_PER_CALL = 100;
/** Auto Scaling's quota: 50 scaling policies per group (adjustable), over the 5,000 groups the inventory allows. */
const MAX_POLICIES = 250_000;

/** Target tracking's predefined metrics: https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PredefinedMetricSpecification.html */
const PREDEFINED = new Map<string, ScalingSignal['kind']>(
  Object.entries({
    ASGAverageCPUUtilization: 'cpu',
    ASGAverageNetworkIn: 'network',
    ASGAverageNetworkOut: 'network',
    ALBRequestCountPerTarget: 'requests',
  }),
);

/**
 * Adds `scaling` to the region's kept groups. On a failed call the groups stay without it (unknown,
 * never "no policy") and the failure is a gap; a failed alarm lookup drops only the alarm's signal.
 */
export async function withScalingPolicies(
  ctx: ProviderContext<AwsConfig>,
  clients: Pick<AwsClients, 'autoscaling' | 'cloudwatch'>,
  region: string,
  groups: Group[],
): Promise<{ groups: Group[]; gaps: Gap[] }> {
  ctx.observe('policy-groups', region, groups.length);
  if (groups.length === 0) return { groups, gaps: [] };
  let policies: ScalingPolicy[];
  try {
    policies = await listPolicies(ctx, clients, region);
  } catch (error) {
    return { groups, gaps: [toGap(error, `scaling policies in ${region}`, region)] };
  }
  ctx.observe('policies', region, policies.length);
  const names = new Set(groups.map((g) => g.name));
  const mine = policies.filter((p) => names.has(p.AutoScalingGroupName));
  const alarmNames = [
    ...new Set(
      mine
        .filter((p) => !p.TargetTrackingConfiguration && p.PolicyType !== 'PredictiveScaling')
        .flatMap((p) => p.Alarms.flatMap((a) => (a.AlarmName ? [a.AlarmName] : []))),
    ),
  ];
  ctx.observe('policy-alarms', region, alarmNames.length);
  const gaps: Gap[] = [];
  const alarms = await describeAlarms(ctx, clients, region, alarmNames).catch((error: unknown) => {
    gaps.push(toGap(error, `alarms of step scaling policies in ${region}`, region));
    return [];
  });
  const alarmByName = new Map(alarms.map((a) => [a.AlarmName, a]));
  return {
    groups: groups.map((group) => ({
      ...group,
      scaling: {
        signals: mine
          .filter((p) => p.AutoScalingGroupName === group.name && p.Enabled !== false)
          .flatMap((p) => signalsOf(p, alarmByName)),
        min: group.minSize,
        max: group.maxSize,
      },
    })),
    gaps,
  };
}

async function listPolicies(
  ctx: ProviderContext<AwsConfig>,
  clients: Pick<AwsClients, 'autoscaling'>,
  region: string,
): Promise<ScalingPolicy[]> {
  const operation = 'autoscaling.DescribePolicies';
  // The SDK loads with the first AWS call, never on a run without AWS (issue 12).
  const { DescribePoliciesCommand } = await import('@aws-sdk/client-auto-scaling');
  const bound = maxPagesOf({ pageSize: POLICIES_PAGE, maxItems: MAX_POLICIES });
  return followPages('aws', operationLabel({ operation, region }), bound, (token) =>
    ctx.call({ bucket: 'autoscaling', operation, region }, async (signal) => {
      const out = await clients.autoscaling.send(
        new DescribePoliciesCommand({ MaxRecords: POLICIES_PAGE, NextToken: token }),
        { abortSignal: signal },
      );
      return {
        items: parseList(ctx, ScalingPolicy, out.ScalingPolicies ?? [], 'scaling policies'),
        next: out.NextToken,
      };
    }),
  );
}

/** One call per 100 alarm names: a name list that long is answered whole, without a next page. */
async function describeAlarms(
  ctx: ProviderContext<AwsConfig>,
  clients: Pick<AwsClients, 'cloudwatch'>,
  region: string,
  names: readonly string[],
): Promise<MetricAlarm[]> {
  const operation = 'cloudwatch.DescribeAlarms';
  const { DescribeAlarmsCommand } = await import('@aws-sdk/client-cloudwatch');
  const batches: string[][] = [];
  for (let i = 0; i < names.length; i += ALARMS_PER_CALL) batches.push(names.slice(i, i + ALARMS_PER_CALL));
  const answers = await Promise.all(
    batches.map((batch) =>
      ctx.call({ bucket: operation, operation, region }, async (signal) => {
        const out = await clients.cloudwatch.send(
          new DescribeAlarmsCommand({
            AlarmNames: batch,
            AlarmTypes: ['MetricAlarm'],
            MaxRecords: ALARMS_PER_CALL,
          }),
          { abortSignal: signal },
        );
        return parseList(ctx, MetricAlarm, out.MetricAlarms ?? [], 'metric alarms');
      }),
    ),
  );
  return answers.flat();
}

export function signalsOf(policy: ScalingPolicy, alarms: ReadonlyMap<string, MetricAlarm>): ScalingSignal[] {
  const name = `${policy.PolicyName} (${policy.PolicyType})`;
  const tracking = policy.TargetTrackingConfiguration;
  if (tracking) {
    const target = tracking.TargetValue ?? null;
    const predefined = tracking.PredefinedMetricSpecification?.PredefinedMetricType;
    if (predefined) {
      return [
        {
          kind: PREDEFINED.get(predefined) ?? signalKindOf(predefined),
          target,
          metric: predefined,
          policy: name,
        },
      ];
    }
    const custom = tracking.CustomizedMetricSpecification;
    const metric = [custom?.Namespace, custom?.MetricName].filter(Boolean).join(' ') || 'customized metric';
    return [{ kind: signalKindOf(metric), target, metric, policy: name }];
  }
  // Predictive scaling forecasts capacity ahead of load; it does not react to a signal at the time.
  if (policy.PolicyType === 'PredictiveScaling') return [];
  return policy.Alarms.flatMap((a) => {
    const alarm = a.AlarmName ? alarms.get(a.AlarmName) : undefined;
    if (!alarm?.MetricName) return [];
    const metric = [alarm.Namespace, alarm.MetricName].filter(Boolean).join(' ');
    return [{ kind: signalKindOf(alarm.MetricName), target: alarm.Threshold ?? null, metric, policy: name }];
  });
}

/**
 * providers.md §6 for policies, per region whose listing kept a group: ⌈policies/100⌉
 * DescribePolicies pages (at least one), and ⌈alarm names of step and simple policies/100⌉
 * DescribeAlarms calls (none when every policy is target tracking).
 */
export function minimumPolicyCalls(
  observed: Readonly<Record<string, Record<string, number>>>,
): Record<string, number> {
  const regions = Object.entries(observed['policy-groups'] ?? {}).filter(([, groups]) => groups > 0);
  const count = (what: string, region: string) => observed[what]?.[region] ?? 0;
  return {
    'autoscaling.DescribePolicies': regions.reduce(
      (total, [region]) => total + Math.max(1, Math.ceil(count('policies', region) / POLICIES_PAGE)),
      0,
    ),
    'cloudwatch.DescribeAlarms': regions.reduce(
      (total, [region]) => total + Math.ceil(count('policy-alarms', region) / ALARMS_PER_CALL),
      0,
    ),
  };
}

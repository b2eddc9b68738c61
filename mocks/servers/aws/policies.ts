import { z } from 'zod';
import type { ScenarioScalingPolicy } from '../../scenarios/schema.ts';
import { hashKey } from '../../scenarios/shapes.ts';
import type { ActionContext, ActionResult } from './context.ts';
import type { FleetGroup } from './fleet.ts';
import {
  AwsApiError,
  decodePageToken,
  encodePageToken,
  formList,
  integerParam,
  xmlDocument,
  xmlNamespaces,
} from './protocol.ts';

// Scaling policies: Auto Scaling DescribePolicies over awsQuery, and the CloudWatch alarms that
// drive step and simple policies through DescribeAlarms over AWS JSON 1.0 (awsQueryCompatible).
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribePolicies.html (MaxRecords ≤ 100, default 50)
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html (AlarmNames ≤ 100, MaxRecords ≤ 100)

const policiesDefaultPage = 50;
const policiesMaxPage = 100;
const alarmsDefaultPage = 50;
const alarmsMaxPage = 100;

interface PolicyEntry {
  group: FleetGroup;
  spec: ScenarioScalingPolicy;
}

function policyArn(ctx: ActionContext, group: FleetGroup, policy: ScenarioScalingPolicy): string {
  const id = String(hashKey(`${group.name}/${policy.name}`)).padStart(8, '0');
  return `arn:aws:autoscaling:${ctx.region}:${ctx.accountId}:scalingPolicy:${id}-0000-4000-8000-000000000000:autoScalingGroupName/${group.name}:policyName/${policy.name}`;
}

function alarmArn(ctx: ActionContext, name: string): string {
  return `arn:aws:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${name}`;
}

function entries(ctx: ActionContext): PolicyEntry[] {
  return ctx.fleet.groups.flatMap((group) => group.spec.policies.map((spec) => ({ group, spec })));
}

function trackingXml(spec: ScenarioScalingPolicy, group: FleetGroup): Record<string, unknown> {
  const metric = spec.predefined
    ? {
        PredefinedMetricSpecification: {
          PredefinedMetricType: spec.predefined,
          // ALBRequestCountPerTarget names its target group: app/<alb>/<id>/targetgroup/<tg>/<id>.
          ...(spec.predefined === 'ALBRequestCountPerTarget'
            ? {
                ResourceLabel: `app/${group.name}-alb/50dc6c495c0c9188/targetgroup/${group.name}-tg/943f017f100becff`,
              }
            : {}),
        },
      }
    : {
        CustomizedMetricSpecification: {
          MetricName: spec.customized!.metricName,
          Namespace: spec.customized!.namespace,
          Dimensions: { member: [{ Name: 'AutoScalingGroupName', Value: group.name }] },
          Statistic: spec.customized!.statistic,
        },
      };
  return { TargetTrackingConfiguration: { ...metric, TargetValue: spec.target, DisableScaleIn: false } };
}

function policyXml(ctx: ActionContext, { group, spec }: PolicyEntry): Record<string, unknown> {
  const tracking = spec.type === 'TargetTrackingScaling';
  const alarms = tracking
    ? [`TargetTracking-${group.name}-AlarmHigh`, `TargetTracking-${group.name}-AlarmLow`]
    : [spec.alarm!.name];
  return {
    AutoScalingGroupName: group.name,
    PolicyName: spec.name,
    PolicyARN: policyArn(ctx, group, spec),
    PolicyType: spec.type,
    ...(spec.type === 'SimpleScaling'
      ? { AdjustmentType: 'ChangeInCapacity', ScalingAdjustment: 1, Cooldown: 300 }
      : {}),
    ...(spec.type === 'StepScaling'
      ? {
          AdjustmentType: 'ChangeInCapacity',
          StepAdjustments: { member: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] },
          MetricAggregationType: 'Average',
        }
      : {}),
    Alarms: { member: alarms.map((AlarmName) => ({ AlarmName, AlarmARN: alarmArn(ctx, AlarmName) })) },
    ...(tracking ? trackingXml(spec, group) : {}),
    Enabled: true,
  };
}

export function describePolicies(ctx: ActionContext, form: URLSearchParams): ActionResult {
  const groupName = form.get('AutoScalingGroupName');
  const names = formList(form, 'PolicyNames.member');
  const types = formList(form, 'PolicyTypes.member');
  const pageSize =
    integerParam(form.get('MaxRecords'), 'MaxRecords', 1, policiesMaxPage) ?? policiesDefaultPage;
  // Unknown group and policy names are ignored with no error (API reference).
  const matching = entries(ctx).filter(
    ({ group, spec }) =>
      (groupName === null || group.name === groupName) &&
      (names.length === 0 || names.includes(spec.name)) &&
      (types.length === 0 || types.includes(spec.type)),
  );
  const identity = [...form.entries()].filter(([key]) => key !== 'NextToken' && key !== 'MaxRecords').sort();
  const fingerprint = String(hashKey(`DescribePolicies|${ctx.region}|${JSON.stringify(identity)}`));
  const token = form.get('NextToken');
  const offset = token === null ? 0 : decodePageToken(token, fingerprint, 'InvalidNextToken');
  const page = matching.slice(offset, offset + pageSize);
  const result: Record<string, unknown> = {
    ScalingPolicies: page.length > 0 ? { member: page.map((entry) => policyXml(ctx, entry)) } : '',
  };
  if (offset + pageSize < matching.length) result.NextToken = encodePageToken(offset + pageSize, fingerprint);
  return {
    body: xmlDocument('DescribePoliciesResponse', xmlNamespaces.autoscaling, {
      DescribePoliciesResult: result,
      ResponseMetadata: { RequestId: ctx.requestId },
    }),
  };
}

const DescribeAlarmsInput = z.object({
  AlarmNames: z.array(z.string()).max(100).optional(),
  AlarmNamePrefix: z.string().optional(),
  AlarmTypes: z.array(z.enum(['CompositeAlarm', 'MetricAlarm'])).optional(),
  MaxRecords: z.number().int().min(1).max(alarmsMaxPage).optional(),
  NextToken: z.string().optional(),
});

/** The alarms behind step and simple policies (target tracking's own alarms are not listed here: nothing reads them). */
function metricAlarms(ctx: ActionContext): Record<string, unknown>[] {
  return entries(ctx).flatMap(({ group, spec }) => {
    if (!spec.alarm) return [];
    const a = spec.alarm;
    return [
      {
        AlarmName: a.name,
        AlarmArn: alarmArn(ctx, a.name),
        ActionsEnabled: true,
        OKActions: [],
        AlarmActions: [policyArn(ctx, group, spec)],
        InsufficientDataActions: [],
        StateValue: 'OK',
        StateReason: 'Threshold Crossed: no datapoint was greater than or equal to the threshold.',
        StateUpdatedTimestamp: ctx.nowSec - 3_600,
        MetricName: a.metricName,
        Namespace: a.namespace,
        Statistic: a.statistic,
        Dimensions: [{ Name: 'AutoScalingGroupName', Value: group.name }],
        Period: 60,
        EvaluationPeriods: 2,
        Threshold: a.threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      },
    ];
  });
}

export function describeAlarms(ctx: ActionContext, input: unknown): ActionResult {
  const parsed = DescribeAlarmsInput.safeParse(input ?? {});
  if (!parsed.success) {
    const where = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new AwsApiError(
      'ValidationError',
      400,
      `1 validation error detected: Value at '${where}' failed to satisfy constraint`,
    );
  }
  const request = parsed.data;
  const wantsMetric = request.AlarmTypes === undefined || request.AlarmTypes.includes('MetricAlarm');
  const matching = wantsMetric
    ? metricAlarms(ctx).filter(
        (alarm) =>
          (request.AlarmNames === undefined || request.AlarmNames.includes(alarm.AlarmName as string)) &&
          (request.AlarmNamePrefix === undefined ||
            (alarm.AlarmName as string).startsWith(request.AlarmNamePrefix)),
      )
    : [];
  const { NextToken: _token, MaxRecords: _max, ...identity } = request;
  const fingerprint = String(hashKey(`DescribeAlarms|${ctx.region}|${JSON.stringify(identity)}`));
  const offset =
    request.NextToken === undefined ? 0 : decodePageToken(request.NextToken, fingerprint, 'InvalidNextToken');
  const pageSize = request.MaxRecords ?? alarmsDefaultPage;
  const page = matching.slice(offset, offset + pageSize);
  const next =
    offset + pageSize < matching.length ? encodePageToken(offset + pageSize, fingerprint) : undefined;
  return {
    body: JSON.stringify({ MetricAlarms: page, CompositeAlarms: [], ...(next ? { NextToken: next } : {}) }),
  };
}

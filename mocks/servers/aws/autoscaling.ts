import { hashKey } from '../../scenarios/shapes.ts';
import type { ActionContext, ActionResult } from './context.ts';
import type { FleetGroup, FleetInstance } from './fleet.ts';
import {
  AwsApiError,
  decodePageToken,
  encodePageToken,
  filterMatches,
  formFilters,
  formList,
  isoTime,
  xmlDocument,
  xmlNamespaces,
} from './protocol.ts';

// Auto Scaling over awsQuery: lists as <member>, the answer wrapped in <XxxResult> plus
// <ResponseMetadata>. https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeAutoScalingGroups.html

const defaultMaxRecords = 50;
const maxMaxRecords = 100;

function lifecycleState(instance: FleetInstance): string {
  switch (instance.state) {
    case 'pending':
      return 'Pending';
    case 'running':
      return 'InService';
    case 'shutting-down':
    case 'stopping':
      return 'Terminating';
    case 'stopped':
      return 'Standby';
    case 'terminated':
      return 'Terminated';
  }
}

function groupXml(group: FleetGroup, members: readonly FleetInstance[]): Record<string, unknown> {
  const tags = Object.entries(group.spec.tags);
  return {
    AutoScalingGroupName: group.name,
    AutoScalingGroupARN: group.arn,
    MinSize: group.spec.minSize,
    MaxSize: group.spec.maxSize,
    DesiredCapacity: group.spec.desiredCapacity,
    DefaultCooldown: 300,
    AvailabilityZones: group.azs.length > 0 ? { member: [...group.azs] } : '',
    HealthCheckType: group.spec.healthCheckType,
    HealthCheckGracePeriod: 300,
    ...(members.length === 0
      ? {}
      : {
          Instances: {
            member: members.map((instance) => ({
              InstanceId: instance.id,
              InstanceType: instance.type.name,
              AvailabilityZone: instance.spec.az,
              LifecycleState: lifecycleState(instance),
              HealthStatus: instance.state === 'running' ? 'Healthy' : 'Unhealthy',
              ProtectedFromScaleIn: false,
            })),
          },
        }),
    CreatedTime: isoTime(group.createdTimeSec),
    ...(group.enabledMetrics.length === 0
      ? {}
      : {
          EnabledMetrics: {
            member: group.enabledMetrics.map((Metric) => ({ Metric, Granularity: '1Minute' })),
          },
        }),
    ...(tags.length === 0
      ? {}
      : {
          Tags: {
            member: tags.map(([Key, Value]) => ({
              ResourceId: group.name,
              ResourceType: 'auto-scaling-group',
              Key,
              Value,
              PropagateAtLaunch: true,
            })),
          },
        }),
    TerminationPolicies: { member: ['Default'] },
    NewInstancesProtectedFromScaleIn: false,
  };
}

function groupFilterValues(group: FleetGroup, name: string): readonly string[] {
  if (name === 'tag-key') return Object.keys(group.spec.tags);
  if (name === 'tag-value') return Object.values(group.spec.tags);
  const value = group.spec.tags[name.slice(4)];
  return value === undefined ? [] : [value];
}

function selectGroups(ctx: ActionContext, form: URLSearchParams): FleetGroup[] {
  const names = formList(form, 'AutoScalingGroupNames.member');
  const filters = formFilters(form, 'query');
  const invalid = filters.find((filter) => !/^(tag-key|tag-value|tag:.+)$/.test(filter.name));
  if (invalid) throw new AwsApiError('ValidationError', 400, `Filter name ${invalid.name} is invalid.`);
  // Unknown names are left out of the answer, not an error.
  return ctx.fleet.groups.filter(
    (group) =>
      (names.length === 0 || names.includes(group.name)) &&
      filters.every((filter) =>
        groupFilterValues(group, filter.name).some((v) => filterMatches(filter.values, v)),
      ),
  );
}

function maxRecordsOf(form: URLSearchParams): number {
  const raw = form.get('MaxRecords');
  if (raw === null) return defaultMaxRecords;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > maxMaxRecords) {
    throw new AwsApiError(
      'ValidationError',
      400,
      `1 validation error detected: Value '${raw}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to ${maxMaxRecords}`,
    );
  }
  return value;
}

export function describeAutoScalingGroups(ctx: ActionContext, form: URLSearchParams): ActionResult {
  const groups = selectGroups(ctx, form);
  const pageSize = maxRecordsOf(form);
  const identity = [...form.entries()].filter(([key]) => key !== 'NextToken' && key !== 'MaxRecords').sort();
  const fingerprint = String(hashKey(`DescribeAutoScalingGroups|${JSON.stringify(identity)}`));
  const token = form.get('NextToken');
  const offset = token === null ? 0 : decodePageToken(token, fingerprint, 'InvalidNextToken');
  const page = groups.slice(offset, offset + pageSize);
  const next =
    offset + pageSize < groups.length ? encodePageToken(offset + pageSize, fingerprint) : undefined;
  const members = (group: FleetGroup) =>
    group.memberIds.flatMap((id) => ctx.fleet.instanceById.get(id) ?? []);
  const result: Record<string, unknown> = {
    AutoScalingGroups:
      page.length > 0 ? { member: page.map((group) => groupXml(group, members(group))) } : '',
  };
  if (next) result.NextToken = next;
  return {
    body: xmlDocument('DescribeAutoScalingGroupsResponse', xmlNamespaces.autoscaling, {
      DescribeAutoScalingGroupsResult: result,
      ResponseMetadata: { RequestId: ctx.requestId },
    }),
  };
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledScenarioPath, loadScenario } from '../../mocks/scenarios/schema.ts';
import { type AwsMock, startAwsMock } from '../../mocks/servers/aws.ts';
import { packagePath } from '../../src/paths.ts';
import {
  type BotocoreModel,
  checkJsonResponse,
  checkXmlResponse,
  loadBotocoreModel,
} from '../helpers/botocore-shapes.ts';

// The mock's answers, byte for byte as the SDK receives them, checked against the botocore models
// the SDK clients are generated from (shared/specs/README.md: botocore 1.43.107). The models sit
// next to the repository in ../shared/specs; FLEETLENS_SPECS_DIR points elsewhere.
const specsDir = process.env.FLEETLENS_SPECS_DIR ?? packagePath('..', 'shared', 'specs');
const botocoreDir = join(specsDir, 'aws', 'botocore');
const haveSpecs = existsSync(join(botocoreDir, 'ec2-2016-11-15.service-2.json'));
const model = (file: string): BotocoreModel => loadBotocoreModel(join(botocoreDir, file));

const nowMs = Date.parse('2025-01-15T00:00:00Z');
const startSec = nowMs / 1000 - 14 * 86_400;
const endSec = nowMs / 1000;

let mock: AwsMock;
let cloudwatch: BotocoreModel;
let ec2: BotocoreModel;
let autoscaling: BotocoreModel;

beforeAll(async () => {
  if (!haveSpecs) return;
  cloudwatch = model('cloudwatch-2010-08-01.service-2.json');
  ec2 = model('ec2-2016-11-15.service-2.json');
  autoscaling = model('autoscaling-2011-01-01.service-2.json');
  mock = await startAwsMock({
    scenario: loadScenario(bundledScenarioPath('test-fleet')),
    now: () => nowMs,
    rateLimits: false,
  });
});

afterAll(async () => {
  await mock?.close();
});

// The mock reads region and key from the SigV4 credential scope and does not check signatures.
function authorization(service: string, region = 'eu-west-1'): string {
  return `AWS4-HMAC-SHA256 Credential=test/20250115/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
}

async function formCall(service: 'ec2' | 'autoscaling', params: Record<string, string>): Promise<string> {
  const version = service === 'ec2' ? '2016-11-15' : '2011-01-01';
  const response = await fetch(mock.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: authorization(service) },
    body: new URLSearchParams({ ...params, Version: version }).toString(),
  });
  expect(response.status).toBe(200);
  return response.text();
}

async function jsonCall(action: string, body: unknown): Promise<unknown> {
  const response = await fetch(mock.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `GraniteServiceVersion20100801.${action}`,
      'x-amzn-query-mode': 'true',
      authorization: authorization('monitoring'),
    },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return response.json();
}

function metricQuery(
  id: string,
  namespace: string,
  name: string,
  dimensions: Record<string, string>,
  stat = 'Average',
) {
  const Dimensions = Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }));
  return {
    Id: id,
    MetricStat: { Metric: { Namespace: namespace, MetricName: name, Dimensions }, Period: 300, Stat: stat },
  };
}

describe.skipIf(!haveSpecs)('EC2 responses match the botocore model', () => {
  it('DescribeInstances, every instance and state', async () => {
    const xml = await formCall('ec2', { Action: 'DescribeInstances' });
    expect(xml).toContain('<instancesSet><item>');
    expect(checkXmlResponse(ec2, 'DescribeInstances', xml, 'ec2')).toEqual([]);
    const paged = await formCall('ec2', { Action: 'DescribeInstances', MaxResults: '5' });
    expect(paged).toContain('<nextToken>');
    expect(checkXmlResponse(ec2, 'DescribeInstances', paged, 'ec2')).toEqual([]);
    const none = await formCall('ec2', {
      Action: 'DescribeInstances',
      'Filter.1.Name': 'instance-type',
      'Filter.1.Value.1': 'x1.nope',
    });
    expect(checkXmlResponse(ec2, 'DescribeInstances', none, 'ec2')).toEqual([]);
  });

  it('DescribeVolumes, gp2, gp3 and io1', async () => {
    const xml = await formCall('ec2', { Action: 'DescribeVolumes' });
    for (const type of ['gp2', 'gp3', 'io1']) expect(xml).toContain(`<volumeType>${type}</volumeType>`);
    expect(checkXmlResponse(ec2, 'DescribeVolumes', xml, 'ec2')).toEqual([]);
  });

  it('DescribeInstanceTypes, the whole catalog (every type is in the model enum)', async () => {
    const first = await formCall('ec2', { Action: 'DescribeInstanceTypes', MaxResults: '100' });
    const token = /<nextToken>([^<]+)<\/nextToken>/.exec(first)?.[1];
    expect(token).toBeDefined();
    const second = await formCall('ec2', {
      Action: 'DescribeInstanceTypes',
      MaxResults: '100',
      NextToken: token ?? '',
    });
    for (const xml of [first, second])
      expect(checkXmlResponse(ec2, 'DescribeInstanceTypes', xml, 'ec2')).toEqual([]);
    expect((first + second).match(/<instanceType>/g)).toHaveLength(146);
  });
});

describe.skipIf(!haveSpecs)('Auto Scaling responses match the botocore model', () => {
  it('DescribeAutoScalingGroups, with and without groups', async () => {
    const xml = await formCall('autoscaling', { Action: 'DescribeAutoScalingGroups' });
    expect(xml).toContain('<AutoScalingGroupName>web-asg</AutoScalingGroupName>');
    expect(checkXmlResponse(autoscaling, 'DescribeAutoScalingGroups', xml, 'query')).toEqual([]);
    const none = await formCall('autoscaling', {
      Action: 'DescribeAutoScalingGroups',
      'AutoScalingGroupNames.member.1': 'nope',
    });
    expect(checkXmlResponse(autoscaling, 'DescribeAutoScalingGroups', none, 'query')).toEqual([]);
  });

  it('DescribePolicies: target tracking (predefined and customized), step scaling, paged and empty', async () => {
    const xml = await formCall('autoscaling', { Action: 'DescribePolicies', MaxRecords: '100' });
    for (const type of ['ASGAverageCPUUtilization', 'ALBRequestCountPerTarget'])
      expect(xml).toContain(`<PredefinedMetricType>${type}</PredefinedMetricType>`);
    expect(xml).toContain('<CustomizedMetricSpecification>');
    expect(xml).toContain('<PolicyType>StepScaling</PolicyType>');
    expect(checkXmlResponse(autoscaling, 'DescribePolicies', xml, 'query')).toEqual([]);
    const paged = await formCall('autoscaling', { Action: 'DescribePolicies', MaxRecords: '1' });
    expect(paged).toContain('<NextToken>');
    expect(checkXmlResponse(autoscaling, 'DescribePolicies', paged, 'query')).toEqual([]);
    const none = await formCall('autoscaling', { Action: 'DescribePolicies', AutoScalingGroupName: 'nope' });
    expect(checkXmlResponse(autoscaling, 'DescribePolicies', none, 'query')).toEqual([]);
  });
});

describe.skipIf(!haveSpecs)('CloudWatch responses match the botocore model', () => {
  it('GetMetricData: full, empty, paged and partial results', async () => {
    const body = await jsonCall('GetMetricData', {
      StartTime: startSec,
      EndTime: endSec,
      MetricDataQueries: [
        metricQuery('cpu', 'AWS/EC2', 'CPUUtilization', { InstanceId: 'i-0a1b2c3d4e5f60004' }),
        metricQuery('credits', 'AWS/EC2', 'CPUCreditBalance', { InstanceId: 'i-0a1b2c3d4e5f60005' }),
        metricQuery('missing', 'AWS/EC2', 'CPUUtilization', { InstanceId: 'i-0ffffffffffffffff' }),
        metricQuery('ops', 'AWS/EBS', 'VolumeReadOps', { VolumeId: 'vol-0a1b2c3d4e5f61005' }, 'Sum'),
      ],
      MaxDatapoints: 5000,
    });
    expect(body).toHaveProperty('NextToken');
    expect(checkJsonResponse(cloudwatch, 'GetMetricData', body)).toEqual([]);
  });

  it('DescribeAlarms: the alarm behind a step policy, with its metric and threshold', async () => {
    const body = await jsonCall('DescribeAlarms', { AlarmNames: ['web-asg-cpu-high'], MaxRecords: 100 });
    expect(body).toMatchObject({
      MetricAlarms: [{ AlarmName: 'web-asg-cpu-high', MetricName: 'CPUUtilization', Threshold: 70 }],
    });
    expect(checkJsonResponse(cloudwatch, 'DescribeAlarms', body)).toEqual([]);
  });

  it('ListMetrics, every namespace', async () => {
    const body = await jsonCall('ListMetrics', {});
    const namespaces = new Set(
      (body as { Metrics: { Namespace: string }[] }).Metrics.map((metric) => metric.Namespace),
    );
    expect([...namespaces].sort()).toEqual(['AWS/AutoScaling', 'AWS/EBS', 'AWS/EC2', 'CWAgent']);
    expect(checkJsonResponse(cloudwatch, 'ListMetrics', body)).toEqual([]);
  });
});

describe.skipIf(!haveSpecs)('the shape checker', () => {
  it('catches invented elements, wrong scalar types and values outside an enum in XML', async () => {
    const xml = await formCall('ec2', { Action: 'DescribeInstances', 'InstanceId.1': 'i-0a1b2c3d4e5f60004' });
    const invented = xml.replace('<instanceType>', '<colour>red</colour><instanceType>');
    expect(checkXmlResponse(ec2, 'DescribeInstances', invented, 'ec2')).toEqual([
      {
        path: 'DescribeInstancesResponse.reservationSet.item[0].instancesSet.item[0].colour',
        message: 'not a member of the shape',
      },
    ]);
    const stringForInteger = xml.replace('<code>16</code>', '<code>running</code>');
    expect(checkXmlResponse(ec2, 'DescribeInstances', stringForInteger, 'ec2')).toEqual([
      {
        path: 'DescribeInstancesResponse.reservationSet.item[0].instancesSet.item[0].instanceState.code',
        message: 'expected an integer, got "running"',
      },
    ]);
    const badEnum = xml.replace('<name>running</name>', '<name>sleeping</name>');
    expect(checkXmlResponse(ec2, 'DescribeInstances', badEnum, 'ec2')[0]?.message).toContain(
      'not one of the enum values',
    );
    const badTimestamp = xml.replace(/<launchTime>[^<]+</, '<launchTime>yesterday<');
    expect(checkXmlResponse(ec2, 'DescribeInstances', badTimestamp, 'ec2')[0]?.message).toContain(
      'iso8601 timestamp',
    );
    const badList = xml
      .replace(/<tagSet><item>/, '<tagSet><member>')
      .replace(/<\/item><\/tagSet>/, '</member></tagSet>');
    expect(
      checkXmlResponse(ec2, 'DescribeInstances', badList, 'ec2').map((issue) => issue.message),
    ).toContain('list element must be <item>');
  });

  it('catches a missing required member and a stray wrapper in awsQuery', async () => {
    const xml = await formCall('autoscaling', { Action: 'DescribeAutoScalingGroups' });
    const noProtection = xml.replace('<ProtectedFromScaleIn>false</ProtectedFromScaleIn>', '');
    expect(checkXmlResponse(autoscaling, 'DescribeAutoScalingGroups', noProtection, 'query')).toContainEqual({
      path: 'DescribeAutoScalingGroupsResponse.DescribeAutoScalingGroupsResult.AutoScalingGroups.member[0].Instances.member[0].ProtectedFromScaleIn',
      message: 'required member missing',
    });
    const stray = xml.replace('<ResponseMetadata>', '<Extra>1</Extra><ResponseMetadata>');
    expect(checkXmlResponse(autoscaling, 'DescribeAutoScalingGroups', stray, 'query')[0]?.path).toBe(
      'DescribeAutoScalingGroupsResponse.Extra',
    );
  });

  it('catches invented keys and mistyped values in JSON', () => {
    const body = {
      MetricDataResults: [
        { Id: 'cpu', Timestamps: [1736899200], Values: ['12.5'], StatusCode: 'Done', Colour: 'red' },
      ],
    };
    expect(checkJsonResponse(cloudwatch, 'GetMetricData', body)).toEqual([
      { path: 'GetMetricData.MetricDataResults[0].Values[0]', message: 'expected a number, got "12.5"' },
      {
        path: 'GetMetricData.MetricDataResults[0].StatusCode',
        message: '"Done" is not one of the enum values',
      },
      { path: 'GetMetricData.MetricDataResults[0].Colour', message: 'not a member of the shape' },
    ]);
    const isoInJson = {
      MetricDataResults: [{ Id: 'cpu', Timestamps: ['2025-01-15T00:00:00Z'], Values: [1] }],
    };
    expect(checkJsonResponse(cloudwatch, 'GetMetricData', isoInJson)[0]?.message).toContain('unixTimestamp');
  });
});

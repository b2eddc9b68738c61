// The whole audit with OVH next to AWS: an expired OVH consumer key is one clear gap, AWS stays
// complete, and a healthy OVH run reports its hosts, sizing from its own catalog and its blind spots.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../../mocks/scenarios/schema.ts';
import { type AwsMock, startAwsMock } from '../../../mocks/servers/aws.ts';
import type { OvhMock } from '../../../mocks/servers/ovh.ts';
import { startOvhMock } from '../../../mocks/servers/ovh.ts';
import { parseConfigText } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/log.ts';
import { runAudit } from '../../../src/run/audit.ts';
import { CREDENTIALS, fleet, ids } from './harness.ts';

let aws: AwsMock;
let ovh: OvhMock;
let expired: OvhMock;

beforeAll(async () => {
  const awsScenario = parseScenario({
    name: 'ovh-audit-aws',
    aws: {
      regions: {
        'eu-west-1': {
          instances: [
            { id: 'i-0d00000000000a001', name: 'aws-1', type: 'm6i.large', az: 'eu-west-1a', cpu: 30 },
          ],
        },
      },
    },
  });
  aws = await startAwsMock({ scenario: awsScenario });
  ovh = await startOvhMock({ scenario: fleet() });
  expired = await startOvhMock({
    scenario: fleet([{ kind: 'expired-credentials', route: 'projects', times: 'always' }]),
  });
});

afterAll(async () => {
  await Promise.all([aws?.close(), ovh?.close(), expired?.close()]);
});

function audit(mock: OvhMock) {
  const loaded = parseConfigText(
    `providers:\n  aws:\n    regions: [eu-west-1]\n    endpoint: ${aws.endpoint}\n  ovh:\n    endpoint: ${mock.endpoint}\n`,
    'fleetlens.yaml',
  );
  return runAudit({
    loaded,
    mode: 'live',
    log: silentLogger,
    adapterOptions: {
      aws: { credentials: { accessKeyId: 'AKIDOVHAUDITTEST', secretAccessKey: 'not-a-real-secret' } },
      ovh: { credentials: CREDENTIALS, certificateFor: () => mock.certificate },
    },
  });
}

describe('audit with OVH configured', () => {
  it('reports OVH hosts with their blind spots, sized from the OVH catalog, made == minimum', async () => {
    const result = await audit(ovh);
    const ovhHosts = result.hosts.filter((h) => h.provider === 'ovh');
    expect(ovhHosts).toHaveLength(5);
    expect(result.run.apiCalls.ovh).toMatchObject({ made: 33, minimum: 33, failed: 0 });
    const batch = ovhHosts.find((h) => h.id === ids.batch)!;
    expect(batch.blindSpots.map((b) => b.dimension)).toEqual(
      expect.arrayContaining(['iowait', 'steal', 'disk-iops', 'disk-queue', 'network-packets']),
    );
    const saturated = result.findings.find((f) => f.ruleId === 'cpu-saturated' && f.subject.id === ids.batch);
    expect(saturated).toBeDefined();
    const resize = result.recommendations.find(
      (r) => r.subject.id === ids.batch && r.kind === 'instance-type',
    );
    // An OVH flavor is replaced by an OVH flavor.
    expect(resize?.recommended).toMatch(/^[bcr]\d-\d+/);
    expect(result.gaps.filter((g) => g.provider === 'ovh')).toEqual([]);
  });

  it('an expired consumer key is one OVH gap with a one-line reason; AWS is complete', async () => {
    const result = await audit(expired);
    expect(result.hosts.filter((h) => h.provider === 'aws')).toHaveLength(1);
    expect(result.hosts.filter((h) => h.provider === 'ovh')).toEqual([]);
    const gaps = result.gaps.filter((g) => g.provider === 'ovh');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ kind: 'auth', what: 'projects' });
    expect(gaps[0]!.message).toMatch(/This credential is not valid.*OVH_CONSUMER_KEY/);
    expect(gaps[0]!.message).not.toContain(CREDENTIALS.consumerKey);
    expect(result.gaps.filter((g) => g.provider === 'aws')).toEqual([]);
  });
});

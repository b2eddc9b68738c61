// The whole audit with Google Cloud next to AWS: a healthy GCP run reports its hosts, its MIG, sizing
// from its own catalog and its blind spots with made == minimum; bad credentials are one clear gap
// per project while AWS stays complete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../../mocks/scenarios/schema.ts';
import { type AwsMock, startAwsMock } from '../../../mocks/servers/aws.ts';
import { type GcpMock, startGcpMock } from '../../../mocks/servers/gcp.ts';
import { parseConfigText } from '../../../src/config/load.ts';
import { silentLogger } from '../../../src/log.ts';
import { runAudit } from '../../../src/run/audit.ts';
import { gcpScenario, OTHER, PROJECT, TOKEN } from './fixtures.ts';

let aws: AwsMock;
let gcp: GcpMock;

beforeAll(async () => {
  const awsScenario = parseScenario({
    name: 'gcp-audit-aws',
    aws: {
      regions: {
        'eu-west-1': {
          instances: [
            { id: 'i-0e00000000000a001', name: 'aws-1', type: 'm6i.large', az: 'eu-west-1a', cpu: 30 },
          ],
        },
      },
    },
  });
  aws = await startAwsMock({ scenario: awsScenario });
  gcp = await startGcpMock({ scenario: gcpScenario() });
});

afterAll(async () => {
  await Promise.all([aws?.close(), gcp?.close()]);
});

function audit(token: string) {
  const loaded = parseConfigText(
    `since: 2d\nproviders:\n  aws:\n    regions: [eu-west-1]\n    endpoint: ${aws.endpoint}\n  gcp:\n    projects: [${PROJECT}, ${OTHER}]\n    endpoint: ${gcp.endpoint}\n`,
    'fleetlens.yaml',
  );
  return runAudit({
    loaded,
    mode: 'live',
    log: silentLogger,
    adapterOptions: {
      aws: { credentials: { accessKeyId: 'AKIDGCPAUDITTEST', secretAccessKey: 'not-a-real-secret' } },
      gcp: { accessToken: token },
    },
  });
}

describe('audit with Google Cloud configured', () => {
  it('reports GCP hosts, the MIG and blind spots, sized from the GCP catalog, made == minimum', async () => {
    const result = await audit(TOKEN);
    const hosts = result.hosts.filter((h) => h.provider === 'gcp');
    expect(hosts.map((h) => h.name).sort()).toEqual([
      'batch-hot',
      'db-1',
      'idle-box',
      'stopped-one',
      'web-1',
      'web-2',
      'web-3',
    ]);
    expect(result.run.apiCalls.gcp).toMatchObject({ failed: 0, retries: 0 });
    expect(result.run.apiCalls.gcp!.made).toBe(result.run.apiCalls.gcp!.minimum);
    expect(result.groups.find((g) => g.provider === 'gcp')).toMatchObject({
      name: 'web',
      minSize: 2,
      maxSize: 8,
    });
    const idle = hosts.find((h) => h.name === 'idle-box')!;
    expect(idle.blindSpots.map((b) => b.dimension)).toEqual([
      'memory',
      'iowait',
      'steal',
      'disk-queue',
      'burst-balance',
    ]);
    const hot = hosts.find((h) => h.name === 'batch-hot')!;
    expect(result.findings.some((f) => f.ruleId === 'cpu-saturated' && f.subject.id === hot.id)).toBe(true);
    const resize = result.recommendations.find((r) => r.kind === 'instance-type' && r.subject.id === hot.id);
    // A GCP machine type is replaced by a GCP machine type.
    expect(resize?.recommended).toMatch(/^(e2|n2|n2d|n4|c3|c3d|c4|t2d|t2a)-/);
    expect(result.gaps.filter((g) => g.provider === 'gcp')).toEqual([]);
  });

  it('bad credentials are one GCP gap per project with a one-line reason; AWS is complete', async () => {
    const result = await audit('revoked-token-value-123');
    expect(result.hosts.filter((h) => h.provider === 'aws')).toHaveLength(1);
    expect(result.hosts.filter((h) => h.provider === 'gcp')).toEqual([]);
    const gaps = result.gaps.filter((g) => g.provider === 'gcp');
    expect(gaps.map((g) => [g.kind, g.what])).toEqual([
      ['auth', `instances in ${PROJECT}`],
      ['auth', `instances in ${OTHER}`],
    ]);
    for (const gap of gaps) {
      expect(gap.message).toMatch(
        /^gcp compute\.instances\.aggregatedList \(\S+\): auth: HTTP 401 UNAUTHENTICATED/,
      );
      expect(gap.message).not.toContain('\n');
    }
    expect(JSON.stringify(result)).not.toContain('revoked-token-value-123');
    expect(result.gaps.filter((g) => g.provider === 'aws')).toEqual([]);
  });
});

// The main job end to end, in-process: the real AWS SDK clients against the mock AWS on 127.0.0.1.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../mocks/scenarios/schema.ts';
import { type AwsMock, startAwsMock } from '../../mocks/servers/aws.ts';
import { AnalysisResult } from '../../reports/json/schema.ts';
import { renderAuditMarkdown } from '../../reports/markdown/index.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { virtualClock } from '../../src/net/clock.ts';
import { runAudit } from '../../src/run/audit.ts';
import { withDemo } from '../../src/run/demo.ts';
import { sampleDir } from '../helpers/onhost.ts';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY';
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';

describe('audit --demo', () => {
  let result: AnalysisResult;
  let artifactsDir: string;
  beforeAll(async () => {
    artifactsDir = await mkdtemp(join(tmpdir(), 'fleetlens-artifacts-'));
    result = await withDemo(
      silentLogger,
      (demo) =>
        runAudit({
          ...demo,
          mode: 'demo',
          log: silentLogger,
          saveArtifactsDir: artifactsDir,
          eventMultiplier: 3,
        }),
      // Waits (rate limits, retry backoff) on a virtual clock: no count or wait depends on the machine.
      { net: { clock: virtualClock(Date.now()) } },
    );
  });
  afterAll(() => rm(artifactsDir, { recursive: true, force: true }));

  const finding = (ruleId: string, name: string) =>
    result.findings.find(
      (f) =>
        f.ruleId === ruleId && (f.subject.name === name || f.subject.id === name || f.message.includes(name)),
    );

  it('judges every demo host with node_exporter series through Prometheus; folders win (issue 14)', () => {
    const read = result.run.prometheus![0]!;
    // 24 targets: 23 demo hosts (2 of them with folders) and a stale one of another fleet.
    expect(read.matched).toHaveLength(23);
    expect(read.unmatchedSeries).toEqual([
      { instances: ['10.99.0.5:8000', '10.99.0.5:9100'], reason: 'no host has its instance-id, ip, name' },
    ]);
    const fromPrometheus = result.hosts.filter((h) => h.onHost?.source === 'prometheus');
    expect(fromPrometheus).toHaveLength(21);
    expect(fromPrometheus.every((h) => h.onHost!.primary !== 'insufficient-data')).toBe(true);
    expect(result.hosts.find((h) => h.name === 'batch-7')!.onHost!.source).toBe('folder');
    expect(read.apiCalls.made).toBe(read.apiCalls.minimum);
    expect(read.apiCalls.failed).toBe(0);
    const pg = result.hosts.find((h) => h.name === 'eu-pg-1')!.onHost!;
    expect(pg.missing).toEqual(['no app job: no pool or loop signal']);
    expect(pg.confidence).toBeLessThan(result.hosts.find((h) => h.name === 'eu-web-1')!.onHost!.confidence);
  });

  it('holds the downsize and gives the runtime verdict for folderless hosts judged from Prometheus', () => {
    for (const name of ['eu-report-1']) {
      expect(result.hosts.find((h) => h.name === name)!.onHost).toMatchObject({
        primary: 'threadpool-starvation',
        source: 'prometheus',
      });
      expect(finding('threadpool-starvation', name)).toBeDefined();
      // One action: the pool's own sizing; the join verdict's restatement of it is superseded.
      const recs = result.recommendations.filter((r) => r.subject.name === name && r.supersededBy === null);
      expect(recs.map((r) => r.kind)).toEqual(['runtime']);
      expect(finding('cloud-idle-host-starved', name)).toBeDefined();
    }
    expect(finding('cpu-over-provisioned', 'eu-report-1')).toMatchObject({ messageId: 'held' });
    expect(finding('cpu-over-provisioned', 'eu-report-1')!.message).toMatch(/threadpool-starvation/);
  });

  it('produces a report.json that satisfies the contract', () => {
    expect(() => AnalysisResult.parse(result)).not.toThrow();
    // The other clouds' demo hosts are checked in their own tests.
    const awsHosts = result.hosts.filter((h) => h.provider === 'aws');
    expect(awsHosts).toHaveLength(20); // 19 running, 1 stopped but still billed (shop-checkout's two members added with its policy)
    expect(new Set(awsHosts.map((h) => h.region))).toEqual(new Set(['us-east-1', 'eu-west-1']));
  });

  it('makes exactly the minimum number of calls, and says so per operation', () => {
    const aws = result.run.apiCalls.aws!;
    expect(aws.made).toBe(aws.minimum);
    expect(aws.byOperation['cloudwatch.GetMetricData']!.made).toBe(
      aws.byOperation['cloudwatch.GetMetricData']!.minimum,
    );
    // 269 series at 4,032 points: 25 per call.
    expect(aws.byOperation['cloudwatch.GetMetricData']!.made).toBeGreaterThanOrEqual(10);
  });

  it('recovers from the injected throttle and lists the failing call as a gap', () => {
    const aws = result.run.apiCalls.aws!;
    expect(aws.byOperation['cloudwatch.GetMetricData']!.retries).toBe(1);
    expect(aws.byOperation['cloudwatch.GetMetricData']!.failed).toBe(0);
    expect(aws.byOperation['ec2.DescribeInstanceTypes']!.failed).toBe(1);
    const gap = result.gaps.find((g) => g.provider === 'aws');
    expect(gap).toMatchObject({ kind: 'unavailable', what: expect.stringContaining('eu-west-1') });
    expect(gap!.message).toMatch(/DescribeInstanceTypes.*bundled catalog/);
    expect(gap!.message.split('\n')).toHaveLength(1);
  });

  it('tells every story of the demo fleet', () => {
    expect(finding('cpu-saturated', 'batch-7')).toMatchObject({ messageId: 'both' });
    expect(finding('cpu-over-provisioned', 'shop-web')).toMatchObject({ messageId: 'group' });
    expect(finding('cpu-over-provisioned', 'analytics-1')).toMatchObject({ messageId: 'host' });
    expect(finding('cpu-over-provisioned', 'shop-api-3')).toMatchObject({ messageId: 'held' });
    expect(finding('burstable-credits-exhausted', 'session-cache')).toBeDefined();
    expect(finding('gp2-to-gp3', 'reports-db')).toMatchObject({ messageId: 'trap' });
    expect(finding('provisioned-iops-to-gp3', 'ledger-db')).toBeDefined();
    expect(finding('idle-instance', 'legacy-ftp')).toBeDefined();
    expect(finding('disk-saturated', 'blob-store-2')).toBeDefined();
    expect(finding('listen-queue-overflow', 'edge-proxy')).toBeDefined();
    expect(finding('cpu-over-provisioned', 'ledger-worker')).toBeUndefined();
    // The join verdicts (issue 11 point 3): only the cloud and the host together give these.
    expect(finding('cloud-idle-host-starved', 'shop-api-3')).toBeDefined();
    expect(finding('instance-ebs-bandwidth-cap', 'reports-db')).toBeDefined();
    expect(finding('device-mapping-disagrees', 'blob-store-2')?.message).toMatch(
      /vda did 140,\d{3} IOPS .* 1,017 IOPS/,
    );
    expect(finding('steal-or-throttled', 'session-cache')).toMatchObject({ messageId: 'throttled' });
    // shop-checkout steps out on a CPU alarm while shop-checkout-1's loop blocks; shop-web tracks
    // requests per target and store-web's members are not bound on the host: no finding for either.
    expect(finding('scales-on-wrong-signal', 'shop-checkout')?.message).toMatch(
      /shop-checkout scales on AWS\/EC2 CPUUtilization \(target 60 %\) while its members are bound by a blocked event loop \(shop-checkout-1/,
    );
    expect(finding('scales-on-wrong-signal', 'shop-web')).toBeUndefined();
    expect(finding('scales-on-wrong-signal', 'store-web')).toBeUndefined();
  });

  it('reads what each group scales on, in the minimum calls (DescribePolicies, DescribeAlarms, the MIG autoscaler)', () => {
    const signals = Object.fromEntries(
      result.groups.map((g) => [g.name, g.scaling?.signals.map((s) => `${s.kind} ${s.target}`)]),
    );
    expect(signals).toEqual({
      'shop-web': ['requests 1000'],
      'shop-checkout': ['cpu 60'],
      'store-web': ['cpu 60'],
    });
    const aws = result.run.apiCalls.aws!.byOperation;
    // Only us-east-1 has groups: one page of policies, one call for the step policy's alarm.
    expect(aws['autoscaling.DescribePolicies']).toMatchObject({ made: 1, minimum: 1 });
    expect(aws['cloudwatch.DescribeAlarms']).toMatchObject({ made: 1, minimum: 1 });
    const checkout = result.event!.units.find((u) => u.subject.name === 'shop-checkout')!;
    expect(checkout.checks.find((c) => c.kind === 'group-max')!.source).toMatch(
      /^policy target: AWS\/EC2 CPUUtilization 60 %/,
    );
    const web = result.event!.units.find((u) => u.subject.name === 'shop-web')!;
    expect(web.checks.find((c) => c.kind === 'group-max')!.source).toMatch(
      /ALBRequestCountPerTarget 1000, a metric not collected here/,
    );
  });

  it('joins each mapped on-host capture to its host', () => {
    const verdicts = Object.fromEntries(
      result.hosts.filter((h) => h.onHost?.source === 'folder').map((h) => [h.name, h.onHost!.primary]),
    );
    expect(verdicts).toEqual({
      'shop-api-3': 'threadpool-starvation',
      'batch-7': 'cpu-saturated',
      'blob-store-2': 'disk-saturated',
      'ledger-web-1': 'healthy',
      'edge-proxy': 'listen-queue-overflow',
      'ledger-web-2': 'event-loop-blocked',
      'ledger-worker': 'fd-exhaustion',
      'payments-worker': 'thread-exhaustion',
      'shop-checkout-1': 'event-loop-blocked',
    });
    const mapped = result.hosts.find((h) => h.name === 'batch-7')!;
    expect(mapped.blindSpots).toContainEqual({ dimension: 'memory', filledByOnHost: true });
    const agent = result.hosts.find((h) => h.name === 'analytics-1')!;
    expect(agent.blindSpots).toEqual([]);
  });

  // The demo event (issue 11 point 5): at ×3, the ceiling each unit hits first and the multiplier it
  // hits it at, worked out by hand from demo.yaml, the catalogs and the captures.
  const DEMO_EVENT: [name: string, kind: string, breaksAt: number, verdict: string][] = [
    // CPU P99.5 64.7 % against 100 % ÷ 1.2 = 83.3 %.
    ['ledger-web-1', 'cpu', 1.28, 'no-go'],
    // P99.5 of a diurnal 8..45 MiB/s out (47.6 MB/s) against the m6i.large's 0.781 Gbit/s (97.6 MB/s).
    ['assets-origin', 'network', 2.05, 'no-go'],
    // gp2 reads of 180 + 20 MiB/s = 213 MB/s through an r6i.xlarge's 156.25 MB/s EBS baseline.
    ['reports-db', 'ebs-bandwidth', 0.73, 'no-go'],
    // Three members at ~21 % of 83.3 % carry 0.69 members of work; the ASG max is 8.
    ['shop-web', 'group-max', 11.58, 'go'],
    // Recv-Q 9 on a backlog of 8 (ListenOverflows rising): already past it.
    ['edge-proxy', 'accept-queue', 0.88, 'no-go'],
    // Little's law: 8 completions/s + 4.68/s queue growth at W = 2 s need 25.4 of 16 workers.
    ['shop-api-3', 'pool', 0.63, 'no-go'],
    // 500 threads at RLIMIT_NPROC 500; 256 fds at nofile 256.
    ['payments-worker', 'threads', 1, 'no-go'],
    ['ledger-worker', 'fds', 1, 'no-go'],
  ];

  it('answers the demo event at ×3 in report.json: the first ceiling of every unit', () => {
    const event = result.event!;
    expect(event.multiplier).toBe(3);
    expect(result.run.eventMultiplier).toBe(3);
    for (const [name, kind, breaksAt, verdict] of DEMO_EVENT) {
      const unit = event.units.find((u) => u.subject.name === name);
      expect(unit, name).toBeDefined();
      expect({
        name,
        kind: unit!.firstCeiling?.kind,
        breaksAt: unit!.breaksAt,
        verdict: unit!.verdict,
      }).toEqual({
        name,
        kind,
        breaksAt: expect.closeTo(breaksAt, 1),
        verdict,
      });
      if (verdict === 'no-go') expect(unit!.change, name).not.toBeNull();
    }
    // Every running host is judged once: alone, or through its group.
    const running = result.hosts.filter((h) => h.state === 'running');
    const grouped = running.filter((h) => h.groupId !== null).length;
    expect(event.units.length).toBe(running.length - grouped + result.groups.length);
  });

  // Only the AWS catalog has per-instance disk limits (the GCP one lists per-VM persistent-disk
  // limits among its gaps): elsewhere the ceiling is listed as unknown with the reason, never passed.
  const NO_INSTANCE_DISK_LIMIT: [name: string, why: string][] = [
    ['store-legacy-cron', 'the GCP catalog has no per-instance persistent-disk limit for n2-standard-4'],
    ['warehouse-db-1', 'the GCP catalog has no per-instance persistent-disk limit for n2-highmem-8'],
    ['media-db-1', 'the Linode catalog has no per-instance block-storage limit for g6-dedicated-8'],
    ['eu-web-1', 'the OVHcloud catalog has no per-instance block-storage limit for b3-16'],
  ];

  it('lists the per-instance disk limits of GCP, Linode and OVHcloud hosts as unknown, with the reason', () => {
    for (const [name, why] of NO_INSTANCE_DISK_LIMIT) {
      const unit = result.event!.units.find((u) => u.subject.name === name);
      expect(unit, name).toBeDefined();
      const disk = unit!.checks.filter((c) => c.kind === 'ebs-bandwidth');
      expect(
        disk.map((c) => [c.status, c.source.replace(/ \(and no disk metrics for this host\)$/, '')]),
        name,
      ).toEqual([
        ['unknown', why],
        ['unknown', why],
      ]);
    }
    // Every non-AWS unit says so; every AWS host outside a group is judged or says why not.
    const others = result.event!.units.filter(
      (u) => u.subject.kind === 'host' && u.subject.provider !== 'aws',
    );
    expect(others.length).toBeGreaterThan(8);
    for (const unit of others)
      expect(
        unit.checks.filter((c) => c.kind === 'ebs-bandwidth' && c.status === 'unknown'),
        unit.subject.name,
      ).toHaveLength(2);
    // report.md's "Not judged" column names the ceiling on the unit's row.
    const row = renderAuditMarkdown(result)
      .split('\n')
      .find((line) => line.startsWith('| store-legacy-cron ('));
    expect(row).toMatch(/\|[^|]*ebs-bandwidth[^|]*\|$/);
  });

  it('prints the go / no-go table before the findings in report.md, with ceiling, multiplier, change and cost', () => {
    const md = renderAuditMarkdown(result);
    expect(md.indexOf('## Go / no-go at ×3')).toBeGreaterThan(0);
    expect(md.indexOf('## Go / no-go at ×3')).toBeLessThan(md.indexOf('## Findings'));
    for (const [name, kind, , verdict] of DEMO_EVENT) {
      const row = md.split('\n').find((line) => line.startsWith(`| ${name} (`));
      expect(row, name).toBeDefined();
      expect(row, name).toMatch(new RegExp(`\\*\\*${verdict}\\*\\*.*×[\\d.]+: ${kind} `));
    }
    expect(md).toMatch(/\| reports-db \(host\) .*\| r6i\.xlarge → \S+ +\| +\+\$[\d,.]+\/mo \|/);
    expect(md).toContain('Ceilings not judged (listed as unknown, never as passed)');
  });

  it('shows the arithmetic and a cost delta on every recommendation', () => {
    for (const rec of result.recommendations) {
      expect(
        rec.evidence.some((e) => e.kind === 'arithmetic'),
        rec.id,
      ).toBe(true);
      expect(rec.rationale.length).toBeGreaterThan(30);
    }
    expect(result.run.summary.monthlyCostDeltaUsd).toBeLessThan(-1000);
  });

  it('replays the saved artifacts offline to the same findings', async () => {
    const loaded = parseConfigText('{}', '<replay>');
    const replay = await runAudit({
      loaded,
      mode: 'live',
      log: silentLogger,
      fromArtifactsDir: artifactsDir,
    });
    expect(replay.run.mode).toBe('artifacts');
    expect(replay.findings.map((f) => f.id).sort()).toEqual(result.findings.map((f) => f.id).sort());
    // A replay calls nobody, keeps the minimum the collection needed, and runs with the saved settings.
    for (const [provider, calls] of Object.entries(replay.run.apiCalls)) {
      expect(calls).toMatchObject({ made: 0, retries: 0, failed: 0 });
      expect(calls.minimum).toBe(result.run.apiCalls[provider as 'aws']!.minimum);
    }
    expect(replay.run.settings).toEqual(result.run.settings);
    expect(replay.run.settings.providers.aws).toMatchObject({ regions: ['us-east-1', 'eu-west-1'] });
  });

  it('says the demo run is complete and how much of each cloud it judged', () => {
    expect(result.run.complete).toBe(true);
    for (const provider of result.run.providers) {
      const coverage = result.run.coverage[provider]!;
      const hosts = result.hosts.filter((h) => h.provider === provider);
      expect(coverage.complete, provider).toBe(true);
      expect(coverage.hostsListed, provider).toBe(hosts.length);
      expect(coverage.seriesReceived, provider).toBeGreaterThan(0);
      expect(coverage.hostsJudged, provider).toBeLessThanOrEqual(hosts.length);
      expect(coverage.judgedShare, provider).toBeGreaterThan(0.5);
    }
  });

  it('never counts a superseded recommendation in the summary', () => {
    const active = result.recommendations.filter((r) => r.supersededBy === null);
    const known = active.filter((r) => r.monthlyCostDeltaUsd !== null);
    const sum = Math.round(known.reduce((total, r) => total + r.monthlyCostDeltaUsd!, 0) * 100) / 100;
    expect(result.run.summary.monthlyCostDeltaUsd).toBe(sum);
    expect(result.run.summary.recommendations).toBe(active.length);
  });

  it('renders a markdown report with a section per finding and the data gaps', () => {
    const md = renderAuditMarkdown(result);
    for (const f of result.findings) expect(md).toContain(f.title);
    expect(md).toContain('## Data gaps');
    // Across clouds: provider, hosts, findings, critical + high, recommendations, delta, made, minimum.
    // 26 calls: DescribePolicies and DescribeAlarms for shop-checkout's step policy, and one more
    // GetMetricData for its two members' series.
    expect(md).toMatch(/\| aws +\| +20 \|(?: +[^|]+\|){4} +26 \| +26 \|/);
  });
});

describe('audit against failing or hostile clouds', () => {
  let mock: AwsMock;
  let dir: string;
  const scenario = parseScenario({
    name: 'hostile',
    aws: {
      faults: [{ kind: 'server-error', action: 'GetMetricData', region: 'eu-west-1', times: 'always' }],
      regions: {
        'us-east-1': {
          instances: [
            {
              id: 'i-0c00000000000a001',
              name: 'web|1 </details><script>alert(1)</script> [x](http://evil)',
              type: 'm6i.large',
              az: 'us-east-1a',
              cpu: { shape: 'diurnal', base: 20, peak: 60 },
              volumes: [{ id: 'vol-0c00000000000b001', device: '/dev/xvda', type: 'gp3', sizeGiB: 20 }],
            },
          ],
        },
        'eu-west-1': {
          instances: [
            { id: 'i-0c00000000000a002', name: 'eu-1', type: 'm6i.large', az: 'eu-west-1a', cpu: 30 },
            { id: 'i-0c00000000000a003', name: 'twin', type: 'm6i.large', az: 'eu-west-1a', cpu: 30 },
            { id: 'i-0c00000000000a004', name: 'twin', type: 'm6i.large', az: 'eu-west-1b', cpu: 30 },
          ],
        },
      },
    },
  });
  beforeAll(async () => {
    mock = await startAwsMock({ scenario });
    dir = await mkdtemp(join(tmpdir(), 'fleetlens-audit-'));
  });
  afterAll(async () => {
    await mock.close();
    await rm(dir, { recursive: true, force: true });
  });

  const config = (extra = '') =>
    parseConfigText(
      `providers:\n  aws:\n    regions: [us-east-1, eu-west-1]\n    endpoint: ${mock.endpoint}\n${extra}`,
      'fleetlens.yaml',
    );

  it('keeps one region complete when the other answers 5xx, and lists the gap', async () => {
    const result = await runAudit({
      loaded: config(),
      mode: 'live',
      log: silentLogger,
      adapterOptions: {
        net: { clock: virtualClock(Date.now()) },
        aws: { credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET } },
      },
    });
    expect(result.hosts).toHaveLength(4);
    const series = (id: string) => result.hosts.find((h) => h.id === id)!.stats.length;
    expect(series('i-0c00000000000a001')).toBeGreaterThan(0);
    expect(series('i-0c00000000000a002')).toBe(0);
    expect(result.gaps).toContainEqual(
      expect.objectContaining({
        provider: 'aws',
        kind: 'unavailable',
        what: expect.stringContaining('metrics in eu-west-1'),
      }),
    );
    // The tag value is untrusted text: it cannot break the hosts table or inject HTML.
    const md = renderAuditMarkdown(result);
    const row = md
      .split('\n')
      .find((line) => line.includes('i-0c00000000000a001') && line.startsWith('| aws'))!;
    const header = md.split('\n').find((line) => line.startsWith('| Provider | Region'))!;
    expect(row.split(/(?<!\\)\|/).length).toBe(header.split('|').length);
    expect(md).not.toContain('<script>');
    expect(md).not.toMatch(/\]\(http:\/\/evil\)/);
  });

  it('turns expired credentials into one-line auth gaps and never prints the secret', async () => {
    const result = await runAudit({
      loaded: config(),
      mode: 'live',
      log: silentLogger,
      adapterOptions: {
        net: { clock: virtualClock(Date.now()) },
        aws: { credentials: { accessKeyId: 'EXPIRED', secretAccessKey: SECRET } },
      },
    });
    expect(result.hosts).toEqual([]);
    const auth = result.gaps.filter((g) => g.kind === 'auth');
    expect(auth.map((g) => g.what).sort()).toEqual(['instances in eu-west-1', 'instances in us-east-1']);
    for (const gap of auth)
      expect(gap.message).toMatch(
        /^aws ec2\.DescribeInstances \((us-east|eu-west)-1\): auth: RequestExpired/,
      );
    const everything = JSON.stringify(result) + renderAuditMarkdown(result);
    expect(everything).not.toContain(SECRET);
    expect(result.run.rules.find((r) => r.ruleId === 'cpu-over-provisioned')).toMatchObject({
      status: 'skipped',
    });
  });

  it('lists a missing sample folder and a truncated gzip as gaps and keeps everything else', async () => {
    const broken = join(dir, 'broken');
    const { cp, readFile: read, writeFile } = await import('node:fs/promises');
    await cp(sampleDir('healthy'), broken, { recursive: true });
    const gz = await read(join(broken, 'sadf-A.json.gz'));
    await writeFile(join(broken, 'sadf-A.json.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    const loaded = config(
      `onHost:\n  - { dir: ${join(dir, 'nope')}, host: eu-1 }\n  - { dir: ${broken}, host: i-0c00000000000a001 }\n`,
    );
    const result = await runAudit({
      loaded,
      mode: 'live',
      log: silentLogger,
      adapterOptions: {
        net: { clock: virtualClock(Date.now()) },
        aws: { credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET } },
      },
    });
    const sampleGaps = result.gaps.filter((g) => g.provider === 'onhost');
    expect(sampleGaps.map((g) => g.message).join('\n')).toMatch(/sample folder not found/);
    expect(sampleGaps.find((g) => g.file?.endsWith('sadf-A.json.gz'))!.message).toMatch(/gzip/);
    const host = result.hosts.find((h) => h.id === 'i-0c00000000000a001')!;
    expect(host.onHost?.primary).toBe('healthy');
    expect(result.hosts.find((h) => h.id === 'i-0c00000000000a002')!.onHost).toBeNull();
  });

  it('will not attach a folder to one of several instances sharing a Name', async () => {
    const loaded = config(`onHost:\n  - { dir: ${sampleDir('healthy')}, host: twin }\n`);
    const result = await runAudit({
      loaded,
      mode: 'live',
      log: silentLogger,
      adapterOptions: {
        net: { clock: virtualClock(Date.now()) },
        aws: { credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET } },
      },
    });
    expect(result.hosts.filter((h) => h.onHost)).toEqual([]);
    expect(result.gaps).toContainEqual(
      expect.objectContaining({
        provider: 'config',
        message: expect.stringMatching(
          /names 2 instances \(i-0c00000000000a003, i-0c00000000000a004\); give the instance id/,
        ),
      }),
    );
  });

  it('names the file, line and key of a bad rule option before calling any cloud', async () => {
    const before = mock.requests.length;
    const loaded = config('rules:\n  cpu-saturated:\n    threshold: 300\n');
    await expect(runAudit({ loaded, mode: 'live', log: silentLogger })).rejects.toMatchObject({
      name: 'ConfigError',
      file: 'fleetlens.yaml',
      line: 7,
      key: 'rules.cpu-saturated.threshold',
    });
    expect(mock.requests.length).toBe(before);
  });

  it('never writes credentials into artifacts', async () => {
    const artifacts = join(dir, 'artifacts');
    await runAudit({
      loaded: config(),
      mode: 'live',
      log: silentLogger,
      saveArtifactsDir: artifacts,
      adapterOptions: {
        net: { clock: virtualClock(Date.now()) },
        aws: { credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET } },
      },
    });
    const files = await readdir(artifacts, { recursive: true, withFileTypes: true });
    expect(files.map((f) => f.name)).toContain('manifest.json');
    const text = (
      await Promise.all(
        files.filter((f) => f.isFile()).map((f) => readFile(join(f.parentPath, f.name), 'latin1')),
      )
    ).join('\n');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(KEY_ID);
  });
});

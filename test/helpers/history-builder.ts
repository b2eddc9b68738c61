// Audit results for history tests: a demo-sized fleet (36 hosts on four clouds, two scopes each,
// 30 findings, their recommendations) whose numbers, severities and failures a test can change run
// to run. Ids are the engine's real fingerprints. Deterministic: no clock, no Math.random.
import type { AnalysisResult, ReportHost } from '../../reports/json/schema.ts';
import { fingerprint } from '../../src/analysis/engine.ts';
import type { Finding, ProviderId, Recommendation, Severity } from '../../src/model/index.ts';
import { buildAnalysisResult, buildFinding, buildHost, buildRecommendation } from './result-builder.ts';

export const WEEK_MS = 7 * 86_400_000;
export const FIRST_RUN_MS = Date.parse('2025-01-06T06:00:00.000Z');

export const CLOUD_SCOPES: Record<ProviderId, [string, string]> = {
  aws: ['us-east-1', 'eu-west-1'],
  gcp: ['us-central1', 'europe-west1'],
  linode: ['us-east', 'eu-central'],
  ovh: ['GRA11', 'DE1'],
};
const CLOUDS = Object.keys(CLOUD_SCOPES) as ProviderId[];

/** Host `index` of the fleet: cloud = index % 4, scope = floor(index / 4) % 2. */
export function fleetHost(index: number, name = `web-${index}`): ReportHost {
  const provider = CLOUDS[index % 4]!;
  const region = CLOUD_SCOPES[provider][Math.floor(index / 4) % 2]!;
  const cpu = 20 + ((index * 7) % 60);
  return buildHost({
    provider,
    id: `${provider}-${String(index).padStart(4, '0')}`,
    name,
    region,
    zone: `${region}-a`,
    tags: { Name: name },
    stats: [
      {
        metric: 'cpu.util',
        unit: 'percent',
        p50: cpu / 2,
        p95: cpu,
        p99_5: cpu + 5,
        max: cpu + 8,
        points: 4032,
      },
      {
        metric: 'cpu.util.max',
        unit: 'percent',
        p50: cpu / 2,
        p95: cpu + 2,
        p99_5: cpu + 9,
        max: cpu + 10,
        points: 4032,
      },
      {
        metric: 'mem.used',
        unit: 'percent',
        p50: 40,
        p95: 55,
        p99_5: 60,
        max: 61 + (index % 9),
        points: 4032,
      },
    ],
  });
}

const RULES: { ruleId: string; messageId: string; category: Finding['category']; severity: Severity }[] = [
  { ruleId: 'cpu-saturated', messageId: 'cloud', category: 'performance', severity: 'high' },
  { ruleId: 'cpu-over-provisioned', messageId: 'host', category: 'cost', severity: 'medium' },
  { ruleId: 'idle-instance', messageId: 'idle', category: 'cost', severity: 'medium' },
  { ruleId: 'fd-limit', messageId: 'nearLimit', category: 'reliability', severity: 'high' },
  { ruleId: 'listen-queue-overflow', messageId: 'overflow', category: 'reliability', severity: 'low' },
];

export interface FindingSpec {
  host: number;
  rule: number;
  severity?: Severity;
  /** The first stat's value (the headline of a non-cost finding). */
  value?: number;
  /** A cost finding's recommendation delta (negative: a saving). */
  deltaUsd?: number | null;
  messageId?: string;
  recommended?: string;
}

/** Finding `index` of the default 30: on host `index`, rule `index % 5`. */
export function defaultFindingSpecs(count = 30): FindingSpec[] {
  return Array.from({ length: count }, (_, index) => ({ host: index, rule: index % 5 }));
}

export function fleetFinding(
  spec: FindingSpec,
  hosts: readonly ReportHost[],
): { finding: Finding; recs: Recommendation[] } {
  const rule = RULES[spec.rule]!;
  const host = hosts[spec.host]!;
  const subject = { provider: host.provider, kind: 'host' as const, id: host.id, name: host.name };
  const messageId = spec.messageId ?? rule.messageId;
  const id = fingerprint(rule.ruleId, subject);
  const cost = rule.category === 'cost';
  const recs = [
    buildRecommendation({
      id: `${id}-1`,
      findingId: id,
      subject,
      current: host.instanceType,
      recommended: spec.recommended ?? (cost ? 'm6i.large' : 'm6i.4xlarge'),
      monthlyCostDeltaUsd: spec.deltaUsd === undefined ? (cost ? -100 - spec.host : 80) : spec.deltaUsd,
    }),
  ];
  const finding = buildFinding({
    id,
    ruleId: rule.ruleId,
    messageId,
    severity: spec.severity ?? rule.severity,
    category: rule.category,
    subject,
    title: `${rule.ruleId} on ${host.name}`,
    message: `${host.name}: ${rule.ruleId}`,
    evidence: [{ kind: 'stat', label: 'p95 CPU', value: spec.value ?? 50 + spec.host, unit: 'percent' }],
    recommendationIds: recs.map((r) => r.id),
  });
  return { finding, recs };
}

export interface FleetRunOptions {
  runId: string;
  /** Weeks after FIRST_RUN_MS. */
  week?: number;
  startedAtMs?: number;
  hostCount?: number;
  hostNames?: Record<number, string>;
  findings?: FindingSpec[];
  /** Clouds this run audits (default all four); each with both its scopes. */
  clouds?: ProviderId[];
  failedScopes?: Partial<Record<ProviderId, { scope: string; reason: string }[]>>;
  ruleStatus?: Record<string, 'skipped' | 'error'>;
}

/** A whole audit of the fleet, valid against report.json's schema. */
export function fleetResult(options: FleetRunOptions): AnalysisResult {
  const startedAtMs = options.startedAtMs ?? FIRST_RUN_MS + (options.week ?? 0) * WEEK_MS;
  const clouds = options.clouds ?? CLOUDS;
  // A failed scope lists nothing: its hosts, and so their findings, are missing from the run.
  const visible = (host: ReportHost) =>
    clouds.includes(host.provider) &&
    !(options.failedScopes?.[host.provider] ?? []).some((failed) => failed.scope === host.region);
  const fleet = Array.from({ length: 36 }, (_, index) => fleetHost(index, options.hostNames?.[index]));
  const hosts = fleet.slice(0, options.hostCount ?? 36).filter(visible);
  const built = (options.findings ?? defaultFindingSpecs())
    .filter((spec) => hosts.includes(fleet[spec.host]!))
    .map((spec) => fleetFinding(spec, fleet));
  const result = buildAnalysisResult({
    hosts,
    groups: [],
    findings: built.map((b) => b.finding),
    recommendations: built.flatMap((b) => b.recs),
    gaps: [],
    rules: RULES.map((rule) => ({
      ruleId: rule.ruleId,
      title: rule.ruleId,
      status: options.ruleStatus?.[rule.ruleId] ?? 'findings',
      findings: 0,
      reasons: [],
      durationMs: 1,
    })),
  });
  const iso = (ms: number) => new Date(ms).toISOString();
  result.run.id = options.runId;
  result.run.startedAt = iso(startedAtMs);
  result.run.finishedAt = iso(startedAtMs + result.run.durationMs);
  result.run.window = { from: iso(startedAtMs - 14 * 86_400_000), to: iso(startedAtMs), stepSec: 300 };
  result.run.providers = clouds;
  result.run.apiCalls = {};
  result.run.coverage = Object.fromEntries(
    clouds.map((cloud) => {
      const own = hosts.filter((h) => h.provider === cloud).length;
      const failed = options.failedScopes?.[cloud] ?? [];
      return [
        cloud,
        {
          scopes: [...CLOUD_SCOPES[cloud]],
          failedScopes: failed,
          hostsListed: own,
          seriesExpected: own * 3,
          seriesReceived: own * 3,
          hostsJudged: own,
          judgedShare: own > 0 ? 1 : null,
          complete: failed.length === 0,
        },
      ];
    }),
  );
  result.run.complete = Object.values(result.run.coverage).every((c) => c?.complete);
  result.run.settings.providers = Object.fromEntries(
    clouds.map((c) => [c, { regions: [...CLOUD_SCOPES[c]] }]),
  );
  return result;
}

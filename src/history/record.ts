// What history keeps of one audit (issue 10): the run's facts, each host's headline numbers, each
// finding with its fingerprint and headline number, the recommendations' targets and the gaps.
// Evidence is not kept: the report carries it, and a run must stay a few kilobytes in the store.
import type { AnalysisResult, ReportHost, RuleStatus, RunSettings } from '../../reports/json/schema.ts';
import type {
  Finding,
  FindingCategory,
  Gap,
  ProviderId,
  RecommendationKind,
  Severity,
  Subject,
  Unit,
} from '../model/index.ts';

/** `new` / `open` / `worse` / `better` for a finding this run saw; `unseen` for one carried over from a run before it. */
export type FindingStatus = 'new' | 'open' | 'worse' | 'better' | 'unseen';

/** The one number that says how bad a finding is, to compare run to run (see `headlineOf`). */
export interface Headline {
  label: string;
  value: number;
  unit: Unit;
}

export interface HostRecord {
  provider: ProviderId;
  hostId: string;
  name: string;
  region: string;
  zone: string | null;
  instanceType: string;
  state: string;
  vcpu: number | null;
  memoryMiB: number | null;
  priceUsdPerHour: number | null;
  /** P95 of the period averages (`cpu.util`), else of the period maxima. */
  cpuP95Pct: number | null;
  /** P99.5 of the per-period maxima (`cpu.util.max`, what sizing uses), else of the averages. */
  cpuP99_5Pct: number | null;
  memoryPeakPct: number | null;
  groupId: string | null;
  /** Region, zone and project: what a failed scope of a later run is matched against. */
  scopeKeys: string[];
}

export interface FindingRecord {
  id: string;
  ruleId: string;
  messageId: string;
  severity: Severity;
  category: FindingCategory;
  subject: Subject;
  title: string;
  message: string;
  headline: Headline | null;
  scopeKeys: string[];
  status: FindingStatus;
  /** Start of the run that first saw this finding, in its current streak. */
  firstSeenMs: number;
  /** Runs that saw it in its current streak, this one included (a carried `unseen` row adds none). */
  runCount: number;
  /** The id it had in the run before, when only its message id changed (see compare.ts). */
  previousId: string | null;
  rationale: string;
  remediation: string;
  sources: string[];
  recommendationIds: string[];
}

export interface RecommendationRecord {
  id: string;
  findingId: string;
  kind: RecommendationKind;
  subject: Subject;
  current: string;
  recommended: string;
  monthlyCostDeltaUsd: number | null;
  risk: number;
  supersededBy: string | null;
}

export interface CoverageRecord {
  scopes: string[];
  failedScopes: { scope: string; reason: string }[];
  hostsListed: number;
  seriesExpected: number;
  seriesReceived: number;
  hostsJudged: number;
  judgedShare: number | null;
  complete: boolean;
}

/** How a rule ended in a run; `unjudged` names the subjects it could not judge (its reasons' subjects). */
export interface RuleOutcome {
  ruleId: string;
  status: RuleStatus;
  unjudged: string[];
}

export interface RunSummaryCounts {
  hosts: number;
  findingsBySeverity: Record<Severity, number>;
  recommendations: number;
  monthlyCostDeltaUsd: number;
  recommendationsWithUnknownCost: number;
  gaps: number;
}

export interface RunRecord {
  runId: string;
  startedAtMs: number;
  finishedAtMs: number;
  mode: AnalysisResult['run']['mode'];
  toolVersion: string;
  window: { fromMs: number; toMs: number; stepSec: number };
  providers: ProviderId[];
  complete: boolean;
  eventMultiplier: number | null;
  coverage: Partial<Record<ProviderId, CoverageRecord>>;
  settings: RunSettings;
  rules: RuleOutcome[];
  summary: RunSummaryCounts;
  hosts: HostRecord[];
  /** What this run saw, then the `unseen` ones carried from the run before (out of view this time). */
  findings: FindingRecord[];
  recommendations: RecommendationRecord[];
  gaps: Gap[];
}

const SCOPE_TAGS = ['gcp:project', 'ovh:project'];

function hostScopeKeys(host: Pick<ReportHost, 'region' | 'zone' | 'tags'>): string[] {
  const keys = [host.region, host.zone, ...SCOPE_TAGS.map((tag) => host.tags[tag])];
  return [...new Set(keys.filter((key): key is string => typeof key === 'string' && key !== ''))];
}

function statOf(host: ReportHost, metric: string) {
  return host.stats.find((stat) => stat.metric === metric);
}

export function toHostRecord(host: ReportHost): HostRecord {
  const average = statOf(host, 'cpu.util');
  const maxima = statOf(host, 'cpu.util.max');
  return {
    provider: host.provider,
    hostId: host.id,
    name: host.name,
    region: host.region,
    zone: host.zone,
    instanceType: host.instanceType,
    state: host.state,
    vcpu: host.vcpu,
    memoryMiB: host.memoryMiB,
    priceUsdPerHour: host.priceUsdPerHour,
    cpuP95Pct: average?.p95 ?? maxima?.p95 ?? null,
    cpuP99_5Pct: maxima?.p99_5 ?? average?.p99_5 ?? null,
    memoryPeakPct: statOf(host, 'mem.used')?.max ?? null,
    groupId: host.groupId,
    scopeKeys: hostScopeKeys(host),
  };
}

/**
 * The headline number of a finding: for a cost finding, the monthly saving its active (not
 * superseded) recommendations with a known price promise; otherwise, and for a cost finding without
 * a price, its first stat evidence with a value. Higher is worse for both: more waste, more
 * saturation. Null when the finding has neither.
 */
export function headlineOf(
  finding: Finding,
  result: Pick<AnalysisResult, 'recommendations'>,
): Headline | null {
  if (finding.category === 'cost') {
    const priced = result.recommendations.filter(
      (rec) => rec.findingId === finding.id && rec.supersededBy === null && rec.monthlyCostDeltaUsd !== null,
    );
    if (priced.length > 0) {
      const savingUsd = -priced.reduce((sum, rec) => sum + (rec.monthlyCostDeltaUsd ?? 0), 0);
      return { label: 'monthly saving', value: Math.round(savingUsd * 100) / 100, unit: 'usd-per-month' };
    }
  }
  for (const evidence of finding.evidence) {
    if (evidence.kind === 'stat' && evidence.value !== null && Number.isFinite(evidence.value)) {
      return { label: evidence.label, value: evidence.value, unit: evidence.unit };
    }
  }
  return null;
}

/** Where a subject lives, for matching failed scopes: its host's keys, its volume's or group's region. */
function subjectScopeKeys(subject: Subject, result: AnalysisResult): string[] {
  const hostKeys = (hostId: string) => {
    const host = result.hosts.find((h) => h.provider === subject.provider && h.id === hostId);
    return host ? hostScopeKeys(host) : [];
  };
  if (subject.kind === 'host') return hostKeys(subject.id);
  if (subject.kind === 'volume') {
    for (const host of result.hosts) {
      const volume = host.volumes.find((v) => v.provider === subject.provider && v.id === subject.id);
      if (volume)
        return [...new Set([volume.region, ...(volume.zone ? [volume.zone] : []), ...hostKeys(host.id)])];
    }
    return [];
  }
  const group = result.groups.find((g) => g.provider === subject.provider && g.id === subject.id);
  if (!group) return [];
  return [...new Set([group.region, ...group.memberIds.flatMap(hostKeys)])];
}

function toFindingRecord(finding: Finding, result: AnalysisResult, startedAtMs: number): FindingRecord {
  return {
    id: finding.id,
    ruleId: finding.ruleId,
    messageId: finding.messageId,
    severity: finding.severity,
    category: finding.category,
    subject: finding.subject,
    title: finding.title,
    message: finding.message,
    headline: headlineOf(finding, result),
    scopeKeys: subjectScopeKeys(finding.subject, result),
    status: 'new',
    firstSeenMs: startedAtMs,
    runCount: 1,
    previousId: null,
    rationale: finding.rationale,
    remediation: finding.remediation,
    sources: finding.sources,
    recommendationIds: finding.recommendationIds,
  };
}

/**
 * The run as history keeps it, every finding `new`: `compareRuns` (compare.ts) then sets the
 * statuses against the run before.
 */
export function toRunRecord(result: AnalysisResult): RunRecord {
  const { run } = result;
  const startedAtMs = Date.parse(run.startedAt);
  return {
    runId: run.id,
    startedAtMs,
    finishedAtMs: Date.parse(run.finishedAt),
    mode: run.mode,
    toolVersion: run.tool.version,
    window: {
      fromMs: Date.parse(run.window.from),
      toMs: Date.parse(run.window.to),
      stepSec: run.window.stepSec,
    },
    providers: [...run.providers],
    complete: run.complete,
    eventMultiplier: run.eventMultiplier,
    coverage: structuredClone(run.coverage),
    settings: structuredClone(run.settings),
    rules: run.rules.map((rule) => ({
      ruleId: rule.ruleId,
      status: rule.status,
      unjudged: [...new Set(rule.reasons.map((r) => r.subject).filter((s): s is string => s !== null))],
    })),
    summary: structuredClone(run.summary),
    hosts: result.hosts.map(toHostRecord),
    findings: result.findings.map((finding) => toFindingRecord(finding, result, startedAtMs)),
    recommendations: result.recommendations.map((rec) => ({
      id: rec.id,
      findingId: rec.findingId,
      kind: rec.kind,
      subject: rec.subject,
      current: rec.current,
      recommended: rec.recommended,
      monthlyCostDeltaUsd: rec.monthlyCostDeltaUsd,
      risk: rec.risk,
      supersededBy: rec.supersededBy,
    })),
    gaps: result.gaps.map((gap) => ({ ...gap })),
  };
}

/** The findings a run saw (its carried `unseen` rows left out). */
export function seenFindings(run: Pick<RunRecord, 'findings'>): FindingRecord[] {
  return run.findings.filter((finding) => finding.status !== 'unseen');
}

import type { AnalysisResult } from '../../reports/json/schema.ts';
import type { Comparison } from '../history/compare.ts';
import type { RunRecord } from '../history/record.ts';
import type { ProviderId, Severity, Unit } from '../model/index.ts';

/** One line of `fleetlens history`: when, clouds, hosts, findings by severity, cost delta, coverage. */
export interface RunSummary {
  runId: string;
  startedAtMs: number;
  mode: RunRecord['mode'];
  providers: ProviderId[];
  complete: boolean;
  hosts: number;
  findingsBySeverity: Record<Severity, number>;
  monthlyCostDeltaUsd: number;
  recommendationsWithUnknownCost: number;
  gaps: number;
  /** Per cloud: hosts judged of hosts listed, and the scopes that failed. */
  coverage: Partial<
    Record<
      ProviderId,
      { hostsListed: number; hostsJudged: number; judgedShare: number | null; failedScopes: string[] }
    >
  >;
}

/** One run's headline numbers for a host. */
export interface HostTrendPoint {
  runId: string;
  startedAtMs: number;
  instanceType: string;
  priceUsdPerHour: number | null;
  cpuP95Pct: number | null;
  cpuP99_5Pct: number | null;
  memoryPeakPct: number | null;
}

export interface HostTrend {
  provider: ProviderId;
  hostId: string;
  /** The name in the newest run (a host renamed by tag keeps its id). */
  name: string;
  /** Oldest first. */
  points: HostTrendPoint[];
}

/** One run's headline number for a finding (runs that did not see it are left out). */
export interface FindingTrendPoint {
  runId: string;
  startedAtMs: number;
  severity: Severity;
  value: number | null;
  unit: Unit | null;
  label: string | null;
}

export interface FindingTrend {
  findingId: string;
  ruleId: string;
  subjectId: string;
  subjectName: string | null;
  /** Oldest first. */
  points: FindingTrendPoint[];
}

/** What `recordRun` stored: the run with its statuses, and what changed since the run before. */
export interface RecordedRun {
  comparison: Comparison;
  previous: RunSummary | null;
}

/**
 * The history of audits (issue 10): a DuckDB file by default, PostgreSQL for a team. Every method
 * may throw a `StoreError` (errors.ts); nothing else is expected.
 */
export interface HistoryStore {
  /** The path, or the URL without its password: what messages and logs may show. */
  readonly location: string;
  /**
   * Records an audit under its `run.id` (recording the same id again replaces it), with each
   * finding's status against the previous run (see `previousRun`), in one transaction.
   */
  recordRun(result: AnalysisResult): Promise<RecordedRun>;
  /** Newest first. */
  listRuns(options?: { limit?: number }): Promise<RunSummary[]>;
  getRun(runId: string): Promise<RunRecord | null>;
  /**
   * The newest run that started before `run` and audited at least one scope (cloud + region,
   * project or account) that `run` audited: several audits sharing one store, one per account or
   * region, each follow their own line. A run id, or a run not stored yet.
   */
  previousRun(run: string | RunRecord): Promise<RunRecord | null>;
  /** `run` and the runs before it along `previousRun`, newest first, at most `count` (for stability). */
  lineage(run: string | RunRecord, count: number): Promise<RunRecord[]>;
  /**
   * A host's headline numbers over runs, by cloud id or by a name it had in any run: every run of
   * each host that matches, so a host renamed by tag keeps its whole trend.
   */
  hostTrend(hostIdOrName: string): Promise<HostTrend[]>;
  findingTrend(findingId: string): Promise<FindingTrend | null>;
  /** Deletes runs that started more than `keepMs` before `nowMs`, and gives the space back. */
  prune(keepMs: number, nowMs: number): Promise<{ runsDeleted: number }>;
  close(): Promise<void>;
}

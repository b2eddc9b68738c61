// What history adds to a run's AnalysisResult (issue 10): each finding's status against the previous
// run, the resolved list, the "since the last run" summary, each recommendation's stability, and the
// mutes. Pure: the result in, a new result out; the writers render whatever is there.
import type { AnalysisResult, MuteReport, ResolvedFinding, RunHistory } from '../../reports/json/schema.ts';
import { type Finding, type Recommendation, severityRank } from '../model/index.ts';
import type { RecordedRun } from '../store/types.ts';
import { applyMutes, type MuteEntry } from './mutes.ts';
import type { FindingRecord, RunRecord } from './record.ts';
import { recommendationStability } from './stable.ts';

export interface HistoryAnnotation {
  /** The store's location as a message may show it (no password). */
  store: string;
  stableRuns: number;
  onlyStable: boolean;
  runsPruned: number;
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();
const cents = (usd: number) => Math.round(usd * 100) / 100;

function resolvedOf(finding: FindingRecord, lastSeenMs: number): ResolvedFinding {
  return {
    id: finding.id,
    ruleId: finding.ruleId,
    title: finding.title,
    subject: finding.subject,
    severity: finding.severity,
    category: finding.category,
    headline: finding.headline,
    firstSeen: iso(finding.firstSeenMs),
    lastSeen: iso(lastSeenMs),
    runs: finding.runCount,
  };
}

/**
 * The result with statuses from `recorded` (the store's comparison with the previous run) and
 * stability from `lineage` (this run first, then the runs before it along the store's line).
 */
export function withHistory(
  result: AnalysisResult,
  recorded: RecordedRun,
  lineage: readonly RunRecord[],
  annotation: HistoryAnnotation,
): AnalysisResult {
  const { comparison, previous } = recorded;
  const changes = new Map(comparison.changes.map((change) => [change.finding.id, change]));
  const findings = result.findings.map((finding): Finding => {
    const change = changes.get(finding.id);
    if (!change) return finding;
    const { status, firstSeenMs, runCount } = change.finding;
    if (status === 'unseen') return finding;
    return {
      ...finding,
      status,
      firstSeen: iso(firstSeenMs),
      runs: runCount,
      ...(change.previous
        ? { previous: { severity: change.previous.severity, headline: change.previous.headline } }
        : {}),
    };
  });
  const stability = new Map(
    recommendationStability(lineage, annotation.stableRuns).map((s) => [s.recommendationId, s]),
  );
  const recommendations = result.recommendations.map((rec): Recommendation => {
    const s = stability.get(rec.id);
    if (!s) return rec;
    return {
      ...rec,
      stability: { runs: s.runs, requiredRuns: annotation.stableRuns, stable: s.stable, flipped: s.flipped },
    };
  });
  const count = (status: string) => comparison.changes.filter((c) => c.finding.status === status).length;
  const now = result.run.summary.monthlyCostDeltaUsd;
  const history: RunHistory = {
    store: annotation.store,
    previousRunId: previous?.runId ?? null,
    previousStartedAt: previous ? iso(previous.startedAtMs) : null,
    counts: {
      new: count('new'),
      open: count('open'),
      worse: count('worse'),
      better: count('better'),
      resolved: comparison.resolved.length,
      unseen: comparison.unseen.length,
    },
    monthlyCostDeltaUsd: previous
      ? { previous: previous.monthlyCostDeltaUsd, now, change: cents(now - previous.monthlyCostDeltaUsd) }
      : null,
    unseen: comparison.unseen.map(({ finding, reason }) => ({
      id: finding.id,
      ruleId: finding.ruleId,
      subject: finding.subject,
      title: finding.title,
      reason,
    })),
    stableRuns: annotation.stableRuns,
    onlyStable: annotation.onlyStable,
    runsPruned: annotation.runsPruned,
  };
  const lastSeenMs = previous?.startedAtMs ?? Date.parse(result.run.startedAt);
  return {
    ...result,
    findings,
    recommendations,
    history,
    // Most severe first, then by id: the order `diff` prints them in.
    resolved: [...comparison.resolved]
      .sort((a, b) => severityRank[b.severity] - severityRank[a.severity] || a.id.localeCompare(b.id))
      .map((finding) => resolvedOf(finding, lastSeenMs)),
  };
}

/** A mute as the config gave it, with where it was written (for the stale list). */
export interface LocatedMute extends MuteEntry {
  file: string;
  line?: number;
}

/** The run's date (UTC), what a mute's `until` is compared with: time comes from the result. */
export function runDay(result: Pick<AnalysisResult, 'run'>): string {
  return result.run.startedAt.slice(0, 10);
}

/**
 * Marks the findings the mutes cover (active: not counted by `--fail-on`; expired: "mute expired on
 * DATE", counted again) and lists the mutes that matched nothing. No mutes, no change.
 */
export function withMutes(result: AnalysisResult, mutes: readonly LocatedMute[]): AnalysisResult {
  if (mutes.length === 0) return result;
  const outcome = applyMutes(mutes, result.findings, runDay(result));
  const muted = new Map(outcome.muted.map((m) => [m.findingId, m]));
  const expired = new Map(outcome.expired.map((m) => [m.findingId, m]));
  const findings = result.findings.map((finding): Finding => {
    const active = muted.get(finding.id);
    if (active) {
      return {
        ...finding,
        mute: {
          reason: active.reason,
          until: active.until,
          expired: false,
          text: `muted until ${active.until}: ${active.reason}`,
        },
      };
    }
    const past = expired.get(finding.id);
    if (!past) return finding;
    return { ...finding, mute: { reason: past.reason, until: past.until, expired: true, text: past.text } };
  });
  const report: MuteReport = {
    muted: outcome.muted.length,
    expired: outcome.expired.length,
    stale: outcome.stale.map((index) => {
      const mute = mutes[index]!;
      return {
        ...(mute.finding !== undefined ? { finding: mute.finding } : {}),
        ...(mute.rule !== undefined ? { rule: mute.rule } : {}),
        ...(mute.subject !== undefined ? { subject: mute.subject } : {}),
        reason: mute.reason,
        until: mute.until,
        file: mute.file,
        ...(mute.line !== undefined ? { line: mute.line } : {}),
      };
    }),
  };
  return { ...result, findings, mutes: report };
}

/** A finding an active mute covers: listed, never counted by `--fail-on`. */
export function isMuted(finding: Pick<Finding, 'mute'>): boolean {
  return finding.mute !== undefined && !finding.mute.expired;
}

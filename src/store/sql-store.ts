// The history store, written once over a SqlDriver (DuckDB or PostgreSQL): the same tables, the
// same queries, the same answers.
import type { AnalysisResult, RunSettings } from '../../reports/json/schema.ts';
import { compareRuns } from '../history/compare.ts';
import {
  type CoverageRecord,
  type FindingRecord,
  type HostRecord,
  type RecommendationRecord,
  type RuleOutcome,
  type RunRecord,
  toRunRecord,
} from '../history/record.ts';
import type { Gap, ProviderId, Severity, Subject } from '../model/index.ts';
import { migrate, RUN_TABLES } from './migrations.ts';
import {
  type Clock,
  insertRows,
  placeholders,
  type Row,
  type SqlDriver,
  type SqlSession,
  systemClock,
} from './sql.ts';
import type { FindingTrend, HistoryStore, HostTrend, RecordedRun, RunSummary } from './types.ts';

const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

const json = (value: unknown) => JSON.stringify(value);
const parse = <T>(value: unknown): T => JSON.parse(String(value)) as T;
const num = (value: unknown) => Number(value);
const numOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));
const strOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));
const str = (value: unknown) => String(value);

function subjectColumns(subject: Subject) {
  return [subject.provider, subject.kind, subject.id, subject.name ?? null];
}

function subjectOf(row: Row): Subject {
  const name = strOrNull(row.subject_name);
  return {
    provider: str(row.subject_provider) as Subject['provider'],
    kind: str(row.subject_kind) as Subject['kind'],
    id: str(row.subject_id),
    ...(name === null ? {} : { name }),
  };
}

/** `provider/scope` for every scope a run audited (failed or not): what `previousRun` matches on. */
function scopesOf(run: Pick<RunRecord, 'coverage'>): string[] {
  return Object.entries(run.coverage).flatMap(([provider, coverage]) =>
    (coverage?.scopes ?? []).map((scope) => `${provider}/${scope}`),
  );
}

export class SqlHistoryStore implements HistoryStore {
  readonly location: string;
  private ready: Promise<unknown> | undefined;

  constructor(
    private readonly driver: SqlDriver,
    private readonly clock: Clock = systemClock,
  ) {
    this.location = driver.location;
  }

  /** Creates or upgrades the schema (once per store object); the first call surfaces any StoreError. */
  async open(): Promise<this> {
    this.ready ??= migrate(this.driver, this.clock.now()).catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
    return this;
  }

  private async read<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    await this.open();
    return this.driver.transaction(work);
  }

  async recordRun(result: AnalysisResult): Promise<RecordedRun> {
    const current = toRunRecord(result);
    return this.read(async (session) => {
      const previous = await this.previousIn(session, current);
      const comparison = compareRuns(previous, current);
      await this.deleteRuns(session, 'run_id = $1', [current.runId]);
      await this.insertRun(session, comparison.run);
      return { comparison, previous: previous ? summaryOf(previous) : null };
    });
  }

  async listRuns(options: { limit?: number } = {}): Promise<RunSummary[]> {
    return this.read(async (session) => {
      const limit = options.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(options.limit))}`;
      const runs = await session.query(`SELECT * FROM runs ORDER BY started_at_ms DESC, run_id DESC${limit}`);
      if (runs.length === 0) return [];
      const ids = runs.map((row) => str(row.run_id));
      const inList = placeholders(ids.length, 1);
      const coverage = await session.query(`SELECT * FROM run_coverage WHERE run_id IN (${inList})`, ids);
      const failed = await session.query(
        `SELECT run_id, provider, scope FROM run_scopes WHERE failed AND run_id IN (${inList}) ORDER BY scope`,
        ids,
      );
      return runs.map((row) => {
        const id = str(row.run_id);
        const perCloud: RunSummary['coverage'] = {};
        for (const c of coverage.filter((c) => c.run_id === id)) {
          perCloud[str(c.provider) as ProviderId] = {
            hostsListed: num(c.hosts_listed),
            hostsJudged: num(c.hosts_judged),
            judgedShare: numOrNull(c.judged_share),
            failedScopes: failed
              .filter((f) => f.run_id === id && f.provider === c.provider)
              .map((f) => str(f.scope)),
          };
        }
        return { ...runSummaryOf(row), coverage: perCloud };
      });
    });
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    return this.read((session) => this.loadRun(session, runId));
  }

  async previousRun(run: string | RunRecord): Promise<RunRecord | null> {
    return this.read(async (session) => {
      const record = typeof run === 'string' ? await this.loadRun(session, run) : run;
      return record ? this.previousIn(session, record) : null;
    });
  }

  async lineage(run: string | RunRecord, count: number): Promise<RunRecord[]> {
    return this.read(async (session) => {
      const first = typeof run === 'string' ? await this.loadRun(session, run) : run;
      const chain: RunRecord[] = [];
      for (let at = first; at && chain.length < count; at = await this.previousIn(session, at))
        chain.push(at);
      return chain;
    });
  }

  async hostTrend(hostIdOrName: string): Promise<HostTrend[]> {
    const rows = await this.read((session) =>
      session.query(
        `SELECT h.*, r.started_at_ms FROM hosts h JOIN runs r ON r.run_id = h.run_id
         WHERE h.provider || '/' || h.host_id IN
           (SELECT provider || '/' || host_id FROM hosts WHERE host_id = $1 OR name = $1)
         ORDER BY r.started_at_ms, r.run_id`,
        [hostIdOrName],
      ),
    );
    const trends = new Map<string, HostTrend>();
    for (const row of rows) {
      const key = `${row.provider}/${row.host_id}`;
      const trend = trends.get(key) ?? {
        provider: str(row.provider) as ProviderId,
        hostId: str(row.host_id),
        name: str(row.name),
        points: [],
      };
      trend.name = str(row.name);
      trend.points.push({
        runId: str(row.run_id),
        startedAtMs: num(row.started_at_ms),
        instanceType: str(row.instance_type),
        priceUsdPerHour: numOrNull(row.price_usd_per_hour),
        cpuP95Pct: numOrNull(row.cpu_p95_pct),
        cpuP99_5Pct: numOrNull(row.cpu_p99_5_pct),
        memoryPeakPct: numOrNull(row.memory_peak_pct),
      });
      trends.set(key, trend);
    }
    return [...trends.values()];
  }

  async findingTrend(findingId: string): Promise<FindingTrend | null> {
    const rows = await this.read((session) =>
      session.query(
        `SELECT f.*, r.started_at_ms FROM findings f JOIN runs r ON r.run_id = f.run_id
         WHERE f.finding_id = $1 AND f.status <> 'unseen' ORDER BY r.started_at_ms, r.run_id`,
        [findingId],
      ),
    );
    const last = rows.at(-1);
    if (!last) return null;
    return {
      findingId,
      ruleId: str(last.rule_id),
      subjectId: str(last.subject_id),
      subjectName: strOrNull(last.subject_name),
      points: rows.map((row) => ({
        runId: str(row.run_id),
        startedAtMs: num(row.started_at_ms),
        severity: str(row.severity) as Severity,
        value: numOrNull(row.headline_value),
        unit: strOrNull(row.headline_unit) as FindingTrend['points'][number]['unit'],
        label: strOrNull(row.headline_label),
      })),
    };
  }

  async prune(keepMs: number, nowMs: number): Promise<{ runsDeleted: number }> {
    const cutoffMs = nowMs - keepMs;
    const runsDeleted = await this.read(async (session) => {
      const rows = await session.query('SELECT count(*) AS n FROM runs WHERE started_at_ms < $1', [cutoffMs]);
      const count = num(rows[0]?.n ?? 0);
      if (count > 0) await this.deleteRuns(session, 'started_at_ms < $1', [cutoffMs]);
      // A sharded run's artifacts go with the same --keep: they are the store's largest rows.
      for (const table of ['shard_files', 'run_shards'])
        await session.query(
          `DELETE FROM ${table} WHERE run_id IN (SELECT run_id FROM sharded_runs WHERE created_at_ms < $1)`,
          [cutoffMs],
        );
      await session.query('DELETE FROM sharded_runs WHERE created_at_ms < $1', [cutoffMs]);
      return count;
    });
    if (runsDeleted > 0) await this.driver.reclaim();
    return { runsDeleted };
  }

  async close(): Promise<void> {
    await this.driver.close();
  }

  /** Deletes every row of the runs matching `where` (a condition on `runs`), children first. */
  private async deleteRuns(session: SqlSession, where: string, params: (string | number)[]): Promise<void> {
    for (const table of RUN_TABLES) {
      const condition = table === 'runs' ? where : `run_id IN (SELECT run_id FROM runs WHERE ${where})`;
      await session.query(`DELETE FROM ${table} WHERE ${condition}`, params);
    }
  }

  private async previousIn(session: SqlSession, run: RunRecord): Promise<RunRecord | null> {
    const scopes = scopesOf(run);
    const before = '(r.started_at_ms < $1 OR (r.started_at_ms = $1 AND r.run_id < $2))';
    const sameLine =
      scopes.length > 0
        ? `EXISTS (SELECT 1 FROM run_scopes s WHERE s.run_id = r.run_id AND s.provider || '/' || s.scope IN (${placeholders(scopes.length, 3)}))`
        : 'NOT EXISTS (SELECT 1 FROM run_scopes s WHERE s.run_id = r.run_id)';
    const rows = await session.query(
      `SELECT r.run_id FROM runs r WHERE r.run_id <> $2 AND ${before} AND ${sameLine}
       ORDER BY r.started_at_ms DESC, r.run_id DESC LIMIT 1`,
      [run.startedAtMs, run.runId, ...scopes],
    );
    const id = rows[0]?.run_id;
    return id === undefined || id === null ? null : this.loadRun(session, str(id));
  }

  private async loadRun(session: SqlSession, runId: string): Promise<RunRecord | null> {
    const [row] = await session.query('SELECT * FROM runs WHERE run_id = $1', [runId]);
    if (!row) return null;
    const where = 'WHERE run_id = $1';
    const coverageRows = await session.query(`SELECT * FROM run_coverage ${where} ORDER BY provider`, [
      runId,
    ]);
    const scopeRows = await session.query(`SELECT * FROM run_scopes ${where}`, [runId]);
    const hostRows = await session.query(`SELECT * FROM hosts ${where} ORDER BY provider, host_id`, [runId]);
    const findingRows = await session.query(`SELECT * FROM findings ${where}`, [runId]);
    const recRows = await session.query(`SELECT * FROM recommendations ${where}`, [runId]);
    const gapRows = await session.query(`SELECT * FROM gaps ${where} ORDER BY seq`, [runId]);
    const coverage: RunRecord['coverage'] = {};
    for (const c of coverageRows) {
      const provider = str(c.provider) as ProviderId;
      const own = scopeRows.filter((s) => s.provider === provider);
      coverage[provider] = {
        scopes: own.map((s) => str(s.scope)),
        failedScopes: own
          .filter((s) => s.failed === true)
          .map((s) => ({ scope: str(s.scope), reason: str(s.reason) })),
        hostsListed: num(c.hosts_listed),
        seriesExpected: num(c.series_expected),
        seriesReceived: num(c.series_received),
        hostsJudged: num(c.hosts_judged),
        judgedShare: numOrNull(c.judged_share),
        complete: c.complete === true,
      } satisfies CoverageRecord;
    }
    const summary = runSummaryOf(row);
    return {
      runId,
      startedAtMs: num(row.started_at_ms),
      finishedAtMs: num(row.finished_at_ms),
      mode: summary.mode,
      toolVersion: str(row.tool_version),
      window: { fromMs: num(row.window_from_ms), toMs: num(row.window_to_ms), stepSec: num(row.step_sec) },
      providers: summary.providers,
      complete: summary.complete,
      eventMultiplier: numOrNull(row.event_multiplier),
      coverage,
      settings: parse<RunSettings>(row.settings),
      rules: parse<RuleOutcome[]>(row.rules),
      summary: {
        hosts: summary.hosts,
        findingsBySeverity: summary.findingsBySeverity,
        recommendations: num(row.recommendations),
        monthlyCostDeltaUsd: summary.monthlyCostDeltaUsd,
        recommendationsWithUnknownCost: summary.recommendationsWithUnknownCost,
        gaps: summary.gaps,
      },
      hosts: hostRows.map(hostOf),
      findings: findingRows.map(findingOf).sort(byFindingOrder),
      recommendations: recRows.map(recommendationOf).sort((a, b) => a.id.localeCompare(b.id)),
      gaps: gapRows.map(gapOf),
    };
  }

  private async insertRun(session: SqlSession, run: RunRecord): Promise<void> {
    const s = run.summary;
    await insertRows(
      session,
      'runs',
      [
        'run_id',
        'started_at_ms',
        'finished_at_ms',
        'recorded_at_ms',
        'mode',
        'tool_version',
        'window_from_ms',
        'window_to_ms',
        'step_sec',
        'providers',
        'complete',
        'event_multiplier',
        'hosts',
        'findings_info',
        'findings_low',
        'findings_medium',
        'findings_high',
        'findings_critical',
        'recommendations',
        'monthly_cost_delta_usd',
        'recommendations_with_unknown_cost',
        'gaps',
        'settings',
        'rules',
      ],
      [
        [
          run.runId,
          run.startedAtMs,
          run.finishedAtMs,
          this.clock.now(),
          run.mode,
          run.toolVersion,
          run.window.fromMs,
          run.window.toMs,
          run.window.stepSec,
          json(run.providers),
          run.complete,
          run.eventMultiplier,
          s.hosts,
          ...SEVERITIES.map((severity) => s.findingsBySeverity[severity] ?? 0),
          s.recommendations,
          s.monthlyCostDeltaUsd,
          s.recommendationsWithUnknownCost,
          s.gaps,
          json(run.settings),
          json(run.rules),
        ],
      ],
    );
    const clouds = Object.entries(run.coverage).filter(
      (entry): entry is [string, CoverageRecord] => entry[1] !== undefined,
    );
    await insertRows(
      session,
      'run_coverage',
      [
        'run_id',
        'provider',
        'hosts_listed',
        'series_expected',
        'series_received',
        'hosts_judged',
        'judged_share',
        'complete',
      ],
      clouds.map(([provider, c]) => [
        run.runId,
        provider,
        c.hostsListed,
        c.seriesExpected,
        c.seriesReceived,
        c.hostsJudged,
        c.judgedShare,
        c.complete,
      ]),
    );
    await insertRows(
      session,
      'run_scopes',
      ['run_id', 'provider', 'scope', 'failed', 'reason'],
      clouds.flatMap(([provider, c]) => {
        const failed = new Map(c.failedScopes.map((f) => [f.scope, f.reason]));
        const all = [...new Set([...c.scopes, ...failed.keys()])];
        return all.map((scope) => [run.runId, provider, scope, failed.has(scope), failed.get(scope) ?? null]);
      }),
    );
    await insertRows(
      session,
      'hosts',
      [
        'run_id',
        'provider',
        'host_id',
        'name',
        'region',
        'zone',
        'instance_type',
        'state',
        'vcpu',
        'memory_mib',
        'price_usd_per_hour',
        'cpu_p95_pct',
        'cpu_p99_5_pct',
        'memory_peak_pct',
        'group_id',
        'scope_keys',
      ],
      run.hosts.map((h) => [
        run.runId,
        h.provider,
        h.hostId,
        h.name,
        h.region,
        h.zone,
        h.instanceType,
        h.state,
        h.vcpu,
        h.memoryMiB,
        h.priceUsdPerHour,
        h.cpuP95Pct,
        h.cpuP99_5Pct,
        h.memoryPeakPct,
        h.groupId,
        json(h.scopeKeys),
      ]),
    );
    await insertRows(
      session,
      'findings',
      [
        'run_id',
        'finding_id',
        'rule_id',
        'message_id',
        'severity',
        'category',
        'subject_provider',
        'subject_kind',
        'subject_id',
        'subject_name',
        'title',
        'message',
        'headline_label',
        'headline_value',
        'headline_unit',
        'scope_keys',
        'status',
        'first_seen_ms',
        'run_count',
        'previous_id',
        'details',
      ],
      run.findings.map((f) => [
        run.runId,
        f.id,
        f.ruleId,
        f.messageId,
        f.severity,
        f.category,
        ...subjectColumns(f.subject),
        f.title,
        f.message,
        f.headline?.label ?? null,
        f.headline?.value ?? null,
        f.headline?.unit ?? null,
        json(f.scopeKeys),
        f.status,
        f.firstSeenMs,
        f.runCount,
        f.previousId,
        json({
          rationale: f.rationale,
          remediation: f.remediation,
          sources: f.sources,
          recommendationIds: f.recommendationIds,
        }),
      ]),
    );
    await insertRows(
      session,
      'recommendations',
      [
        'run_id',
        'recommendation_id',
        'finding_id',
        'kind',
        'subject_provider',
        'subject_kind',
        'subject_id',
        'subject_name',
        'current_value',
        'recommended',
        'monthly_cost_delta_usd',
        'risk',
        'superseded_by',
      ],
      run.recommendations.map((r) => [
        run.runId,
        r.id,
        r.findingId,
        r.kind,
        ...subjectColumns(r.subject),
        r.current,
        r.recommended,
        r.monthlyCostDeltaUsd,
        r.risk,
        r.supersededBy,
      ]),
    );
    await insertRows(
      session,
      'gaps',
      ['run_id', 'seq', 'provider', 'what', 'kind', 'message', 'details'],
      run.gaps.map((gap, seq) => {
        const { provider, what, kind, message, ...details } = gap;
        return [run.runId, seq, provider, what, kind, message, json(details)];
      }),
    );
  }
}

function runSummaryOf(row: Row): Omit<RunSummary, 'coverage'> {
  return {
    runId: str(row.run_id),
    startedAtMs: num(row.started_at_ms),
    mode: str(row.mode) as RunSummary['mode'],
    providers: parse<ProviderId[]>(row.providers),
    complete: row.complete === true,
    hosts: num(row.hosts),
    findingsBySeverity: Object.fromEntries(
      SEVERITIES.map((severity) => [severity, num(row[`findings_${severity}`])]),
    ) as Record<Severity, number>,
    monthlyCostDeltaUsd: num(row.monthly_cost_delta_usd),
    recommendationsWithUnknownCost: num(row.recommendations_with_unknown_cost),
    gaps: num(row.gaps),
  };
}

/** A listing line for a run already loaded. */
export function summaryOf(run: RunRecord): RunSummary {
  const coverage: RunSummary['coverage'] = {};
  for (const [provider, c] of Object.entries(run.coverage)) {
    if (!c) continue;
    coverage[provider as ProviderId] = {
      hostsListed: c.hostsListed,
      hostsJudged: c.hostsJudged,
      judgedShare: c.judgedShare,
      failedScopes: c.failedScopes.map((f) => f.scope).sort(),
    };
  }
  return {
    runId: run.runId,
    startedAtMs: run.startedAtMs,
    mode: run.mode,
    providers: run.providers,
    complete: run.complete,
    hosts: run.summary.hosts,
    findingsBySeverity: run.summary.findingsBySeverity,
    monthlyCostDeltaUsd: run.summary.monthlyCostDeltaUsd,
    recommendationsWithUnknownCost: run.summary.recommendationsWithUnknownCost,
    gaps: run.summary.gaps,
    coverage,
  };
}

function hostOf(row: Row): HostRecord {
  return {
    provider: str(row.provider) as ProviderId,
    hostId: str(row.host_id),
    name: str(row.name),
    region: str(row.region),
    zone: strOrNull(row.zone),
    instanceType: str(row.instance_type),
    state: str(row.state),
    vcpu: numOrNull(row.vcpu),
    memoryMiB: numOrNull(row.memory_mib),
    priceUsdPerHour: numOrNull(row.price_usd_per_hour),
    cpuP95Pct: numOrNull(row.cpu_p95_pct),
    cpuP99_5Pct: numOrNull(row.cpu_p99_5_pct),
    memoryPeakPct: numOrNull(row.memory_peak_pct),
    groupId: strOrNull(row.group_id),
    scopeKeys: parse<string[]>(row.scope_keys),
  };
}

function findingOf(row: Row): FindingRecord {
  const details = parse<Pick<FindingRecord, 'rationale' | 'remediation' | 'sources' | 'recommendationIds'>>(
    row.details,
  );
  const value = numOrNull(row.headline_value);
  return {
    id: str(row.finding_id),
    ruleId: str(row.rule_id),
    messageId: str(row.message_id),
    severity: str(row.severity) as Severity,
    category: str(row.category) as FindingRecord['category'],
    subject: subjectOf(row),
    title: str(row.title),
    message: str(row.message),
    headline:
      value === null
        ? null
        : {
            label: str(row.headline_label),
            value,
            unit: str(row.headline_unit) as NonNullable<FindingRecord['headline']>['unit'],
          },
    scopeKeys: parse<string[]>(row.scope_keys),
    status: str(row.status) as FindingRecord['status'],
    firstSeenMs: num(row.first_seen_ms),
    runCount: num(row.run_count),
    previousId: strOrNull(row.previous_id),
    ...details,
  };
}

/** Seen findings first, then by id: a loaded run reads the same whichever engine stored it. */
function byFindingOrder(a: FindingRecord, b: FindingRecord): number {
  const unseen = Number(a.status === 'unseen') - Number(b.status === 'unseen');
  return unseen !== 0 ? unseen : a.id.localeCompare(b.id);
}

function recommendationOf(row: Row): RecommendationRecord {
  return {
    id: str(row.recommendation_id),
    findingId: str(row.finding_id),
    kind: str(row.kind) as RecommendationRecord['kind'],
    subject: subjectOf(row),
    current: str(row.current_value),
    recommended: str(row.recommended),
    monthlyCostDeltaUsd: numOrNull(row.monthly_cost_delta_usd),
    risk: num(row.risk),
    supersededBy: strOrNull(row.superseded_by),
  };
}

function gapOf(row: Row): Gap {
  return {
    provider: str(row.provider) as Gap['provider'],
    what: str(row.what),
    kind: str(row.kind) as Gap['kind'],
    message: str(row.message),
    ...parse<Partial<Gap>>(row.details),
  };
}

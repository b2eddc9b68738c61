// Judging a fleet one unit at a time, so memory holds one unit's series plus the fleet's summaries,
// never the fleet's points. A unit is a group with its members, or one host outside a group, each
// with its volumes and on-host folders; what belongs to no host (a volume attached to nothing, an
// unmapped on-host folder) is judged last, as one unit.
//
// How to feed it (the in-memory audit passes an index; an artifact reader passes files):
//
//   const judged = await judgeFleet({
//     rules, settings,
//     facts,                      // Facts without `series`: inventory, catalog, on-host, sizing, window
//     hasMetrics: true,           // whether any series was collected (rules that require metrics)
//     series: seriesFromMemory(list),   // or seriesFromArtifacts(opened): a UnitSeriesSource
//     event: { project: ... },    // optional: the pre-event review, per unit too
//   });
//
// The source is handed the units and yields each unit's series once, in whatever order it can read
// them (a file is read front to back; a unit is ready when its last series has come by), and the
// engine drops them once the unit is judged. Findings, rule runs, the event review and per-host
// summaries come back in the units' order, as if the whole fleet had been judged at once.
import type {
  EventReview,
  EventUnit,
  Finding,
  Group,
  Host,
  MetricName,
  MetricSeries,
  Recommendation,
  Volume,
} from '../model/index.ts';
import { resolveOneActionPerSubject } from '../recommend/one-action.ts';
import type { Rule } from './define-rule.ts';
import {
  checkRule,
  type EngineResult,
  preflight,
  type RuleOutcome,
  type RuleReason,
  type RuleSettings,
  ruleRun,
  validateRuleSettings,
} from './engine.ts';
import { type Facts, indexSeries, type OnHostEntry } from './facts.ts';
import { type Summary, summarize } from './stats.ts';

/** One slice of the fleet judged together: a group and its members, or a host on its own. */
export interface FleetUnit {
  hosts: Host[];
  volumes: Volume[];
  groups: Group[];
  onHost: OnHostEntry[];
  /** Every subject whose series the unit needs: its hosts, volumes and group. */
  subjectIds: string[];
}

/** A unit's series, `unit` being its index in the units handed to the source. */
export interface UnitSeries {
  unit: number;
  series: MetricSeries[];
}

/**
 * Yields every unit's series exactly once (a unit with none as an empty list), in any order; a unit
 * the source never yields is judged with no series.
 */
export type UnitSeriesSource = (units: readonly FleetUnit[]) => AsyncIterable<UnitSeries>;

export interface JudgeFleetInput {
  rules: readonly Rule[];
  settings?: RuleSettings;
  facts: Omit<Facts, 'series'>;
  /** Whether the run has any series at all (a rule requiring `metrics` is skipped without). */
  hasMetrics: boolean;
  series: UnitSeriesSource;
  /** The pre-event review, judged per unit as well (src/event/project.ts). */
  event?: { project: (facts: Facts) => EventReview };
  /** Metrics summarised per host for the report's host table (p50, p95, p99.5, max, points). */
  summaryMetrics?: readonly MetricName[];
  onUnit?: (done: number, total: number) => void;
}

export interface HostSummary extends Summary {
  metric: MetricName;
  unit: MetricSeries['unit'];
}

export interface FleetJudgement extends EngineResult {
  event: EventReview | null;
  /** Per host id, its summaries of `summaryMetrics`, in that order. */
  hostSummaries: Map<string, HostSummary[]>;
}

export async function judgeFleet(input: JudgeFleetInput): Promise<FleetJudgement> {
  const { rules, facts } = input;
  const options = validateRuleSettings(rules, input.settings ?? { byId: {} });
  const has = (key: 'inventory' | 'metrics' | 'catalog' | 'onhost') =>
    key === 'inventory'
      ? facts.hosts.length > 0
      : key === 'metrics'
        ? input.hasMetrics
        : key === 'catalog'
          ? facts.catalog.size > 0
          : facts.onHost.length > 0;
  const settled = rules.map((rule) => preflight(rule, options, has, facts.unavailable));
  const perRule: RuleOutcome[][] = rules.map(() => []);
  const durationsMs = rules.map(() => 0);
  // Per unit, by the unit's index: a source may hand units in any order.
  const eventUnits: EventUnit[][] = [];
  let eventHead: Omit<EventReview, 'units'> | null = null;
  const hostSummaries = new Map<string, HostSummary[]>();

  const units = fleetUnits(facts);
  const judgedUnits = new Set<number>();
  const judge = (index: number, series: readonly MetricSeries[]) => {
    if (judgedUnits.has(index) || units[index] === undefined) {
      throw new Error(`unit ${index} of ${units.length} handed twice or out of range`);
    }
    judgedUnits.add(index);
    const unit = units[index]!;
    const unitFacts: Facts = { ...facts, ...unit, series: indexSeries(series) };
    rules.forEach((rule, r) => {
      if (settled[r]) return;
      const started = performance.now();
      perRule[r]![index] = checkRule(rule, unitFacts, options);
      durationsMs[r]! += performance.now() - started;
    });
    if (input.event) {
      const { units: reviewed, ...head } = input.event.project(unitFacts);
      eventHead = head;
      eventUnits[index] = reviewed;
    }
    for (const host of unit.hosts)
      hostSummaries.set(host.id, summariesOf(unitFacts, host.id, input.summaryMetrics));
    input.onUnit?.(judgedUnits.size, units.length);
  };
  for await (const { unit, series } of input.series(units)) judge(unit, series);
  for (const index of units.keys()) if (!judgedUnits.has(index)) judge(index, []);
  const eventGroups: EventUnit[] = [];
  const eventHosts: EventUnit[] = [];
  for (const reviewed of eventUnits)
    for (const u of reviewed ?? []) (u.subject.kind === 'group' ? eventGroups : eventHosts).push(u);

  const findings: Finding[] = [];
  const recommendations: Recommendation[] = [];
  const runs = rules.map((rule, r) => {
    const outcome = settled[r] ?? mergeOutcomes(perRule[r]!.filter((o) => o !== undefined));
    findings.push(...outcome.findings);
    recommendations.push(...outcome.recommendations);
    return { ...ruleRun(rule, outcome), durationMs: Math.round(durationsMs[r]! * 100) / 100 };
  });
  const event = input.event
    ? {
        ...(eventHead ?? input.event.project({ ...facts, series: indexSeries([]) })),
        units: [...eventGroups, ...eventHosts],
      }
    : null;
  return {
    findings,
    recommendations: resolveOneActionPerSubject(findings, recommendations, facts.volumes),
    runs,
    event,
    hostSummaries,
  };
}

/**
 * A rule's outcomes over every unit as one. A reason about a subject always stays; a reason about
 * no subject ("no burstable instances in this fleet") is a statement about the fleet, kept only
 * when every unit said it.
 */
export function mergeOutcomes(outcomes: readonly RuleOutcome[]): RuleOutcome {
  const key = (r: RuleReason) => `${r.kind}\u0000${r.reason}`;
  // How many outcomes said each statement about no subject, each outcome counted once: linear in
  // the units, not a search of every unit per statement (quadratic at 10,000 hosts).
  const saidBy = new Map<string, number>();
  for (const outcome of outcomes) {
    const said = new Set(outcome.reasons.filter((r) => r.subject === null).map(key));
    for (const k of said) saidBy.set(k, (saidBy.get(k) ?? 0) + 1);
  }
  const reasons: RuleReason[] = [];
  const seen = new Set<string>();
  for (const outcome of outcomes) {
    for (const r of outcome.reasons) {
      if (r.subject !== null) {
        reasons.push(r);
        continue;
      }
      const everywhere = r.kind === 'error' || saidBy.get(key(r)) === outcomes.length;
      if (everywhere && !seen.has(key(r))) {
        seen.add(key(r));
        reasons.push(r);
      }
    }
  }
  return {
    findings: outcomes.flatMap((o) => o.findings),
    recommendations: outcomes.flatMap((o) => o.recommendations),
    reasons,
  };
}

/** The fleet cut into units: each group with its members, each host outside a group, then the rest. */
export function fleetUnits(facts: Pick<Facts, 'hosts' | 'volumes' | 'groups' | 'onHost'>): FleetUnit[] {
  const unitOfHost = new Map<string, FleetUnit>();
  const units: FleetUnit[] = [];
  const groupIds = new Set(facts.groups.map((g) => g.id));
  for (const group of facts.groups) {
    const unit: FleetUnit = { hosts: [], volumes: [], groups: [group], onHost: [], subjectIds: [group.id] };
    units.push(unit);
    for (const host of facts.hosts) if (host.groupId === group.id) unitOfHost.set(host.id, unit);
  }
  for (const host of facts.hosts) {
    if (host.groupId !== null && groupIds.has(host.groupId)) continue;
    const unit: FleetUnit = { hosts: [], volumes: [], groups: [], onHost: [], subjectIds: [] };
    units.push(unit);
    unitOfHost.set(host.id, unit);
  }
  // Hosts keep the inventory's order within their unit.
  for (const host of facts.hosts) {
    const unit = unitOfHost.get(host.id)!;
    unit.hosts.push(host);
    unit.subjectIds.push(host.id);
  }
  const rest: FleetUnit = { hosts: [], volumes: [], groups: [], onHost: [], subjectIds: [] };
  for (const volume of facts.volumes) {
    const owner = volume.attachedTo.map((a) => unitOfHost.get(a.hostId)).find((u) => u !== undefined) ?? rest;
    owner.volumes.push(volume);
    // NOTE: a volume attached to hosts of two units (multi-attach) is judged once, with the first.
    owner.subjectIds.push(volume.id);
  }
  for (const entry of facts.onHost)
    (entry.host ? (unitOfHost.get(entry.host.id) ?? rest) : rest).onHost.push(entry);
  return [
    ...units.filter((u) => u.hosts.length + u.groups.length > 0),
    ...(rest.volumes.length + rest.onHost.length > 0 ? [rest] : []),
  ];
}

function summariesOf(facts: Facts, hostId: string, metrics: readonly MetricName[] = []): HostSummary[] {
  return metrics.flatMap((metric) => {
    const series = facts.series.get(hostId, metric);
    return series ? [{ metric, unit: series.unit, ...summarize(series.values) }] : [];
  });
}

/** A source over series already in memory (a live collection, or artifacts.json read whole). */
export function seriesFromMemory(series: readonly MetricSeries[]): UnitSeriesSource {
  const bySubject = new Map<string, MetricSeries[]>();
  for (const s of series) {
    const list = bySubject.get(s.subjectId) ?? [];
    list.push(s);
    bySubject.set(s.subjectId, list);
  }
  return async function* (units) {
    for (const [unit, { subjectIds }] of units.entries())
      yield { unit, series: subjectIds.flatMap((id) => bySubject.get(id) ?? []) };
  };
}

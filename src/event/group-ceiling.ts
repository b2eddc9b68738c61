// A group's ceiling: the members needed at N times today's peak against the group's max (ASG
// MaxSize, MIG autoscaler max). Where the group's policy scales on CPU, members are counted at the
// policy's own target (what the autoscaler acts on); otherwise each member's load is its busiest
// instance ceiling (CPU, network, EBS) against the sizing limits, and the source says so. The
// scale-out time comes from the group's own history (desired capacity rising, members catching up).
import { type Facts, isRunning } from '../analysis/facts.ts';
import type { EventCheck, Group } from '../model/index.ts';
import { pointsFromColumns } from '../model/series-columns.ts';
import { judged, roundTo, unknownCeiling } from './check.ts';
import { peakOf } from './cloud-ceilings.ts';

export interface MemberLoad {
  hostId: string;
  /** The member's busiest instance ceiling as a share of its limit (1 = at the limit). */
  share: number;
  kind: string;
}

/** A member's share of its own capacity: the largest today ÷ limit of its judged instance checks. */
export function memberLoad(hostId: string, checks: readonly EventCheck[]): MemberLoad | null {
  let best: MemberLoad | null = null;
  for (const c of checks) {
    if (c.status === 'unknown' || c.today === null || c.limit === null || c.limit <= 0) continue;
    if (!['cpu', 'network', 'ebs-bandwidth', 'memory'].includes(c.kind)) continue;
    const share = c.today / c.limit;
    if (!best || share > best.share) best = { hostId, share, kind: c.label };
  }
  return best;
}

export function groupMaxCheck(
  facts: Facts,
  group: Group,
  loads: readonly MemberLoad[],
  n: number,
): EventCheck {
  const byPolicy = policyTargetCheck(facts, group, n);
  if (byPolicy) return byPolicy;
  if (loads.length === 0)
    return unknownCeiling(
      'group-max',
      'members against the group max',
      'instances',
      'no member has CPU or network data',
    );
  // In members' worth of capacity: three members at 40 % of their ceiling carry 1.2 members of work.
  const today = loads.reduce((sum, l) => sum + l.share, 0);
  const kinds = [...new Set(loads.map((l) => l.kind))].join(', ');
  return wholeMembers(
    judged(
      {
        kind: 'group-max',
        label: 'members needed against the group max',
        today,
        limit: group.maxSize,
        unit: 'instances',
        source: `Σ of each member's busiest ceiling share (${loads.map((l) => `${l.hostId} ${roundTo(l.share)}`).join(' + ')}; by ${kinds}); max ${group.maxSize} (${maxName(group)}), ${group.desiredCapacity} running; ${withoutPolicy(group)}`,
        note: scaleOutNote(facts, group),
      },
      n,
    ),
  );
}

/** Members come whole: the demand is a count. */
function wholeMembers(check: EventCheck): EventCheck {
  return { ...check, demand: check.demand === null ? null : Math.max(1, Math.ceil(check.demand)) };
}

function maxName(group: Group): string {
  return group.provider === 'aws' ? 'ASG MaxSize' : 'autoscaler max';
}

/** Why the members were counted against the sizing limits rather than the group's own policy. */
function withoutPolicy(group: Group): string {
  const signals = group.scaling?.signals ?? [];
  if (!group.scaling)
    return "no scaling policy known: each member's sizing limit stands in for the policy's target";
  if (signals.length === 0)
    return "the group has no scaling policy: each member's sizing limit stands in for a target";
  const listed = signals
    .map((s) => `${s.metric}${s.target === null ? '' : ` ${roundTo(s.target)}`}`)
    .join(', ');
  return `the policy scales on ${listed}, a metric not collected here: each member's sizing limit stands in for its target`;
}

/**
 * With a CPU policy, the group holds its members' average CPU at the policy's target (target
 * tracking), or adds members above it (a step alarm): at ×N it needs Σ member CPU × N ÷ target
 * members, a stricter count than the sizing limit's (a 50 % target needs two members where the
 * 83 % sizing limit needs 1.2). The target, not the sizing limit, is what the autoscaler acts on.
 */
function policyTargetCheck(facts: Facts, group: Group, n: number): EventCheck | undefined {
  const signal = group.scaling?.signals.find((s) => s.kind === 'cpu' && s.target !== null && s.target > 0);
  if (!signal) return undefined;
  const members = facts.hosts.filter((h) => h.groupId === group.id && isRunning(h));
  const peaks = members.flatMap((m) => {
    const peak = peakOf(facts, m.id, 'cpu.util');
    return peak === undefined ? [] : [{ id: m.id, peak }];
  });
  if (peaks.length === 0) return undefined;
  const target = signal.target!;
  const max = group.scaling!.max;
  const pct = `P${facts.sizing.cpuPercentile}`;
  return wholeMembers(
    judged(
      {
        kind: 'group-max',
        label: `members needed at the policy's ${roundTo(target)} % CPU target against the group max`,
        today: peaks.reduce((sum, p) => sum + p.peak, 0) / target,
        limit: max,
        unit: 'instances',
        source: `policy target: ${signal.metric} ${roundTo(target)} % (${signal.policy}); Σ of each member's CPU ${pct} (${peaks.map((p) => `${p.id} ${roundTo(p.peak)} %`).join(' + ')}) ÷ ${roundTo(target)} %; max ${max} (${maxName(group)}), ${group.desiredCapacity} running`,
        note: scaleOutNote(facts, group),
      },
      n,
    ),
  );
}

/** How long the group took to bring new members into service, from its history; unknown without a step. */
export function scaleOutNote(facts: Facts, group: Group): string {
  const desiredSeries = facts.series.get(group.id, 'group.desired');
  const inServiceSeries = facts.series.get(group.id, 'group.in-service');
  const desired = desiredSeries ? pointsFromColumns(desiredSeries) : [];
  const inService = inServiceSeries ? pointsFromColumns(inServiceSeries) : [];
  const waitsSec: number[] = [];
  for (let i = 1; i < desired.length; i += 1) {
    const [t, want] = desired[i]!;
    if (want <= desired[i - 1]![1]) continue;
    const served = inService.find(([ts, v]) => ts >= t && v >= want);
    if (served) waitsSec.push((served[0] - t) / 1000);
  }
  if (waitsSec.length === 0)
    return 'no scale-out in the window: how long one takes is unknown; scale out before the event';
  const longest = Math.max(...waitsSec);
  return `scale-out took up to ${Math.round(longest / 60)} min (${waitsSec.length} steps in the window): a surge faster than that queues`;
}

// A group's ceiling: the members needed at N times today's peak against the group's max (ASG
// MaxSize, MIG autoscaler max). Each member's load is its busiest instance ceiling (CPU, network,
// EBS), so scaling out relieves them all until the max; the scale-out time comes from the
// group's own history (desired capacity rising, in-service members catching up).
import type { Facts } from '../analysis/facts.ts';
import type { EventCheck, Group } from '../model/index.ts';
import { pointsFromColumns } from '../model/series-columns.ts';
import { judged, roundTo, unknownCeiling } from './check.ts';

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
  const check = judged(
    {
      kind: 'group-max',
      label: 'members needed against the group max',
      today,
      limit: group.maxSize,
      unit: 'instances',
      source: `Σ of each member's busiest ceiling share (${loads.map((l) => `${l.hostId} ${roundTo(l.share)}`).join(' + ')}; by ${kinds}); max ${group.maxSize} (${group.provider === 'aws' ? 'ASG MaxSize' : 'autoscaler max'}), ${group.desiredCapacity} running`,
      note: scaleOutNote(facts, group),
    },
    n,
  );
  // Members come whole: the demand is a count.
  return { ...check, demand: check.demand === null ? null : Math.max(1, Math.ceil(check.demand)) };
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

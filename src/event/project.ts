// The pre-event review: per group and per running host outside a group, today's peaks × the event
// multiplier against every ceiling (cloud-ceilings, onhost-ceilings, group-ceiling), the first one
// hit, the multiplier it is hit at, the change that moves it and its cost. Pure: facts in, review out.
import { type Facts, groupSubject, hostSubject, isRunning, type OnHostEntry } from '../analysis/facts.ts';
import type {
  EventCheck,
  EventReview,
  EventUnit,
  EventVerdict,
  Group,
  Host,
  Subject,
} from '../model/index.ts';
import { changeFor } from './changes.ts';
import { AT_RISK_MARGIN } from './check.ts';
import { cpuCheck, ebsChecks, memoryCheck, networkCheck, volumeChecks } from './cloud-ceilings.ts';
import { groupMaxCheck, memberLoad } from './group-ceiling.ts';
import { onHostChecks } from './onhost-ceilings.ts';

export interface EventOptions {
  /** null: no event given; units are judged at ×1 and still get their breaksAt. */
  multiplier: number | null;
  name?: string;
  date?: string;
  /** Multipliers for the units that take more (or less) of the surge, by group or host id or name. */
  units?: Readonly<Record<string, number>>;
}

export function projectEvent(facts: Facts, options: EventOptions): EventReview {
  const base = options.multiplier ?? 1;
  const multiplierOf = (subject: Subject) =>
    options.units?.[subject.id] ?? (subject.name ? options.units?.[subject.name] : undefined) ?? base;
  const onHostOf = (host: Host) => facts.onHost.find((e) => e.host?.id === host.id);
  const units: EventUnit[] = [];
  for (const group of facts.groups) {
    const subject = groupSubject(group);
    units.push(groupUnit(facts, group, subject, multiplierOf(subject), onHostOf));
  }
  for (const host of facts.hosts) {
    if (host.groupId !== null && facts.groups.some((g) => g.id === host.groupId)) continue;
    // A stopped host serves nothing during the event; starting it is a separate decision.
    if (!isRunning(host)) continue;
    const subject = hostSubject(host);
    const n = multiplierOf(subject);
    units.push(finishUnit(facts, subject, n, hostChecks(facts, host, onHostOf(host), n), { host }));
  }
  return {
    multiplier: options.multiplier,
    ...(options.name ? { name: options.name } : {}),
    ...(options.date ? { date: options.date } : {}),
    units,
  };
}

/** Every ceiling of one host: instance, EBS, volumes, then kernel and runtime. */
export function hostChecks(
  facts: Facts,
  host: Host,
  entry: OnHostEntry | undefined,
  n: number,
): EventCheck[] {
  const type = facts.catalog.get(host.instanceType);
  return [
    cpuCheck(facts, host, type, n),
    memoryCheck(facts, host, n),
    networkCheck(facts, host, type, n),
    ...ebsChecks(facts, host, type, n),
    ...volumeChecks(facts, host, n),
    ...onHostChecks(entry, n),
  ];
}

function groupUnit(
  facts: Facts,
  group: Group,
  subject: Subject,
  n: number,
  onHostOf: (host: Host) => OnHostEntry | undefined,
): EventUnit {
  const members = facts.hosts.filter((h) => h.groupId === group.id && isRunning(h));
  const loads = members.flatMap((m) => {
    const load = memberLoad(m.id, hostChecks(facts, m, undefined, n));
    return load ? [load] : [];
  });
  // Kernel and runtime ceilings are per member; before the scale-out lands each member takes the
  // whole multiplier, so a sampled member is judged at N (conservative).
  const sampled = members.map((m) => onHostOf(m)).find((e) => e !== undefined);
  const checks = [
    groupMaxCheck(facts, group, loads, n),
    ...onHostChecks(sampled, n, 'no member has on-host samples'),
  ];
  return finishUnit(facts, subject, n, checks, { group });
}

function finishUnit(
  facts: Facts,
  subject: Subject,
  n: number,
  checks: EventCheck[],
  owner: { host?: Host; group?: Group },
): EventUnit {
  const judgedChecks = checks.filter((c) => c.status !== 'unknown');
  const first = judgedChecks.filter((c) => c.breaksAt !== null).sort((a, b) => a.breaksAt! - b.breaksAt!)[0];
  const breaksAt = first?.breaksAt ?? null;
  const verdict: EventVerdict =
    judgedChecks.length === 0
      ? 'unknown'
      : breaksAt !== null && breaksAt < n
        ? 'no-go'
        : breaksAt !== null && breaksAt < n * AT_RISK_MARGIN
          ? 'at-risk'
          : 'go';
  const change =
    first && (verdict === 'no-go' || verdict === 'at-risk')
      ? changeFor({ facts, multiplier: n, check: first, checks, ...owner })
      : null;
  return {
    subject,
    multiplier: n,
    verdict,
    firstCeiling: first ?? null,
    breaksAt,
    change: change?.change ?? null,
    monthlyCostDeltaUsd: change ? change.monthlyCostDeltaUsd : null,
    checks,
  };
}

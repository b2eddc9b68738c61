// group-max against the group's own scaling policy (issue 11, scaling point 4): members needed at
// ×N at the policy's CPU target where the policy is known; today's sizing-limit count, saying so, where not.
import { describe, expect, it } from 'vitest';
import { groupMaxCheck, memberLoad } from '../../src/event/group-ceiling.ts';
import { hostChecks, projectEvent } from '../../src/event/project.ts';
import type { Group, ScalingSignal } from '../../src/model/index.ts';
import { flat, fleet } from '../helpers/fleet-builder.ts';

const cpu50: ScalingSignal = {
  kind: 'cpu',
  target: 50,
  metric: 'ASGAverageCPUUtilization',
  policy: 'cpu50 (TargetTrackingScaling)',
};

/** Three m6i.xlarge at a flat 30 % CPU (cloud average), max 6. */
function web(scaling?: Group['scaling']) {
  const b = fleet({ days: 2 });
  for (const id of ['i-1', 'i-2', 'i-3']) b.host(id, { type: 'm6i.xlarge' }).cpu(id, flat(30));
  return b.group('us-east-1/web', ['i-1', 'i-2', 'i-3'], { max: 6, ...(scaling ? { scaling } : {}) }).facts();
}

function check(facts: ReturnType<typeof web>, n: number) {
  const group = facts.groups[0]!;
  const loads = facts.hosts.flatMap((h) => {
    const load = memberLoad(h.id, hostChecks(facts, h, undefined, n));
    return load ? [load] : [];
  });
  return groupMaxCheck(facts, group, loads, n);
}

describe('group-max against the scaling policy', () => {
  it("counts members at the policy's 50 % CPU target, not the 83.3 % sizing limit", () => {
    // 3 × 30 % = 90 % of one member's CPU; at a 50 % target that is 1.8 members → ×3: 5.4, so 6; max 6 → ×3.33.
    const c = check(web({ signals: [cpu50], min: 3, max: 6 }), 3);
    expect(c).toMatchObject({
      kind: 'group-max',
      today: 1.8,
      demand: 6,
      limit: 6,
      breaksAt: 3.33,
      status: 'at-risk',
    });
    expect(c.label).toBe("members needed at the policy's 50 % CPU target against the group max");
    expect(c.source).toMatch(
      /^policy target: ASGAverageCPUUtilization 50 % \(cpu50 \(TargetTrackingScaling\)\); Σ of each member's CPU P99\.5 \(i-1 30 % \+ i-2 30 % \+ i-3 30 %\) ÷ 50 %/,
    );
  });

  it('uses the policy max, and a step alarm threshold as the target', () => {
    const step: ScalingSignal = {
      kind: 'cpu',
      target: 75,
      metric: 'AWS/EC2 CPUUtilization',
      policy: 'cpu-high (StepScaling)',
    };
    // 90 ÷ 75 = 1.2 members; max 4 → ×3.33.
    const c = check(web({ signals: [step], min: 1, max: 4 }), 2);
    expect(c).toMatchObject({ today: 1.2, limit: 4, breaksAt: 3.33, status: 'ok' });
  });

  it("keeps today's count where no policy is known, and says so", () => {
    const c = check(web(), 3);
    // cpu.util.max is the average × 1.15: 34.5 % of 83.33 % = 0.414 per member, 1.242 in all.
    expect(c.today).toBeCloseTo(1.242, 2);
    expect(c.breaksAt).toBe(4.83);
    expect(c.source).toMatch(
      /no scaling policy known: each member's sizing limit stands in for the policy's target$/,
    );
  });

  it('says when the policy follows a metric fleetlens does not collect, and counts by the sizing limits', () => {
    const perTarget: ScalingSignal = {
      kind: 'requests',
      target: 1000,
      metric: 'ALBRequestCountPerTarget',
      policy: 'per-target (TargetTrackingScaling)',
    };
    const c = check(web({ signals: [perTarget], min: 3, max: 6 }), 3);
    expect(c.breaksAt).toBe(4.83);
    expect(c.source).toMatch(
      /the policy scales on ALBRequestCountPerTarget 1000, a metric not collected here/,
    );
    expect(check(web({ signals: [], min: 3, max: 6 }), 3).source).toMatch(/the group has no scaling policy/);
  });

  it('makes the projection stricter: a group go at the sizing limit is at risk at its own target', () => {
    const without = projectEvent(web(), { multiplier: 3 }).units[0]!;
    const withPolicy = projectEvent(web({ signals: [cpu50], min: 3, max: 6 }), { multiplier: 3 }).units[0]!;
    expect([without.verdict, withPolicy.verdict]).toEqual(['go', 'at-risk']);
  });
});

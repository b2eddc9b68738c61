import { describe, expect, it } from 'vitest';
import { runRules } from '../../src/analysis/engine.ts';
import { cpuOverProvisioned } from '../../src/analysis/rules/cpu-over-provisioned.ts';
import { gp2ToGp3 } from '../../src/analysis/rules/gp2-to-gp3.ts';
import { idleInstance } from '../../src/analysis/rules/idle-instance.ts';
import { rules } from '../../src/analysis/rules/index.ts';
import { activeRecommendations, monthlyCostTotal } from '../../src/recommend/one-action.ts';
import { flat, fleet } from '../helpers/fleet-builder.ts';

/** legacy-ftp of the demo: idle for 14 days on an m6i.xlarge, with a quiet gp2 data volume. */
const idleWithVolume = () =>
  fleet()
    .host('legacy-ftp', { type: 'm6i.xlarge' })
    .cpu('legacy-ftp', flat(0.4))
    .metric('legacy-ftp', 'net.in.bytes', flat(300))
    .metric('legacy-ftp', 'net.out.bytes', flat(150))
    .volume('vol-ftp', 'legacy-ftp', { type: 'gp2', sizeGiB: 200 })
    .volumeLoad('vol-ftp', flat(0.5), flat(0.01));

describe('one action per subject, counted once', () => {
  it('an idle host that is also over-provisioned gets one action: terminate, and its volume change goes with it', () => {
    const { findings, recommendations } = runRules(
      [cpuOverProvisioned, idleInstance, gp2ToGp3],
      idleWithVolume().facts(),
    );
    // Every rule still reports what it saw.
    expect(findings.map((f) => f.ruleId).sort()).toEqual([
      'cpu-over-provisioned',
      'gp2-to-gp3',
      'idle-instance',
    ]);
    const byRule = (id: string) =>
      recommendations.find((r) => findings.find((f) => f.id === r.findingId)!.ruleId === id)!;
    const terminate = byRule('idle-instance');
    expect(terminate.supersededBy).toBeNull();
    expect(byRule('cpu-over-provisioned').supersededBy).toBe(terminate.id);
    expect(byRule('gp2-to-gp3').supersededBy).toBe(terminate.id);
    expect(activeRecommendations(recommendations)).toEqual([terminate]);

    // m6i.xlarge $0.192/h × 730 h + gp2 200 GiB × $0.10 = $160.16, once; the sum of all three would
    // add the resize and the gp3 move on top of it.
    expect(terminate.monthlyCostDeltaUsd).toBe(-160.16);
    const naive = recommendations.reduce((sum, r) => sum + (r.monthlyCostDeltaUsd ?? 0), 0);
    expect(naive).toBeLessThan(-160.16);
    expect(monthlyCostTotal(recommendations).monthlyCostDeltaUsd).toBe(-160.16);
  });

  it('a busy host keeps its own recommendations', () => {
    const facts = fleet().host('db-1', { type: 'm6i.4xlarge' }).cpu('db-1', flat(5)).facts();
    const { recommendations } = runRules([cpuOverProvisioned, idleInstance], facts);
    expect(recommendations).toHaveLength(1);
    expect(recommendations[0]!.supersededBy).toBeNull();
  });
});

describe('stopped hosts and metric rules', () => {
  it('every rule that reads metrics says "not running" for a stopped host, none says it lacks data', () => {
    const facts = fleet()
      .host('web-1', { type: 'm6i.large' })
      .cpu('web-1', flat(40))
      .metric('web-1', 'net.in.bytes', flat(1e6))
      .metric('web-1', 'net.out.bytes', flat(1e6))
      .host('off-1', { type: 't3.large', state: 'stopped' })
      .volume('vol-off', 'off-1', { type: 'gp2', sizeGiB: 100 })
      .facts();
    const { runs, findings } = runRules(rules, facts);
    const aboutStopped = runs.flatMap((r) =>
      r.reasons
        .filter((x) => x.subject?.includes('off-1') || x.subject?.includes('vol-off'))
        .map((x) => ({ rule: r.ruleId, ...x })),
    );
    expect(aboutStopped.length).toBeGreaterThan(0);
    for (const reason of aboutStopped) expect(reason.reason, reason.rule).toMatch(/not running|stopped/);
    expect(new Set(aboutStopped.map((r) => r.rule))).toEqual(
      new Set(['cpu-over-provisioned', 'idle-instance', 'burstable-credits-exhausted', 'gp2-to-gp3']),
    );
    // What it still costs is a finding of its own.
    expect(findings.filter((f) => f.subject.id === 'off-1').map((f) => f.ruleId)).toEqual([
      'stopped-instance-billed',
    ]);
  });
});

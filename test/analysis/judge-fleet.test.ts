// judgeFleet judges one unit (a group with its members, or a host on its own) at a time and must
// give exactly what judging the whole fleet at once gives.
import { describe, expect, it } from 'vitest';
import { runRules } from '../../src/analysis/engine.ts';
import type { Facts } from '../../src/analysis/facts.ts';
import { fleetUnits, judgeFleet, mergeOutcomes, seriesFromMemory } from '../../src/analysis/judge-fleet.ts';
import { rules } from '../../src/analysis/rules/index.ts';
import { projectEvent } from '../../src/event/project.ts';
import { bursts, diurnal, flat, fleet } from '../helpers/fleet-builder.ts';

/** A fleet where most rules have something to say: a group, lone hosts, volumes, a stopped host. */
function mixedFleet() {
  return fleet()
    .host('w1', { type: 'm5.2xlarge' })
    .host('w2', { type: 'm5.2xlarge' })
    .cpu('w1', diurnal(3, 12))
    .cpu('w2', diurnal(3, 12))
    .group('us-east-1/web', ['w1', 'w2'])
    .host('hot', { type: 'm5.large' })
    .cpu('hot', flat(97))
    .host('idle', { type: 'm5.xlarge' })
    .cpu('idle', flat(0.5))
    .metric('idle', 'net.in.bytes', flat(100))
    .metric('idle', 'net.out.bytes', flat(100))
    .host('burst', { type: 't3.medium' })
    .cpu('burst', flat(20))
    .metric('burst', 'cpu.credit.balance', bursts(0, 50, 200, 288))
    .host('db', { type: 'm5.xlarge' })
    .cpu('db', diurnal(20, 40))
    .volume('vol-gp2', 'db', { type: 'gp2', sizeGiB: 500 })
    .volumeLoad('vol-gp2', flat(400), flat(20))
    .volume('vol-loose', null, { type: 'gp3', sizeGiB: 100 })
    .host('off', { type: 'm5.large', state: 'stopped' });
}

describe('judgeFleet', () => {
  it('gives the findings, recommendations, rule runs and event review of judging the fleet at once', async () => {
    const builder = mixedFleet();
    const facts = builder.facts();
    const whole = runRules(rules, facts);
    const eventOptions = { multiplier: 3 };
    const byUnit = await judgeFleet({
      rules,
      facts,
      hasMetrics: true,
      series: seriesFromMemory(builder.series),
      event: { project: (unitFacts) => projectEvent(unitFacts, eventOptions) },
      summaryMetrics: ['cpu.util'],
    });
    const byId = <T extends { id: string }>(list: readonly T[]) =>
      [...list].sort((a, b) => a.id.localeCompare(b.id));
    expect(whole.findings.length).toBeGreaterThanOrEqual(4);
    expect(byId(byUnit.findings)).toEqual(byId(whole.findings));
    expect(byId(byUnit.recommendations)).toEqual(byId(whole.recommendations));
    const runShape = (runs: typeof whole.runs) =>
      runs.map((r) => ({
        ruleId: r.ruleId,
        status: r.status,
        findings: r.findings,
        reasons: [...r.reasons].sort((a, b) =>
          `${a.subject}${a.reason}`.localeCompare(`${b.subject}${b.reason}`),
        ),
      }));
    expect(runShape(byUnit.runs)).toEqual(runShape(whole.runs));
    expect(byUnit.event).toEqual(projectEvent(facts, eventOptions));
    expect(byUnit.hostSummaries.get('hot')).toEqual([
      expect.objectContaining({ metric: 'cpu.util', max: 97, points: 4032 }),
    ]);
  });

  it('takes one unit’s series at a time from its source, and only after the unit before it was judged', async () => {
    const builder = mixedFleet();
    const facts = builder.facts();
    const handed: string[][] = [];
    let judgedCount = 0;
    let mostHeld = 0;
    const inMemory = seriesFromMemory(builder.series);
    const unitCount = fleetUnits(facts).length;
    await judgeFleet({
      rules,
      facts,
      hasMetrics: true,
      async *series(units) {
        for await (const unitSeries of inMemory(units)) {
          // The unit before this one has been judged (and dropped) before the source is asked again.
          expect(judgedCount).toBe(handed.length);
          handed.push([...units[unitSeries.unit]!.subjectIds]);
          mostHeld = Math.max(
            mostHeld,
            unitSeries.series.reduce((n, s) => n + s.values.length, 0),
          );
          yield unitSeries;
        }
      },
      onUnit: (done, total) => {
        judgedCount = done;
        expect(total).toBe(unitCount);
      },
    });
    expect(handed).toEqual([
      ['us-east-1/web', 'w1', 'w2'],
      ['hot'],
      ['idle'],
      ['burst'],
      ['db', 'vol-gp2'],
      ['off'],
      ['vol-loose'],
    ]);
    // The largest unit is db with its volume: cpu.util, cpu.util.max and four disk series × 4,032 points.
    expect(mostHeld).toBe(6 * 4032);
  });

  it('gives the same answer whatever order the source hands the units in, and judges a unit never handed with none', async () => {
    const builder = mixedFleet();
    const facts = builder.facts();
    const options = { rules, facts, hasMetrics: true, summaryMetrics: ['cpu.util'] as const };
    const eventOptions = { multiplier: 2 };
    const event = { project: (unitFacts: Facts) => projectEvent(unitFacts, eventOptions) };
    const inOrder = await judgeFleet({ ...options, event, series: seriesFromMemory(builder.series) });
    const reversed = await judgeFleet({
      ...options,
      event,
      async *series(units) {
        const all = [];
        for await (const u of seriesFromMemory(builder.series)(units)) all.push(u);
        yield* all.reverse();
      },
    });
    expect(reversed.findings).toEqual(inOrder.findings);
    expect(reversed.recommendations).toEqual(inOrder.recommendations);
    expect(reversed.runs.map(({ durationMs: _, ...run }) => run)).toEqual(
      inOrder.runs.map(({ durationMs: _, ...run }) => run),
    );
    expect(reversed.event).toEqual(inOrder.event);
    expect([...reversed.hostSummaries].sort()).toEqual([...inOrder.hostSummaries].sort());

    // A source that hands nothing: every unit is judged without series, as a fleet without metrics.
    const silent = await judgeFleet({
      ...options,
      series: async function* () {},
    });
    const none = await judgeFleet({ ...options, series: seriesFromMemory([]) });
    expect(silent.findings).toEqual(none.findings);
    expect(silent.hostSummaries.size).toBe(facts.hosts.length);

    // A unit handed twice is a bug in the source, said at once.
    await expect(
      judgeFleet({
        ...options,
        series: async function* () {
          yield { unit: 0, series: [] };
          yield { unit: 0, series: [] };
        },
      }),
    ).rejects.toThrow('unit 0 of 7 handed twice or out of range');
  });

  it('a rule that finds nothing anywhere passes, not "not applicable", when only some units lack its subject', async () => {
    const builder = fleet()
      .host('burst', { type: 't3.medium' })
      .cpu('burst', flat(20))
      .metric('burst', 'cpu.credit.balance', flat(100))
      .host('big', { type: 'm5.large' })
      .cpu('big', flat(20));
    const judged = await judgeFleet({
      rules,
      facts: builder.facts(),
      hasMetrics: true,
      series: seriesFromMemory(builder.series),
    });
    const burstable = judged.runs.find((r) => r.ruleId === 'burstable-credits-exhausted')!;
    expect(burstable.status).toBe(
      runRules(rules, builder.facts()).runs.find((r) => r.ruleId === burstable.ruleId)!.status,
    );
    expect(burstable.reasons.map((r) => r.reason)).not.toContain('no burstable (T) instances in this fleet');
  });

  it('skips a rule once for the fleet when a fact it requires is missing', async () => {
    const builder = fleet().host('a').host('b');
    const judged = await judgeFleet({
      rules,
      facts: builder.facts(),
      hasMetrics: false,
      series: seriesFromMemory([]),
    });
    const cpu = judged.runs.find((r) => r.ruleId === 'cpu-over-provisioned')!;
    expect(cpu).toMatchObject({
      status: 'skipped',
      reasons: [{ subject: null, reason: 'no metrics data in this run' }],
    });
  });
});

describe('mergeOutcomes', () => {
  const none = { findings: [], recommendations: [] };
  it('keeps a statement about the fleet only when every unit made it, and every reason about a subject', () => {
    const merged = mergeOutcomes([
      { ...none, reasons: [{ subject: null, reason: 'no T instances', kind: 'not-applicable' }] },
      {
        ...none,
        reasons: [
          { subject: null, reason: 'no T instances', kind: 'not-applicable' },
          { subject: 'x', reason: 'stopped', kind: 'not-applicable' },
        ],
      },
    ]);
    expect(merged.reasons).toEqual([
      { subject: null, reason: 'no T instances', kind: 'not-applicable' },
      { subject: 'x', reason: 'stopped', kind: 'not-applicable' },
    ]);
    const partial = mergeOutcomes([
      { ...none, reasons: [{ subject: null, reason: 'no T instances', kind: 'not-applicable' }] },
      { ...none, reasons: [] },
    ]);
    expect(partial.reasons).toEqual([]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../mocks/scenarios/schema.ts';
import {
  type CpuCreditStep,
  cpuCreditStep,
  ebsBurstStep,
  gp2CreditBucket,
  gp2Step,
  maxCpuCredits,
  SteppedSimulation,
} from '../../mocks/servers/aws/bursts.ts';
import { loadInstanceTypeCatalog } from '../../mocks/servers/aws/catalog.ts';
import { buildRegionFleet } from '../../mocks/servers/aws/fleet.ts';
import { buildMetricRegistry, simulationAnchorSec } from '../../mocks/servers/aws/metrics.ts';
import { gauge, loadSignal } from '../../mocks/servers/aws/signals.ts';
import { computeDatapoints } from '../../mocks/servers/aws/statistics.ts';

const t3medium = { vcpu: 2, baselineCpuPct: 20 };

describe('T-instance CPU credits', () => {
  it('earns baseline x vCPUs x 60 credits an hour and caps the balance at 24 hours of it', () => {
    // t3.medium: 24 credits/h, 576 at most (AWS credit table).
    expect(maxCpuCredits({ ...t3medium, mode: 'unlimited' })).toBe(576);
    let state = { balance: 0, surplus: 0 };
    for (let step = 0; step < 12; step += 1)
      state = cpuCreditStep({ ...t3medium, mode: 'standard' }, state, 0, 5);
    expect(state.balance).toBeCloseTo(24);
    for (let step = 0; step < 12 * 48; step += 1)
      state = cpuCreditStep({ ...t3medium, mode: 'standard' }, state, 0, 5);
    expect(state.balance).toBe(576);
  });

  it('holds a standard instance to its baseline once the balance is empty', () => {
    const step = cpuCreditStep({ ...t3medium, mode: 'standard' }, { balance: 0, surplus: 0 }, 100, 5);
    expect(step.usage).toBeCloseTo(2); // what 5 minutes of baseline earn
    expect(step.cpuFactor).toBeCloseTo(0.2); // 20 % delivered of the 100 % asked
    expect(step.balance).toBe(0);
  });

  it('lets an unlimited instance borrow surplus and repays it from later earnings', () => {
    const params = { ...t3medium, mode: 'unlimited' as const };
    const busy = cpuCreditStep(params, { balance: 0, surplus: 0 }, 100, 5);
    expect(busy.cpuFactor).toBe(1);
    expect(busy.surplus).toBeCloseTo(8); // 10 spent - 2 earned
    const quiet = cpuCreditStep(params, busy, 0, 5);
    expect(quiet.surplus).toBeCloseTo(6);
    expect(quiet.balance).toBe(0);
  });
});

describe('gp2 and EBS burst buckets', () => {
  it('bursts a small gp2 volume to 3,000 IOPS until the 5.4 M credits run out', () => {
    // 100 GiB: baseline 300 IOPS; at 3,000 IOPS the bucket lasts 5.4 M / 2,700 = 2,000 s.
    let balance = gp2CreditBucket;
    let seconds = 0;
    while (gp2Step(balance, 300, 3000, 60).capIops > 300 && seconds < 10_000) {
      balance = gp2Step(balance, 300, 3000, 60).balance;
      seconds += 60;
    }
    expect(seconds).toBeGreaterThanOrEqual(1980);
    expect(seconds).toBeLessThanOrEqual(2100);
  });

  it('drains the instance EBS bucket above the baseline and refills it over a day', () => {
    const capacity = (18_750 - 3600) * 1800;
    expect(ebsBurstStep(capacity, 3600, 18_750, 18_750, 60)).toBe(capacity - 15_150 * 60);
    expect(ebsBurstStep(0, 3600, 18_750, 0, 86_400)).toBe(capacity);
  });

  it('memoizes a forward simulation and answers nothing before its anchor', () => {
    let calls = 0;
    const sim = new SteppedSimulation(600, 60, 0, (state: number) => {
      calls += 1;
      return { state: state + 1, out: state };
    });
    expect(sim.at(599)).toBeUndefined();
    expect(sim.at(600 + 60 * 9)).toBe(9);
    expect(sim.at(600 + 60 * 3)).toBe(3);
    expect(calls).toBe(10);
  });
});

describe('simulations from the anchor, kept by the day (issue 12)', () => {
  it('reads any step in any order as the straight walk from the anchor gives it', () => {
    const params = { vcpu: 2, baselineCpuPct: 20, mode: 'unlimited' as const };
    const cpuAt = (t: number) => 50 + 45 * Math.sin(t / 7_000);
    const steps = 92 * 288;
    const straight: CpuCreditStep[] = [];
    let state = { balance: 0, surplus: 0 };
    for (let k = 0; k < steps; k += 1) {
      const step = cpuCreditStep(params, state, cpuAt(k * 300), 5);
      straight.push(step);
      state = step;
    }
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: steps - 1 }), { minLength: 1, maxLength: 60 }),
        (reads) => {
          const sim = new SteppedSimulation(
            0,
            300,
            { balance: 0, surplus: 0 },
            (s, t) => {
              const step = cpuCreditStep(params, s, cpuAt(t), 5);
              return { state: { balance: step.balance, surplus: step.surplus }, out: step };
            },
            288,
          );
          for (const k of reads) expect(sim.at(k * 300 + 299)).toEqual(straight[k]);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("serves an old T instance's CPUCreditBalance equal to the balance walked minute by minute since the anchor", () => {
    const nowSec = Date.parse('2025-01-15T00:00:00Z') / 1000;
    const scenario = parseScenario({
      name: 'old-t3',
      aws: {
        regions: {
          'us-east-1': {
            instances: [
              {
                id: 'i-0aaaaaaaaaaaaaaa1',
                type: 't3.large',
                az: 'us-east-1a',
                launchTime: 'now-400d',
                cpu: { shape: 'diurnal', base: 5, peak: 54 },
              },
            ],
          },
        },
      },
    });
    const catalog = loadInstanceTypeCatalog();
    const fleet = buildRegionFleet(scenario, 'us-east-1', nowSec, catalog);
    const anchorSec = simulationAnchorSec(nowSec);
    const registry = buildMetricRegistry(fleet, scenario.name, anchorSec);
    const series = registry.find('AWS/EC2', 'CPUCreditBalance', [
      { Name: 'InstanceId', Value: 'i-0aaaaaaaaaaaaaaa1' },
    ])!;
    const fromSec = nowSec - 14 * 86_400;
    const served = computeDatapoints(series, 'Average', 300, fromSec, nowSec, nowSec);

    // The slow way: every 5-minute step from the anchor, the balance full (launched long before it).
    const type = catalog.get('t3.large')!;
    const params = { vcpu: type.vcpu, baselineCpuPct: type.baselineCpuPct!, mode: 'unlimited' as const };
    const cpu = loadSignal(
      scenario.aws.regions['us-east-1']!.instances[0]!.cpu,
      'old-t3/us-east-1/i-0aaaaaaaaaaaaaaa1/cpu',
      100,
    );
    const fiveMinuteCpu = gauge(cpu, 300);
    const expected = new Map<number, number>();
    let state = { balance: maxCpuCredits(params), surplus: 0 };
    for (let t = anchorSec; t < nowSec; t += 300) {
      const step = cpuCreditStep(params, state, fiveMinuteCpu(t), 5);
      state = step;
      if (t >= fromSec) expected.set(t, step.balance);
    }
    expect(served.values.length).toBe(14 * 288);
    expect(Array.from(served.values)).toEqual(Array.from(served.epochSec, (t) => expected.get(t)));
    // The T instance's credits really moved over the fortnight (the comparison is not of constants).
    expect(new Set(served.values).size).toBeGreaterThan(100);
  });

  it('keeps a gp2 bucket full without walking it when the volume never asks above its baseline', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 300, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (peak, share) => {
          const baseline = 300;
          let balance = gp2CreditBucket;
          for (let k = 0; k < 1440; k += 1) {
            const step = gp2Step(balance, baseline, peak * share * (k % 2), 60);
            expect(step.balance).toBe(gp2CreditBucket);
            expect(step.capIops).toBe(gp2Step(gp2CreditBucket, baseline, 0, 60).capIops);
            balance = step.balance;
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

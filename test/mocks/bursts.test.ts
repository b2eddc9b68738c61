import { describe, expect, it } from 'vitest';
import {
  cpuCreditStep,
  ebsBurstStep,
  gp2CreditBucket,
  gp2Step,
  maxCpuCredits,
  SteppedSimulation,
} from '../../mocks/servers/aws/bursts.ts';

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

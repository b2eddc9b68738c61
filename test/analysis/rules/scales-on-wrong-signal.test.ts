import { describe, expect, it } from 'vitest';
import { runRules } from '../../../src/analysis/engine.ts';
import { scalesOnWrongSignal } from '../../../src/analysis/rules/scales-on-wrong-signal.ts';
import type { Group, ScalingSignal } from '../../../src/model/index.ts';
import { diurnal, fleet } from '../../helpers/fleet-builder.ts';
import { onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const loopBlocked = await onHostSample('event-loop-blocked');
const starved = await onHostSample('threadpool-starvation');
const cpuBound = await onHostSample('cpu-saturation');
const healthy = await onHostSample('healthy');

const cpu50: ScalingSignal = {
  kind: 'cpu',
  target: 50,
  metric: 'ASGAverageCPUUtilization',
  policy: 'cpu50 (TargetTrackingScaling)',
};
const perTarget: ScalingSignal = {
  kind: 'requests',
  target: 1000,
  metric: 'ALBRequestCountPerTarget',
  policy: 'per-target (TargetTrackingScaling)',
};

/** Two members at a 6-18 % CPU day; the first one sampled. */
function group(signals: ScalingSignal[] | null, sample = loopBlocked, cpuPeak = 18) {
  const scaling: Group['scaling'] = signals === null ? undefined : { signals, min: 2, max: 6 };
  return fleet({ days: 2 })
    .host('i-web1', { name: 'checkout-1' })
    .host('i-web2', { name: 'checkout-2' })
    .cpu('i-web1', diurnal(cpuPeak / 3, cpuPeak))
    .cpu('i-web2', diurnal(cpuPeak / 3, cpuPeak))
    .group('us-east-1/checkout', ['i-web1', 'i-web2'], scaling ? { scaling } : {})
    .withOnHost(sample, 'i-web1');
}

ruleTester.run(scalesOnWrongSignal, {
  pass: [
    { name: 'a group that scales on requests per target sees the stall already', facts: group([perTarget]) },
    {
      name: 'CPU and request policies together: the request policy scales out when the loop stalls',
      facts: group([cpu50, perTarget]),
    },
    {
      name: 'CPU-bound members: CPU is the right signal',
      facts: group([cpu50], cpuBound, 95),
    },
    { name: 'healthy members: nothing binds on the host', facts: group([cpu50], healthy) },
  ],
  findings: [
    {
      name: 'scales on CPU at 50 % while a member’s event loop is blocked at 18 % CPU',
      facts: group([cpu50]),
      expect: [
        {
          messageId: 'wrongSignal',
          subject: 'us-east-1/checkout',
          message:
            /checkout scales on ASGAverageCPUUtilization \(target 50 %\) while its members are bound by a blocked event loop \(checkout-1 \(i-web1\): event-loop-blocked, CPU P95 1\d(\.\d)? %\).*ALBRequestCountPerTarget/,
          recommendation: { kind: 'scaling', costDelta: 'zero' },
        },
      ],
    },
    {
      name: 'a starved pool: scale on the pool’s own metric',
      facts: group([cpu50], starved),
      expect: [
        {
          messageId: 'wrongSignal',
          subject: 'us-east-1/checkout',
          message: /a starved worker pool .*the pool's own metric/,
          recommendation: { kind: 'scaling' },
        },
      ],
    },
  ],
  insufficientData: [
    { name: 'the policies were not read', facts: group(null), reason: /scaling policies were not read/ },
    {
      name: 'no member is sampled (another host is)',
      facts: fleet({ days: 2 })
        .host('i-web1')
        .host('i-db')
        .cpu('i-web1', diurnal(5, 15))
        .group('us-east-1/checkout', ['i-web1'], { scaling: { signals: [cpu50], min: 1, max: 4 } })
        .withOnHost(loopBlocked, 'i-db'),
      reason: /no member of the group has on-host samples/,
    },
  ],
  notApplicable: [{ name: 'a group with no scaling policy', facts: group([]), reason: /no scaling policy/ }],
});

describe('scales-on-wrong-signal evidence', () => {
  it('shows the policy and the members side by side, and says the CPU target was never reached', () => {
    const result = runRules([scalesOnWrongSignal], group([cpu50]).facts(), { byId: {} });
    const finding = result.findings[0]!;
    const rows = finding.evidence.find((e) => e.kind === 'table')!;
    expect(rows.kind === 'table' && rows.rows.map((r) => r.view)).toEqual([
      'policy (cloud)',
      'member (host)',
    ]);
    expect(JSON.stringify(rows)).toContain('event-loop-blocked');
    expect(result.recommendations[0]!.rationale).toMatch(
      /never reached the 50 % target in the window \(max 18 %\)/,
    );
    expect(result.recommendations[0]!.current).toBe(
      'scales on ASGAverageCPUUtilization (target 50 %); min 2, max 6',
    );
  });

  it('names GCP’s own signal for a MIG', () => {
    const facts = group([
      { ...cpu50, metric: 'cpuUtilization', policy: 'web-autoscaler (autoscaler)' },
    ]).facts();
    const gcpFacts = { ...facts, groups: facts.groups.map((g) => ({ ...g, provider: 'gcp' as const })) };
    const result = runRules([scalesOnWrongSignal], gcpFacts, { byId: {} });
    expect(result.recommendations[0]!.recommended).toMatch(/loadBalancingUtilization/);
  });
});

import { describe, expect, it } from 'vitest';
import { runRules } from '../../../src/analysis/engine.ts';
import { idleInstance } from '../../../src/analysis/rules/idle-instance.ts';
import type { ProviderId } from '../../../src/model/index.ts';
import { diurnal, flat, fleet } from '../../helpers/fleet-builder.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const idle = () =>
  fleet()
    .host('old-1', { type: 'm6i.large' })
    .cpu('old-1', flat(0.4))
    .metric('old-1', 'net.in.bytes', flat(300))
    .metric('old-1', 'net.out.bytes', flat(150))
    .volume('vol-old', 'old-1', { type: 'gp3', sizeGiB: 50 });

/** An idle host of one cloud, its series at `stepSec` (the window stays at 300 s). */
const idleOn = (provider: ProviderId, stepSec = 300, days = 14) => {
  const points = (days * 86_400) / stepSec;
  return fleet({ days })
    .host('idle-1', { provider })
    .cpu('idle-1', flat(0.2), { stepSec, points })
    .metric('idle-1', 'net.in.bytes', flat(100), undefined, points, stepSec)
    .metric('idle-1', 'net.out.bytes', flat(50), undefined, points, stepSec);
};

ruleTester.run(idleInstance, {
  pass: [
    {
      name: 'low CPU but serving traffic',
      facts: fleet()
        .host('h')
        .cpu('h', flat(0.5))
        .metric('h', 'net.in.bytes', diurnal(1e5, 1e6))
        .metric('h', 'net.out.bytes', diurnal(1e5, 1e6)),
    },
    { name: 'group members are left to the group', facts: idle().group('us-east-1/g', ['old-1']) },
  ],
  findings: [
    {
      name: 'no CPU, no traffic for 14 days: the instance and its volume cost is the saving',
      facts: idle(),
      expect: [
        {
          messageId: 'idle',
          subject: 'old-1',
          message:
            /CloudWatch AWS\/EC2 CPUUtilization, NetworkIn and NetworkOut.*-\$74\.08\/month if terminated/,
          recommendation: {
            kind: 'instance-type',
            recommended: 'terminate (idle), after a snapshot of what must be kept',
            costDelta: 'negative',
          },
        },
      ],
    },
    {
      name: 'a Google Cloud host names Cloud Monitoring metrics, not CloudWatch',
      facts: idleOn('gcp'),
      expect: [
        {
          messageId: 'idle',
          subject: 'idle-1',
          message: /^(?!.*CloudWatch).*compute\.googleapis\.com\/instance\/cpu\/utilization.*if deleted/,
        },
      ],
    },
    {
      name: 'a Linode names /stats',
      facts: idleOn('linode'),
      expect: [{ messageId: 'idle', subject: 'idle-1', message: /^(?!.*CloudWatch).*Linode \/stats cpu/ }],
    },
    {
      name: 'an hourly OVHcloud series over 2 days is 48 h of data, not 4 (each series has its own step)',
      facts: idleOn('ovh', 3600, 2),
      expect: [
        { messageId: 'idle', subject: 'idle-1', message: /^(?!.*CloudWatch).*OVHcloud instance monitoring/ },
      ],
    },
  ],
  insufficientData: [
    { name: 'twelve hours of data', facts: fleet({ days: 0.5 }).host('h').cpu('h', flat(0.1)) },
    {
      name: 'no traffic series: low CPU alone is not idle',
      facts: fleet().host('h').cpu('h', flat(0.1)),
      reason: /no net\.in\.bytes or net\.out\.bytes data: idleness needs traffic too/,
    },
  ],
  notApplicable: [
    {
      name: 'a stopped instance has no metrics by design: not applicable, not insufficient data',
      facts: fleet()
        .host('h')
        .cpu('h', flat(50))
        .metric('h', 'net.in.bytes', flat(1e6))
        .metric('h', 'net.out.bytes', flat(1e6))
        .host('off-1', { state: 'stopped' }),
      reason: /stopped, not running: no metrics to judge/,
    },
  ],
});

describe('idle-instance prices', () => {
  it('counts an OVHcloud instance and its Block Storage volume (priced from the bundled catalog)', () => {
    const facts = idleOn('ovh').volume('vol-ovh', 'idle-1', { type: 'classic', sizeGiB: 100 }).facts();
    const { recommendations } = runRules([idleInstance], facts);
    // b3-16 $0.099/h × 730 h = $72.27; 100 GB × €0.04 × 1.1 $/€ = $4.40.
    expect(recommendations.map((r) => r.monthlyCostDeltaUsd)).toEqual([-76.67]);
    expect(recommendations[0]!.rationale).toMatch(/bills a stopped instance as running/);
  });
});

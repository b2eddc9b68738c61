import { describe, expect, it } from 'vitest';
import { runRules } from '../../../src/analysis/engine.ts';
import { stoppedInstanceBilled } from '../../../src/analysis/rules/stopped-instance-billed.ts';
import { flat, fleet } from '../../helpers/fleet-builder.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const awsStopped = () =>
  fleet().host('i-off', { state: 'stopped' }).volume('vol-1', 'i-off', { type: 'gp3', sizeGiB: 100 });
const gcpStopped = () =>
  fleet()
    .host('vm-off', { provider: 'gcp', state: 'terminated' })
    .volume('disk-1', 'vm-off', { type: 'pd-balanced', sizeGiB: 200 });
const linodeOff = () =>
  fleet()
    .host('61000009', { provider: 'linode', type: 'g6-standard-2', state: 'offline' })
    .volume('volume-9', '61000009', { type: 'block-storage-nvme', sizeGiB: 50 });
const ovhShutoff = () =>
  fleet()
    .host('ovh-off', { provider: 'ovh', type: 'b3-16', state: 'stopped', tags: { 'ovh:status': 'SHUTOFF' } })
    .volume('ovh-vol', 'ovh-off', { type: 'classic', sizeGiB: 100 });
const ovhShelved = () =>
  fleet()
    .host('ovh-shelved', {
      provider: 'ovh',
      type: 'b3-16',
      state: 'stopped',
      tags: { 'ovh:status': 'SHELVED_OFFLOADED' },
    })
    .volume('ovh-vol-2', 'ovh-shelved', { type: 'high-speed', sizeGiB: 100 });

ruleTester.run(stoppedInstanceBilled, {
  pass: [
    { name: 'running instances bill as they should', facts: fleet().host('h').cpu('h', flat(40)) },
    {
      name: 'a stopped EC2 instance with no volume costs nothing',
      facts: fleet().host('i-off', { state: 'stopped' }),
    },
    {
      name: 'a cost below the configured minimum',
      facts: awsStopped(),
      options: { minMonthlyUsd: 50 },
    },
  ],
  findings: [
    {
      name: 'AWS: a stopped instance still pays for its EBS volumes',
      facts: awsStopped(),
      expect: [
        {
          messageId: 'disks',
          subject: 'i-off',
          severity: 'low',
          message: /is stopped, yet it still pays for its 1 EBS volume: \$8\.00\/month \(100 GiB × \$0\.08\)/,
          recommendation: {
            kind: 'instance-type',
            costDelta: 'negative',
            recommended: expect.stringMatching(/terminate/),
          },
        },
      ],
    },
    {
      name: 'Google Cloud: a stopped (TERMINATED) VM still pays for its persistent disks',
      facts: gcpStopped(),
      expect: [
        {
          messageId: 'disks',
          subject: 'vm-off',
          message: /is terminated, yet it still pays for its 1 persistent disk: \$20\.00\/month/,
          recommendation: { costDelta: 'negative' },
        },
      ],
    },
    {
      name: 'Linode: a powered-off Linode bills its full plan and its volume',
      facts: linodeOff(),
      expect: [
        {
          messageId: 'plan',
          subject: '61000009',
          severity: 'medium',
          message:
            /is offline, yet Linode bills it as if it ran: \$31\.28\/month for the plan and its 1 Block Storage volume/,
          recommendation: { recommended: expect.stringMatching(/delete the Linode/), costDelta: 'negative' },
        },
      ],
    },
    {
      name: 'OVHcloud: a SHUTOFF instance bills as running; shelving it saves the plan',
      facts: ovhShutoff(),
      expect: [
        {
          messageId: 'plan',
          subject: 'ovh-off',
          message: /OVHcloud bills it as if it ran: \$76\.67\/month/,
          recommendation: {
            recommended: expect.stringMatching(/^shelve the instance/),
            costDelta: 'negative',
          },
        },
      ],
    },
    {
      name: 'OVHcloud: a shelved instance pays only for its snapshot, but its volumes still bill',
      facts: ovhShelved(),
      expect: [
        {
          messageId: 'disks',
          subject: 'ovh-shelved',
          message: /\$9\.90\/month/,
          recommendation: { recommended: 'snapshot the Block Storage volumes, then delete them' },
        },
      ],
    },
    {
      name: 'a volume whose price is not bundled: the finding stands, its cost is unknown',
      facts: fleet()
        .host('i-off', { state: 'stopped' })
        .volume('vol-st1', 'i-off', { type: 'st1', sizeGiB: 500 }),
      expect: [
        {
          messageId: 'disks',
          subject: 'i-off',
          message: /an unknown amount/,
          recommendation: { costDelta: 'null' },
        },
      ],
    },
  ],
  notApplicable: [
    {
      name: 'a stopped member of a group (a warm pool keeps them on purpose)',
      facts: fleet()
        .host('i-warm', { state: 'stopped' })
        .volume('vol-w', 'i-warm', { type: 'gp3', sizeGiB: 100 })
        .group('us-east-1/web', ['i-warm']),
      reason: /warm pool/,
    },
    {
      name: 'an instance on its way down is not a stopped one yet',
      facts: fleet()
        .host('i-going', { state: 'stopping' })
        .volume('vol-g', 'i-going', { type: 'gp3', sizeGiB: 100 }),
      reason: /stopping: in transit/,
    },
  ],
});

describe('stopped-instance-billed arithmetic', () => {
  it('prices each cloud from its own catalog and shows the steps', () => {
    const facts = [awsStopped(), gcpStopped(), linodeOff(), ovhShutoff(), ovhShelved()].map((b) => b.facts());
    const deltas = facts.map(
      (f) => runRules([stoppedInstanceBilled], f).recommendations[0]!.monthlyCostDeltaUsd,
    );
    // gp3 100 GiB × $0.08; pd-balanced 200 GB × $0.10; g6-standard-2 $0.036 × 730 + 50 GB × $0.10;
    // OVH shelve saves the b3-16 plan ($0.099 × 730) while the classic volume keeps billing; a shelved
    // instance's high-speed 100 GB × €0.09 × 1.1.
    expect(deltas).toEqual([-8, -20, -31.28, -72.27, -9.9]);
    const steps = runRules([stoppedInstanceBilled], ovhShutoff().facts())
      .recommendations[0]!.evidence.filter((e) => e.kind === 'arithmetic')
      .flatMap((e) => e.steps.map((s) => `${s.label}: ${s.result}`));
    expect(steps).toEqual([
      'b3-16 plan while off: $72.27',
      'ovh-vol (classic 100 GiB): $4.40',
      'billed a month while off: $76.67',
      'saved by the recommended action: $72.27',
      'snapshot storage: not counted',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { runRules } from '../../../src/analysis/engine.ts';
import { unattachedVolume } from '../../../src/analysis/rules/unattached-volume.ts';
import { flat, fleet } from '../../helpers/fleet-builder.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const withHost = () => fleet().host('h').cpu('h', flat(30));

ruleTester.run(unattachedVolume, {
  pass: [
    {
      name: 'every volume is attached',
      facts: withHost().volume('vol-a', 'h', { type: 'gp3', sizeGiB: 100 }),
    },
    {
      name: 'a cost below the configured minimum',
      facts: withHost().volume('vol-tiny', null, { type: 'gp3', sizeGiB: 5 }),
      options: { minMonthlyUsd: 1 },
    },
  ],
  findings: [
    {
      name: 'AWS: an unattached io1 volume bills its storage and its provisioned IOPS',
      facts: withHost().volume('vol-left', null, {
        type: 'io1',
        sizeGiB: 400,
        iops: 12000,
        tags: { Name: 'old-db-data' },
      }),
      expect: [
        {
          messageId: 'unattached',
          subject: 'vol-left',
          severity: 'high',
          // 400 GiB × $0.125 + 12,000 IOPS × $0.065 = $830.
          message:
            /old-db-data \(vol-left\) \(io1 400 GiB in us-east-1\) is attached to no instance and bills \$830\.00\/month/,
          recommendation: {
            kind: 'volume',
            recommended: 'snapshot it if its data may be needed, then delete it',
            costDelta: 'negative',
          },
        },
      ],
    },
    {
      name: 'Google Cloud, Linode and OVHcloud volumes are priced from their own catalogs',
      facts: withHost()
        .volume('disk-gcp', null, { type: 'pd-ssd', sizeGiB: 100, provider: 'gcp' })
        .volume('volume-7', null, { type: 'block-storage-nvme', sizeGiB: 40, provider: 'linode' })
        .volume('ovh-vol', null, { type: 'high-speed', sizeGiB: 200, provider: 'ovh' }),
      expect: [
        { messageId: 'unattached', subject: 'disk-gcp', message: /\$17\.00\/month/ },
        { messageId: 'unattached', subject: 'volume-7', message: /\$4\.00\/month/ },
        { messageId: 'unattached', subject: 'ovh-vol', message: /\$19\.80\/month/ },
      ],
    },
    {
      name: 'a type whose price is not bundled: the finding stands, its cost is unknown',
      facts: withHost().volume('vol-sc1', null, { type: 'sc1', sizeGiB: 1000 }),
      expect: [
        {
          messageId: 'unattached',
          subject: 'vol-sc1',
          message: /bills an unknown amount\/month/,
          recommendation: { costDelta: 'null' },
        },
      ],
    },
  ],
  notApplicable: [{ name: 'no volumes listed', facts: withHost(), reason: /no volumes listed/ }],
});

describe('unattached-volume arithmetic', () => {
  it('saves exactly what the volume costs, with the formula as evidence', () => {
    const facts = withHost().volume('vol-left', null, { type: 'gp2', sizeGiB: 250 }).facts();
    const { recommendations } = runRules([unattachedVolume], facts);
    expect(recommendations).toHaveLength(1);
    expect(recommendations[0]!.monthlyCostDeltaUsd).toBe(-25);
    const arithmetic = recommendations[0]!.evidence.find((e) => e.kind === 'arithmetic');
    expect(arithmetic).toMatchObject({
      steps: [{ formula: '250 GiB × $0.1', result: '$25.00' }, { result: 'not counted' }],
    });
  });
});

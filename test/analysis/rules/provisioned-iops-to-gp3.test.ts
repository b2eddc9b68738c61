import { provisionedIopsToGp3 } from '../../../src/analysis/rules/provisioned-iops-to-gp3.ts';
import { diurnal, flat, fleet } from '../../helpers/fleet-builder.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

ruleTester.run(provisionedIopsToGp3, {
  pass: [
    {
      name: 'an io1 that needs its IOPS',
      facts: fleet()
        .host('db')
        .volume('v', 'db', { type: 'io1', sizeGiB: 400, iops: 20000 })
        .volumeLoad('v', diurnal(8000, 19000), flat(150)),
    },
  ],
  findings: [
    {
      name: 'io1 with 10,000 IOPS provisioned that peaks at 2,200: gp3 at the included 3,000 saves the IOPS charge',
      facts: fleet()
        .host('db')
        .volume('v', 'db', { type: 'io1', sizeGiB: 200, iops: 10000 })
        .volumeLoad('v', diurnal(400, 2200), diurnal(10, 60)),
      expect: [
        {
          messageId: 'toGp3',
          subject: 'v',
          severity: 'high',
          recommendation: {
            kind: 'volume',
            current: 'io1 200 GiB, 10000 IOPS, 500 MiB/s',
            recommended: 'gp3 200 GiB, 3000 IOPS, 125 MiB/s',
            costDelta: 'negative',
          },
        },
      ],
    },
  ],
  notApplicable: [
    {
      name: 'no io1/io2 volumes',
      facts: fleet().host('h').cpu('h', flat(20)).volume('v', 'h', { type: 'gp3', sizeGiB: 50 }),
    },
    {
      name: 'an io1 of a stopped host has no I/O to judge',
      facts: fleet()
        .host('h')
        .cpu('h', flat(20))
        .host('off', { state: 'stopped' })
        .volume('v-off', 'off', { type: 'io1', sizeGiB: 400, iops: 12000 }),
      reason: /stopped: no I\/O to judge/,
    },
  ],
});

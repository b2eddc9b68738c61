import { gp2ToGp3 } from '../../../src/analysis/rules/gp2-to-gp3.ts';
import { diurnal, flat, fleet } from '../../helpers/fleet-builder.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const withVolume = (sizeGiB: number, iops: number, mibps: number) =>
  fleet()
    .host('db-1')
    .volume('vol-1', 'db-1', { type: 'gp2', sizeGiB })
    .volumeLoad('vol-1', diurnal(iops / 4, iops), diurnal(mibps / 4, mibps));

ruleTester.run(gp2ToGp3, {
  findings: [
    {
      name: 'a small gp2 that gp3 serves at the included IOPS: a known saving',
      facts: withVolume(100, 250, 20),
      expect: [
        {
          messageId: 'plain',
          subject: 'vol-1',
          severity: 'low',
          recommendation: {
            kind: 'volume',
            current: 'gp2 100 GiB, 300 IOPS, 128 MiB/s',
            recommended: 'gp3 100 GiB, 3000 IOPS, 125 MiB/s',
            costDelta: 'negative',
          },
        },
      ],
    },
    {
      name: 'the 170 GiB trap: 500 GiB gp2 peaking at 220 MiB/s gets provisioned throughput',
      facts: withVolume(500, 1200, 220),
      expect: [
        {
          messageId: 'trap',
          subject: 'vol-1',
          severity: 'medium',
          message: /would throttle it; provision 264 MiB\/s/,
          recommendation: {
            kind: 'volume',
            recommended: 'gp3 500 GiB, 3000 IOPS, 264 MiB/s',
            costDelta: 'null',
          },
        },
      ],
    },
  ],
  insufficientData: [
    {
      name: 'a day of volume data',
      facts: fleet({ days: 1 })
        .host('h')
        .volume('v', 'h', { type: 'gp2', sizeGiB: 50 })
        .volumeLoad('v', flat(10), flat(1)),
    },
  ],
  notApplicable: [
    {
      name: 'only gp3 volumes',
      facts: fleet().host('h').cpu('h', flat(20)).volume('v', 'h', { type: 'gp3', sizeGiB: 50 }),
    },
    {
      name: 'a gp2 of a stopped host has no I/O to judge (not "insufficient data")',
      facts: fleet()
        .host('h')
        .cpu('h', flat(20))
        .host('off', { state: 'stopped' })
        .volume('v-off', 'off', { type: 'gp2', sizeGiB: 100 }),
      reason: /attached only to off, stopped: no I\/O to judge/,
    },
    {
      name: 'an unattached gp2 is left to unattached-volume',
      facts: fleet().host('h').cpu('h', flat(20)).volume('v-free', null, { type: 'gp2', sizeGiB: 100 }),
      reason: /attached to no instance/,
    },
  ],
});

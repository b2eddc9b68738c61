import { idleInstance } from '../../../src/analysis/rules/idle-instance.ts';
import { diurnal, flat, fleet } from '../../helpers/fleet-builder.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const idle = () =>
  fleet()
    .host('old-1', { type: 'm6i.large' })
    .cpu('old-1', flat(0.4))
    .metric('old-1', 'net.in.bytes', flat(300))
    .metric('old-1', 'net.out.bytes', flat(150))
    .volume('vol-old', 'old-1', { type: 'gp3', sizeGiB: 50 });

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
          recommendation: {
            kind: 'instance-type',
            recommended: 'stop or terminate (idle)',
            costDelta: 'negative',
          },
        },
      ],
    },
  ],
  insufficientData: [
    { name: 'twelve hours of data', facts: fleet({ days: 0.5 }).host('h').cpu('h', flat(0.1)) },
  ],
});

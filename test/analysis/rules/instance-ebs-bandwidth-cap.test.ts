import { instanceEbsBandwidthCap } from '../../../src/analysis/rules/instance-ebs-bandwidth-cap.ts';
import { diurnal, flat, fleet } from '../../helpers/fleet-builder.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

/** An r6i.xlarge (EBS baseline 156.25 MB/s, 6,000 IOPS) whose volumes read `mbps` MB/s at their peak. */
const reportsDb = (mbps: number, iops = 500) =>
  fleet({ days: 2 })
    .host('i-rep', { type: 'r6i.xlarge', name: 'reports-db' })
    .cpu('i-rep', flat(30))
    .metric('i-rep', 'disk.read.bytes', diurnal(mbps * 0.2e6, mbps * 1e6))
    .metric('i-rep', 'disk.write.bytes', flat(0))
    .metric('i-rep', 'disk.read.ops', flat(iops))
    .metric('i-rep', 'disk.write.ops', flat(0));

ruleTester.run(instanceEbsBandwidthCap, {
  pass: [{ name: 'volumes well under the instance EBS baseline', facts: reportsDb(80) }],
  findings: [
    {
      name: 'reports-db streams 200 MB/s through a 156.25 MB/s instance: a wider type, not a faster volume',
      facts: reportsDb(200),
      expect: [
        {
          messageId: 'capped',
          subject: 'i-rep',
          message:
            /volumes together do 200 MB\/s at P99\.5, 128 % of the r6i\.xlarge EBS baseline of 156\.3 MB\/s: a faster volume would not help/,
          recommendation: { kind: 'instance-type', costDelta: 'positive' },
        },
      ],
    },
    {
      name: 'IOPS at the ceiling count too',
      facts: reportsDb(20, 5800),
      expect: [
        {
          messageId: 'capped',
          subject: 'i-rep',
          message: /5800 IOPS at P99\.5, 97 % of the r6i\.xlarge EBS baseline of 6000 IOPS/,
        },
      ],
    },
  ],
  insufficientData: [
    {
      name: 'no instance EBS metrics',
      facts: fleet({ days: 2 }).host('i-rep', { type: 'r6i.xlarge' }).cpu('i-rep', flat(30)),
      reason: /no EBSReadBytes/,
    },
  ],
  notApplicable: [
    {
      name: 'a type without EBS limits in the catalog',
      facts: fleet({ days: 2 }).host('i-x', { type: 'x9.unknown' }).cpu('i-x', flat(30)),
      reason: /no EBS limits/,
    },
  ],
});

import { cloudIdleHostStarved } from '../../../src/analysis/rules/cloud-idle-host-starved.ts';
import { diurnal, flat, fleet } from '../../helpers/fleet-builder.ts';
import { onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const starved = await onHostSample('threadpool-starvation');
const overflow = await onHostSample('listen-queue-overflow');
const healthy = await onHostSample('healthy');

const host = (cpu: number, facts = starved) =>
  fleet({ days: 2 })
    .host('i-api', { name: 'shop-api-3' })
    .cpu('i-api', diurnal(cpu / 3, cpu))
    .withOnHost(facts, 'i-api');

ruleTester.run(cloudIdleHostStarved, {
  pass: [
    { name: 'the cloud sees the host busy: the CPU view is not misleading', facts: host(70) },
    { name: 'a quiet host whose samples are healthy is simply quiet', facts: host(6, healthy) },
  ],
  findings: [
    {
      name: 'a 6 % CPU host with a starved pool: keep it, size the pool',
      facts: host(6),
      expect: [
        {
          messageId: 'starved',
          subject: 'i-api',
          message:
            /cloud sees \d+(\.\d+)? % CPU \(P95\) while its own samples show a starved worker pool \(threadpool-starvation.*do not shrink it; size the pool by Little's law/,
          recommendation: { kind: 'runtime', costDelta: 'zero' },
        },
      ],
    },
    {
      name: 'a quiet edge proxy whose accept queue overflows: the kernel fix',
      facts: host(10, overflow),
      expect: [
        {
          messageId: 'starved',
          subject: 'i-api',
          message: /a full accept queue \(listen-queue-overflow/,
          recommendation: { kind: 'sysctl', costDelta: 'zero' },
        },
      ],
    },
  ],
  insufficientData: [
    {
      name: 'no cloud CPU for the mapped host',
      facts: fleet({ days: 2 }).host('i-api').host('i-db').cpu('i-db', flat(5)).withOnHost(starved, 'i-api'),
      reason: /no cloud CPU/,
    },
  ],
  notApplicable: [
    {
      name: 'a folder judged on its own, with no cloud host',
      facts: fleet({ days: 2 }).host('i-other').cpu('i-other', flat(5)).withOnHost(starved),
      reason: /not mapped/,
    },
  ],
});

import { cpuOverProvisioned } from '../../../src/analysis/rules/cpu-over-provisioned.ts';
import { diurnal, flat, fleet } from '../../helpers/fleet-builder.ts';
import { onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const starvedPool = await onHostSample('threadpool-starvation');
const healthy = await onHostSample('healthy');

const bigAndIdleish = () => fleet().host('db-1', { type: 'm6i.4xlarge' }).cpu('db-1', diurnal(3, 9));

ruleTester.run(cpuOverProvisioned, {
  pass: [
    {
      name: 'a host that uses what it pays for',
      facts: fleet().host('web-1', { type: 'm6i.large' }).cpu('web-1', diurnal(30, 70)),
    },
    {
      name: 'savings below the configured minimum',
      options: { minMonthlySavingsUsd: 100_000 },
      facts: bigAndIdleish(),
    },
  ],
  findings: [
    {
      name: 'a 16-vCPU host peaking at 10 % without a memory metric keeps its memory',
      facts: bigAndIdleish(),
      expect: [
        {
          messageId: 'host',
          subject: 'db-1',
          recommendation: { kind: 'instance-type', current: 'm6i.4xlarge', costDelta: 'negative' },
        },
      ],
    },
    {
      name: 'low CPU because the host is starved elsewhere: the resize is held, with no recommendation',
      facts: bigAndIdleish().withOnHost(starvedPool, 'db-1'),
      expect: [{ messageId: 'held', subject: 'db-1', severity: 'low', message: /threadpool-starvation/ }],
    },
    {
      name: 'a healthy on-host verdict does not hold it',
      facts: bigAndIdleish().withOnHost(healthy, 'db-1'),
      expect: [
        {
          messageId: 'host',
          subject: 'db-1',
          recommendation: { kind: 'instance-type', costDelta: 'negative' },
        },
      ],
    },
    {
      name: 'with memory measured at 20 %, memory shrinks too',
      facts: bigAndIdleish().metric('db-1', 'mem.used', flat(20)),
      expect: [
        {
          messageId: 'host',
          subject: 'db-1',
          message: /fits/,
          recommendation: { kind: 'instance-type', costDelta: 'negative' },
        },
      ],
    },
    {
      name: 'a group is sized on all its members, never undersizing one',
      facts: fleet()
        .host('w1', { type: 'm6i.2xlarge' })
        .host('w2', { type: 'm6i.2xlarge' })
        .cpu('w1', diurnal(5, 12))
        .cpu('w2', diurnal(5, 20))
        .group('us-east-1/web', ['w1', 'w2']),
      expect: [
        {
          messageId: 'group',
          subject: 'us-east-1/web',
          recommendation: { kind: 'instance-type', costDelta: 'negative' },
        },
      ],
    },
  ],
  insufficientData: [
    {
      name: 'a day of data (Compute Optimizer needs 30 h)',
      facts: fleet({ days: 1 }).host('h', { type: 'm6i.4xlarge' }).cpu('h', flat(2)),
    },
  ],
  notApplicable: [
    {
      name: 'a group of mixed types',
      facts: fleet()
        .host('a', { type: 'm6i.xlarge' })
        .host('b', { type: 'c6i.xlarge' })
        .cpu('a', flat(5))
        .cpu('b', flat(5))
        .group('us-east-1/mixed', ['a', 'b']),
    },
  ],
});

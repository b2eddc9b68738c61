import { cpuSaturated } from '../../../src/analysis/rules/cpu-saturated.ts';
import { diurnal, flat, fleet } from '../../helpers/fleet-builder.ts';
import { onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const cpuCapture = await onHostSample('cpu-saturation');
const healthyCapture = await onHostSample('healthy');

ruleTester.run(cpuSaturated, {
  pass: [
    {
      name: 'a busy but healthy day (peaks at 70 %)',
      facts: fleet().host('web-1').cpu('web-1', diurnal(20, 70)),
    },
    { name: 'the healthy capture on its own', facts: fleet().withOnHost(healthyCapture) },
  ],
  findings: [
    {
      name: 'pinned at 97 %: upsized, and the measured demand is called a floor',
      facts: fleet().host('api-1', { type: 'm6i.xlarge' }).cpu('api-1', flat(97)),
      expect: [
        {
          messageId: 'cloud',
          subject: 'api-1',
          severity: 'high',
          message: /p95 CPU 97 %/,
          recommendation: { kind: 'instance-type', current: 'm6i.xlarge', costDelta: 'positive' },
        },
      ],
    },
    {
      name: 'the cloud and the host agree: one finding with both sides',
      facts: fleet()
        .host('api-2', { type: 'm6i.large' })
        .cpu('api-2', flat(96))
        .withOnHost(cpuCapture, 'api-2'),
      expect: [{ messageId: 'both', subject: 'api-2', message: /run queue above 2 CPUs/ }],
    },
    {
      name: 'the CPU-saturation capture alone (diagnose)',
      facts: fleet().withOnHost(cpuCapture),
      expect: [{ messageId: 'onhost', subject: cpuCapture.dir, message: /busy ≥ 90 % for \d+ s straight/ }],
    },
  ],
  insufficientData: [
    {
      name: 'six points of CPU',
      facts: fleet({ days: 1 / 48 })
        .host('new-1')
        .cpu('new-1', flat(99)),
    },
  ],
});

ruleTester.run(cpuSaturated, {
  pass: [
    {
      name: 'a raised threshold',
      options: { threshold: 99 },
      facts: fleet().host('api-1').cpu('api-1', flat(97)),
    },
  ],
});

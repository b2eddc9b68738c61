import { stealOrThrottled } from '../../../src/analysis/rules/steal-or-throttled.ts';
import { flat, fleet } from '../../helpers/fleet-builder.ts';
import { onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

// cpu-saturation: a run queue far longer than its 2 CPUs; healthy: an idle run queue.
const saturated = await onHostSample('cpu-saturation');
const healthy = await onHostSample('healthy');

const cache = (cpuPct: number, credits: number) =>
  fleet({ days: 2 })
    .host('i-cache', { type: 't3.large', name: 'session-cache' })
    .metric('i-cache', 'cpu.util', flat(cpuPct))
    .metric('i-cache', 'cpu.credit.balance', flat(credits));

const stolenFrom = (stealPct: number, facts?: Awaited<ReturnType<typeof onHostSample>>) => {
  const b = fleet({ days: 2 })
    .host('i-batch', { type: 'c6i.large' })
    .cpu('i-batch', flat(60))
    .metric('i-batch', 'cpu.steal', flat(stealPct));
  return facts ? b.withOnHost(facts, 'i-batch') : b;
};

ruleTester.run(stealOrThrottled, {
  pass: [
    { name: 'a burstable at its baseline with credits in the bank is not throttled', facts: cache(29, 100) },
    { name: 'steal while nothing queues', facts: stolenFrom(20, healthy) },
    { name: 'a run queue with no steal is cpu-saturated, not stolen', facts: stolenFrom(1, saturated) },
  ],
  findings: [
    {
      name: 'a t3.large pinned at its 30 % baseline with no credits all window',
      facts: cache(29, 0),
      expect: [
        {
          messageId: 'throttled',
          subject: 'i-cache',
          message: /t3\.large sat at its 30 % baseline with no CPU credits for 48 h/,
        },
      ],
    },
    {
      name: 'a fifth of the CPU stolen while the run queue exceeds the CPUs',
      facts: stolenFrom(20, saturated),
      expect: [
        {
          messageId: 'steal',
          subject: 'i-batch',
          message: /steals 20 % of the CPU \(P95\) while the run queue reaches \d+ on 2 CPUs/,
        },
      ],
    },
  ],
  insufficientData: [
    {
      name: 'steal with no host samples to show a queue',
      facts: stolenFrom(20),
      reason: /no on-host samples/,
    },
    {
      name: 'a burstable without its credit balance',
      facts: fleet({ days: 2 }).host('i-cache', { type: 't3.large' }).metric('i-cache', 'cpu.util', flat(29)),
      reason: /credit balance/,
    },
  ],
});

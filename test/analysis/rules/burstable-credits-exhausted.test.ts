import { expect, it } from 'vitest';
import { burstableCreditsExhausted } from '../../../src/analysis/rules/burstable-credits-exhausted.ts';
import { bursts, diurnal, flat, fleet } from '../../helpers/fleet-builder.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

// A t3.large (baseline 30 % per vCPU) asked for 60 %: the balance drains for 8 h of every day.
const drained = () =>
  fleet()
    .host('cache-1', { type: 't3.large' })
    .cpu('cache-1', bursts(30, 60, 96, 288))
    .metric('cache-1', 'cpu.credit.balance', bursts(0, 200, 96, 288));

ruleTester.run(burstableCreditsExhausted, {
  pass: [
    {
      name: 'a t3 that keeps a balance',
      facts: fleet()
        .host('t-1', { type: 't3.medium' })
        .cpu('t-1', diurnal(5, 15))
        .metric('t-1', 'cpu.credit.balance', flat(400)),
    },
  ],
  findings: [
    {
      name: 'out of credits a third of each day, moved to a non-burstable type that costs more',
      facts: drained(),
      expect: [
        {
          messageId: 'standard',
          subject: 'cache-1',
          message:
            /held at its 30 % baseline while its demand reached [\d.]+ % \(P95 of per-period CPU maxima while credits were left\)/,
          recommendation: { kind: 'instance-type', current: 't3.large', costDelta: 'positive' },
        },
      ],
    },
    {
      name: 'unlimited mode: surplus credits charged',
      facts: drained().metric('cache-1', 'cpu.credit.surplus', bursts(120, 0, 96, 288)),
      expect: [{ messageId: 'unlimited', subject: 'cache-1', message: /surplus/ }],
    },
  ],
  insufficientData: [
    {
      name: 'a t3 without credit metrics',
      facts: fleet().host('t-2', { type: 't3.small' }).cpu('t-2', flat(10)),
    },
  ],
  notApplicable: [
    { name: 'no burstable types', facts: fleet().host('m-1', { type: 'm6i.large' }).cpu('m-1', flat(50)) },
    {
      name: 'a stopped T instance earns and spends no credits: not applicable, not insufficient data',
      facts: fleet()
        .host('t-1', { type: 't3.medium' })
        .cpu('t-1', diurnal(5, 15))
        .metric('t-1', 'cpu.credit.balance', flat(400))
        .host('t-off', { type: 't3.large', state: 'stopped' }),
      reason: /stopped, not running/,
    },
  ],
});

it('replaces a throttled T instance with a type that keeps the memory it uses', async () => {
  const { runRules } = await import('../../../src/analysis/engine.ts');
  const { bundledCatalog } = await import('../../../providers/aws/catalog.ts');
  // t3.large (8 GiB) at 92 % memory: the replacement needs 8 × 0.92 × 1.2 ≈ 8.8 GiB.
  const facts = drained().metric('cache-1', 'mem.used', flat(92)).facts();
  const [rec] = runRules([burstableCreditsExhausted], facts).recommendations;
  const picked = bundledCatalog().find((t) => t.name === rec!.recommended)!;
  expect(picked.burstable).toBe(false);
  expect(picked.memoryMiB).toBeGreaterThanOrEqual(8 * 1024 * 0.92 * 1.2);
});

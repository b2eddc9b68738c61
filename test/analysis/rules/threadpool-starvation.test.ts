import { expect, it } from 'vitest';
import { runRules } from '../../../src/analysis/engine.ts';
import { threadpoolStarvation } from '../../../src/analysis/rules/threadpool-starvation.ts';
import { fleet } from '../../helpers/fleet-builder.ts';
import { onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const starved = await onHostSample('threadpool-starvation');
const healthy = await onHostSample('healthy');

ruleTester.run(threadpoolStarvation, {
  pass: [{ name: 'a healthy asyncio app', facts: fleet().withOnHost(healthy) }],
  findings: [
    {
      name: 'a 16-worker pool behind 300 clients',
      facts: fleet().withOnHost(starved),
      expect: [
        {
          messageId: 'starved',
          subject: starved.dir,
          message: /16 workers busy while up to \d+ requests wait/,
          recommendation: { kind: 'runtime', costDelta: 'zero' },
        },
      ],
    },
  ],
  insufficientData: [
    {
      name: 'no thread log and no pool metrics',
      facts: fleet().withOnHost({
        ...starved,
        threads: null,
        samples: { ...starved.samples, prometheus: {} },
      }),
    },
  ],
});

it("sizes the pool from Little's law with the service time the pool's own throughput gives", () => {
  const { recommendations } = runRules([threadpoolStarvation], fleet().withOnHost(starved).facts());
  const rec = recommendations[0]!;
  const steps = rec.evidence.flatMap((e) => (e.kind === 'arithmetic' ? e.steps : []));
  const result = (label: string) => steps.find((s) => s.label.startsWith(label))?.result;
  // The handler sleeps 1-3 s upstream: W = 16 workers ÷ completions comes out near 2 s.
  const serviceSec = Number.parseFloat(result('service time') ?? 'NaN');
  expect(serviceSec).toBeGreaterThan(1);
  expect(serviceSec).toBeLessThan(3);
  const workers = Number(/thread pool of (\d+) workers/.exec(rec.recommended)?.[1]);
  expect(workers).toBeGreaterThan(16);
  expect(rec.recommended).toMatch(/async/);
  expect(rec.rationale).toMatch(/floor/);
});

import { expect, it } from 'vitest';
import { runRules } from '../../../src/analysis/engine.ts';
import { listenQueueOverflow } from '../../../src/analysis/rules/listen-queue-overflow.ts';
import { fleet } from '../../helpers/fleet-builder.ts';
import { onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const overflowCapture = await onHostSample('listen-queue-overflow');
const threadpoolCapture = await onHostSample('threadpool-starvation');

ruleTester.run(listenQueueOverflow, {
  pass: [
    {
      name: 'a starved pool behind a 1024 backlog never overflows',
      facts: fleet().withOnHost(threadpoolCapture),
    },
  ],
  findings: [
    {
      name: 'a listen(8) server with a slow accept loop',
      facts: fleet().withOnHost(overflowCapture),
      expect: [
        {
          messageId: 'overflow',
          subject: overflowCapture.dir,
          message: /bound by the application's listen\(\) backlog/,
          recommendation: { kind: 'runtime', costDelta: 'zero' },
        },
      ],
    },
  ],
  insufficientData: [
    {
      name: 'no netstat counters at both ends',
      facts: fleet().withOnHost({
        ...overflowCapture,
        listen: { ...overflowCapture.listen, overflowsDelta: undefined },
      }),
    },
  ],
});

it('gives the backlog and the somaxconn halves together, changing somaxconn only when it would cap', () => {
  const lowSomaxconn = { ...overflowCapture, listen: { ...overflowCapture.listen, somaxconn: 16 } };
  const { recommendations } = runRules([listenQueueOverflow], fleet().withOnHost(lowSomaxconn).facts());
  expect(recommendations.map((r) => r.kind).sort()).toEqual(['runtime', 'sysctl']);
  const sysctl = recommendations.find((r) => r.kind === 'sysctl')!;
  expect(sysctl.current).toBe('net.core.somaxconn = 16');
  const backlog = Number(
    /backlog (\d+)/.exec(recommendations.find((r) => r.kind === 'runtime')!.recommended)![1],
  );
  expect(sysctl.recommended).toBe(`net.core.somaxconn = ${backlog}`);

  const { recommendations: defaults } = runRules(
    [listenQueueOverflow],
    fleet().withOnHost(overflowCapture).facts(),
  );
  // With the kernel default (4096) the sysctl half says to keep it, and why.
  expect(defaults.map((r) => r.kind)).toEqual(['runtime', 'sysctl']);
  expect(defaults[1]!.recommended).toMatch(/^net\.core\.somaxconn = 4096 \(keep: already ≥ \d+\)$/);
});

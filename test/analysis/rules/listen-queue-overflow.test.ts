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

it('changes somaxconn only when it would cap the new backlog; otherwise it is "already right" evidence', () => {
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
  // With the kernel default (4096) somaxconn already admits the backlog: evidence, not a change.
  const { findings } = runRules([listenQueueOverflow], fleet().withOnHost(overflowCapture).facts());
  expect(defaults.map((r) => r.kind)).toEqual(['runtime']);
  expect(defaults.some((r) => r.current === r.recommended || /keep/.test(r.recommended))).toBe(false);
  const alreadyRight = findings[0]!.evidence.find((e) => e.label === 'Already right: net.core.somaxconn');
  expect(alreadyRight).toMatchObject({
    kind: 'excerpt',
    lines: [expect.stringMatching(/^net\.core\.somaxconn = 4096: already ≥ the backlog of \d+/)],
  });
});

import { expect, it } from 'vitest';
import { runRules } from '../../../src/analysis/engine.ts';
import type { OnHostFacts } from '../../../src/analysis/onhost/signals.ts';
import { fdLimit } from '../../../src/analysis/rules/fd-limit.ts';
import { fleet } from '../../helpers/fleet-builder.ts';
import { onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const healthy = await onHostSample('healthy');

/** The healthy capture with its fd log replaced: `count` samples climbing from `from` to `to`, limit `limit`. */
function withFds(from: number, to: number, limit: number, plateau = false): OnHostFacts {
  const count = 120;
  const values = Array.from({ length: count }, (_, i) =>
    Math.round(from + ((to - from) * Math.min(i, plateau ? 60 : i)) / (plateau ? 60 : count - 1)),
  );
  return {
    ...healthy,
    fdSoftLimit: limit,
    fds: {
      pids: [1],
      segments: [{ pid: 1, start: 0, end: values.length }],
      timesMs: values.map((_, i) => 1_700_000_000_000 + i * 1000),
      values,
    },
  };
}

ruleTester.run(fdLimit, {
  pass: [{ name: 'the healthy capture (30 fds of 20,000)', facts: fleet().withOnHost(healthy) }],
  findings: [
    {
      name: 'a leak climbing past 90 % of 1024 without a plateau',
      facts: fleet().withOnHost(withFds(100, 980, 1024)),
      expect: [
        {
          messageId: 'nearLimit',
          subject: healthy.dir,
          severity: 'critical',
          message: /a leak/,
          recommendation: { kind: 'ulimit', recommended: 'nofile soft 2048 (LimitNOFILE=2048)' },
        },
      ],
    },
    {
      name: 'a plateau at 75 %: no leak named',
      facts: fleet().withOnHost(withFds(100, 770, 1024, true)),
      expect: [{ messageId: 'nearLimit', subject: healthy.dir, severity: 'high' }],
    },
  ],
  insufficientData: [{ name: 'no fds.log', facts: fleet().withOnHost({ ...healthy, fds: null }) }],
});

it('names the leak first when descriptors climb to the limit and never come down (the fd-exhaustion capture)', async () => {
  const leak = await onHostSample('fd-exhaustion');
  const { findings, recommendations } = runRules([fdLimit], fleet().withOnHost(leak).facts());
  expect(findings[0]!.message).toMatch(
    /climbed steadily at [\d.]+\/min to the limit and never came down \(a leak/,
  );
  expect(recommendations[0]!.rationale).toMatch(/^Fix the leak first/);
  expect(recommendations[0]!.recommended).toMatch(/^nofile soft 1024 /);
});

import { expect, it } from 'vitest';
import { runRules } from '../../../src/analysis/engine.ts';
import { threadExhaustion } from '../../../src/analysis/rules/thread-exhaustion.ts';
import { fleet } from '../../helpers/fleet-builder.ts';
import {
  appLine,
  countLogText,
  onHostFromFiles,
  onHostSample,
  procLimitsText,
} from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

// A thread per connection climbing 2/s from 10 to the nproc limit of 400, then held there while
// thread creation fails.
const climb = Array.from({ length: 120 }, (_, i) => Math.min(398, 10 + i * 4));
const failures = Array.from({ length: 12 }, (_, i) =>
  [
    appLine(100 + i, 'ERROR', 'socketserver', 'Exception occurred during processing of request'),
    'Traceback (most recent call last):',
    '  File "/usr/lib/python3.11/socketserver.py", line 697, in process_request',
    '    t.start()',
    "RuntimeError: can't start new thread",
  ].join('\n'),
);
const exhausted = await onHostFromFiles({
  'threads.log': countLogText('Threads', climb),
  'proc-limits-end.txt': procLimitsText({ 'Max processes': 400 }),
  'app.log': `${appLine(0, 'INFO', 'app', 'serving on 127.0.0.1:8000')}\n${failures.join('\n')}\n`,
});
const healthy = await onHostSample('healthy');

ruleTester.run(threadExhaustion, {
  pass: [{ name: 'a healthy asyncio app', facts: fleet().withOnHost(healthy) }],
  findings: [
    {
      name: 'threads at RLIMIT_NPROC with thread creation failing',
      facts: fleet().withOnHost(exhausted),
      expect: [
        {
          messageId: 'exhausted',
          subject: exhausted.dir,
          severity: 'critical',
          message:
            /threads climbed to 398 \(RLIMIT_NPROC \(Max processes\) 400\) and 12 "can't start new thread" errors/,
          recommendation: { kind: 'runtime', costDelta: 'zero' },
        },
      ],
    },
  ],
  insufficientData: [
    {
      name: 'neither a thread log nor an app log',
      facts: fleet().withOnHost({
        ...exhausted,
        threads: null,
        samples: { ...exhausted.samples, appLog: undefined },
      }),
    },
  ],
});

it('bounds the pool below the limit that was hit, then raises nproc only as a stopgap', () => {
  const { recommendations, findings } = runRules([threadExhaustion], fleet().withOnHost(exhausted).facts());
  expect(recommendations.map((r) => r.kind)).toEqual(['runtime', 'ulimit']);
  expect(recommendations[0]!.recommended).toMatch(/bounded pool of at most 199 threads/);
  expect(recommendations[1]).toMatchObject({
    current: 'nproc soft 400',
    recommended: expect.stringMatching(/^nproc soft 1024 /),
  });
  const frames = findings[0]!.evidence.find(
    (e) => e.kind === 'table' && e.label === 'Where threads were started',
  );
  expect(frames).toMatchObject({
    rows: [{ frame: 'process_request (/usr/lib/python3.11/socketserver.py:697): t.start()', count: 12 }],
  });
});

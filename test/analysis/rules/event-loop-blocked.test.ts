import { expect, it } from 'vitest';
import { runRules } from '../../../src/analysis/engine.ts';
import { eventLoopBlocked, stepKey } from '../../../src/analysis/rules/event-loop-blocked.ts';
import { fleet } from '../../helpers/fleet-builder.ts';
import { appLine, idleSysstat, lagCsvText, onHostFromFiles, onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const slowLine = (sec: number, took: string) =>
  appLine(
    sec,
    'WARNING',
    'asyncio',
    `Executing <Task pending name='Task-${sec}' coro=<fetch_report() running at /srv/app.py:42> wait_for=<Future pending cb=[Task.task_wakeup()]> created at /usr/lib/python3.11/asyncio/tasks.py:384> took ${took} seconds`,
  );
// 60 s of load: a 0.4 s blocking call every 2 s; the loop's ticker lags by as much.
const lags = Array.from({ length: 900 }, (_, i) => (i >= 150 && i < 750 && i % 20 === 0 ? 0.4 : 0.001));
const blocked = await onHostFromFiles({
  'app.log': `${Array.from({ length: 30 }, (_, i) => slowLine(15 + i * 2, '0.402')).join('\n')}\n`,
  'lag.csv': lagCsvText(lags),
  'sadf-A.json.gz': idleSysstat(),
});
const lagOnly = await onHostFromFiles({ 'lag.csv': lagCsvText(lags), 'sadf-A.json.gz': idleSysstat() });
const healthy = await onHostSample('healthy');

ruleTester.run(eventLoopBlocked, {
  pass: [{ name: 'the healthy asyncio app', facts: fleet().withOnHost(healthy) }],
  findings: [
    {
      name: 'debug-mode warnings name the coroutine',
      facts: fleet().withOnHost(blocked),
      expect: [
        {
          messageId: 'blocked',
          subject: blocked.dir,
          message: /blocked 30 times for up to 0\.4 s, mostly in fetch_report\(\) at \/srv\/app\.py:42/,
          recommendation: { kind: 'runtime', costDelta: 'zero' },
        },
      ],
    },
    {
      name: 'lag alone: asks for debug mode to name the call',
      facts: fleet().withOnHost(lagOnly),
      expect: [{ messageId: 'blocked', subject: lagOnly.dir, recommendation: { kind: 'runtime', risk: 0 } }],
    },
  ],
  insufficientData: [
    {
      name: 'no app log, lag or metrics',
      facts: fleet().withOnHost({
        ...blocked,
        samples: { ...blocked.samples, appLog: undefined, lag: undefined },
      }),
    },
  ],
});

it("sizes the executor from the blocking work's rate and length", () => {
  const { recommendations } = runRules([eventLoopBlocked], fleet().withOnHost(blocked).facts());
  const steps = recommendations[0]!.evidence.flatMap((e) => (e.kind === 'arithmetic' ? e.steps : []));
  // 30 calls over 58 s of 0.402 s each: 0.21 in progress, ×2 → 1 thread.
  expect(steps.map((s) => s.result).slice(0, 4)).toEqual(['0.52/s', '0.402 s', '0.21', '1']);
  expect(recommendations[0]!.recommended).toMatch(
    /asyncio\.to_thread.*fetch_report\(\) at \/srv\/app\.py:42/,
  );
});

it('keys a step by its coroutine and place, or its callback', () => {
  expect(
    stepKey(
      "Executing <Task finished name='Task-7' coro=<handle() done, defined at /srv/app.py:10> result=None> took 0.250 seconds",
    ),
  ).toBe('handle() at /srv/app.py:10');
  expect(
    stepKey(
      'Executing <Handle BaseSelectorEventLoop._accept_connection(<function ...>) at /usr/lib/python3.11/asyncio/selector_events.py:159> took 0.120 seconds',
    ),
  ).toBe('BaseSelectorEventLoop._accept_connection() at /usr/lib/python3.11/asyncio/selector_events.py:159');
});

import { expect, it } from 'vitest';
import { runRules } from '../../../src/analysis/engine.ts';
import { geventLoopBlocked } from '../../../src/analysis/rules/gevent-loop-blocked.ts';
import { fleet } from '../../helpers/fleet-builder.ts';
import { idleSysstat, lagCsvText, onHostFromFiles, onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const report = (sec: number) =>
  [
    '================================================================================',
    `${new Date(Date.UTC(2026, 10, 24, 8, 41, sec)).toISOString().slice(0, 19)}Z : Greenlet <Greenlet at 0x7f: _handle_and_close_when_done> appears to be blocked`,
    '    Reported by <gevent._monitor.PeriodicMonitoringThread at 0x7f>',
    'Blocked Stack (for thread id 0x7f12):',
    '  File "/usr/lib/python3/dist-packages/gevent/pywsgi.py", line 990, in handle_one_response',
    '    self.run_application()',
    '  File "/srv/app.py", line 41, in hash_password',
    '    return hashlib.pbkdf2_hmac("sha256", pw, salt, 400_000)',
    '',
    'Info:',
    '  Greenlet tree: ...',
  ].join('\n');
const header = [
  '[2026-11-24 08:41:00 +0000] [100] [INFO] Starting gunicorn 20.1.0',
  '[2026-11-24 08:41:00 +0000] [100] [INFO] Using worker: gevent',
  '[2026-11-24 08:41:00 +0000] [101] [INFO] Booting worker with pid: 101',
  '[2026-11-24 08:41:00 +0000] [102] [INFO] Booting worker with pid: 102',
].join('\n');
const lags = Array.from({ length: 1200 }, (_, i) => (i >= 200 && i % 10 === 0 ? 0.35 : 0.002));
const blocked = await onHostFromFiles({
  'app.log': `${header}\n${Array.from({ length: 20 }, (_, i) => report(20 + i * 3)).join('\n')}\n`,
  'lag.csv': lagCsvText(lags),
  'sadf-A.json.gz': idleSysstat(),
});
const healthy = await onHostSample('healthy');

ruleTester.run(geventLoopBlocked, {
  pass: [{ name: 'the healthy asyncio app', facts: fleet().withOnHost(healthy) }],
  findings: [
    {
      name: 'monitor reports name the frame',
      facts: fleet().withOnHost(blocked),
      expect: [
        {
          messageId: 'blocked',
          subject: blocked.dir,
          message: /20 monitor reports\), mostly in hash_password \(\/srv\/app\.py:41\)/,
          recommendation: { kind: 'runtime', costDelta: 'zero' },
        },
      ],
    },
  ],
  insufficientData: [
    {
      name: 'no app log and no lag',
      facts: fleet().withOnHost({
        ...blocked,
        samples: { ...blocked.samples, appLog: undefined, lag: undefined },
      }),
    },
  ],
});

it('names the blocking frame and the threadpool fix', () => {
  const { recommendations, findings } = runRules([geventLoopBlocked], fleet().withOnHost(blocked).facts());
  expect(recommendations[0]!.current).toMatch(
    /^hash_password \(\/srv\/app\.py:41\): return hashlib\.pbkdf2_hmac/,
  );
  expect(recommendations[0]!.recommended).toMatch(/threadpool\.apply/);
  const frames = findings[0]!.evidence.find((e) => e.kind === 'table' && e.label.startsWith('Frames'));
  expect(frames).toMatchObject({ rows: [{ count: 20 }] });
});

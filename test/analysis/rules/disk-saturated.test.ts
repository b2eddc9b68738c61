import { expect, it } from 'vitest';
import { runRules } from '../../../src/analysis/engine.ts';
import { diskSaturated } from '../../../src/analysis/rules/disk-saturated.ts';
import { bursts, diurnal, flat, fleet } from '../../helpers/fleet-builder.ts';
import { onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const diskCapture = await onHostSample('disk-saturation');
const cpuCapture = await onHostSample('cpu-saturation');

// A 100 GiB gp2 (300 IOPS baseline once its burst credits are gone) pinned for 3 h a day.
const pinnedGp2 = () =>
  fleet()
    .host('db-1')
    .volume('vol-1', 'db-1', { type: 'gp2', sizeGiB: 100 })
    .volumeLoad('vol-1', bursts(300, 80, 36, 288), flat(4))
    .metric('vol-1', 'disk.queue', bursts(8, 0.3, 36, 288), 'count')
    .metric('vol-1', 'disk.busy', bursts(99, 30, 36, 288), 'percent');

ruleTester.run(diskSaturated, {
  pass: [
    {
      name: 'a volume far from its limit',
      facts: fleet()
        .host('h')
        .volume('v', 'h', { type: 'gp3', sizeGiB: 100 })
        .volumeLoad('v', diurnal(100, 900), flat(20)),
    },
    { name: 'a CPU-bound host (its disk idles)', facts: fleet().withOnHost(cpuCapture) },
  ],
  findings: [
    {
      name: 'a gp2 at its baseline with a queue, for hours: gp3 sized above the capped peak',
      facts: pinnedGp2(),
      expect: [
        {
          messageId: 'cloud',
          subject: 'vol-1',
          message: /300 IOPS of 300/,
          recommendation: { kind: 'volume', recommended: 'gp3 100 GiB, 3000 IOPS, 125 MiB/s' },
        },
      ],
    },
    {
      name: 'the disk-saturation capture: %util and aqu-sz high together',
      facts: fleet().withOnHost(diskCapture),
      expect: [
        {
          messageId: 'onhost',
          subject: diskCapture.dir,
          message: /vda at [\d.]+ % util with a queue of [\d.]+ for \d+ s straight/,
        },
      ],
    },
  ],
});

it('advises the IOPS and throughput a saturated device needs when there is no cloud volume to resize', () => {
  const { findings, recommendations } = runRules([diskSaturated], fleet().withOnHost(diskCapture).facts());
  expect(findings.map((f) => f.messageId)).toEqual(['onhost']);
  expect(recommendations).toHaveLength(1);
  expect(recommendations[0]).toMatchObject({ kind: 'volume', findingId: findings[0]!.id });
  expect(recommendations[0]!.recommended).toMatch(/sustains at least \d+ IOPS and \d+ MiB\/s$/);
});

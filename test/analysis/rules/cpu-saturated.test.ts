import { expect, it } from 'vitest';
import { runRules } from '../../../src/analysis/engine.ts';
import { cpuSaturated } from '../../../src/analysis/rules/cpu-saturated.ts';
import { diurnal, flat, fleet } from '../../helpers/fleet-builder.ts';
import { onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const cpuCapture = await onHostSample('cpu-saturation');
const healthyCapture = await onHostSample('healthy');

ruleTester.run(cpuSaturated, {
  pass: [
    {
      name: 'a busy but healthy day (peaks at 70 %)',
      facts: fleet().host('web-1').cpu('web-1', diurnal(20, 70)),
    },
    { name: 'the healthy capture on its own', facts: fleet().withOnHost(healthyCapture) },
  ],
  findings: [
    {
      name: 'pinned at 97 %: upsized, and the measured demand is called a floor',
      facts: fleet().host('api-1', { type: 'm6i.xlarge' }).cpu('api-1', flat(97)),
      expect: [
        {
          messageId: 'cloud',
          subject: 'api-1',
          severity: 'high',
          message: /p95 of the per-period average CPU 97 %/,
          recommendation: { kind: 'instance-type', current: 'm6i.xlarge', costDelta: 'positive' },
        },
      ],
    },
    {
      name: 'the cloud and the host agree: one finding with both sides',
      facts: fleet()
        .host('api-2', { type: 'm6i.large' })
        .cpu('api-2', flat(96))
        .withOnHost(cpuCapture, 'api-2'),
      expect: [{ messageId: 'both', subject: 'api-2', message: /run queue above 2 CPUs/ }],
    },
    {
      name: 'the CPU-saturation capture alone (diagnose)',
      facts: fleet().withOnHost(cpuCapture),
      expect: [{ messageId: 'onhost', subject: cpuCapture.dir, message: /busy ≥ 90 % for \d+ s straight/ }],
    },
  ],
  insufficientData: [
    {
      name: 'six points of CPU',
      facts: fleet({ days: 1 / 48 })
        .host('new-1')
        .cpu('new-1', flat(99)),
    },
  ],
});

ruleTester.run(cpuSaturated, {
  pass: [
    {
      name: 'a raised threshold',
      options: { threshold: 99 },
      facts: fleet().host('api-1').cpu('api-1', flat(97)),
    },
  ],
});

it('counts hours at the series own step: an hourly series above 90 % all 14 days says 336 h', () => {
  // The window's step is 5 minutes (most clouds); OVH gives hourly points. Judged at the window's
  // step, 336 hourly points would read as 28 h.
  const hourly = fleet({ stepSec: 3600 }).host('ovh-1').cpu('ovh-1', flat(97)).facts();
  const facts = { ...fleet().host('ovh-1').facts(), series: hourly.series };
  const { findings } = runRules([cpuSaturated], facts);
  expect(findings).toHaveLength(1);
  expect(findings[0]!.message).toMatch(/\(336 h at or above 90 %\)$/);
});

it('gives each CPU number its own label: the p95 of the average, the chart of the maxima', () => {
  const facts = fleet().host('api-1', { type: 'm6i.xlarge' }).cpu('api-1', flat(92)).facts();
  const { findings } = runRules([cpuSaturated], facts);
  const labels = findings[0]!.evidence.map((e) => e.label);
  expect(findings[0]!.message).toMatch(/p95 of the per-period average CPU 92 %/);
  expect(labels).toContain('p95 CPU (per-period average)');
  expect(labels).toContain('CPU utilization, per-period maximum');
  expect(labels).not.toContain('CPU utilization');
});

it('advises the vCPUs the saturated capture needs when there is no cloud host to size', () => {
  const { recommendations } = runRules([cpuSaturated], fleet().withOnHost(cpuCapture).facts());
  expect(recommendations).toHaveLength(1);
  const rec = recommendations[0]!;
  expect(rec.kind).toBe('instance-type');
  expect(rec.current).toBe('2 CPUs');
  const wanted = Number(/at least (\d+) vCPUs/.exec(rec.recommended)?.[1]);
  expect(wanted).toBeGreaterThanOrEqual(3);
  expect(rec.evidence[0]).toMatchObject({ kind: 'arithmetic', label: 'CPUs the peak needs' });
});

it('ends its on-host evidence with each CPU busy share, for the per-CPU heat strip', () => {
  const { findings } = runRules([cpuSaturated], fleet().withOnHost(cpuCapture).facts());
  const evidence = findings[0]!.evidence;
  const perCpu = evidence.filter((e) => /^CPU \d+ busy$/.test(e.label));
  // The capture is of a 2-vCPU VM: one series per CPU, last, on one source, per second.
  expect(perCpu.map((e) => e.label)).toEqual(['CPU 0 busy', 'CPU 1 busy']);
  expect(evidence.slice(-2)).toEqual(perCpu);
  for (const series of perCpu) {
    expect(series).toMatchObject({ kind: 'series', unit: 'percent', stepSec: 1 });
    expect(series.kind === 'series' && Math.max(...series.points.map(([, v]) => v ?? 0))).toBeGreaterThan(90);
  }
});

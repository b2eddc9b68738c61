import { describe, expect, it } from 'vitest';
import { runRules } from '../../../src/analysis/engine.ts';
import { cpuOverProvisioned } from '../../../src/analysis/rules/cpu-over-provisioned.ts';
import { round, summarize } from '../../../src/analysis/stats.ts';
import { diurnal, flat, fleet } from '../../helpers/fleet-builder.ts';
import { onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

const starvedPool = await onHostSample('threadpool-starvation');
const healthy = await onHostSample('healthy');

const bigAndIdleish = () => fleet().host('db-1', { type: 'm6i.4xlarge' }).cpu('db-1', diurnal(3, 9));

ruleTester.run(cpuOverProvisioned, {
  pass: [
    {
      name: 'a host that uses what it pays for',
      facts: fleet().host('web-1', { type: 'm6i.large' }).cpu('web-1', diurnal(30, 70)),
    },
    {
      name: 'savings below the configured minimum',
      options: { minMonthlySavingsUsd: 100_000 },
      facts: bigAndIdleish(),
    },
  ],
  findings: [
    {
      name: 'a 16-vCPU host peaking at 10 % without a memory metric keeps its memory',
      facts: bigAndIdleish(),
      expect: [
        {
          messageId: 'host',
          subject: 'db-1',
          recommendation: { kind: 'instance-type', current: 'm6i.4xlarge', costDelta: 'negative' },
        },
      ],
    },
    {
      name: 'low CPU because the host is starved elsewhere: the resize is held, with no recommendation',
      facts: bigAndIdleish().withOnHost(starvedPool, 'db-1'),
      expect: [
        {
          messageId: 'held',
          subject: 'db-1',
          severity: 'low',
          message: /P99\.5 of per-period CPU maxima [\d.]+ %.*threadpool-starvation/,
        },
      ],
    },
    {
      name: 'a healthy on-host verdict does not hold it',
      facts: bigAndIdleish().withOnHost(healthy, 'db-1'),
      expect: [
        {
          messageId: 'host',
          subject: 'db-1',
          recommendation: { kind: 'instance-type', costDelta: 'negative' },
        },
      ],
    },
    {
      name: 'with memory measured at 20 %, memory shrinks too',
      facts: bigAndIdleish().metric('db-1', 'mem.used', flat(20)),
      expect: [
        {
          messageId: 'host',
          subject: 'db-1',
          message: /fits/,
          recommendation: { kind: 'instance-type', costDelta: 'negative' },
        },
      ],
    },
    {
      name: 'a group is sized on all its members, never undersizing one',
      facts: fleet()
        .host('w1', { type: 'm6i.2xlarge' })
        .host('w2', { type: 'm6i.2xlarge' })
        .cpu('w1', diurnal(5, 12))
        .cpu('w2', diurnal(5, 20))
        .group('us-east-1/web', ['w1', 'w2']),
      expect: [
        {
          messageId: 'group',
          subject: 'us-east-1/web',
          recommendation: { kind: 'instance-type', costDelta: 'negative' },
        },
      ],
    },
  ],
  insufficientData: [
    {
      name: 'a day of data (Compute Optimizer needs 30 h)',
      facts: fleet({ days: 1 }).host('h', { type: 'm6i.4xlarge' }).cpu('h', flat(2)),
    },
  ],
  notApplicable: [
    {
      name: 'a stopped host: no metrics by design',
      facts: fleet()
        .host('web-1', { type: 'm6i.large' })
        .cpu('web-1', diurnal(30, 70))
        .host('off-1', { type: 'm6i.4xlarge', state: 'stopped' }),
      reason: /stopped, not running/,
    },
    {
      name: 'a group of mixed types',
      facts: fleet()
        .host('a', { type: 'm6i.xlarge' })
        .host('b', { type: 'c6i.xlarge' })
        .cpu('a', flat(5))
        .cpu('b', flat(5))
        .group('us-east-1/mixed', ['a', 'b']),
    },
  ],
});

describe('one number per label', () => {
  it("the held finding names the series its percentile is of, and the number is that series' P99.5 (the host table's)", () => {
    const facts = bigAndIdleish().withOnHost(starvedPool, 'db-1').facts();
    const { findings } = runRules([cpuOverProvisioned], facts);
    const maxima = facts.series.get('db-1', 'cpu.util.max')!.values;
    const p995 = round(summarize(maxima).p99_5!, 1);
    expect(findings[0]!.message).toContain(`P99.5 of per-period CPU maxima ${p995} %`);
    const stat = findings[0]!.evidence.find((e) => e.kind === 'stat' && e.label.startsWith('P99.5'));
    expect(stat).toMatchObject({ label: 'P99.5 of per-period CPU maxima', value: summarize(maxima).p99_5 });
  });
});

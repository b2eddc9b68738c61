// `fleetlens history --host` / `--finding`: a sparkline in the terminal, a series in JSON.
import { describe, expect, it } from 'vitest';
import { findingSeries, hostSeries, renderFindingTrend, renderHostTrend } from '../../src/history/trend.ts';
import type { FindingTrend, HostTrend } from '../../src/store/types.ts';

const DAY = 86_400_000;
const t0 = Date.parse('2025-01-06T06:00:00.000Z');

describe('trends', () => {
  const host: HostTrend = {
    provider: 'aws',
    hostId: 'i-1',
    name: 'web-1',
    points: [20, 40, 60, 90].map((cpu, i) => ({
      runId: `r${i}`,
      startedAtMs: t0 + i * 7 * DAY,
      instanceType: i < 3 ? 'm5.large' : 'm6i.large',
      priceUsdPerHour: 0.1,
      cpuP95Pct: cpu,
      cpuP99_5Pct: cpu + 5,
      memoryPeakPct: i === 1 ? null : 50,
    })),
  };

  it('draws one sparkline per headline number of a host, on the 0..100 percent scale', () => {
    expect(renderHostTrend(host)).toBe(
      [
        'aws host i-1 (web-1), m5.large → m6i.large',
        '  CPU p95  ▂▄▅█ 20 % → 90 % (4 runs)',
        '  CPU p99.5 of maxima  ▂▄▆█ 25 % → 95 % (4 runs)',
        '  memory peak  ▄ ▄▄ 50 % → 50 % (4 runs)',
      ].join('\n'),
    );
    expect(hostSeries(host)[0]!.points[3]).toEqual([new Date(t0 + 21 * DAY).toISOString(), 90]);
  });

  it('draws a finding headline with its severities', () => {
    const finding: FindingTrend = {
      findingId: 'abc',
      ruleId: 'cpu-saturated',
      subjectId: 'i-1',
      subjectName: 'web-1',
      points: [
        { runId: 'a', startedAtMs: t0, severity: 'high', value: 91, unit: 'percent', label: 'p95 CPU' },
        {
          runId: 'b',
          startedAtMs: t0 + 7 * DAY,
          severity: 'critical',
          value: 99,
          unit: 'percent',
          label: 'p95 CPU',
        },
      ],
    };
    expect(renderFindingTrend(finding)).toBe(
      'finding abc (cpu-saturated on web-1), high → critical\n  p95 CPU  ██ 91 % → 99 % (2 runs)',
    );
    expect(findingSeries(finding).points.map(([, v]) => v)).toEqual([91, 99]);
  });
});

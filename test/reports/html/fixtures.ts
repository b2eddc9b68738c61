// Results for the HTML writer's tests: the builder's audit plus what later issues add (issue 11's event
// review, issue 10's statuses and resolved list), and per-CPU series of an on-host capture.
import type { AnalysisResult } from '../../../reports/json/schema.ts';
import type { SeriesEvidence } from '../../../src/model/index.ts';
import { buildAnalysisResult, buildFinding, HOST_IDS, seriesPoints } from '../../helpers/result-builder.ts';

export const web1 = { provider: 'aws' as const, kind: 'host' as const, id: HOST_IDS.web1, name: 'web-1' };

export function cpuSeries(cpu: number): SeriesEvidence {
  return {
    kind: 'series',
    label: `CPU ${cpu} busy`,
    unit: 'percent',
    stepSec: 1,
    points: seriesPoints({
      count: 120,
      stepSec: 1,
      startMs: Date.parse('2025-05-13T14:00:00Z'),
      base: 30 + cpu * 15,
      noise: 20,
      ceiling: 100,
    }),
    source: 'sadf -j -P ALL (samples/web-1)',
  };
}

/** The builder's result plus what later issues add: an event review, statuses and a resolved list. */
export function withLaterIssues(result: AnalysisResult): AnalysisResult {
  const statuses: Record<string, Record<string, unknown>> = {
    'f-cpu-web1': { status: 'worse' },
    'f-listen-web1': { status: 'new' },
    'f-gp2-burst-db1': { status: 'open', firstSeen: '2025-04-30T06:00:00.000Z', runs: 3 },
  };
  return {
    ...result,
    findings: result.findings.map((finding) => ({ ...finding, ...statuses[finding.id] })),
    resolved: [
      {
        id: 'f-old-1',
        ruleId: 'fd-limit',
        title: 'File descriptors near the limit',
        severity: 'high',
        subject: web1,
      },
    ],
    event: {
      multiplier: 4,
      units: [
        {
          subject: { provider: 'aws', kind: 'group', id: result.groups[0]!.id, name: 'web-asg' },
          verdict: 'no-go',
          firstCeiling: { kind: 'cpu', demand: 28.7, limit: 16, unit: 'vcpu', source: 'c6i.4xlarge' },
          breaksAt: 2.2,
          change: 'raise maxSize to 12',
          monthlyCostDeltaUsd: 840.5,
          checks: [
            { kind: 'cpu', demand: 28.7, limit: 16, unit: 'vcpu', source: 'catalog' },
            { kind: 'accept-queue', demand: 900, limit: 2048, unit: 'connections', source: 'ss -ltn' },
            { kind: 'group-max', demand: 8, limit: 6, unit: 'instances', source: 'ASG' },
          ],
        },
        {
          subject: `${HOST_IDS.batch1}`,
          verdict: 'go',
          firstCeiling: null,
          breaksAt: null,
          change: null,
          monthlyCostDeltaUsd: null,
          checks: [{ kind: 'memory', demand: 20_480, limit: 32_768, unit: 'mib', source: 'catalog' }],
        },
      ],
    },
  } as unknown as AnalysisResult; // NOTE: deliberately loose event shapes (string subjects), as the page must survive them
}

/** Everything the page can show at once: the builder's fleet, the event, history and a per-CPU heat strip. */
export function fullResult(): AnalysisResult {
  const base = withLaterIssues(buildAnalysisResult());
  const perCpu = buildFinding({
    id: 'f-hot-cpu-web1',
    subject: web1,
    severity: 'high',
    title: 'One CPU pinned while the others idle',
    message: 'CPU 3 of web-1 stayed at 100 % for 90 s while the other three were below 60 %.',
    evidence: [0, 1, 2, 3].map(cpuSeries),
  });
  return { ...base, findings: [...base.findings, perCpu] };
}

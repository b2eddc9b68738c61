import { describe, expect, it } from 'vitest';
import type { Finding, Recommendation, Severity, Subject, Volume } from '../../src/model/index.ts';
import {
  activeRecommendations,
  monthlyCostTotal,
  REMOVING_RULES,
  resolveOneActionPerSubject,
} from '../../src/recommend/one-action.ts';

const host = (id: string): Subject => ({ provider: 'aws', kind: 'host', id });
const vol = (id: string): Subject => ({ provider: 'aws', kind: 'volume', id });

/** One finding and its one recommendation, as the engine would build them. */
function item(
  id: string,
  ruleId: string,
  subject: Subject,
  kind: Recommendation['kind'],
  usd: number | null,
  extra: { category?: Finding['category']; severity?: Severity } = {},
): { finding: Finding; rec: Recommendation } {
  const finding: Finding = {
    id: `f-${id}`,
    ruleId,
    messageId: 'm',
    severity: extra.severity ?? 'medium',
    category: extra.category ?? 'cost',
    subject,
    title: ruleId,
    message: ruleId,
    evidence: [],
    rationale: '',
    remediation: '',
    sources: [],
    recommendationIds: [id],
  };
  const rec: Recommendation = {
    id,
    findingId: finding.id,
    kind,
    subject,
    current: 'now',
    recommended: 'then',
    rationale: '',
    evidence: [],
    monthlyCostDeltaUsd: usd,
    risk: 1,
    supersededBy: null,
  };
  return { finding, rec };
}

function resolve(
  items: ReturnType<typeof item>[],
  volumes: Pick<Volume, 'provider' | 'id' | 'attachedTo'>[] = [],
) {
  const out = resolveOneActionPerSubject(
    items.map((i) => i.finding),
    items.map((i) => i.rec),
    volumes,
  );
  return Object.fromEntries(out.map((r) => [r.id, r.supersededBy]));
}

describe('one action per subject', () => {
  it('terminate supersedes resize on the same host, and the total counts the host once', () => {
    // The demo's overlap: eu-legacy-ftp got "terminate" (-$104.39) and "resize" (-$64.24).
    const items = [
      item('resize', 'cpu-over-provisioned', host('i-1'), 'instance-type', -64.24),
      item('terminate', 'idle-instance', host('i-1'), 'instance-type', -104.39),
    ];
    expect(resolve(items)).toEqual({ resize: 'terminate', terminate: null });
    const resolved = resolveOneActionPerSubject(
      items.map((i) => i.finding),
      items.map((i) => i.rec),
      [],
    );
    expect(monthlyCostTotal(resolved)).toEqual({
      monthlyCostDeltaUsd: -104.39,
      withUnknownCost: 0,
      counted: 1,
    });
    expect(activeRecommendations(resolved).map((r) => r.id)).toEqual(['terminate']);
  });

  it("a volume change on a terminated host's volume is superseded by the terminate", () => {
    const items = [
      item('terminate', 'idle-instance', host('i-1'), 'instance-type', -90.08),
      item('gp3', 'gp2-to-gp3', vol('vol-1'), 'volume', -4),
      item('other-gp3', 'gp2-to-gp3', vol('vol-2'), 'volume', -6),
    ];
    const volumes = [
      { provider: 'aws' as const, id: 'vol-1', attachedTo: [{ hostId: 'i-1', device: null }] },
      { provider: 'aws' as const, id: 'vol-2', attachedTo: [{ hostId: 'i-2', device: null }] },
    ];
    expect(resolve(items, volumes)).toEqual({ terminate: null, gp3: 'terminate', 'other-gp3': null });
  });

  it('a multi-attached volume goes only when every host it serves is removed', () => {
    const items = [
      item('terminate', 'idle-instance', host('i-1'), 'instance-type', -50),
      item('gp3', 'gp2-to-gp3', vol('vol-shared'), 'volume', -4),
    ];
    const volumes = [
      {
        provider: 'aws' as const,
        id: 'vol-shared',
        attachedTo: [
          { hostId: 'i-1', device: null },
          { hostId: 'i-2', device: null },
        ],
      },
    ];
    expect(resolve(items, volumes)).toEqual({ terminate: null, gp3: null });
  });

  it('the same id on another cloud is another subject', () => {
    const items = [
      item('terminate', 'idle-instance', host('x'), 'instance-type', -50),
      item(
        'resize-gcp',
        'cpu-over-provisioned',
        { provider: 'gcp', kind: 'host', id: 'x' },
        'instance-type',
        -20,
      ),
    ];
    expect(resolve(items)).toEqual({ terminate: null, 'resize-gcp': null });
  });

  it('of two resizes of one host, the one fixing a problem wins over the one saving money', () => {
    const items = [
      item('cheaper', 'cpu-over-provisioned', host('i-1'), 'instance-type', -30, { severity: 'high' }),
      item('bigger', 'cpu-saturated', host('i-1'), 'instance-type', 60, {
        category: 'performance',
        severity: 'medium',
      }),
    ];
    expect(resolve(items)).toEqual({ cheaper: 'bigger', bigger: null });
  });

  it('between two resizes of the same category, the more severe wins, then the earlier rule', () => {
    const bySeverity = [
      item('a', 'burstable-credits-exhausted', host('i-1'), 'instance-type', 9, {
        category: 'performance',
        severity: 'high',
      }),
      item('b', 'cpu-saturated', host('i-1'), 'instance-type', 60, {
        category: 'performance',
        severity: 'critical',
      }),
    ];
    expect(resolve(bySeverity)).toEqual({ a: 'b', b: null });
    const byOrder = [
      item('first', 'cpu-saturated', host('i-1'), 'instance-type', 60, { category: 'performance' }),
      item('second', 'burstable-credits-exhausted', host('i-1'), 'instance-type', 9, {
        category: 'performance',
      }),
    ];
    expect(resolve(byOrder)).toEqual({ first: null, second: 'first' });
  });

  it('tunings stack with each other and with a resize, but not with a removal', () => {
    const kept = [
      item('resize', 'cpu-saturated', host('i-1'), 'instance-type', 60, { category: 'performance' }),
      item('ulimit', 'fd-limit', host('i-1'), 'ulimit', 0, { category: 'reliability' }),
      item('sysctl', 'listen-queue-overflow', host('i-1'), 'sysctl', 0, { category: 'reliability' }),
    ];
    expect(resolve(kept)).toEqual({ resize: null, ulimit: null, sysctl: null });
    const removed = [
      item('terminate', 'stopped-instance-billed', host('i-2'), 'instance-type', -8),
      item('ulimit', 'fd-limit', host('i-2'), 'ulimit', 0, { category: 'reliability' }),
    ];
    expect(resolve(removed)).toEqual({ terminate: null, ulimit: 'terminate' });
  });

  it("the join verdict's restated runtime fix gives way to the on-host rule's own, and only to that kind", () => {
    const items = [
      item('joined', 'cloud-idle-host-starved', host('i-1'), 'runtime', 0, { category: 'reliability' }),
      item('pool', 'threadpool-starvation', host('i-1'), 'runtime', 0, { category: 'reliability' }),
      item('alone', 'cloud-idle-host-starved', host('i-2'), 'runtime', 0, { category: 'reliability' }),
      item('backlog', 'listen-queue-overflow', host('i-2'), 'sysctl', 0, { category: 'reliability' }),
    ];
    expect(resolve(items)).toEqual({ joined: 'pool', pool: null, alone: null, backlog: null });
  });

  it('an unattached volume deleted is not also moved to gp3', () => {
    const items = [
      item('gp3', 'gp2-to-gp3', vol('vol-9'), 'volume', -4),
      item('delete', 'unattached-volume', vol('vol-9'), 'volume', -20),
    ];
    expect(resolve(items)).toEqual({ gp3: 'delete', delete: null });
  });

  it('totals skip unknown costs and count them apart', () => {
    const recs = [
      { supersededBy: null, monthlyCostDeltaUsd: -10.005 },
      { supersededBy: null, monthlyCostDeltaUsd: null },
      { supersededBy: 'x', monthlyCostDeltaUsd: -99 },
      { supersededBy: null, monthlyCostDeltaUsd: 2.5 },
    ];
    expect(monthlyCostTotal(recs)).toEqual({ monthlyCostDeltaUsd: -7.51, withUnknownCost: 1, counted: 2 });
  });

  it('names only rules that exist as removals', async () => {
    const { rules } = await import('../../src/analysis/rules/index.ts');
    const ids = new Set(rules.map((r) => r.meta.id));
    for (const id of REMOVING_RULES) expect(ids.has(id), id).toBe(true);
  });
});

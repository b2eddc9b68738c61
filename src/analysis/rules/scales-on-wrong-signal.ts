// A group that scales on CPU (or network) while its members' own samples show them bound by an
// event loop, a pool, the accept queue, fds, threads or the disk: those limits stall requests
// while CPU stays low, so a CPU target is reached late or never, and the group does not grow when
// it must. Only the join of the policy (cloud) and the member's verdict (host) says so.
import { z } from 'zod';
import type { DiagnosisClass } from '../../../reports/json/schema.ts';
import type { Group, ProviderId, ScalingSignal } from '../../model/index.ts';
import { defineRule } from '../define-rule.ts';
import { table } from '../evidence.ts';
import { groupSubject, type OnHostEntry } from '../facts.ts';
import { established } from '../onhost/advice.ts';
import { hostLabel } from '../rule-helpers.ts';
import { max, percentile, round } from '../stats.ts';

/** Signals that follow a resource a stalled member does not use up: they do not rise when it queues. */
const RESOURCE_SIGNALS: ReadonlySet<ScalingSignal['kind']> = new Set(['cpu', 'network']);

/** On-host limits that hold requests while CPU stays low, and the signal that would see them. */
const BINDING: Partial<Record<DiagnosisClass, { what: string; binds: string }>> = {
  'event-loop-blocked': { what: 'a blocked event loop', binds: 'requests' },
  'gevent-loop-blocked': { what: 'a blocked gevent hub', binds: 'requests' },
  'threadpool-starvation': { what: 'a starved worker pool', binds: 'pool' },
  'thread-exhaustion': { what: 'threads at their limit', binds: 'pool' },
  'listen-queue-overflow': { what: 'a full accept queue', binds: 'requests' },
  'fd-exhaustion': { what: 'file descriptors at their limit', binds: 'requests' },
  'disk-saturated': { what: 'a saturated disk', binds: 'queue' },
};

/** The signal to scale on instead, in each cloud's own words. */
function bindingSignal(provider: ProviderId, binds: string): string {
  const requests =
    provider === 'gcp'
      ? 'loadBalancingUtilization (requests per second against each backend’s capacity)'
      : 'target tracking on ALBRequestCountPerTarget (requests per member)';
  if (binds === 'pool')
    return `the pool's own metric (busy workers ÷ pool size, or its queue depth) as a custom metric, or ${requests}`;
  if (binds === 'queue') return "the disk's queue depth or the work backlog per member as a custom metric";
  return requests;
}

export const scalesOnWrongSignal = defineRule({
  meta: {
    id: 'scales-on-wrong-signal',
    title: 'The group scales on CPU; its members are bound elsewhere',
    category: 'reliability',
    defaultSeverity: 'high',
    requires: ['inventory', 'onhost'],
    options: z.object({}),
    messages: {
      wrongSignal:
        '{{group}} scales on {{signal}} while its members are bound by {{what}} ({{member}}: {{verdict}}, CPU P95 {{cpu}} %): scaling will not come in time, or at all; scale on {{instead}}',
    },
    docs: {
      rationale:
        'A target-tracking or step policy on CPU (or network) adds members when that resource rises. A member held by a blocked loop, a starved pool, a full accept queue, fds, threads or a saturated disk queues its requests while its CPU stays low: ' +
        'the policy sees a quiet group and does not grow it, or grows it only after clients have timed out. The policy comes from the cloud (DescribePolicies, the MIG autoscaler), the bottleneck from the members’ own samples: neither view alone says it.',
      remediation:
        'Scale on the signal that binds: request count per target (ALBRequestCountPerTarget, loadBalancingUtilization), queue depth, or the pool’s own busy share as a custom metric; fix the member’s limit (runtime, sysctl, ulimit) as its own finding says.',
      sources: [
        'AWS Auto Scaling target tracking: choose a metric that changes in proportion to capacity (https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html)',
        'GCP autoscaler: scaling on load balancing serving capacity or Cloud Monitoring metrics (https://cloud.google.com/compute/docs/autoscaler)',
        'USE method (B. Gregg): saturation of software resources (pools, queues, limits)',
      ],
    },
  },
  check(facts, ctx) {
    for (const group of facts.groups) {
      const subject = groupSubject(group);
      if (!group.scaling) {
        ctx.insufficientData(
          'what the group scales on is unknown: its scaling policies were not read',
          subject,
        );
        continue;
      }
      const signals = group.scaling.signals;
      if (signals.length === 0) {
        ctx.notApplicable('the group has no scaling policy: it does not scale on any signal', subject);
        continue;
      }
      // Several policies scale out when any one says so: one on requests or a queue already sees the stall.
      if (!signals.every((s) => RESOURCE_SIGNALS.has(s.kind))) continue;
      const sampled = facts.onHost.filter((e) => e.host?.groupId === group.id);
      if (sampled.length === 0) {
        ctx.insufficientData('no member of the group has on-host samples', subject);
        continue;
      }
      const bound = sampled.flatMap((entry) => {
        const cls = entry.verdict.primary;
        const binding = BINDING[cls];
        return binding && established(entry, cls) ? [{ entry, cls, binding }] : [];
      });
      const first = bound[0];
      if (!first) continue;
      reportGroup(facts, ctx, group, signals, sampled, first);
    }
  },
});

type Ctx = Parameters<(typeof scalesOnWrongSignal)['check']>[1];
type Bound = { entry: OnHostEntry; cls: DiagnosisClass; binding: { what: string; binds: string } };

function cpuOf(facts: Parameters<(typeof scalesOnWrongSignal)['check']>[0], hostId: string) {
  const values = facts.series.get(hostId, 'cpu.util')?.values ?? new Float64Array(0);
  return { p95: percentile(values, 95), max: max(values) };
}

function signalLabel(s: ScalingSignal): string {
  const target =
    s.target === null
      ? 'no target'
      : s.kind === 'cpu'
        ? `target ${round(s.target)} %`
        : `target ${round(s.target)}`;
  return `${s.metric} (${target})`;
}

function reportGroup(
  facts: Parameters<(typeof scalesOnWrongSignal)['check']>[0],
  ctx: Ctx,
  group: Group,
  signals: readonly ScalingSignal[],
  sampled: readonly OnHostEntry[],
  first: Bound,
): void {
  const member = first.entry.host!;
  const cpu = cpuOf(facts, member.id);
  const cpuTarget = signals.find((s) => s.kind === 'cpu' && s.target !== null)?.target ?? null;
  const instead = bindingSignal(group.provider, first.binding.binds);
  const policyRows = signals.map((s) => ({
    view: 'policy (cloud)',
    subject: s.policy,
    measure: s.kind,
    value: signalLabel(s),
  }));
  const memberRows = sampled.map((entry) => {
    const c = cpuOf(facts, entry.host!.id);
    return {
      view: 'member (host)',
      subject: hostLabel(entry.host!),
      measure: `on-host verdict (${entry.facts.dir})`,
      value: `${entry.verdict.primary}, confidence ${entry.verdict.confidence}; cloud CPU P95 ${c.p95 === undefined ? 'unknown' : `${round(c.p95)} %`}, max ${c.max === undefined ? 'unknown' : `${round(c.max)} %`}`,
    };
  });
  const neverFires =
    cpuTarget !== null && cpu.max !== undefined && cpu.max < cpuTarget
      ? `its CPU never reached the ${round(cpuTarget)} % target in the window (max ${round(cpu.max)} %): the policy did not scale out once while the member was bound`
      : cpuTarget !== null && cpu.p95 !== undefined
        ? `its CPU P95 is ${round(cpu.p95)} % against the ${round(cpuTarget)} % target: the policy reacts to CPU, which a stalled member does not use`
        : 'the policy reacts to a resource a stalled member does not use';
  ctx.report({
    subject: groupSubject(group),
    messageId: 'wrongSignal',
    data: {
      group: group.name,
      signal: signals.map(signalLabel).join(' and '),
      what: first.binding.what,
      member: hostLabel(member),
      verdict: first.cls,
      cpu: cpu.p95 === undefined ? 'unknown' : round(cpu.p95),
      instead,
    },
    evidence: [
      table(
        'The scaling policy and the members, side by side',
        [
          { key: 'view', label: 'View' },
          { key: 'subject', label: 'Policy or member' },
          { key: 'measure', label: 'Measure' },
          { key: 'value', label: 'Value' },
        ],
        [...policyRows, ...memberRows],
      ),
    ],
    recommendations: [
      {
        kind: 'scaling',
        subject: groupSubject(group),
        current: `scales on ${signals.map(signalLabel).join(', ')}; min ${group.scaling!.min}, max ${group.scaling!.max}`,
        recommended: `scale on ${instead}`,
        rationale: `${hostLabel(member)} is bound by ${first.binding.what} (${first.cls}); ${neverFires}. A signal that rises with the queued work adds members when they are needed.`,
        evidence: [
          {
            kind: 'arithmetic',
            label: 'Why the policy does not see the bottleneck',
            steps: [
              {
                label: 'policy',
                formula: 'DescribePolicies / autoscaler policy',
                result: signals.map(signalLabel).join('; '),
              },
              {
                label: 'member verdict',
                formula: `on-host classifier over ${first.entry.facts.dir}`,
                result: `${first.cls} (${first.entry.verdict.confidence})`,
              },
              {
                label: 'member CPU',
                formula: 'P95 and max of the cloud CPU over the window',
                result:
                  cpu.p95 === undefined || cpu.max === undefined
                    ? 'no cloud CPU series'
                    : `P95 ${round(cpu.p95)} %, max ${round(cpu.max)} %${cpuTarget === null ? '' : ` against the ${round(cpuTarget)} % target`}`,
              },
              { label: 'change', formula: 'the signal that rises with the queued work', result: instead },
            ],
          },
        ],
        monthlyCostDeltaUsd: 0,
        risk: 2,
      },
    ],
  });
}

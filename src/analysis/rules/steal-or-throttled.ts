// The CPU the host gets is less than the CPU it was sold: the hypervisor steals it (steal time
// from the CloudWatch agent, the Ops Agent or sar), or a burstable type is pinned at its baseline
// with its credits spent. It matters when work queues meanwhile (a run queue longer than the
// CPUs, from the host's own samples; a burstable pinned at its cap is queueing by construction).
import { z } from 'zod';
import type { Host } from '../../model/index.ts';
import { defineRule } from '../define-rule.ts';
import { stat } from '../evidence.ts';
import { type Facts, hostSubject, isRunning, type OnHostEntry } from '../facts.ts';
import { hostLabel } from '../rule-helpers.ts';
import { forEachPoint, pointCount, presentValues, valueAtMs } from '../series-read.ts';
import { percentile, round } from '../stats.ts';

export const stealOrThrottled = defineRule({
  meta: {
    id: 'steal-or-throttled',
    title: 'CPU stolen or throttled while work queues',
    category: 'performance',
    defaultSeverity: 'high',
    requires: ['inventory', 'metrics'],
    options: z.object({
      stealPct: z
        .number()
        .min(1)
        .max(100)
        .default(10)
        .describe('CPU steal P95 that counts as stolen (percent).'),
      pinnedShare: z
        .number()
        .min(0.01)
        .max(1)
        .default(0.05)
        .describe(
          'Share of the window a burstable must sit at its baseline with no credits to count as throttled.',
        ),
    }),
    messages: {
      steal:
        '{{host}}: the hypervisor steals {{steal}} % of the CPU (P95) while the run queue reaches {{runq}} on {{cpus}} CPUs: the host waits for CPU it pays for',
      throttled:
        '{{host}}: the {{type}} sat at its {{baseline}} % baseline with no CPU credits for {{hours}} h of the window: throttled, and the work it could not run queued',
    },
    docs: {
      rationale:
        'Steal time is CPU the guest was ready to use but the hypervisor gave to another tenant; a burstable instance out of credits is capped at its baseline. ' +
        'Either way the CPU utilization the cloud shows understates the demand, and work queues behind a CPU the host does not get.',
      remediation:
        'For steal: move to a non-shared (dedicated, newer generation) type, or stop and start the instance to land on another host. ' +
        'For a throttled burstable: unlimited mode, or the non-burstable type the unthrottled demand needs.',
      sources: [
        'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/burstable-credits-baseline-concepts.html',
        'pmie per-CPU steal rule; sar(1) %steal',
        'USE method (B. Gregg): CPU saturation is the run queue',
      ],
    },
  },
  check(facts, ctx) {
    for (const host of facts.hosts) {
      if (!isRunning(host)) continue;
      const entry = facts.onHost.find((e) => e.host?.id === host.id);
      const type = facts.catalog.get(host.instanceType);
      if (type?.burstable && type.baselineCpuPct !== null) {
        throttled(facts, host, type.baselineCpuPct, ctx);
        continue;
      }
      stolen(facts, host, entry, ctx);
    }
  },
});

type Ctx = Parameters<typeof stealOrThrottled.check>[1];

function throttled(facts: Facts, host: Host, baselinePct: number, ctx: Ctx): void {
  const cpu = facts.series.get(host.id, 'cpu.util');
  const credits = facts.series.get(host.id, 'cpu.credit.balance');
  if (!cpu || !credits) {
    ctx.insufficientData('no CPU or CPU credit balance series for the burstable host', hostSubject(host));
    return;
  }
  // At the cap: within 10 % of the baseline, and no credits left to burst with.
  let pinnedPoints = 0;
  forEachPoint(cpu, (t, v) => {
    if (v >= baselinePct * 0.9 && (valueAtMs(credits, t) ?? 1) < 1) pinnedPoints += 1;
  });
  const points = pointCount(cpu);
  const share = points === 0 ? 0 : pinnedPoints / points;
  if (share < ctx.options.pinnedShare) return;
  const hours = round((pinnedPoints * cpu.stepSec) / 3600, 1);
  ctx.report({
    subject: hostSubject(host),
    messageId: 'throttled',
    data: { host: hostLabel(host), type: host.instanceType, baseline: baselinePct, hours },
    evidence: [
      stat(
        'time at the baseline with no credits',
        hours * 3600,
        'seconds',
        `periods where CPUUtilization ≥ 90 % of the ${baselinePct} % baseline and CPUCreditBalance < 1`,
      ),
      stat('baseline', baselinePct, 'percent', 'catalog'),
    ],
  });
}

function stolen(facts: Facts, host: Host, entry: OnHostEntry | undefined, ctx: Ctx): void {
  const cloudSteal = presentValues(facts.series.get(host.id, 'cpu.steal'), facts.window.stepSec);
  const hostSteal = entry?.facts.cpu?.stealPct.filter(Number.isFinite);
  const steal = percentile(cloudSteal && cloudSteal.length > 0 ? cloudSteal : (hostSteal ?? []), 95);
  if (steal === undefined) {
    ctx.insufficientData('no steal time (no agent and no on-host samples)', hostSubject(host));
    return;
  }
  if (steal < ctx.options.stealPct) return;
  const cpus = entry?.facts.cpu?.cpuCount ?? host.vcpu ?? null;
  const runq = percentile(entry?.facts.cpu?.runqSz.filter(Number.isFinite) ?? [], 95);
  if (runq === undefined || cpus === null) {
    ctx.insufficientData(
      'steal without a run queue to show work waiting (no on-host samples)',
      hostSubject(host),
    );
    return;
  }
  if (runq <= cpus) return;
  ctx.report({
    subject: hostSubject(host),
    messageId: 'steal',
    data: { host: hostLabel(host), steal: round(steal), runq: round(runq), cpus },
    evidence: [
      stat(
        'CPU steal, P95',
        round(steal),
        'percent',
        cloudSteal && cloudSteal.length > 0 ? 'cloud agent cpu.steal' : 'sar %steal (on-host)',
      ),
      stat('run queue, P95', round(runq), 'count', `sar runq-sz against ${cpus} CPUs (on-host)`),
    ],
  });
}

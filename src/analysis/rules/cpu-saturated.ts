// CPU saturated: the cloud's per-5-minute CPU sits above 90 % for a meaningful share of the window
// (node-mixin NodeCPUHighUsage and pmie cpu.util both use 90 %), and/or on-host samples show the
// CPUs busy above 90 % with a run queue longer than the CPU count (USE method). One verdict per host.
import { z } from 'zod';
import type { Evidence, Host, Subject } from '../../model/index.ts';
import { rightsize } from '../../recommend/sizing.ts';
import { defineRule, type RecommendationDraft } from '../define-rule.ts';
import { percentileStat, sampleSeriesEvidence, seriesEvidence, stat } from '../evidence.ts';
import { type Facts, hostSubject, type OnHostEntry } from '../facts.ts';
import { cpuCountOf, sustainedSec } from '../onhost/classify.ts';
import { type OnHostFacts, sourceOf } from '../onhost/signals.ts';
import {
  catalogType,
  hostLabel,
  instanceRecommendation,
  sizingSignals,
  values,
  windowLabel,
} from '../rule-helpers.ts';
import { longestRunSec, percentile, rollingMedian, round, secondsWhere } from '../stats.ts';

export const cpuSaturated = defineRule({
  meta: {
    id: 'cpu-saturated',
    title: 'CPU saturated',
    category: 'performance',
    defaultSeverity: 'high',
    requires: [],
    options: z.object({
      threshold: z.number().min(50).max(100).default(90).describe('Busy percent that counts as saturated.'),
      percentile: z
        .number()
        .min(50)
        .max(100)
        .default(95)
        .describe('Percentile of per-period CPU that must reach the threshold.'),
      minPoints: z
        .number()
        .int()
        .positive()
        .default(12)
        .describe('Cloud points needed to judge (12 = one hour at 300 s).'),
      sustainedSec: z
        .number()
        .positive()
        .default(30)
        .describe('On-host: how long busy must stay above the threshold.'),
    }),
    messages: {
      cloud:
        '{{host}}: p{{pct}} of the per-period average CPU {{value}} % over {{window}} ({{hours}} h at or above {{threshold}} %)',
      onhost:
        '{{host}}: CPUs busy ≥ {{threshold}} % for {{runSec}} s straight, run queue above {{ncpu}} CPUs for {{queuedSec}} s',
      both: '{{host}}: p{{pct}} of the per-period average CPU {{value}} % over {{window}}, and on the host the CPUs stayed ≥ {{threshold}} % busy for {{runSec}} s with a run queue above {{ncpu}} CPUs for {{queuedSec}} s',
    },
    docs: {
      rationale:
        'Above about 90 % busy, runnable work waits for a CPU: latency grows with the run queue long before the CPU reads 100 %. ' +
        'The cloud sees the hypervisor side (utilization); the host sees the queue (runq-sz, PSI). Either alone can mislead, together they decide.',
      remediation:
        'Move to a type with more vCPUs (the recommendation sizes it from the observed peak plus headroom), or scale out; ' +
        'if a batch job shares the host, confine it (cgroup cpu.max, nice) away from the latency-sensitive service.',
      sources: [
        'node-mixin NodeCPUHighUsage (> 90 %): prometheus/node_exporter docs/node-mixin/alerts/alerts.libsonnet @a7dcc3a0154518',
        'pmie cpu.util (> 90 %): performancecopilot/pcp src/pmieconf/cpu/util @918d12b68beca9b2',
        'USE method: run queue > CPU count = saturation (brendangregg.com/USEmethod/use-linux.html)',
      ],
    },
  },
  check(facts, ctx) {
    const { threshold, minPoints, sustainedSec } = ctx.options;
    const pct = ctx.options.percentile;
    const onHostByHost = new Map(facts.onHost.filter((e) => e.host).map((e) => [e.host!.id, e]));
    for (const host of facts.hosts.filter((h) => h.state === 'running')) {
      const cpuSeries = facts.series.get(host.id, 'cpu.util');
      const cpu = values(facts, host.id, 'cpu.util');
      // Each series carries its own step: an hourly OVH series counts hours, not 5-minute periods.
      const stepSec = cpuSeries?.stepSec ?? facts.window.stepSec;
      const onHost = onHostByHost.get(host.id);
      const hostVerdict = onHost?.facts.cpu ? judgeOnHost(onHost.facts, threshold, sustainedSec) : undefined;
      if (cpu.length < minPoints && !hostVerdict) {
        ctx.insufficientData(`${cpu.length} CPU points; needs ${minPoints}`, hostSubject(host));
        continue;
      }
      const p = percentile(cpu, pct);
      const cloudSaturated = cpu.length >= minPoints && p !== undefined && p >= threshold;
      const hostSaturated = hostVerdict?.saturated === true;
      if (!cloudSaturated && !hostSaturated) continue;
      const evidence: Evidence[] = [];
      if (cpu.length > 0) {
        evidence.push(percentileStat(`p${pct} CPU (per-period average)`, cpu, pct, 'percent', stepSec));
        // One label, one series: the chart of per-period maxima is named as such, apart from the average.
        const maxSeries = facts.series.get(host.id, 'cpu.util.max');
        evidence.push(
          seriesEvidence(
            maxSeries ?? cpuSeries!,
            maxSeries ? 'CPU utilization, per-period maximum' : 'CPU utilization, per-period average',
            { label: 'saturation threshold', value: threshold },
          ),
        );
      }
      if (hostVerdict && onHost) evidence.push(...onHostEvidence(onHost, hostVerdict, threshold));
      const hours = round((secondsWhere(cpu, stepSec, (v) => v >= threshold) || 0) / 3600, 1);
      const messageId = cloudSaturated && hostSaturated ? 'both' : cloudSaturated ? 'cloud' : 'onhost';
      const recommendation = upsize(facts, host);
      ctx.report({
        subject: hostSubject(host),
        messageId,
        data: {
          host: hostLabel(host),
          pct,
          value: p === undefined ? 'n/a' : round(p, 1),
          window: windowLabel(facts),
          hours,
          threshold,
          runSec: hostVerdict?.runSec ?? 0,
          queuedSec: hostVerdict?.queuedSec ?? 0,
          ncpu: hostVerdict?.ncpu ?? host.vcpu ?? '?',
        },
        evidence,
        severity: p !== undefined && p >= 98 ? 'critical' : 'high',
        ...(recommendation
          ? { recommendations: [recommendation] }
          : hostSaturated && onHost && hostVerdict
            ? { recommendations: [cpusNeeded(onHost, hostVerdict)] }
            : {}),
      });
    }
    // On-host folders not mapped to a cloud host (diagnose, or an unmapped folder).
    for (const entry of facts.onHost.filter((e) => !e.host && e.facts.cpu)) {
      const verdict = judgeOnHost(entry.facts, threshold, sustainedSec);
      if (!verdict.saturated) continue;
      ctx.report({
        subject: entry.subject,
        messageId: 'onhost',
        data: {
          host: entry.subject.name ?? entry.subject.id,
          threshold,
          runSec: verdict.runSec,
          ncpu: verdict.ncpu,
          queuedSec: verdict.queuedSec,
        },
        evidence: onHostEvidence(entry, verdict, threshold),
        recommendations: [cpusNeeded(entry, verdict)],
      });
    }
  },
});

/**
 * The CPUs the observed peak needs (for a folder with no cloud host to size from a catalog). Each
 * second's demand is the busy CPUs, or the runnable tasks when more wait than there are CPUs
 * (runq-sz counts both); its p95, with Compute Optimizer's 20 % headroom, is the floor. The CPUs
 * were saturated, so the true demand is at least this: a floor, not a fit.
 */
function cpusNeeded(entry: OnHostEntry, verdict: OnHostVerdict): RecommendationDraft {
  const cpu = entry.facts.cpu!;
  const ncpu = verdict.ncpu;
  const demand = cpu.busyPct.map((busy, i) => Math.max((busy / 100) * ncpu, cpu.runqSz[i] ?? 0));
  const peak = percentile(demand, 95) ?? ncpu;
  const wanted = Math.max(ncpu + 1, Math.ceil(peak * 1.2));
  return {
    kind: 'instance-type',
    subject: entry.subject,
    current: `${ncpu || 'unknown'} CPUs`,
    recommended: `at least ${wanted} vCPUs (a type or host with that many, or scale out)`,
    rationale:
      `The CPUs stayed at or above the threshold for ${verdict.runSec} s with work queued for ${verdict.queuedSec} s; ` +
      `the p95 demand was ${round(peak, 1)} CPUs. Saturated CPUs hide demand, so this is a floor: check again after the change.`,
    evidence: [
      {
        kind: 'arithmetic',
        label: 'CPUs the peak needs',
        steps: [
          {
            label: 'demand each second',
            formula: `max(busy % × ${ncpu} CPUs, run queue)`,
            result: `${cpu.busyPct.length} samples`,
          },
          { label: 'p95 demand', formula: 'nearest-rank P95', result: `${round(peak, 2)} CPUs` },
          {
            label: 'with 20 % headroom',
            formula: `max(${ncpu} + 1, ⌈${round(peak, 2)} × 1.2⌉)`,
            result: `${wanted} vCPUs`,
          },
        ],
      },
    ],
    monthlyCostDeltaUsd: null,
    risk: 1,
  };
}

interface OnHostVerdict {
  saturated: boolean;
  runSec: number;
  queuedSec: number;
  ncpu: number;
}

/**
 * Busy is utilisation; saturation needs work waiting for a CPU as well: a run queue longer than the
 * CPU count (USE method) or PSI cpu pressure. "Sustained" is the option or a tenth of the capture,
 * whichever is longer (at most 15 min).
 */
export function judgeOnHost(facts: OnHostFacts, threshold: number, minSustainedSec: number): OnHostVerdict {
  const cpu = facts.cpu!;
  const ncpu = cpuCountOf(facts);
  const sustained = Math.max(minSustainedSec, sustainedSec(facts));
  const runSec = longestRunSec(rollingMedian(cpu.busyPct), cpu.intervalSec, (v) => v >= threshold);
  const queuedSec =
    ncpu === null
      ? 0
      : secondsWhere(
          cpu.runqSz.map((q, i) => (q > ncpu && (cpu.busyPct[i] ?? 0) >= threshold - 10 ? 1 : 0)),
          cpu.intervalSec,
          (v) => v === 1,
        );
  const pressureSec = secondsWhere(cpu.psiCpuSome, cpu.intervalSec, (v) => v >= 10);
  const waiting = queuedSec >= 10 || pressureSec >= 10;
  return { saturated: runSec >= sustained && waiting, runSec, queuedSec, ncpu: ncpu ?? 0 };
}

function onHostEvidence(entry: OnHostEntry, verdict: OnHostVerdict, threshold: number): Evidence[] {
  const cpu = entry.facts.cpu!;
  return [
    stat(
      'on-host longest run at or above the threshold',
      verdict.runSec,
      'seconds',
      `${sourceOf(entry.facts.samples, 'sysstat', 'sysstat cpu-load "all"')}, busy = 100 - idle - iowait`,
    ),
    stat(
      `on-host seconds with run queue above ${verdict.ncpu} CPUs`,
      verdict.queuedSec,
      'seconds',
      sourceOf(entry.facts.samples, 'sysstat', 'sysstat queue runq-sz'),
    ),
    sampleSeriesEvidence(
      'On-host CPU busy',
      cpu.timesMs,
      cpu.busyPct,
      'percent',
      `${sourceOf(entry.facts.samples, 'sysstat', 'sysstat')} (${entry.facts.dir})`,
      { label: 'saturation threshold', value: threshold },
    ),
    sampleSeriesEvidence(
      'On-host run queue',
      cpu.timesMs,
      cpu.runqSz,
      'count',
      `${sourceOf(entry.facts.samples, 'sysstat', 'sysstat queue runq-sz')} (${entry.facts.dir})`,
      { label: 'CPUs', value: verdict.ncpu },
    ),
    ...perCpuEvidence(entry, threshold),
  ];
}

/** More CPUs than this are not charted one by one (their busy average is above). */
const MAX_PER_CPU_SERIES = 64;

/**
 * Each CPU's busy share, last in the evidence (writers short of room drop it first): one hot CPU
 * under a calm average is a single-threaded bottleneck, not a host short of CPUs. The HTML report
 * draws these neighbouring `CPU N busy` series as one heat strip.
 */
function perCpuEvidence(entry: OnHostEntry, threshold: number): Evidence[] {
  const sysstat = entry.facts.samples.sysstat;
  if (!sysstat) return [];
  const cpus = Object.keys(sysstat.perCpuBusy)
    .filter((cpu) => /^\d+$/.test(cpu))
    .sort((a, b) => Number(a) - Number(b));
  if (cpus.length < 2 || cpus.length > MAX_PER_CPU_SERIES) return [];
  const source = `${sourceOf(entry.facts.samples, 'sysstat', 'sysstat cpu-load per CPU')}, busy = 100 - idle - iowait (${entry.facts.dir})`;
  return cpus.map((cpu) =>
    sampleSeriesEvidence(`CPU ${cpu} busy`, sysstat.timesMs, sysstat.perCpuBusy[cpu]!, 'percent', source, {
      label: 'saturation threshold',
      value: threshold,
    }),
  );
}

function upsize(facts: Facts, host: Host): RecommendationDraft | undefined {
  const { sizing } = facts;
  const current = catalogType(facts, host);
  if (!current) return undefined;
  const result = rightsize(current, [...facts.catalog.values()], sizingSignals(facts, [host.id]), sizing);
  if (result.verdict !== 'under-provisioned') return undefined;
  const censored = (percentile(values(facts, host.id, 'cpu.util.max'), 99.5) ?? 0) >= 99;
  const note = censored
    ? 'CPU was pinned near 100 %, so the true demand is higher than measured: this is a floor.'
    : undefined;
  return instanceRecommendation(result, hostSubject(host) satisfies Subject, 1, sizing.cpuPercentile, note);
}

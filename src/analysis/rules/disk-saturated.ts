// Disk saturated, from both sides. Cloud: the volume is busy nearly all of a period
// (1 - VolumeIdleTime/period), requests queue (VolumeQueueLength), and IOPS or throughput sit at the
// volume's limit (gp2's baseline once its burst balance is spent). Host: %util and the queue (aqu-sz)
// stay high together: %util alone misleads on devices that serve requests in parallel (sar(1)), and
// iowait is not required because Linux does not count async I/O waits as iowait.
import { z } from 'zod';
import type { Evidence, Volume } from '../../model/index.ts';
import { GP3, planGp3, volumeCapacity, volumeMonthlyCost } from '../../recommend/ebs.ts';
import { usd } from '../../recommend/money.ts';
import { defineRule, type RecommendationDraft } from '../define-rule.ts';
import { sampleSeriesEvidence, seriesEvidence, stat } from '../evidence.ts';
import { type Facts, type OnHostEntry, volumeSubject } from '../facts.ts';
import { sustainedSec } from '../onhost/classify.ts';
import { type DiskFacts, sourceOf } from '../onhost/signals.ts';
import {
  hostLabel,
  saturatedPeriods,
  VOLUME_SATURATION,
  volumeLabel,
  volumeLoad,
  volumeSeriesEvidence,
  volumeSpec,
  windowLabel,
} from '../rule-helpers.ts';
import { valueAtMs } from '../series-read.ts';
import { longestRunSec, max, mean, percentile, rollingMedian, round, secondsWhere } from '../stats.ts';

export const diskSaturated = defineRule({
  meta: {
    id: 'disk-saturated',
    title: 'Disk saturated',
    category: 'performance',
    defaultSeverity: 'high',
    requires: [],
    options: z.object({
      busyPct: z
        .number()
        .min(50)
        .max(100)
        .default(VOLUME_SATURATION.busyPct)
        .describe('Busy (or %util) percent that counts as saturated.'),
      atLimitShare: z
        .number()
        .min(0.5)
        .max(1)
        .default(VOLUME_SATURATION.atLimitShare)
        .describe('Share of the volume limit that counts as "at the limit".'),
      minSaturatedHours: z
        .number()
        .positive()
        .default(VOLUME_SATURATION.minSaturatedHours)
        .describe('Cloud: hours saturated before it is a finding.'),
      queueDepth: z
        .number()
        .positive()
        .default(VOLUME_SATURATION.queueDepth)
        .describe('Average queue that counts as queueing (Netflix: aqu-sz > 1).'),
      sustainedSec: z
        .number()
        .positive()
        .default(30)
        .describe('On-host: how long %util and the queue must stay high.'),
    }),
    messages: {
      cloud:
        '{{volume}} was saturated for {{hours}} h over {{window}}: {{limitText}}, queue {{queue}}, busy {{busy}} % of those periods',
      onhost:
        '{{host}}: {{device}} at {{util}} % util with a queue of {{queue}} for {{runSec}} s straight (await {{awaitBusy}} ms busy vs {{awaitIdle}} ms idle)',
    },
    docs: {
      rationale:
        'A volume at its IOPS or throughput limit queues requests: latency grows with the queue while the application sees slow writes and reads. ' +
        'The cloud shows the limit being hit (busy time, queue length, ops against provisioned IOPS); the host shows the queue the kernel sees.',
      remediation:
        "Raise the volume's performance (gp3 with provisioned IOPS/throughput, io2 beyond gp3's limits), make sure the instance's EBS bandwidth is not the cap, " +
        'or reduce small random I/O (batching, larger blocks, buffered writes); local NVMe suits scratch data.',
      sources: [
        'Netflix 60 s analysis: iostat avgqu-sz > 1 can be evidence of saturation, %util > 60 % typically poor performance',
        'node-mixin NodeDiskIOSaturation (weighted io time > 10): prometheus/node_exporter docs/node-mixin/alerts/alerts.libsonnet @a7dcc3a0154518',
        'sar(1) %util caveat for parallel devices: sysstat/sysstat man/sar.in @c1eb661ab208',
        'EBS VolumeIdleTime, VolumeQueueLength: https://docs.aws.amazon.com/ebs/latest/userguide/using_cloudwatch_ebs.html',
      ],
    },
  },
  check(facts, ctx) {
    const o = ctx.options;
    for (const volume of facts.volumes) {
      const load = volumeLoad(facts, volume.id);
      if (load.points === 0) continue;
      const capacity = volumeCapacity(volume.type, volume.sizeGiB, volume.iops, volume.throughputMiBps);
      const busy = facts.series.get(volume.id, 'disk.busy');
      const queue = facts.series.get(volume.id, 'disk.queue');
      const saturatedAt = saturatedPeriods(facts, volume, o);
      const stepSec = volumeStepSec(facts, volume.id);
      const hours = (saturatedAt.length * stepSec) / 3600;
      if (hours < o.minSaturatedHours) continue;
      const at = new Set(saturatedAt);
      const sel = (values: number[]) => values.filter((_, i) => at.has(load.timesMs[i]!));
      const peakIops = max(load.iops) ?? 0;
      const peakMiBps = max(load.mibps) ?? 0;
      const limitText = [
        capacity.iops !== null
          ? `${round(percentile(sel(load.iops), 50) ?? 0)} IOPS of ${capacity.iops}`
          : null,
        capacity.throughputMiBps !== null
          ? `${round(percentile(sel(load.mibps), 50) ?? 0, 1)} MiB/s of ${capacity.throughputMiBps}`
          : null,
      ]
        .filter(Boolean)
        .join(', ');
      ctx.report({
        subject: volumeSubject(volume),
        messageId: 'cloud',
        data: {
          volume: volumeLabel(facts, volume),
          hours: round(hours, 1),
          window: windowLabel(facts),
          limitText,
          queue: round(mean(saturatedAt.map((t) => valueAtMs(queue, t) ?? Number.NaN)) ?? 0, 1),
          busy: round(mean(saturatedAt.map((t) => valueAtMs(busy, t) ?? Number.NaN)) ?? 0),
        },
        evidence: [
          stat(
            'time at the limit while queueing or busy',
            Math.round(hours * 3600),
            'seconds',
            `periods of ${stepSec} s`,
          ),
          ...cloudEvidence(facts, volume, load, capacity.iops),
        ],
        recommendations: upgrade(volume, peakIops, peakMiBps, capacity.basis),
      });
    }
    for (const entry of facts.onHost) {
      // Every device is judged; the one saturated longest speaks for the host.
      const judged = entry.facts.disks
        .map((disk) => ({ disk, verdict: judgeDisk(disk, o.busyPct, o.queueDepth) }))
        .sort((a, b) => b.verdict.runSec - a.verdict.runSec)[0];
      if (!judged) continue;
      const { disk, verdict } = judged;
      if (verdict.runSec < Math.max(o.sustainedSec, sustainedSec(entry.facts))) continue;
      ctx.report({
        subject: entry.subject,
        messageId: 'onhost',
        data: {
          host: entry.host ? hostLabel(entry.host) : (entry.subject.name ?? entry.subject.id),
          device: disk.device,
          util: round(verdict.util),
          queue: round(verdict.queue, 1),
          runSec: verdict.runSec,
          awaitBusy: round(verdict.awaitBusy ?? 0, 2),
          awaitIdle: round(verdict.awaitIdle ?? 0, 2),
        },
        evidence: onHostEvidence(entry, disk, o.busyPct),
        recommendations: [deviceNeeds(entry, disk, verdict)],
      });
    }
  },
});

/** The step of a volume's own series (an hourly series counts hours), else the window's. */
function volumeStepSec(facts: Facts, volumeId: string): number {
  const metrics = ['disk.read.ops', 'disk.write.ops', 'disk.read.bytes', 'disk.write.bytes'] as const;
  for (const metric of metrics) {
    const series = facts.series.get(volumeId, metric);
    if (series) return series.stepSec;
  }
  return facts.window.stepSec;
}

/**
 * What the device's peak needs (for a folder with no cloud volume to resize): the p99 IOPS and
 * throughput while it was saturated, ×1.5 because a saturated device capped its own peaks, as the
 * cloud side sizes gp3.
 */
function deviceNeeds(
  entry: OnHostEntry,
  disk: DiskFacts,
  verdict: ReturnType<typeof judgeDisk>,
): RecommendationDraft {
  const s = disk.series;
  const iops = s.tps.filter((_, i) => verdict.hot[i] === 1);
  const mibps = s.readKiBps
    .map((read, i) => (read + (s.writeKiBps[i] ?? 0)) / 1024)
    .filter((_, i) => verdict.hot[i] === 1);
  const peakIops = percentile(iops, 99) ?? 0;
  const peakMiBps = percentile(mibps, 99) ?? 0;
  const wantedIops = Math.ceil((peakIops * 1.5) / 100) * 100;
  const wantedMiBps = Math.ceil(peakMiBps * 1.5);
  return {
    kind: 'volume',
    subject: entry.subject,
    current: `${disk.device}: ${round(peakIops)} IOPS, ${round(peakMiBps, 1)} MiB/s at saturation (a floor)`,
    recommended: `${disk.device} on a volume that sustains at least ${wantedIops} IOPS and ${wantedMiBps} MiB/s`,
    rationale:
      `${disk.device} was saturated for ${verdict.runSec} s straight; its p99 while saturated was ${round(peakIops)} IOPS and ${round(peakMiBps, 1)} MiB/s. ` +
      'The device capped those peaks, so the volume is sized at 1.5 × them; if it is a cloud volume, provision that (gp3/io2, PD/Hyperdisk) and check the instance bandwidth.',
    evidence: [
      {
        kind: 'arithmetic',
        label: `What ${disk.device} needs`,
        steps: [
          {
            label: 'saturated samples',
            formula: '%util and queue high, await up',
            result: String(iops.length),
          },
          { label: 'p99 IOPS', formula: 'r/s + w/s (tps), nearest rank', result: String(round(peakIops)) },
          {
            label: 'p99 throughput',
            formula: '(rkB/s + wkB/s) ÷ 1024',
            result: `${round(peakMiBps, 1)} MiB/s`,
          },
          {
            label: 'needed',
            formula: '1.5 × each, IOPS to the hundred',
            result: `${wantedIops} IOPS, ${wantedMiBps} MiB/s`,
          },
        ],
      },
    ],
    monthlyCostDeltaUsd: null,
    risk: 1,
  };
}

export function judgeDisk(disk: DiskFacts, busyPct: number, queueDepth: number) {
  const s = disk.series;
  const util = rollingMedian(s.utilPct);
  const queue = rollingMedian(s.aquSz);
  // %util misleads on parallel devices (sar(1)): busy-and-queueing counts only when requests also
  // wait longer than when the disk idled; a queue deeper than 10 (node-mixin) counts on its own.
  const idleAwait = percentile(
    s.awaitMs.filter((v, i) => (util[i] ?? 100) < 10 && v > 0),
    50,
  );
  const slower = (i: number) => idleAwait === undefined || (s.awaitMs[i] ?? 0) >= 2 * idleAwait;
  const hot = util.map((u, i) =>
    (u >= busyPct && (queue[i] ?? 0) >= queueDepth && slower(i)) || (queue[i] ?? 0) >= 10 ? 1 : 0,
  );
  const intervals = s.timesMs.map((t, i) =>
    Math.max(1, Math.round(((s.timesMs[i + 1] ?? t + 1000) - t) / 1000)),
  );
  const busyIdx = hot.flatMap((h, i) => (h ? [i] : []));
  return {
    hot,
    runSec: longestRunSec(hot, intervals, (v) => v === 1),
    totalSec: secondsWhere(hot, intervals, (v) => v === 1),
    util: mean(busyIdx.map((i) => s.utilPct[i]!)) ?? 0,
    queue: mean(busyIdx.map((i) => s.aquSz[i]!)) ?? 0,
    awaitBusy: percentile(
      busyIdx.map((i) => s.awaitMs[i]!),
      50,
    ),
    awaitIdle: percentile(
      s.awaitMs.filter((v, i) => (s.utilPct[i] ?? 100) < 10 && v > 0),
      50,
    ),
  };
}

function cloudEvidence(
  facts: Facts,
  volume: Volume,
  load: ReturnType<typeof volumeLoad>,
  iopsLimit: number | null,
): Evidence[] {
  const evidence: Evidence[] = [
    volumeSeriesEvidence(
      facts,
      load,
      'iops',
      iopsLimit !== null ? { label: 'volume limit', value: iopsLimit } : undefined,
    ),
  ];
  const more = [
    ['disk.queue', 'Queue length', { label: 'queueing', value: 1 }],
    ['disk.busy', 'Busy', { label: 'saturation threshold', value: VOLUME_SATURATION.busyPct }],
    ['disk.burst.balance', 'Burst balance', { label: 'empty', value: 0, bad: 'below' }],
  ] as const;
  for (const [metric, label, reference] of more) {
    const series = facts.series.get(volume.id, metric);
    if (series) evidence.push(seriesEvidence(series, label, reference));
  }
  return evidence;
}

function onHostEvidence(entry: OnHostEntry, disk: DiskFacts, busyPct: number): Evidence[] {
  const s = disk.series;
  const derived = entry.facts.samples.derived?.some((d) => d.field === 'disks' || d.field === 'sysstat');
  const origin =
    disk.source === 'sysstat' && derived ? sourceOf(entry.facts.samples, 'disks', 'sysstat') : disk.source;
  const source = `${origin} ${disk.device} (${entry.facts.dir})`;
  return [
    sampleSeriesEvidence(`${disk.device} %util`, s.timesMs, s.utilPct, 'percent', source, {
      label: 'saturation threshold',
      value: busyPct,
    }),
    sampleSeriesEvidence(`${disk.device} queue (aqu-sz)`, s.timesMs, s.aquSz, 'count', source, {
      label: 'queueing',
      value: 1,
    }),
    sampleSeriesEvidence(`${disk.device} await`, s.timesMs, s.awaitMs, 'milliseconds', source),
    sampleSeriesEvidence(`${disk.device} IOPS`, s.timesMs, s.tps, 'ops-per-second', source),
  ];
}

function upgrade(volume: Volume, peakIops: number, peakMiBps: number, basis: string): RecommendationDraft[] {
  // The peak is censored at the limit: the demand is at least that, so size well above it.
  const plan = planGp3(volume.sizeGiB, peakIops, peakMiBps, 1.5);
  const steps = [
    { label: 'today', formula: basis, result: volume.type },
    {
      label: 'observed peaks (a floor: the volume capped them)',
      formula: 'max of per-period averages',
      result: `${round(peakIops)} IOPS, ${round(peakMiBps, 1)} MiB/s`,
    },
    ...plan.steps,
  ];
  const before = volumeMonthlyCost(volume.type, volume.sizeGiB, volume.iops, volume.throughputMiBps);
  const deltaOf = (after: ReturnType<typeof volumeMonthlyCost>) =>
    before.usd !== null && after.usd !== null ? Math.round((after.usd - before.usd) * 100) / 100 : null;
  if (!plan.fits) {
    // Beyond gp3: io2 Block Express, 1,000 IOPS per GiB at most, sized 1.5 × the capped peak.
    const io2Iops = Math.ceil((peakIops * 1.5) / 100) * 100;
    const io2GiB = Math.max(volume.sizeGiB, Math.ceil(io2Iops / 1000));
    const after = volumeMonthlyCost('io2', io2GiB, io2Iops, null);
    const delta = deltaOf(after);
    steps.push({
      label: 'io2 instead',
      formula: `1.5 × ${round(peakIops)} IOPS, at ≥ ${io2Iops} ÷ 1000 IOPS per GiB`,
      result: `${io2Iops} IOPS on ${io2GiB} GiB`,
    });
    steps.push({
      label: 'io2 cost',
      formula: after.formula,
      result: after.usd === null ? 'unknown' : `${usd(after.usd)}/month`,
    });
    return [
      {
        kind: 'volume',
        subject: volumeSubject(volume),
        current: volumeSpec(volume.type, volume.sizeGiB, volume.iops, volume.throughputMiBps),
        recommended: volumeSpec('io2', io2GiB, io2Iops, null),
        rationale: `The peaks need more than gp3 allows (${GP3.maxIops} IOPS, ${GP3.maxMiBps} MiB/s): io2 Block Express, sized 1.5 × the capped peak; ${delta === null ? `price of ${[...before.unknown, ...after.unknown].join(' and ')} not in the bundled catalog` : `${usd(delta)}/month`}.`,
        evidence: [{ kind: 'arithmetic', label: `Resizing ${volume.id}`, steps }],
        monthlyCostDeltaUsd: delta,
        risk: 1,
      },
    ];
  }
  const after = volumeMonthlyCost('gp3', plan.sizeGiB, plan.iops, plan.throughputMiBps);
  const delta = deltaOf(after);
  return [
    {
      kind: 'volume',
      subject: volumeSubject(volume),
      current: volumeSpec(volume.type, volume.sizeGiB, volume.iops, volume.throughputMiBps),
      recommended: volumeSpec('gp3', plan.sizeGiB, plan.iops, plan.throughputMiBps),
      rationale: `The volume capped its own peaks, so gp3 is sized at 1.5 × the capped peak; ${delta === null ? `price of ${[...before.unknown, ...after.unknown].join(' and ') || 'a part'} not in the bundled catalog` : `${usd(delta)}/month`}. Check the instance's EBS bandwidth too.`,
      evidence: [{ kind: 'arithmetic', label: `Resizing ${volume.id}`, steps }],
      monthlyCostDeltaUsd: delta,
      risk: 1,
    },
  ];
}

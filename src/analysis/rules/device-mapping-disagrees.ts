// The host's own disk and the cloud volume it maps to must tell one story. When the host's device
// is busy and queueing at rates the cloud volume never saw (or the volume is saturated while every
// device on the host idles), either the sample folder belongs to another host, or the work is on a
// device the cloud does not meter (instance store, a RAM disk, a network mount): neither view can be
// trusted for disk advice until that is reconciled.
import { z } from 'zod';
import { defineRule } from '../define-rule.ts';
import { stat, table } from '../evidence.ts';
import type { Facts } from '../facts.ts';
import { hostLabel } from '../rule-helpers.ts';
import { sumByTime } from '../series-read.ts';
import { max, round } from '../stats.ts';

export const deviceMappingDisagrees = defineRule({
  meta: {
    id: 'device-mapping-disagrees',
    title: "The host's disk and its cloud volume disagree",
    category: 'reliability',
    defaultSeverity: 'medium',
    requires: ['inventory', 'metrics', 'onhost'],
    options: z.object({
      busyPct: z.number().min(50).max(100).default(80).describe('Device %util that counts as busy.'),
      queueDepth: z
        .number()
        .positive()
        .default(1)
        .describe('Average queue (aqu-sz) that counts as queueing.'),
      ratio: z
        .number()
        .min(2)
        .default(10)
        .describe('How many times the busier side must exceed the quieter one before they disagree.'),
    }),
    messages: {
      hostBusy:
        '{{host}}: {{device}} did {{hostIops}} IOPS at {{util}} % busy on the host, while its cloud volumes peaked at {{cloudIops}} IOPS: the folder is mapped to the wrong host, or the bottleneck is a device the cloud does not meter',
      cloudBusy:
        '{{host}}: its cloud volumes peaked at {{cloudIops}} IOPS while no device in the host sample passed {{hostIops}} IOPS: the folder is mapped to the wrong host, or it was captured at a quiet time',
    },
    docs: {
      rationale:
        'Disk advice joins two views: the cloud meters each volume (VolumeReadOps, VolumeIdleTime), the host sees each block device (iostat %util, aqu-sz). ' +
        'When one view shows a saturated device at rates the other never records, a recommendation built on either is built on the wrong disk: ' +
        'a gp3 upgrade cannot help a device the cloud does not meter, and a capture from another host says nothing about this one.',
      remediation:
        'Check that the sample folder was captured on this instance (hostname in host-info.txt, the instance id), and map devices to volumes (lsblk, nvme id-ctrl, /dev/disk/by-id). ' +
        'If the busy device is instance store, a RAM disk or a network mount, size that device, not the EBS volume.',
      sources: [
        'sar(1) and iostat(1): %util and aqu-sz per block device',
        'https://docs.aws.amazon.com/ebs/latest/userguide/using_cloudwatch_ebs.html (VolumeReadOps, VolumeIdleTime)',
        'USE method (B. Gregg): utilization and saturation per resource',
      ],
    },
  },
  check(facts, ctx) {
    for (const entry of facts.onHost) {
      const host = entry.host;
      if (!host) {
        ctx.notApplicable('the folder is not mapped to a cloud host', entry.subject);
        continue;
      }
      const volumeIds = host.volumeIds.filter((id) => facts.volumes.some((v) => v.id === id));
      const cloudIops = summedPeakMax(facts, volumeIds);
      if (entry.facts.disks.length === 0 || cloudIops === undefined) {
        ctx.insufficientData(
          entry.facts.disks.length === 0
            ? 'no disk statistics in the host sample'
            : 'no volume IOPS from the cloud',
          entry.subject,
        );
        continue;
      }
      const devices = entry.facts.disks.map((d) => ({
        device: d.device,
        iops: max(d.series.tps) ?? 0,
        util: max(d.series.utilPct) ?? 0,
        queue: max(d.series.aquSz) ?? 0,
      }));
      const busiest = devices.sort((a, b) => b.iops - a.iops)[0]!;
      const { busyPct, queueDepth, ratio } = ctx.options;
      const rows = [
        {
          view: 'host',
          what: `${busiest.device} peak`,
          iops: round(busiest.iops),
          busyPct: round(busiest.util),
          queue: round(busiest.queue, 1),
        },
        {
          view: 'cloud',
          what: `volumes ${volumeIds.join(', ')} peak`,
          iops: round(cloudIops),
          busyPct: null,
          queue: null,
        },
      ];
      const evidence = [
        table(
          'Both views of the disk',
          [
            { key: 'view', label: 'View' },
            { key: 'what', label: 'What' },
            { key: 'iops', label: 'IOPS', unit: 'ops-per-second' },
            { key: 'busyPct', label: 'Busy', unit: 'percent' },
            { key: 'queue', label: 'Queue', unit: 'count' },
          ],
          rows,
        ),
        stat(
          'cloud volume IOPS, peak of read + write ops',
          round(cloudIops),
          'ops-per-second',
          'max over the window',
        ),
      ];
      const data = {
        host: hostLabel(host),
        device: busiest.device,
        hostIops: Math.round(busiest.iops).toLocaleString('en-US'),
        util: round(busiest.util),
        cloudIops: Math.round(cloudIops).toLocaleString('en-US'),
      };
      if (busiest.util >= busyPct && busiest.queue >= queueDepth && busiest.iops > cloudIops * ratio) {
        ctx.report({ subject: entry.subject, messageId: 'hostBusy', data, evidence });
      } else if (cloudIops > busiest.iops * ratio && devices.every((d) => d.util < busyPct / 4)) {
        ctx.report({ subject: entry.subject, messageId: 'cloudBusy', data, evidence });
      }
    }
  },
});

/** The highest read + write IOPS of any one volume (the busiest volume, at its busiest). */
function summedPeakMax(facts: Facts, volumeIds: readonly string[]): number | undefined {
  const peaks = volumeIds.flatMap((id) => {
    const series = [facts.series.get(id, 'disk.read.ops'), facts.series.get(id, 'disk.write.ops')];
    if (series.every((s) => s === undefined)) return [];
    return [max(sumByTime(series)?.values ?? []) ?? 0];
  });
  return peaks.length === 0 ? undefined : Math.max(...peaks);
}

import { deviceMappingDisagrees } from '../../../src/analysis/rules/device-mapping-disagrees.ts';
import { flat, fleet } from '../../helpers/fleet-builder.ts';
import { onHostSample } from '../../helpers/onhost.ts';
import { ruleTester } from '../../helpers/rule-tester.ts';

// The disk-saturation capture: vda at ~140k IOPS, 97 % busy, queueing (fio on the host's own disk).
const busyDisk = await onHostSample('disk-saturation');
const healthy = await onHostSample('healthy');

const blobStore = (cloudIops: number, facts = busyDisk) =>
  fleet({ days: 2 })
    .host('i-blob', { name: 'blob-store-2' })
    .cpu('i-blob', flat(20))
    .volume('vol-blob', 'i-blob', { type: 'gp2', sizeGiB: 150 })
    .volumeLoad('vol-blob', flat(cloudIops), flat(10))
    .withOnHost(facts, 'i-blob');

ruleTester.run(deviceMappingDisagrees, {
  pass: [
    { name: 'both views see the same load', facts: blobStore(120_000) },
    { name: 'both views quiet', facts: blobStore(5, healthy) },
  ],
  findings: [
    {
      name: "blob-store-2: 140k IOPS on vda against 1,017 on its gp2 (the demo's unreconciled story)",
      facts: blobStore(1017),
      expect: [
        {
          messageId: 'hostBusy',
          subject: 'i-blob',
          message:
            /vda did 140,\d{3} IOPS at 9\d(\.\d)? % busy on the host, while its cloud volumes peaked at 1,017 IOPS/,
        },
      ],
    },
    {
      name: 'the cloud volume is busy while every device in the folder idles',
      facts: blobStore(20_000, healthy),
      expect: [
        { messageId: 'cloudBusy', subject: 'i-blob', message: /peaked at 20,000 IOPS while no device/ },
      ],
    },
  ],
  insufficientData: [
    {
      name: 'no volume IOPS from the cloud',
      facts: fleet({ days: 2 })
        .host('i-blob')
        .cpu('i-blob', flat(20))
        .volume('vol-blob', 'i-blob', { type: 'gp2', sizeGiB: 150 })
        .withOnHost(busyDisk, 'i-blob'),
      reason: /no volume IOPS/,
    },
  ],
  notApplicable: [
    {
      name: 'a folder with no cloud host',
      facts: fleet({ days: 2 })
        .host('i-blob')
        .cpu('i-blob', flat(20))
        .volume('vol-blob', 'i-blob', { type: 'gp2', sizeGiB: 150 })
        .volumeLoad('vol-blob', flat(1017), flat(10))
        .withOnHost(busyDisk),
      reason: /not mapped/,
    },
  ],
});

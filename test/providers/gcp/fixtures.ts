import { parseScenario, type Scenario } from '../../../mocks/scenarios/schema.ts';

export const nowMs = Date.parse('2025-01-15T00:00:00Z');
export const dayMs = 86_400_000;
export const PROJECT = 'shop-gcp-test';
export const OTHER = 'data-gcp-test';
export const TOKEN = 'test-token-abc';

/** Seven VMs in two projects: a MIG of three with an autoscaler, an idle VM, a saturated one, an agent VM. */
export function gcpScenario(extra: Record<string, unknown> = {}): Scenario {
  return parseScenario({
    name: 'gcp-test',
    gcp: {
      accessToken: TOKEN,
      projects: {
        [PROJECT]: {
          instanceGroups: [
            {
              name: 'web',
              zone: 'us-central1-a',
              targetSize: 3,
              autoscaler: { min: 2, max: 8, cpuTarget: 0.6 },
            },
          ],
          instances: [
            ...[1, 2, 3].map((n) => ({
              name: `web-${n}`,
              zone: 'us-central1-a',
              machineType: 'e2-standard-4',
              group: 'web',
              labels: { role: 'web' },
              cpu: 30,
              network: { inMiBps: 2, outMiBps: 4, avgPacketBytes: 1024 },
              diskIo: { readIops: 120, writeIops: 60, readMiBps: 3, writeMiBps: 1, queue: 2, latencyMs: 4 },
            })),
            {
              name: 'idle-box',
              zone: 'us-central1-b',
              machineType: 'n2-standard-8',
              cpu: { shape: 'idle', base: 0, peak: 1 },
            },
            {
              name: 'batch-hot',
              zone: 'us-central1-b',
              machineType: 'c3-standard-4',
              cpu: { shape: 'saturated', base: 95, peak: 99 },
              schedulerWaitPct: 5,
              agent: { memUsedPct: 70, iowaitPct: 3, stealPct: 0 },
            },
            { name: 'stopped-one', zone: 'us-central1-b', machineType: 'e2-medium', status: 'TERMINATED' },
          ],
        },
        [OTHER]: {
          instances: [
            {
              name: 'db-1',
              zone: 'europe-west1-b',
              machineType: 'n2-highmem-4',
              disks: [
                { name: 'db-1', sizeGb: 50 },
                { name: 'db-data', sizeGb: 500, type: 'hyperdisk-balanced' },
              ],
              cpu: 20,
              agent: { memUsedPct: 80, iowaitPct: 6, stealPct: 1 },
            },
          ],
        },
      },
      ...extra,
    },
  });
}

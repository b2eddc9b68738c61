// Runs the OVH adapter, through the real `ovh` client, against the HTTPS mock on 127.0.0.1.
import { parseScenario } from '../../../mocks/scenarios/schema.ts';
import { type OvhMock, startOvhMock } from '../../../mocks/servers/ovh.ts';
import type { OvhClientOptions } from '../../../providers/ovh/clients.ts';
import { createOvhAdapter } from '../../../providers/ovh/index.ts';
import type { OvhConfig } from '../../../src/config/schema.ts';
import { silentLogger } from '../../../src/log.ts';
import { type Clock, virtualClock } from '../../../src/net/clock.ts';
import { collectProvider } from '../../../src/run/collect.ts';

export const NOW_MS = Date.parse('2025-01-15T00:00:00Z');
// Waits (a 429's backoff, the fair-use rate) run on a virtual clock the mock's token bucket refills on
// too: no real time passes, and every count is the same on any machine.
let clock: Clock = virtualClock(NOW_MS);
export const CREDENTIALS = {
  appKey: 'testappkey000001',
  appSecret: 'test-application-secret-0123456789',
  consumerKey: 'test-consumer-key-abcdefghijklmnop',
} as const;

export const PROJECT_A = '5f1c0b8e2d4a4c7e9b3a6d1f0e2c4b6a';
export const PROJECT_B = '9a8b7c6d5e4f40312a2b3c4d5e6f7a8b';
export const ids = {
  web: '0b6f9c3e-2a1d-4e5f-8a7b-1c2d3e4f5a01',
  batch: '0b6f9c3e-2a1d-4e5f-8a7b-1c2d3e4f5a02',
  idle: '0b6f9c3e-2a1d-4e5f-8a7b-1c2d3e4f5a03',
  db: '0b6f9c3e-2a1d-4e5f-8a7b-1c2d3e4f5a04',
  off: '0b6f9c3e-2a1d-4e5f-8a7b-1c2d3e4f5a05',
  webData: '7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e01',
  dbData: '7c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e02',
};

/** Two projects, four running instances (saturated, idle, diurnal, memory-heavy) and a stopped one. */
export function fleet(faults: unknown[] = [], extra: Record<string, unknown> = {}) {
  return parseScenario({
    name: 'ovh-test',
    ovh: {
      credentials: {
        applicationKey: CREDENTIALS.appKey,
        applicationSecret: CREDENTIALS.appSecret,
        consumerKey: CREDENTIALS.consumerKey,
      },
      projects: {
        [PROJECT_A]: {
          instances: [
            {
              id: ids.web,
              name: 'web-1',
              flavor: 'b3-16',
              region: 'GRA11',
              cpu: { shape: 'diurnal', base: 10, peak: 40 },
              network: { inMiBps: 2, outMiBps: 8 },
              volumes: [{ id: ids.webData, name: 'web-1-data', type: 'classic', sizeGiB: 100 }],
            },
            {
              id: ids.batch,
              name: 'batch-1',
              flavor: 'c3-8',
              region: 'GRA11',
              cpu: { shape: 'saturated', base: 90, peak: 99 },
            },
            { id: ids.off, name: 'old-1', flavor: 'b2-7', region: 'GRA11', status: 'SHUTOFF' },
          ],
        },
        [PROJECT_B]: {
          instances: [
            { id: ids.idle, name: 'ftp-1', flavor: 'b3-8', region: 'SBG5', cpu: { shape: 'idle' } },
            {
              id: ids.db,
              name: 'db-1',
              flavor: 'r3-32',
              region: 'SBG5',
              monthlyBilling: true,
              cpu: 25,
              memUsedPct: 80,
              volumes: [{ id: ids.dbData, name: 'db-1-data', type: 'high-speed-gen2', sizeGiB: 500 }],
            },
          ],
        },
      },
      faults,
      ...extra,
    },
  });
}

export const window = (days = 14, stepSec = 300) => {
  const toMs = Math.floor(NOW_MS / (stepSec * 1000)) * stepSec * 1000;
  return { fromMs: toMs - days * 86_400_000, toMs, stepSec };
};

export async function withMock<T>(
  scenario: ReturnType<typeof fleet>,
  run: (mock: OvhMock) => Promise<T>,
  mockOptions: { rateLimits?: boolean; schemas?: Record<string, unknown> } = {},
): Promise<T> {
  clock = virtualClock(NOW_MS);
  const mock = await startOvhMock({ scenario, now: () => NOW_MS, limitsClockMs: clock.now, ...mockOptions });
  try {
    return await run(mock);
  } finally {
    await mock.close();
  }
}

export function collect(
  mock: OvhMock,
  config: Partial<OvhConfig> = {},
  options: OvhClientOptions = { credentials: CREDENTIALS, certificateFor: () => mock.certificate },
  days = 14,
) {
  return collectProvider(
    createOvhAdapter(options),
    { endpoint: mock.endpoint, ...config },
    window(days),
    silentLogger,
    undefined,
    { clock },
  );
}

// The mock clouds in a process of their own, for the mocks-scale benches: fleetlens' CPU and memory
// are then its own, and the mocks' are this process's. Argument: a JSON MockFleetOptions plus
// `rateLimits` (true: each mock's published rates on the real clock; false: none, for a run whose
// client paces itself on a virtual clock) and `storeDatapoints` (the AWS mock keeps the datapoints it
// computed, as CloudWatch keeps what it stored). Prints one JSON line with the endpoints (and the OVH
// certificate) once listening. A line "aws rate limits on" on stdin turns the AWS mock's limits on
// (after a warm-up without them) and is answered with a JSON line of the CPU spent so far; on
// SIGTERM it prints one JSON line with its CPU and peak RSS and exits.

import { createInterface } from 'node:readline';
import { startAwsMock } from '../mocks/servers/aws.ts';
import { startGcpMock } from '../mocks/servers/gcp.ts';
import { startLinodeMock } from '../mocks/servers/linode.ts';
import { startOvhMock } from '../mocks/servers/ovh.ts';
import { type MockFleetOptions, mockFleetScenario } from './mock-fleet.ts';

export interface MockProcessReady {
  endpoints: Partial<Record<'aws' | 'gcp' | 'linode' | 'ovh', string>>;
  ovhCertificate?: string;
  /** CPU spent building the scenario and starting the servers. */
  startCpuSec: number;
}

export interface MockProcessDone {
  cpuSec: number;
  maxRssBytes: number;
  /** Requests the AWS mock answered, by action. */
  awsRequests: Record<string, number>;
  /** Error answers of the AWS mock, by action and code (a fault-free run should have none). */
  awsErrors: Record<string, number>;
  /** GetMetricData per region: calls answered and datapoints returned (throttled ones apart). */
  awsMetricData: Record<string, { calls: number; datapoints: number }>;
}

const options = JSON.parse(process.argv[2] ?? '{}') as MockFleetOptions & {
  rateLimits: boolean;
  storeDatapoints?: boolean;
  /** The AWS mock starts without its limits, for a warm-up; "aws rate limits on" turns them on. */
  awsWarmUp?: boolean;
};
const scenario = mockFleetScenario(options);
const rateLimits = options.rateLimits;
const closers: (() => Promise<void>)[] = [];
const ready: MockProcessReady = { endpoints: {}, startCpuSec: 0 };
const aws =
  options.aws > 0
    ? await startAwsMock({
        scenario,
        rateLimits: rateLimits && !options.awsWarmUp,
        storeDatapoints: options.storeDatapoints ?? false,
      })
    : undefined;
if (aws) {
  ready.endpoints.aws = aws.endpoint;
  closers.push(aws.close);
}
if (options.gcp > 0) {
  const gcp = await startGcpMock({ scenario, rateLimits, keepBodies: false });
  ready.endpoints.gcp = gcp.endpoint;
  closers.push(gcp.close);
}
if (options.linode > 0) {
  const linode = await startLinodeMock({ scenario, rateLimits, keepBodies: false });
  ready.endpoints.linode = linode.endpoint;
  closers.push(linode.close);
}
if (options.ovh > 0) {
  const ovh = await startOvhMock({ scenario, rateLimits, keepBodies: false });
  ready.endpoints.ovh = ovh.endpoint;
  ready.ovhCertificate = ovh.certificate;
  closers.push(ovh.close);
}
const started = process.cpuUsage();
ready.startCpuSec = (started.user + started.system) / 1e6;
process.stdout.write(`${JSON.stringify(ready)}\n`);

/** Requests before this index were the warm-up's: the counts at SIGTERM leave them out. */
let countFrom = 0;

export interface MockProcessSwitched {
  /** CPU spent until the limits went on (start and warm-up). */
  cpuSec: number;
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'aws rate limits on') return;
  aws?.setRateLimits(true);
  countFrom = aws?.requests.length ?? 0;
  const cpu = process.cpuUsage();
  const switched: MockProcessSwitched = { cpuSec: (cpu.user + cpu.system) / 1e6 };
  process.stdout.write(`${JSON.stringify(switched)}\n`);
});

process.once('SIGTERM', () => {
  const cpu = process.cpuUsage();
  const awsRequests: Record<string, number> = {};
  const awsMetricData: MockProcessDone['awsMetricData'] = {};
  const awsErrors: Record<string, number> = {};
  for (const r of aws?.requests.slice(countFrom) ?? []) {
    awsRequests[r.action] = (awsRequests[r.action] ?? 0) + 1;
    if (r.errorCode) {
      const key = `${r.action} ${r.errorCode}`;
      awsErrors[key] = (awsErrors[key] ?? 0) + 1;
    }
    if (r.action !== 'GetMetricData' || r.status !== 200) continue;
    const region = awsMetricData[r.region] ?? { calls: 0, datapoints: 0 };
    region.calls += 1;
    region.datapoints += r.datapoints ?? 0;
    awsMetricData[r.region] = region;
  }
  const done: MockProcessDone = {
    cpuSec: (cpu.user + cpu.system) / 1e6,
    // NOTE: maxRSS is in KiB.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    awsRequests,
    awsErrors,
    awsMetricData,
  };
  process.stdout.write(`${JSON.stringify(done)}\n`);
  void Promise.all(closers.map((close) => close())).finally(() => process.exit(0));
});

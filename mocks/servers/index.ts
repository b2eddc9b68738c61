// The mock-server registry: one loopback server per cloud, each driven by its part of a scenario
// (`aws:`, `gcp:`, `linode:`, `ovh:`). The demo and `fleetlens mock` start the ones a scenario has.
import type { AdapterOptions } from '../../providers/index.ts';
import type { ProviderId } from '../../src/model/index.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { startAwsMock } from './aws.ts';
import { startGcpMock } from './gcp.ts';
import { startLinodeMock } from './linode.ts';
import { startOvhMock } from './ovh.ts';

export interface StartedMock {
  /** What the provider's `endpoint` config is set to. */
  readonly endpoint: string;
  /** Client options this mock needs besides its endpoint (the OVH mock's certificate), if any. */
  readonly clientOptions?: AdapterOptions;
  /** The OVH mock's self-signed certificate (PEM), for a client in another process to trust. */
  readonly certificate?: string;
  close(): Promise<void>;
}

export interface MockStartOptions {
  scenario: Scenario;
  port?: number;
  /** The clock the mock's rate limits refill on (default: real time); tests pass their virtual clock. */
  limitsClockMs?: () => number;
  /**
   * The mock's wall clock (default: real time): when its fleet was launched, and the "now" its
   * series end at. Two runs that must see the same data give both the same one.
   */
  now?: () => number;
}

export interface MockServer {
  /** The clients the mock speaks to, for `fleetlens mock`'s printout. */
  readonly describe: string;
  /** Whether the scenario has a part for this cloud. */
  has(scenario: Scenario): boolean;
  start(options: MockStartOptions): Promise<StartedMock>;
  /** One line telling a person how to point a client at it. */
  hint(endpoint: string): string;
}

export const mockServers: Partial<Record<ProviderId, MockServer>> = {
  gcp: {
    describe: "Compute Engine v1 and Cloud Monitoring v3 (REST, the clients' fallback)",
    has: (scenario) => Object.keys(scenario.gcp?.projects ?? {}).length > 0,
    // The demo and `fleetlens mock` never read the request log's bodies; a long run would pile them up.
    start: (options) => startGcpMock({ ...options, keepBodies: false }),
    hint: (endpoint) =>
      `curl '${endpoint}/compute/v1/projects/PROJECT/aggregated/instances'   (the demo wants Authorization: Bearer fleetlens-demo-token-not-real)`,
  },
  ovh: {
    describe:
      'OVH API 1.0 over HTTPS (self-signed): /auth/time, cloud projects, instances, flavors, monitoring, order catalog',
    // An account with no project at all is still an account the audit asks about.
    has: (scenario) => scenario.ovh !== undefined,
    start: (options) => startOvhMock({ ...options, keepBodies: false }),
    hint: (endpoint) => `curl -k ${endpoint}/auth/time   (other calls need an OVH signature)`,
  },
  linode: {
    describe: 'Linode API v4 (/v4 and /v4beta): instances, volumes, types, stats',
    has: (scenario) => scenario.linode !== undefined,
    start: (options) => startLinodeMock({ ...options, keepBodies: false }),
    hint: (endpoint) => `curl -H 'Authorization: Bearer demo' ${endpoint}/v4/linode/instances`,
  },
  aws: {
    describe: 'CloudWatch, EC2, Auto Scaling',
    has: (scenario) => Object.keys(scenario.aws.regions).length > 0,
    start: (options) => startAwsMock(options),
    hint: (endpoint) =>
      `AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo aws --endpoint-url ${endpoint} --region us-east-1 ec2 describe-instances`,
  },
};

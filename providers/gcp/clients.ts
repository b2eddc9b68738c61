// The real Google Cloud clients: @google-cloud/compute (REST) for inventory and machine types,
// @google-cloud/monitoring over its REST fallback for metrics (providers.md §2, §5.2).
// Production: Application Default Credentials (no options). Tests and the demo: `endpoint` points
// both at the loopback mock, with a throwaway bearer token or none.
import {
  AutoscalersClient,
  DisksClient,
  InstanceGroupManagersClient,
  InstancesClient,
  MachineTypesClient,
} from '@google-cloud/compute';
import { MetricServiceClient } from '@google-cloud/monitoring';
import { OAuth2Client, PassThroughClient } from 'google-auth-library';
import type { GcpConfig } from '../../src/config/schema.ts';

export interface GcpClientOptions {
  /** Only the demo and tests: a fake OAuth access token the mock sees as `Authorization: Bearer …`. */
  accessToken?: string;
}

/**
 * With an `endpoint` (a mock; never in production, where ADC applies), the bearer token to send when
 * the options give none: the variable Terraform's google provider reads for a ready-made token.
 * `fleetlens mock --write-config` prints it with the mock's throwaway token.
 */
export const ACCESS_TOKEN_VARIABLE = 'GOOGLE_OAUTH_ACCESS_TOKEN';

export interface GcpClients {
  instances: InstancesClient;
  disks: DisksClient;
  machineTypes: MachineTypesClient;
  groupManagers: InstanceGroupManagersClient;
  autoscalers: AutoscalersClient;
  monitoring: MetricServiceClient;
}

/**
 * Per-call options for every request. google-gax 5 sees HTTP statuses (429, 503) where its default
 * retry expects gRPC codes, so its retry never fires (googleapis/gax-nodejs#1803); it is switched
 * off here outright and call() retries instead: one retry layer, never two.
 */
export const CALL_OPTIONS = { autoPaginate: false, retry: null } as const;

export function createClients(config: GcpConfig, options: GcpClientOptions = {}): GcpClients {
  const token = options.accessToken ?? process.env[ACCESS_TOKEN_VARIABLE]?.trim();
  const common = config.endpoint ? mockOptions(config.endpoint, token ? { accessToken: token } : {}) : {};
  return {
    instances: new InstancesClient(common),
    disks: new DisksClient(common),
    machineTypes: new MachineTypesClient(common),
    groupManagers: new InstanceGroupManagersClient(common),
    autoscalers: new AutoscalersClient(common),
    // fallback: REST (JSON over HTTP/1.1) rather than gRPC, in production too: one wire protocol.
    monitoring: new MetricServiceClient({ fallback: true, ...common }),
  };
}

function mockOptions(endpoint: string, options: GcpClientOptions) {
  const url = new URL(endpoint);
  const secure = url.protocol === 'https:';
  let authClient: OAuth2Client | PassThroughClient;
  if (options.accessToken) {
    const oauth = new OAuth2Client();
    oauth.setCredentials({ access_token: options.accessToken, expiry_date: Date.now() + 3_600_000 });
    authClient = oauth;
  } else {
    authClient = new PassThroughClient();
  }
  return {
    apiEndpoint: url.hostname,
    port: Number(url.port || (secure ? 443 : 80)),
    protocol: secure ? 'https' : 'http',
    fallback: true,
    authClient,
  };
}

export async function closeClients(clients: GcpClients): Promise<void> {
  await Promise.allSettled([
    clients.instances.close(),
    clients.disks.close(),
    clients.machineTypes.close(),
    clients.groupManagers.close(),
    clients.autoscalers.close(),
    clients.monitoring.close(),
  ]);
}

/** gax takes no AbortSignal: the caller stops waiting when call() times out or the run is aborted. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

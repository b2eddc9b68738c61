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
import { ACCESS_TOKEN_VARIABLE } from './client-settings.ts';

export interface GcpClientOptions {
  /** Only the demo and tests: a fake OAuth access token the mock sees as `Authorization: Bearer …`. */
  accessToken?: string;
  /** Only tests: the points per timeSeries.list page a mock with a lowered cap answers (default 100,000). */
  pagePoints?: number;
}

export interface GcpClients {
  instances: InstancesClient;
  disks: DisksClient;
  machineTypes: MachineTypesClient;
  groupManagers: InstanceGroupManagersClient;
  autoscalers: AutoscalersClient;
  monitoring: MetricServiceClient;
  /**
   * GET a Cloud Monitoring REST URL (`/v3/...` with its query) through the monitoring client's own
   * auth (ADC in production) and gaxios transport, and return the parsed JSON: the answer is read
   * as JSON instead of being turned into protobuf messages by gax (time-series-json.ts).
   */
  monitoringJson(pathAndQuery: string, signal: AbortSignal): Promise<unknown>;
}

export function createClients(config: GcpConfig, options: GcpClientOptions = {}): GcpClients {
  const token = options.accessToken ?? process.env[ACCESS_TOKEN_VARIABLE]?.trim();
  const common = config.endpoint ? mockOptions(config.endpoint, token ? { accessToken: token } : {}) : {};
  // fallback: REST (JSON over HTTP/1.1) rather than gRPC, in production too: one wire protocol.
  const monitoring = new MetricServiceClient({ fallback: true, ...common });
  const monitoringOrigin = config.endpoint
    ? new URL(config.endpoint).origin
    : `https://${monitoring.apiEndpoint}`;
  return {
    instances: new InstancesClient(common),
    disks: new DisksClient(common),
    machineTypes: new MachineTypesClient(common),
    groupManagers: new InstanceGroupManagersClient(common),
    autoscalers: new AutoscalersClient(common),
    monitoring,
    monitoringJson: async (pathAndQuery, signal) => {
      const auth = await authClientOf(monitoring);
      // retry: false: call() is the one retry layer.
      const answer = await auth.request<unknown>({
        url: `${monitoringOrigin}${pathAndQuery}`,
        method: 'GET',
        responseType: 'json',
        retry: false,
        signal,
      });
      return answer.data;
    },
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

/** The client gax itself would send with: GoogleAuth's (ADC) or the one the options gave. */
async function authClientOf(client: MetricServiceClient): Promise<Requester> {
  // NOTE: gax bundles its own google-auth-library, so its classes are matched by shape, not type.
  const auth = client.auth as unknown as Requester | { getClient(): Promise<Requester> };
  return 'getClient' in auth ? auth.getClient() : auth;
}

interface Requester {
  request<T>(options: {
    url: string;
    method: 'GET';
    responseType: 'json';
    retry: boolean;
    signal: AbortSignal;
  }): Promise<{ data: T }>;
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

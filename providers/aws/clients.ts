import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsConfig } from '../../src/config/schema.ts';

export interface AwsClients {
  ec2: EC2Client;
  cloudwatch: CloudWatchClient;
  autoscaling: AutoScalingClient;
}

export interface AwsClientOptions {
  /** Only the demo and tests pass these; otherwise the SDK's default chain (or `profile`) applies. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface AwsClientFactory {
  forRegion(region: string): AwsClients;
  destroy(): void;
}

/** One set of clients per region, cached for the run. */
export function createClientFactory(config: AwsConfig, options: AwsClientOptions = {}): AwsClientFactory {
  const cache = new Map<string, AwsClients>();
  const forRegion = (region: string): AwsClients => {
    let clients = cache.get(region);
    if (!clients) {
      const common = {
        region,
        // call() retries; the SDK must not retry as well (DESIGN.md: "never both").
        maxAttempts: 1,
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        ...(config.profile ? { profile: config.profile } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
      };
      clients = {
        ec2: new EC2Client(common),
        cloudwatch: new CloudWatchClient(common),
        autoscaling: new AutoScalingClient(common),
      };
      cache.set(region, clients);
    }
    return clients;
  };
  const destroy = () => {
    for (const set of cache.values()) {
      set.ec2.destroy();
      set.cloudwatch.destroy();
      set.autoscaling.destroy();
    }
    cache.clear();
  };
  return { forRegion, destroy };
}

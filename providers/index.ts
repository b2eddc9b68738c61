// The provider registry: one entry per folder under providers/ (test/meta/registry.test.ts checks it).

import type { AwsConfig } from '../src/config/schema.ts';
import type { ProviderId } from '../src/model/index.ts';
import type { AwsClientOptions } from './aws/clients.ts';
import { createAwsAdapter } from './aws/index.ts';
import type { ProviderAdapter } from './types.ts';

export interface AdapterOptions {
  aws?: AwsClientOptions;
}

// NOTE: each factory keeps its own config type; `satisfies` checks the ids without widening them.
export const providerFactories = {
  aws: (options: AdapterOptions) => createAwsAdapter(options.aws),
} satisfies Partial<Record<ProviderId, (options: AdapterOptions) => ProviderAdapter<AwsConfig>>>;

export type RegisteredProvider = keyof typeof providerFactories;

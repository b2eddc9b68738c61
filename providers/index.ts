// The provider registry: one entry per folder under providers/ (test/meta/registry.test.ts checks it).
// Each cloud adds its factory, its bundled catalog, and the throwaway credentials the demo gives
// its client for the mock (never the user's). What else a mock needs trusted (the OVH mock's
// certificate) comes from the started mock itself, through src/run/demo.ts: product code never
// imports a mock.

import type { Config } from '../src/config/schema.ts';
import type { InstanceType, ProviderId } from '../src/model/index.ts';
import { bundledCatalog as awsCatalog } from './aws/catalog.ts';
import type { AwsClientOptions } from './aws/clients.ts';
import { createAwsAdapter } from './aws/index.ts';
import { bundledCatalog as gcpCatalog } from './gcp/catalog.ts';
import type { GcpClientOptions } from './gcp/clients.ts';
import { createGcpAdapter } from './gcp/index.ts';
import { bundledCatalog as linodeCatalog } from './linode/catalog.ts';
import type { LinodeClientOptions } from './linode/clients.ts';
import { createLinodeAdapter } from './linode/index.ts';
import { bundledCatalog as ovhCatalog } from './ovh/catalog.ts';
import type { OvhClientOptions } from './ovh/clients.ts';
import { createOvhAdapter } from './ovh/index.ts';
import type { NetOptions, ProviderAdapter } from './types.ts';

export interface AdapterOptions {
  gcp?: GcpClientOptions;
  aws?: AwsClientOptions;
  ovh?: OvhClientOptions;
  linode?: LinodeClientOptions;
  /** Every adapter's clock and retry bounds (tests and the demo; the real clock otherwise). */
  net?: NetOptions;
}

type ProvidersConfig = Config['providers'];

interface ProviderEntry<Id extends ProviderId & keyof ProvidersConfig> {
  create(options: AdapterOptions): ProviderAdapter<NonNullable<ProvidersConfig[Id]>>;
  /** The offline catalog (../shared/catalogs copies): sizing works from it when the API is not asked. */
  bundledCatalog(): InstanceType[];
  /** Client options that point the real client at the demo's mock with throwaway credentials. */
  demoOptions: AdapterOptions;
}

export const providers: { [Id in ProviderId]?: ProviderEntry<Id> } = {
  gcp: {
    create: (options) => createGcpAdapter(options.gcp, options.net),
    bundledCatalog: gcpCatalog,
    // The demo scenario's gcp.accessToken: the mock sees `Authorization: Bearer` with it.
    demoOptions: { gcp: { accessToken: 'fleetlens-demo-token-not-real' } },
  },
  ovh: {
    create: (options) => createOvhAdapter(options.ovh, options.net),
    bundledCatalog: ovhCatalog,
    demoOptions: {
      ovh: {
        credentials: {
          appKey: 'demoappkey000001',
          appSecret: 'demo-application-secret-not-real',
          consumerKey: 'demo-consumer-key-not-real-00001',
        },
      },
    },
  },
  linode: {
    create: (options) => createLinodeAdapter(options.linode, options.net),
    bundledCatalog: linodeCatalog,
    demoOptions: { linode: { token: 'demo-linode-token-not-a-real-one' } },
  },
  aws: {
    create: (options) => createAwsAdapter(options.aws, options.net),
    bundledCatalog: awsCatalog,
    demoOptions: {
      aws: {
        credentials: { accessKeyId: 'AKIDDEMOFLEETLENS', secretAccessKey: 'demo-secret-not-a-real-key' },
      },
    },
  },
};

export type RegisteredProvider = keyof typeof providers;

/** Every registered cloud's bundled catalog, for sizing. */
export function bundledCatalogs(): InstanceType[] {
  return Object.values(providers).flatMap((entry) => entry.bundledCatalog());
}

// @linode/api-v4 has no client object: every function sends an absolute URL through one exported
// axios instance, `baseRequest`, shared by the whole process (../shared/reference/providers.md §5.3).
// One request interceptor, installed once, applies the settings of the call in progress, found
// through AsyncLocalStorage: the endpoint rewrite (both /v4 and /v4beta), the bearer token and
// the abort signal. Two adapters with different tokens or endpoints never see each other's.
// NOTE: `setToken()` is not used: it adds a process-wide interceptor that cannot be scoped to one
// adapter or ejected per call; the header it sets (`Authorization: Bearer <token>`) is the same.
import { AsyncLocalStorage } from 'node:async_hooks';
import { baseRequest, getLinodeStatsByDate, getLinodes, getLinodeTypes, getVolumes } from '@linode/api-v4';
import { ProviderError } from '../../src/errors.ts';

export interface LinodeClientOptions {
  /** Only the demo and tests pass one; otherwise the token comes from LINODE_TOKEN. */
  token?: string;
}

interface CallScope {
  /** `http://127.0.0.1:PORT`: replaces `https://api.linode.com` (the mock; tests and demo only). */
  endpoint: string | undefined;
  token: string;
  signal: AbortSignal;
}

const API_HOST = /^https:\/\/api\.linode\.com(?=\/v4)/;
const scopes = new AsyncLocalStorage<CallScope>();
let installed = false;

function installInterceptor(): void {
  if (installed) return;
  installed = true;
  baseRequest.interceptors.request.use((config) => {
    const scope = scopes.getStore();
    if (!scope) return config;
    config.headers.set('Authorization', `Bearer ${scope.token}`);
    config.signal = scope.signal;
    if (scope.endpoint && config.url) {
      config.url = config.url.replace(API_HOST, scope.endpoint);
      // A loopback mock is never reached through HTTP(S)_PROXY.
      config.proxy = false;
    }
    return config;
  });
}

/** The client functions the adapter sends with (this module, and so the client, loads only for a Linode run). */
const api = { getLinodes, getVolumes, getLinodeTypes, getLinodeStatsByDate };

export interface LinodeClient {
  /** Runs one client function with this adapter's endpoint, token and the call's abort signal. */
  run<T>(operation: string, signal: AbortSignal, send: () => Promise<T>): Promise<T>;
  api: typeof api;
}

export function createLinodeClient(
  endpoint: string | undefined,
  options: LinodeClientOptions = {},
): LinodeClient {
  installInterceptor();
  const base = endpoint?.replace(/\/+$/, '');
  return {
    api,
    run: (operation, signal, send) => {
      const token = options.token ?? process.env.LINODE_TOKEN;
      if (!token) {
        return Promise.reject(
          new ProviderError(
            'linode',
            'auth',
            operation,
            'no Linode token: set LINODE_TOKEN to a personal access token with linodes:read_only and volumes:read_only',
          ),
        );
      }
      return scopes.run({ endpoint: base, token, signal }, send);
    },
  };
}

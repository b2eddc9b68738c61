// The real `ovh` client (2.0.3), built from the config's endpoint and the standard credentials.
// The client calls https.request() itself and takes no agent or CA (providers.md §5.4), so the
// mock's self-signed certificate is trusted for the mock's exact host:port only, on the connection
// factory of the agent that client uses; every other connection keeps Node's default trust.
import https from 'node:https';
import { createRequire } from 'node:module';
import type ovhFactory from 'ovh';
import type { OvhClient, OvhRejection } from 'ovh';
import type { OvhConfig } from '../../src/config/schema.ts';
import { ProviderError } from '../../src/errors.ts';

export interface OvhCredentials {
  appKey: string;
  appSecret: string;
  consumerKey: string;
}

export interface OvhClientOptions {
  /** Only the demo and tests pass these; otherwise OVH_APPLICATION_KEY / _SECRET / OVH_CONSUMER_KEY. */
  credentials?: OvhCredentials;
  /** The PEM certificate to trust for an https://127.0.0.1:PORT endpoint (the mock's), if any. */
  certificateFor?: (endpoint: string) => string | undefined;
}

/** The environment variables of the OVH SDKs (python-ovh, the Go client and the CLI read these). */
export const CREDENTIAL_VARIABLES = [
  'OVH_APPLICATION_KEY',
  'OVH_APPLICATION_SECRET',
  'OVH_CONSUMER_KEY',
] as const;

export interface OvhClientHandle {
  client: OvhClient;
  /** Where the calls go, for messages: `ovh-eu` or `https://127.0.0.1:PORT/1.0`. */
  describe: string;
  dispose(): void;
}

interface Target {
  params: { endpoint: string } | { host: string; port: number; basePath: string };
  trustKey?: string;
}

/** `ovh-eu`, `ovh-ca`, `ovh-us`, ... as the client knows them; an https URL for the mock. */
export function targetOf(endpoint: string): Target {
  if (!/^https?:\/\//.test(endpoint)) return { params: { endpoint } };
  const url = new URL(endpoint);
  if (url.protocol !== 'https:') {
    throw new ProviderError(
      'ovh',
      'config',
      'client',
      `endpoint ${endpoint}: the OVH client speaks HTTPS only`,
    );
  }
  const port = Number(url.port || 443);
  const basePath = url.pathname === '/' ? '/1.0' : url.pathname.replace(/\/$/, '');
  return { params: { host: url.hostname, port, basePath }, trustKey: `${url.hostname}:${port}` };
}

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): OvhCredentials | undefined {
  const [appKey, appSecret, consumerKey] = CREDENTIAL_VARIABLES.map((name) => env[name]?.trim());
  if (!appKey || !appSecret || !consumerKey) return undefined;
  return { appKey, appSecret, consumerKey };
}

/** The `ovh` package (CommonJS), loaded when the first OVH client is made: never on a run without OVH. */
function loadOvh(): typeof ovhFactory {
  return createRequire(import.meta.url)('ovh') as typeof ovhFactory;
}

export function createOvhClient(config: OvhConfig, options: OvhClientOptions): OvhClientHandle {
  const credentials = options.credentials ?? credentialsFromEnv();
  if (!credentials) {
    throw new ProviderError(
      'ovh',
      'auth',
      'client',
      `no OVH credentials: set ${CREDENTIAL_VARIABLES.join(', ')} (an application key and secret, and a consumer key with GET rights on /cloud/*)`,
    );
  }
  let target: Target;
  try {
    target = targetOf(config.endpoint);
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    throw new ProviderError('ovh', 'config', 'client', `endpoint ${config.endpoint} is not a URL`);
  }
  let untrust = () => {};
  const pem = target.trustKey ? options.certificateFor?.(config.endpoint) : undefined;
  if (target.trustKey && pem) untrust = trustCertificate(target.trustKey, pem);
  let client: OvhClient;
  try {
    // NOTE: no `timeout`: ovh@2.0.3 then adds a 'timeout' listener to the socket on every request,
    // and kept-alive sockets pile them up (MaxListenersExceededWarning). call() times attempts out.
    client = loadOvh()({ ...credentials, ...target.params, warn: () => {} });
  } catch (error) {
    untrust();
    // '[OVH] Unknown API ovh-xx' for a name lib/endpoints.js does not have.
    const text =
      typeof error === 'object' && error && 'message' in error ? String(error.message) : String(error);
    throw new ProviderError('ovh', 'config', 'client', text.replace(/^\[OVH\] /, ''));
  }
  return { client, describe: config.endpoint, dispose: untrust };
}

/**
 * One request through the client, given up when `signal` aborts (call()'s per-attempt timeout);
 * the client itself cannot be cancelled.
 */
export function request<T = unknown>(
  handle: OvhClientHandle,
  path: string,
  params: Record<string, string>,
  signal: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    handle.client.requestPromised('GET', path, { ...params }).then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value as T);
      },
      (error: OvhRejection) => {
        signal.removeEventListener('abort', onAbort);
        reject(new OvhCallError(error));
      },
    );
  });
}

/** The client's rejection (a plain object) as an Error, so call() and the mapper can tell it apart. */
export class OvhCallError extends Error {
  override name = 'OvhCallError';
  constructor(readonly rejection: OvhRejection) {
    super(typeof rejection.message === 'string' ? rejection.message : String(rejection.error));
  }
}

// host:port -> PEM, consulted by the wrapped connection factory of https.globalAgent.
const trusted = new Map<string, { pem: string; users: number }>();
let wrapped = false;

type CreateConnection = (options: { host?: string; port?: number | string }, ...rest: unknown[]) => unknown;

function trustCertificate(key: string, pem: string): () => void {
  if (!wrapped) {
    const agent = https.globalAgent as unknown as { createConnection: CreateConnection };
    const original = agent.createConnection;
    agent.createConnection = function (this: unknown, options, ...rest) {
      const entry = trusted.get(`${options.host}:${options.port}`);
      return original.call(this, entry ? { ...options, ca: [entry.pem] } : options, ...rest);
    };
    wrapped = true;
  }
  const entry = trusted.get(key);
  trusted.set(key, { pem, users: (entry?.pem === pem ? entry.users : 0) + 1 });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const current = trusted.get(key);
    if (!current) return;
    if (current.users > 1) {
      current.users -= 1;
      return;
    }
    trusted.delete(key);
    // NOTE: kept-alive sockets were verified with this certificate; none may serve a later client.
    const agent = https.globalAgent as unknown as {
      freeSockets: Record<string, { destroy(): void }[]>;
      _evictSession?: (name: string) => void;
      _sessionCache?: { map?: Record<string, unknown> };
    };
    for (const [name, sockets] of Object.entries(agent.freeSockets)) {
      if (name.startsWith(`${key}:`)) for (const socket of sockets) socket.destroy();
    }
    // And no cached TLS session is resumed without the certificate check.
    for (const name of Object.keys(agent._sessionCache?.map ?? {})) {
      if (name.startsWith(`${key}:`)) agent._evictSession?.(name);
    }
  };
}

// ovh@2.0.3 ships no types and there is no @types/ovh (../shared/reference/providers.md §0.8).
// Only what fleetlens uses, as lib/ovh.es6.js defines it.
declare module 'ovh' {
  interface OvhParams {
    appKey: string;
    appSecret: string;
    consumerKey?: string;
    /** A name from lib/endpoints.js: ovh-eu, ovh-ca, ovh-us, kimsufi-*, soyoustart-*. */
    endpoint?: string;
    host?: string;
    port?: number;
    basePath?: string;
    /** Socket idle timeout in ms; the request is aborted when it fires. */
    timeout?: number;
    /** Seconds to add to the local clock; null makes the client GET /auth/time before its first call. */
    apiTimeDiff?: number | null;
    apis?: string[];
    warn?: (...message: unknown[]) => void;
    debug?: boolean | ((...message: unknown[]) => void);
  }

  /**
   * What `requestPromised` rejects with: `error` is the HTTP status (and `message` the body's
   * `message`), a string for a body that is not JSON, or a socket error (its negative errno, or the
   * Error itself when it has none, as TLS errors do).
   */
  interface OvhRejection {
    error: number | string | Error;
    message?: string | null;
  }

  interface OvhClient {
    apiTimeDiff: number | null;
    requestPromised(
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      path: string,
      params?: Record<string, unknown>,
    ): Promise<unknown>;
  }

  function ovh(params: OvhParams): OvhClient;
  export default ovh;
  export type { OvhClient, OvhParams, OvhRejection };
}

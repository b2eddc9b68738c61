// System error codes that mean the network, not the provider, failed: the call can be retried and
// becomes an `unavailable` gap when it keeps failing. One list for every adapter.
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
  'ERR_SOCKET_CONNECTION_TIMEOUT', // axios (the Linode client) on a socket timeout
  'UND_ERR_SOCKET', // undici (fetch) when the socket closes under a request
]);

// One mapping of what the `ovh` client rejects with to ProviderError. The client passes on only the
// HTTP status and the body's `message` (lib/ovh.es6.js), so the kind comes from those two. Bodies
// seen on the wire: 403 {"errorCode":"INVALID_CREDENTIAL","httpCode":"403 Forbidden","message":"This
// credential is not valid"} (ovh/php-ovh#56), 400 INVALID_SIGNATURE "Invalid signature"
// (ovh/php-ovh#62), 403 {"class":"Client::Forbidden","message":"This call has not been granted"}.
import { ProviderError, type ProviderErrorKind } from '../../src/errors.ts';
import { type CallRequest, operationLabel } from '../../src/net/call.ts';
import { NETWORK_ERROR_CODES } from '../../src/net/network-codes.ts';
import { OvhCallError } from './clients.ts';

// What a 401/403/400 answer's message means for the person running the audit.
const AUTH_HINTS: [RegExp, string][] = [
  [
    /credential is not valid|credential does not exist/i,
    'the consumer key (OVH_CONSUMER_KEY) is expired, revoked or was never validated: create a new one',
  ],
  [
    /invalid signature/i,
    'the request signature was refused: check OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY',
  ],
  [/application key/i, 'the application key (OVH_APPLICATION_KEY) is not known to this endpoint'],
  [
    /not been granted/i,
    'the consumer key has no GET right on this path: add GET /cloud/* to its access rules',
  ],
  [/out of time/i, 'the request timestamp was refused: the local clock is far from the API time'],
];

export function toProviderError(error: unknown, request: CallRequest): ProviderError | undefined {
  if (error instanceof ProviderError) return error;
  if (!(error instanceof OvhCallError)) return undefined;
  const { error: cause, message } = error.rejection;
  const text = typeof message === 'string' ? message : undefined;
  if (typeof cause === 'number' && cause >= 100) {
    const kind = kindOfStatus(cause, text);
    return new ProviderError('ovh', kind, operationLabel(request), describeStatus(cause, kind, text), {
      status: cause,
      cause: error,
    });
  }
  if (typeof cause === 'string') {
    // '[OVH] Unable to parse JSON reponse' (sic) for a body that is not JSON.
    const kind: ProviderErrorKind = /parse/i.test(cause) ? 'bad-response' : 'unavailable';
    const what = kind === 'bad-response' ? 'the response body is not JSON' : cause.replace(/^\[OVH\] /, '');
    return new ProviderError('ovh', kind, operationLabel(request), what, { cause: error });
  }
  if (typeof cause === 'number') {
    // A socket error's errno (negative), e.g. -111 for ECONNREFUSED.
    return new ProviderError(
      'ovh',
      'unavailable',
      operationLabel(request),
      `connection failed (errno ${cause})`,
      {
        cause: error,
      },
    );
  }
  const code = (cause as Error & { code?: string }).code;
  if (code && /CERT|SELF_SIGNED|ALTNAME/.test(code)) {
    // Not retried: the server could not prove who it is, and asking again will not change that.
    return new ProviderError(
      'ovh',
      'auth',
      operationLabel(request),
      `the server's TLS certificate is not trusted (${code})`,
      {
        code,
        cause: error,
      },
    );
  }
  const what =
    code && NETWORK_ERROR_CODES.has(code)
      ? `connection failed (${code})`
      : `request failed (${code ?? cause.name})`;
  return new ProviderError('ovh', 'unavailable', operationLabel(request), what, { code, cause: error });
}

function kindOfStatus(status: number, message: string | undefined): ProviderErrorKind {
  if (status === 429) return 'throttled';
  if (status === 401 || status === 403) return 'auth';
  // OVH answers a bad signature or a stale timestamp with 400.
  if (status === 400 && message && AUTH_HINTS.some(([pattern]) => pattern.test(message))) return 'auth';
  if (status === 404) return 'not-found';
  if (status >= 500) return 'unavailable';
  return 'bad-response';
}

function describeStatus(status: number, kind: ProviderErrorKind, message: string | undefined): string {
  const said = message ? `: ${firstLine(message)}` : '';
  const hint =
    kind === 'auth' ? AUTH_HINTS.find(([pattern]) => message && pattern.test(message))?.[1] : undefined;
  return redactSecrets(`HTTP ${status}${said}${hint ? ` (${hint})` : ''}`).slice(0, 300);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

/** OVH keys are 16-32 character alphanumeric strings; none may reach a gap or a log line. */
export function redactSecrets(text: string): string {
  return text.replace(/\b[A-Za-z0-9]{32}\b/g, '[redacted]').replace(/\b[A-Za-z0-9/+=]{40,}\b/g, '[redacted]');
}

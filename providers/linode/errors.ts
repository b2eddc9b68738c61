// One mapping of @linode/api-v4 failures to ProviderError. The client rejects with the AxiosError
// itself (not APIError[]; providers.md §5.3): `status`, `response.data.errors[{reason, field}]`,
// `response.headers['retry-after']`. Status codes: https://techdocs.akamai.com/linode-api/reference/errors
import { ProviderError, type ProviderErrorKind } from '../../src/errors.ts';
import { type CallRequest, parseRetryAfter } from '../../src/net/call.ts';
import { NETWORK_ERROR_CODES } from '../../src/net/network-codes.ts';

interface AxiosLikeError {
  isAxiosError?: boolean;
  code?: string;
  message?: string;
  response?: { status?: number; headers?: Record<string, unknown>; data?: unknown };
}

export function toProviderError(error: unknown, request: CallRequest): ProviderError | undefined {
  if (error instanceof ProviderError) return error;
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & AxiosLikeError;
  if (!e.isAxiosError) return undefined;
  const status = e.response?.status;
  const kind = kindOf(status, e.code);
  if (!kind) return undefined;
  const retryAfterMs = parseRetryAfter(headerOf(e.response?.headers, 'retry-after'));
  return new ProviderError('linode', kind, request.operation, describe(e, status), {
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(status === undefined ? {} : { status }),
    ...(e.code ? { code: e.code } : {}),
    cause: error,
  });
}

function kindOf(status: number | undefined, code: string | undefined): ProviderErrorKind | undefined {
  if (status === 429) return 'throttled';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not-found';
  if (status !== undefined && (status >= 500 || status === 408)) return 'unavailable';
  if (status !== undefined) return 'bad-response';
  if (code && NETWORK_ERROR_CODES.has(code)) return 'unavailable';
  // No response at all and no known network code (a socket hang-up, a TLS failure): the cloud's
  // or the network's trouble, a gap. Cancellations are turned into timeouts by call().
  return code === 'ERR_CANCELED' ? undefined : 'unavailable';
}

function headerOf(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** `HTTP 401: Invalid Token` from Linode's `{"errors":[{"reason":"...","field":"..."}]}`. */
function describe(e: Error & AxiosLikeError, status: number | undefined): string {
  const reasons = reasonsOf(e.response?.data);
  const text =
    status === undefined
      ? `${e.code ? `${e.code}: ` : ''}${e.message ?? 'no response'}`
      : `HTTP ${status}${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}`;
  return redactSecrets(firstLine(text)).slice(0, 300);
}

function reasonsOf(data: unknown): string[] {
  if (typeof data !== 'object' || data === null || !('errors' in data) || !Array.isArray(data.errors))
    return [];
  return data.errors.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null || !('reason' in entry)) return [];
    const reason = String(entry.reason);
    const field = 'field' in entry && entry.field ? ` (${String(entry.field)})` : '';
    return [`${reason}${field}`];
  });
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

/** Linode personal access tokens are 64 hex characters; no long opaque string reaches a gap or a log. */
export function redactSecrets(text: string): string {
  return text
    .replace(/\bBearer\s+\S+/gi, 'Bearer [redacted]')
    .replace(/\b[A-Za-z0-9/+=_-]{32,}\b/g, '[redacted]');
}

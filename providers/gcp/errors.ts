// One mapping of Google Cloud client failures to ProviderError. Over the REST fallback of
// google-gax 5 an HTTP failure reaches us as a GaxiosError whose `.code` is the HTTP status (429,
// 503, 404), not the gRPC code (providers.md §0.3); both are understood here. Error model:
// https://cloud.google.com/apis/design/errors; Compute answers an exceeded rate quota with 403
// rateLimitExceeded (https://cloud.google.com/compute/docs/api-rate-limits), Monitoring with 429.
import { ProviderError, type ProviderErrorKind } from '../../src/errors.ts';
import { type CallRequest, operationLabel, parseRetryAfter } from '../../src/net/call.ts';
import { NETWORK_ERROR_CODES } from '../../src/net/network-codes.ts';

const THROTTLE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED']);
// gRPC status codes, for errors raised by gax itself rather than by an HTTP answer.
const GRPC: Record<number, ProviderErrorKind> = {
  4: 'unavailable', // DEADLINE_EXCEEDED
  5: 'not-found',
  7: 'auth', // PERMISSION_DENIED
  8: 'throttled', // RESOURCE_EXHAUSTED
  13: 'unavailable', // INTERNAL
  14: 'unavailable', // UNAVAILABLE
  16: 'auth', // UNAUTHENTICATED
};

interface GoogleLikeError {
  code?: number | string;
  status?: number | string;
  message?: string;
  response?: { status?: number; headers?: unknown; data?: unknown };
}

interface GoogleErrorBody {
  code?: number;
  message?: string;
  status?: string;
  errors?: { reason?: string; message?: string }[];
}

export function toProviderError(error: unknown, request: CallRequest): ProviderError | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & GoogleLikeError;
  const body = errorBody(e);
  const httpStatus =
    typeof e.response?.status === 'number'
      ? e.response.status
      : typeof e.code === 'number' && e.code >= 100
        ? e.code
        : undefined;
  const kind = kindOf(e, httpStatus, body);
  if (!kind) return undefined;
  const operation = operationLabel(request);
  const retryAfterMs = parseRetryAfter(header(e.response?.headers, 'retry-after'));
  return new ProviderError('gcp', kind, operation, describe(e, kind, httpStatus, body), {
    ...(httpStatus !== undefined ? { status: httpStatus } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(body?.status ? { code: body.status } : {}),
    cause: error,
  });
}

function kindOf(
  e: Error & GoogleLikeError,
  status: number | undefined,
  body: GoogleErrorBody | undefined,
): ProviderErrorKind | undefined {
  const reasons = body?.errors?.map((x) => x.reason ?? '') ?? [];
  if (status === 429 || body?.status === 'RESOURCE_EXHAUSTED' || reasons.some((r) => THROTTLE_REASONS.has(r)))
    return 'throttled';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not-found';
  if (status !== undefined && status >= 500) return 'unavailable';
  if (status !== undefined && status >= 400) return 'bad-response';
  if (typeof e.code === 'string' && NETWORK_ERROR_CODES.has(e.code)) return 'unavailable';
  if (typeof e.code === 'number' && GRPC[e.code]) return GRPC[e.code];
  if (/default credentials|Could not refresh access token|invalid_grant|metadata server/i.test(e.message))
    return 'auth';
  if (e.name === 'SyntaxError' || /JSON|Unexpected token|Unexpected end/i.test(e.message))
    return 'bad-response';
  if (e.name === 'GaxiosError' || e.name === 'GoogleError' || e.name === 'FetchError') return 'unavailable';
  return undefined;
}

/** The Google error JSON, from the parsed response data or the message gax filled with the raw body. */
function errorBody(e: GoogleLikeError): GoogleErrorBody | undefined {
  const candidates: unknown[] = [e.response?.data, e.message];
  for (const candidate of candidates) {
    let parsed: unknown = candidate;
    if (typeof candidate === 'string' && candidate.trimStart().startsWith('{')) {
      try {
        parsed = JSON.parse(candidate);
      } catch {
        continue;
      }
    }
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed) {
      const inner = (parsed as { error: unknown }).error;
      if (typeof inner === 'object' && inner !== null) return inner as GoogleErrorBody;
    }
  }
  return undefined;
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function describe(
  e: Error & GoogleLikeError,
  kind: ProviderErrorKind,
  status: number | undefined,
  body: GoogleErrorBody | undefined,
): string {
  if (kind === 'auth' && /default credentials/i.test(e.message)) {
    return 'no Google Cloud credentials found (Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, or the metadata server)';
  }
  const text = body?.message ?? (e.message.trimStart().startsWith('{') ? '' : e.message);
  const prefix = [status !== undefined ? `HTTP ${status}` : undefined, body?.status]
    .filter(Boolean)
    .join(' ');
  const line = [prefix, firstLine(text)].filter(Boolean).join(': ') || e.name;
  return redactSecrets(line).slice(0, 300);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

/** OAuth access tokens, bearer headers, private keys and long opaque strings never reach a gap or a log. */
export function redactSecrets(text: string): string {
  return text
    .replace(/Bearer\s+\S+/gi, 'Bearer [redacted]')
    .replace(/\bya29\.[\w.-]+/g, '[redacted]')
    .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[redacted]')
    .replace(/\b[A-Za-z0-9/+=_-]{40,}\b/g, '[redacted]');
}

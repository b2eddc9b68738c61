// One mapping of AWS SDK v3 failures to ProviderError (Renovate's handleGenericErrors idea).
// Error names: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html
import { ProviderError, type ProviderErrorKind } from '../../src/errors.ts';
import { type CallRequest, operationLabel } from '../../src/net/call.ts';
import { NETWORK_ERROR_CODES } from '../../src/net/network-codes.ts';

const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
]);
const AUTH = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'AuthFailure',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'OptInRequired',
  'CredentialsProviderError',
  'TokenProviderError',
]);
const UNAVAILABLE = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServiceError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; clockSkewCorrected?: boolean };
  $response?: unknown;
}

export function toProviderError(error: unknown, request: CallRequest): ProviderError | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as Error & AwsLikeError;
  const status = e.$metadata?.httpStatusCode;
  const operation = operationLabel(request);
  if (e.$metadata?.clockSkewCorrected) {
    // The request was signed with a clock far from AWS's; the SDK has just taken AWS's time from the
    // answer's Date header, so the same call, signed again, goes through: retried as a transient failure.
    const text = `clock skew: ${describe(e, 'auth')}; signing with the service's time from now on`;
    return new ProviderError('aws', 'unavailable', operation, text, { status, code: e.name, cause: error });
  }
  const kind = kindOf(e, status);
  if (!kind) return undefined;
  return new ProviderError('aws', kind, operation, describe(e, kind), { status, code: e.name, cause: error });
}

function kindOf(e: Error & AwsLikeError, status: number | undefined): ProviderErrorKind | undefined {
  const name = e.name ?? '';
  if (THROTTLED.has(name) || status === 429) return 'throttled';
  if (AUTH.has(name) || status === 401 || status === 403) return 'auth';
  if (UNAVAILABLE.has(name) || (status !== undefined && status >= 500)) return 'unavailable';
  if (e.code && NETWORK_ERROR_CODES.has(e.code)) return 'unavailable';
  if (name.endsWith('NotFound') || name.includes('.NotFound') || status === 404) return 'not-found';
  // A body the SDK could not parse, or any other answer from the service itself.
  if (e.$metadata || e.$response || name === 'SyntaxError') return 'bad-response';
  // Anything else the SDK itself raised (a $fault, or a provider chain's *ProviderError) is the
  // cloud's or the environment's trouble: a gap. A TypeError or RangeError stays a bug.
  if (e.$fault || /ProviderError$|Exception$/.test(name)) return 'unavailable';
  return undefined;
}

function describe(e: Error & AwsLikeError, kind: ProviderErrorKind): string {
  if (e.name === 'CredentialsProviderError') {
    return 'no AWS credentials found (environment, shared config/credentials files, SSO, container or instance role)';
  }
  const text =
    e.message && e.message !== 'UnknownError' ? e.message : `HTTP ${e.$metadata?.httpStatusCode ?? '?'}`;
  const name = e.name && e.name !== 'Error' && !text.startsWith(e.name) ? `${e.name}: ` : '';
  const hint = kind === 'bad-response' && e.$response ? ' (the response body could not be read)' : '';
  return redactSecrets(`${name}${firstLine(text)}${hint}`).slice(0, 300);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

/** Access key ids and long opaque tokens never reach a gap, a log line or a report. */
export function redactSecrets(text: string): string {
  return text
    .replace(/\b(AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b/g, '$1…[redacted]')
    .replace(/\b[A-Za-z0-9/+=]{40,}\b/g, '[redacted]');
}

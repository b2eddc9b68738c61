import { createHash, timingSafeEqual } from 'node:crypto';

// The OVH API 1.0 wire protocol as the `ovh` client speaks it (providers.md §4.3 and §5.4): a
// signed GET with X-Ovh-Application, X-Ovh-Consumer, X-Ovh-Timestamp and
// X-Ovh-Signature = "$1$" + sha1(AS+"+"+CK+"+"+METHOD+"+"+URL+"+"+BODY+"+"+TS), where the client
// builds URL as "https://" + host + path?query, without the port.

export interface OvhAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): OvhAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}

/**
 * The API's error bodies. Auth errors as seen on the wire: INVALID_CREDENTIAL (ovh/php-ovh#56) and
 * INVALID_SIGNATURE (ovh/php-ovh#62); the others in the `class` form OVH uses for Client:: errors.
 * The 429 body is not documented anywhere we could read (UNVERIFIED); clients see only its status.
 */
export const errors = {
  invalidCredential: () =>
    json(403, {
      errorCode: 'INVALID_CREDENTIAL',
      httpCode: '403 Forbidden',
      message: 'This credential is not valid',
    }),
  invalidSignature: () =>
    json(400, { errorCode: 'INVALID_SIGNATURE', httpCode: '400 Bad Request', message: 'Invalid signature' }),
  invalidKey: () =>
    json(403, {
      errorCode: 'INVALID_KEY',
      httpCode: '403 Forbidden',
      message: 'This application key is invalid',
    }),
  queryTimeOut: () =>
    json(400, { errorCode: 'QUERY_TIME_OUT', httpCode: '400 Bad Request', message: 'Query out of time' }),
  mustLogin: () => json(401, { class: 'Client::Unauthorized', message: 'You must login first' }),
  notGranted: () => json(403, { class: 'Client::Forbidden', message: 'This call has not been granted' }),
  notFound: (message = 'This service does not exist') => json(404, { class: 'Client::NotFound', message }),
  badRequest: (message: string) => json(400, { class: 'Client::BadRequest', message }),
  tooManyRequests: (retryAfterSec: number) =>
    json(
      429,
      { class: 'Client::TooManyRequests', message: 'Too many requests' },
      { 'retry-after': String(retryAfterSec) },
    ),
  unavailable: () =>
    json(503, { class: 'Server::ServiceUnavailable', message: 'The service is temporarily unavailable' }),
  internal: (message: string) => json(500, { class: 'Server::InternalServerError', message }),
};

export function signature(
  secret: string,
  consumerKey: string,
  method: string,
  url: string,
  body: string,
  timestamp: string,
): string {
  return `$1$${createHash('sha1').update([secret, consumerKey, method, url, body, timestamp].join('+')).digest('hex')}`;
}

export function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The URL the client signed: https + the Host header without its port + the raw path and query. */
export function signedUrl(hostHeader: string | undefined, rawUrl: string): string {
  const host = (hostHeader ?? '').replace(/:\d+$/, '');
  return `https://${host}${rawUrl}`;
}

/** A deterministic UUID from a key, for flavor and image ids. */
export function uuidOf(key: string): string {
  const hex = createHash('sha1').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

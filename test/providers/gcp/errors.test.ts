import { describe, expect, it } from 'vitest';
import { redactSecrets, toProviderError } from '../../../providers/gcp/errors.ts';

const request = {
  bucket: 'monitoring',
  operation: 'monitoring.timeSeries.list cpu',
  region: 'shop-gcp-prod',
};

/** What google-gax 5's REST fallback throws: a GaxiosError with the HTTP status as `.code` and the raw body as message. */
function gaxiosError(status: number, body: object, headers: Record<string, string> = {}) {
  return Object.assign(new Error(JSON.stringify(body)), {
    name: 'GaxiosError',
    code: status,
    status,
    response: { status, headers: new Headers(headers), data: body },
  });
}
const google = (code: number, status: string, message: string, reason?: string) => ({
  error: { code, message, status, ...(reason ? { errors: [{ reason, message }] } : {}) },
});

describe('GCP error mapping', () => {
  it.each([
    [429, google(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'), 'throttled'],
    [403, google(403, 'PERMISSION_DENIED', 'Rate Limit Exceeded', 'rateLimitExceeded'), 'throttled'],
    [
      403,
      google(403, 'PERMISSION_DENIED', "Permission 'monitoring.timeSeries.list' denied", 'forbidden'),
      'auth',
    ],
    [401, google(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'), 'auth'],
    [404, google(404, 'NOT_FOUND', "The resource 'projects/x' was not found", 'notFound'), 'not-found'],
    [503, google(503, 'UNAVAILABLE', 'The service is currently unavailable.'), 'unavailable'],
    [500, google(500, 'INTERNAL', 'Internal error'), 'unavailable'],
    [400, google(400, 'INVALID_ARGUMENT', 'Could not parse filter'), 'bad-response'],
  ] as const)('HTTP %i %j is %s', (status, body, kind) => {
    const error = toProviderError(gaxiosError(status, body), request);
    expect(error).toMatchObject({
      provider: 'gcp',
      kind,
      status,
      operation: 'monitoring.timeSeries.list cpu (shop-gcp-prod)',
    });
    expect(error!.describe()).toContain(body.error.message);
    expect(error!.describe()).not.toContain('{');
  });

  it('reads Retry-After and the canonical status', () => {
    const error = toProviderError(
      gaxiosError(429, google(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'), { 'retry-after': '7' }),
      request,
    );
    expect(error).toMatchObject({ retryAfterMs: 7000, code: 'RESOURCE_EXHAUSTED', retryable: true });
  });

  it('maps gRPC codes, network failures, unreadable bodies and missing ADC', () => {
    expect(
      toProviderError(Object.assign(new Error('x'), { name: 'GoogleError', code: 8 }), request)?.kind,
    ).toBe('throttled');
    expect(
      toProviderError(Object.assign(new Error('x'), { name: 'GoogleError', code: 14 }), request)?.kind,
    ).toBe('unavailable');
    expect(
      toProviderError(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
        request,
      )?.kind,
    ).toBe('unavailable');
    expect(toProviderError(new SyntaxError('Unexpected end of JSON input'), request)?.kind).toBe(
      'bad-response',
    );
    const adc = toProviderError(
      new Error(
        'Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication/getting-started for more information.',
      ),
      request,
    );
    expect(adc?.kind).toBe('auth');
    expect(adc?.message).toMatch(/^no Google Cloud credentials found \(Application Default Credentials/);
  });

  it('leaves a plain bug alone', () => {
    expect(toProviderError(new TypeError('cannot read properties of undefined'), request)).toBeUndefined();
    expect(toProviderError('a string', request)).toBeUndefined();
  });

  it('never lets a token or key into a message', () => {
    expect(redactSecrets('Authorization: Bearer ya29.a0AfH6SMBx-secret_value')).toBe(
      'Authorization: Bearer [redacted]',
    );
    expect(redactSecrets('token ya29.a0AfH6SMBx-secret_value used')).toBe('token [redacted] used');
    expect(redactSecrets('-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----')).toBe('[redacted]');
    const error = toProviderError(
      gaxiosError(401, google(401, 'UNAUTHENTICATED', 'bad token Bearer abc.def.ghi')),
      request,
    );
    expect(error!.describe()).not.toContain('abc.def.ghi');
  });
});

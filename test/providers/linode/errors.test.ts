// AxiosError shapes as @linode/api-v4 rejects with them (providers.md §5.3), mapped to gap kinds.
import { describe, expect, it } from 'vitest';
import { redactSecrets, toProviderError } from '../../../providers/linode/errors.ts';
import { ProviderError } from '../../../src/errors.ts';

const request = { bucket: 'linode.stats', operation: 'linode.getLinodeStatsByDate' };

function axiosError(
  status: number | undefined,
  data?: unknown,
  headers: Record<string, string> = {},
  code?: string,
) {
  return Object.assign(new Error(status ? `Request failed with status code ${status}` : 'connect failed'), {
    isAxiosError: true,
    ...(code ? { code } : {}),
    ...(status ? { response: { status, data, headers } } : {}),
  });
}

describe('linode error mapping', () => {
  it.each([
    [429, 'throttled'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'not-found'],
    [500, 'unavailable'],
    [503, 'unavailable'],
    [400, 'bad-response'],
  ])('HTTP %i is %s', (status, kind) => {
    expect(toProviderError(axiosError(status), request)?.kind).toBe(kind);
  });

  it('reads Retry-After and the reasons of a Linode error body', () => {
    const error = toProviderError(
      axiosError(429, { errors: [{ reason: 'Too Many Requests' }] }, { 'retry-after': '7' }),
      request,
    )!;
    expect(error.retryAfterMs).toBe(7000);
    expect(error.retryable).toBe(true);
    expect(error.describe()).toBe(
      'linode linode.getLinodeStatsByDate: throttled: HTTP 429: Too Many Requests',
    );
    const field = toProviderError(
      axiosError(400, { errors: [{ reason: 'Must be 25-500', field: 'page_size' }] }),
      request,
    )!;
    expect(field.message).toBe('HTTP 400: Must be 25-500 (page_size)');
  });

  it('treats a refused or reset connection as unavailable, and leaves bugs alone', () => {
    expect(toProviderError(axiosError(undefined, undefined, {}, 'ECONNREFUSED'), request)?.kind).toBe(
      'unavailable',
    );
    expect(toProviderError(new TypeError('x is not a function'), request)).toBeUndefined();
    expect(toProviderError('a string', request)).toBeUndefined();
    const own = new ProviderError('linode', 'auth', 'linode.getLinodes', 'no Linode token');
    expect(toProviderError(own, request)).toBe(own);
  });

  it('never lets a token through', () => {
    const token = 'c0ffee0ddba11deadbeefc0ffee0ddba11deadbeefc0ffee0ddba11deadbeef0';
    expect(redactSecrets(`Authorization: Bearer ${token}`)).not.toContain(token);
    expect(redactSecrets(`token ${token} rejected`)).toBe('token [redacted] rejected');
    const error = toProviderError(
      axiosError(401, { errors: [{ reason: `Invalid Token ${token}` }] }),
      request,
    )!;
    expect(error.message).not.toContain(token);
  });
});

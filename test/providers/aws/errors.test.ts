import { describe, expect, it } from 'vitest';
import { redactSecrets, toProviderError } from '../../../providers/aws/errors.ts';

const request = { bucket: 'ec2', operation: 'ec2.DescribeInstances', region: 'eu-west-1' };
const sdkError = (name: string, status?: number, message = 'boom') =>
  Object.assign(new Error(message), { name, $metadata: status ? { httpStatusCode: status } : {} });

describe('AWS error mapping', () => {
  it.each([
    ['Throttling', 400, 'throttled'],
    ['RequestLimitExceeded', 503, 'throttled'],
    ['ExpiredToken', 403, 'auth'],
    ['UnauthorizedOperation', 403, 'auth'],
    ['InternalError', 500, 'unavailable'],
    ['InvalidInstanceID.NotFound', 400, 'not-found'],
    ['SomethingOdd', 400, 'bad-response'],
  ] as const)('%s (%i) is %s', (name, status, kind) => {
    expect(toProviderError(sdkError(name, status), request)).toMatchObject({
      kind,
      operation: 'ec2.DescribeInstances (eu-west-1)',
    });
  });

  it('treats credential-chain and network failures as the environment, not a bug', () => {
    expect(
      toProviderError(
        Object.assign(new Error('SSO session expired'), { name: 'TokenProviderError' }),
        request,
      )?.kind,
    ).toBe('auth');
    expect(
      toProviderError(Object.assign(new Error('no route'), { code: 'ENETUNREACH' }), request)?.kind,
    ).toBe('unavailable');
  });

  it('leaves our own bugs alone', () => {
    expect(toProviderError(new TypeError('x is undefined'), request)).toBeUndefined();
  });

  it('never lets an access key or a long token into a message', () => {
    expect(redactSecrets('key AKIAIOSFODNN7EXAMPLE and wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEYxx')).toBe(
      'key AKIA…[redacted] and [redacted]',
    );
  });
});

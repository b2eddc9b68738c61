import { XMLBuilder } from 'fast-xml-parser';

// Wire details shared by the three services: SigV4 scope parsing, query-form lists, paging
// tokens, and every error in the shape its protocol really uses (reference/providers.md §5.1).

export type AwsService = 'cloudwatch' | 'ec2' | 'autoscaling';

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array;
}

export const xmlNamespaces = {
  ec2: 'http://ec2.amazonaws.com/doc/2016-11-15/',
  autoscaling: 'http://autoscaling.amazonaws.com/doc/2011-01-01/',
  cloudwatch: 'http://monitoring.amazonaws.com/doc/2010-08-01/',
} as const;

export const jsonContentType = 'application/x-amz-json-1.0';

/** An API error the mock answers, rendered per protocol by `renderError`. */
export class AwsApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly fault: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }
}

export interface SigningScope {
  readonly accessKeyId: string;
  readonly region: string;
  readonly signingService: string;
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-1/ec2/aws4_request, ...`; the signature is not checked. */
export function parseSigningScope(authorization: string | undefined): SigningScope | undefined {
  const match = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { accessKeyId: match[1], region: match[2], signingService: match[3] };
}

/** Query-protocol list members: `InstanceId.1`, `InstanceId.2`... (`AutoScalingGroupNames.member.1` for awsQuery). */
export function formList(form: URLSearchParams, prefix: string): string[] {
  const values: string[] = [];
  for (let index = 1; form.has(`${prefix}.${index}`); index += 1)
    values.push(form.get(`${prefix}.${index}`) ?? '');
  return values;
}

export interface FormFilter {
  readonly name: string;
  readonly values: readonly string[];
}

/** EC2 `Filter.N.Name` / `Filter.N.Value.M`, or awsQuery `Filters.member.N.Name` / `.Values.member.M`. */
export function formFilters(form: URLSearchParams, style: 'ec2' | 'query'): FormFilter[] {
  const filters: FormFilter[] = [];
  const base = style === 'ec2' ? 'Filter' : 'Filters.member';
  for (let index = 1; form.has(`${base}.${index}.Name`); index += 1) {
    const values = formList(
      form,
      style === 'ec2' ? `${base}.${index}.Value` : `${base}.${index}.Values.member`,
    );
    filters.push({ name: form.get(`${base}.${index}.Name`) ?? '', values });
  }
  return filters;
}

/** EC2 filter values accept `*` (any run) and `?` (one character). */
export function filterMatches(values: readonly string[], actual: string | undefined): boolean {
  if (actual === undefined) return false;
  return values.some((pattern) => {
    if (!/[*?]/.test(pattern)) return pattern === actual;
    const source = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.');
    return new RegExp(`^${source}$`).test(actual);
  });
}

/** Opaque paging token bound to the request it continues (a changed request gets InvalidNextToken). */
export function encodePageToken(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint })).toString('base64url');
}

export function decodePageToken(token: string, fingerprint: string, errorCode: string): number {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      o?: unknown;
      f?: unknown;
    };
    if (
      typeof decoded.o === 'number' &&
      Number.isInteger(decoded.o) &&
      decoded.o >= 0 &&
      decoded.f === fingerprint
    ) {
      return decoded.o;
    }
  } catch {
    // falls through to the error below
  }
  throw new AwsApiError(errorCode, 400, 'The specified pagination token is not valid or is expired.');
}

/** Integer request parameter with bounds; the EC2 wording for a bad value. */
export function integerParam(raw: string | null, name: string, min: number, max: number): number | undefined {
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AwsApiError(
      'InvalidParameterValue',
      400,
      `Value ( ${raw} ) for parameter ${name} is invalid. Expecting a value between ${min} and ${max}.`,
    );
  }
  return value;
}

const xml = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });

/** An XML document: `<?xml ...?><Root xmlns="...">content</Root>`. */
export function xmlDocument(root: string, namespace: string, content: Record<string, unknown>): string {
  return xml.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    [root]: { '@_xmlns': namespace, ...content },
  });
}

export function isoTime(epochSec: number): string {
  return new Date(epochSec * 1000).toISOString();
}

// NOTE: awsQueryCompatible JSON errors carry the legacy query code in `x-amzn-query-error`; the
// SDK names the error from it. __type values are the ones the services send (coral namespaces).
const cloudWatchErrorTypes: Record<string, string> = {
  Throttling: 'com.amazon.coral.availability#ThrottlingException',
  ExpiredToken: 'com.amazon.coral.service#ExpiredTokenException',
  AccessDenied: 'com.amazon.coral.service#AccessDeniedException',
  MissingAuthenticationToken: 'com.amazon.coral.service#MissingAuthenticationTokenException',
  SerializationException: 'com.amazon.coral.service#SerializationException',
  ValidationError: 'com.amazon.coral.validate#ValidationException',
  InternalServiceError: 'com.amazonaws.cloudwatch#InternalServiceFault',
  InvalidParameterValue: 'com.amazonaws.cloudwatch#InvalidParameterValueException',
  InvalidParameterCombination: 'com.amazonaws.cloudwatch#InvalidParameterCombinationException',
  MissingParameter: 'com.amazonaws.cloudwatch#MissingRequiredParameterException',
  InvalidNextToken: 'com.amazonaws.cloudwatch#InvalidNextToken',
};

function requestIdHeaders(requestId: string): Record<string, string> {
  return { 'x-amzn-requestid': requestId };
}

export function renderError(service: AwsService, error: AwsApiError, requestId: string): HttpResponse {
  switch (service) {
    case 'cloudwatch': {
      const type = cloudWatchErrorTypes[error.code] ?? `com.amazonaws.cloudwatch#${error.code}`;
      return {
        status: error.status,
        headers: {
          'content-type': jsonContentType,
          'x-amzn-query-error': `${error.code};${error.fault}`,
          ...requestIdHeaders(requestId),
        },
        body: JSON.stringify({ __type: type, message: error.message }),
      };
    }
    case 'ec2':
      return {
        status: error.status,
        headers: { 'content-type': 'text/xml;charset=UTF-8' },
        body: xml.build({
          '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
          Response: { Errors: { Error: { Code: error.code, Message: error.message } }, RequestID: requestId },
        }),
      };
    case 'autoscaling':
      return queryError(xmlNamespaces.autoscaling, error, requestId);
  }
}

/** The awsQuery `<ErrorResponse>` shape (Auto Scaling; CloudWatch's retired query protocol). */
export function queryError(namespace: string, error: AwsApiError, requestId: string): HttpResponse {
  return {
    status: error.status,
    headers: { 'content-type': 'text/xml', ...requestIdHeaders(requestId) },
    body: xml.build({
      '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
      ErrorResponse: {
        '@_xmlns': namespace,
        Error: { Type: error.fault, Code: error.code, Message: error.message },
        RequestId: requestId,
      },
    }),
  };
}

function cborHead(major: number, length: number): number[] {
  if (length < 24) return [(major << 5) | length];
  if (length < 256) return [(major << 5) | 24, length];
  return [(major << 5) | 25, (length >> 8) & 0xff, length & 0xff];
}

/** Just enough CBOR for an error body: a map of short text strings (RFC 8949 major types 3 and 5). */
export function cborTextMap(entries: Record<string, string>): Uint8Array {
  const bytes: number[] = cborHead(5, Object.keys(entries).length);
  for (const [key, value] of Object.entries(entries)) {
    for (const text of [key, value]) {
      const utf8 = Buffer.from(text.slice(0, 4000), 'utf8');
      bytes.push(...cborHead(3, utf8.length), ...utf8);
    }
  }
  return Uint8Array.from(bytes);
}

import type { IncomingHttpHeaders } from 'node:http';
import type { DeliveryFault } from '../delivery.ts';
import {
  AwsApiError,
  type AwsService,
  cborTextMap,
  type HttpResponse,
  queryError,
  renderError,
  xmlNamespaces,
} from './protocol.ts';

// Which service a request is for (reference/providers.md §5.1): an x-amz-target header is
// CloudWatch JSON 1.0; otherwise the form's Version picks EC2 (2016-11-15) or Auto Scaling
// (2011-01-01). Protocols the mock does not speak are refused here with a message naming them.

/** What the request log keeps of one request, besides time and status. */
export interface RequestSummary {
  readonly service: AwsService | 'unknown';
  readonly region: string;
  readonly action: string;
  readonly errorCode?: string;
  readonly fault?: string;
  readonly queries?: number;
  readonly datapoints?: number;
}

export interface Served {
  readonly response: HttpResponse;
  readonly summary: RequestSummary;
  /** How the answer goes on the wire when a fault says the network misbehaves. */
  readonly delivery?: DeliveryFault;
}

export type Route =
  | {
      readonly kind: 'service';
      readonly service: AwsService;
      readonly action: string;
      readonly payload: unknown;
    }
  | { readonly kind: 'refused'; readonly served: Served };

const cloudWatchTargetPrefix = 'GraniteServiceVersion20100801.';

// reference/providers.md §0.4: CloudWatch is moving to CBOR; a client that switches must fail loudly.
const unsupportedCbor =
  'fleetlens mock: CloudWatch over Smithy RPC v2 CBOR is not implemented. The mock speaks AWS JSON 1.0 ' +
  '(awsQueryCompatible), which @aws-sdk/client-cloudwatch 3.1164 sends; pin that client version ' +
  '(reference/providers.md §0.4).';

const unsupportedQuery =
  'fleetlens mock: CloudWatch over the awsQuery protocol (Version=2010-08-01 form posts) is not implemented. ' +
  'The mock speaks AWS JSON 1.0 (awsQueryCompatible), which @aws-sdk/client-cloudwatch 3.1164 sends ' +
  '(reference/providers.md §0.4).';

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function refused(response: HttpResponse, summary: RequestSummary): Route {
  return { kind: 'refused', served: { response, summary } };
}

/** Answered in CBOR, so a CBOR client can read the message. */
function refuseCbor(url: string, region: string, requestId: string): Route {
  const action = /\/operation\/([A-Za-z]+)/.exec(url)?.[1] ?? 'unknown';
  const response: HttpResponse = {
    status: 400,
    headers: {
      'content-type': 'application/cbor',
      'smithy-protocol': 'rpc-v2-cbor',
      'x-amzn-query-error': 'UnsupportedProtocol;Sender',
      'x-amzn-requestid': requestId,
    },
    body: cborTextMap({ __type: 'com.amazonaws.cloudwatch#UnsupportedProtocol', message: unsupportedCbor }),
  };
  return refused(response, { service: 'cloudwatch', region, action, errorCode: 'UnsupportedProtocol' });
}

function refuseInQuery(
  service: RequestSummary['service'],
  action: string,
  region: string,
  error: AwsApiError,
  requestId: string,
): Route {
  const response = queryError(xmlNamespaces.cloudwatch, error, requestId);
  return refused(response, { service, region, action, errorCode: error.code });
}

function jsonRoute(target: string, body: Buffer, region: string, requestId: string): Route {
  if (!target.startsWith(cloudWatchTargetPrefix)) {
    const message = `fleetlens mock: x-amz-target ${target} is not served (CloudWatch, EC2 and Auto Scaling only).`;
    const error = new AwsApiError('UnknownOperationException', 400, message);
    return refused(renderError('cloudwatch', error, requestId), {
      service: 'unknown',
      region,
      action: target,
      errorCode: error.code,
    });
  }
  const action = target.slice(cloudWatchTargetPrefix.length);
  try {
    const payload: unknown = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    return { kind: 'service', service: 'cloudwatch', action, payload };
  } catch {
    const error = new AwsApiError('SerializationException', 400, 'The request body is not valid JSON.');
    return refused(renderError('cloudwatch', error, requestId), {
      service: 'cloudwatch',
      region,
      action,
      errorCode: error.code,
    });
  }
}

function formRoute(form: URLSearchParams, region: string, requestId: string): Route {
  const action = form.get('Action') ?? 'unknown';
  const version = form.get('Version');
  if (version === '2016-11-15') return { kind: 'service', service: 'ec2', action, payload: form };
  if (version === '2011-01-01') return { kind: 'service', service: 'autoscaling', action, payload: form };
  if (version === '2010-08-01') {
    return refuseInQuery(
      'cloudwatch',
      action,
      region,
      new AwsApiError('UnsupportedProtocol', 400, unsupportedQuery),
      requestId,
    );
  }
  const message =
    `fleetlens mock: cannot tell the AWS service: no x-amz-target header, and form Version ${version ?? '(none)'} ` +
    'is neither 2016-11-15 (EC2) nor 2011-01-01 (Auto Scaling).';
  return refuseInQuery('unknown', action, region, new AwsApiError('InvalidAction', 400, message), requestId);
}

export interface IncomingRequest {
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
  readonly body: Buffer;
}

export function routeRequest(request: IncomingRequest, region: string, requestId: string): Route {
  const contentType = headerValue(request.headers, 'content-type') ?? '';
  if (
    headerValue(request.headers, 'smithy-protocol') === 'rpc-v2-cbor' ||
    contentType.includes('application/cbor')
  ) {
    return refuseCbor(request.url, region, requestId);
  }
  const target = headerValue(request.headers, 'x-amz-target');
  if (target !== undefined) return jsonRoute(target, request.body, region, requestId);
  // The query protocols also accept GET with the parameters in the URL.
  const form = new URLSearchParams(request.body.toString('utf8'));
  for (const [key, value] of new URL(request.url, 'http://127.0.0.1').searchParams) form.append(key, value);
  return formRoute(form, region, requestId);
}

export function authorizationOf(headers: IncomingHttpHeaders): string | undefined {
  return headerValue(headers, 'authorization');
}

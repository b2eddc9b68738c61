import type { FaultKind, ScenarioFault } from '../../scenarios/schema.ts';
import type { Dimension } from './metrics.ts';
import { AwsApiError, type AwsService } from './protocol.ts';

// Injected failures from the scenario, counted per fault and region: the nth matching call (and
// the `times - 1` after it) fails with the error the real service answers in that situation.

/** What a CloudWatch call is about, for `match` (each query of GetMetricData, the ListMetrics filter). */
export interface MetricTarget {
  readonly namespace?: string;
  readonly metricName?: string;
  readonly dimensions: readonly Dimension[];
}

function targetMatches(match: NonNullable<ScenarioFault['match']>, target: MetricTarget): boolean {
  return (
    (match.namespace === undefined || match.namespace === target.namespace) &&
    (match.metricName === undefined || match.metricName === target.metricName) &&
    (match.dimensionValue === undefined || target.dimensions.some((d) => d.Value === match.dimensionValue))
  );
}

export class FaultInjector {
  private readonly counts = new Map<string, number>();

  constructor(private readonly faults: readonly ScenarioFault[]) {}

  /** Counts the call against every fault it matches; returns the first fault that fires. */
  check(region: string, action: string, targets: readonly MetricTarget[]): ScenarioFault | undefined {
    let fired: ScenarioFault | undefined;
    this.faults.forEach((fault, index) => {
      if (fault.action !== action || (fault.region !== undefined && fault.region !== region)) return;
      if (fault.match && !targets.some((target) => fault.match && targetMatches(fault.match, target))) return;
      const key = `${index}|${region}`;
      const count = (this.counts.get(key) ?? 0) + 1;
      this.counts.set(key, count);
      const last = fault.times === 'always' ? Number.POSITIVE_INFINITY : fault.nth + fault.times - 1;
      if (!fired && count >= fault.nth && count <= last) fired = fault;
    });
    return fired;
  }
}

const iamPrefix: Record<AwsService, string> = {
  cloudwatch: 'cloudwatch',
  ec2: 'ec2',
  autoscaling: 'autoscaling',
};

function deniedMessage(service: AwsService, action: string, accountId: string): string {
  const permission = `${iamPrefix[service]}:${action}`;
  return `User: arn:aws:iam::${accountId}:user/fleetlens is not authorized to perform: ${permission} because no identity-based policy allows the ${permission} action`;
}

/**
 * The error each service really answers (HTTP status from the service's error docs):
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/CommonErrors.html
 */
/** The faults that are an error answer; the others change how a healthy answer arrives. */
export type ErrorFaultKind = Exclude<FaultKind, 'malformed' | 'stall' | 'slow' | 'cut' | 'loop'>;

export function isErrorFault(kind: FaultKind): kind is ErrorFaultKind {
  return !['malformed', 'stall', 'slow', 'cut', 'loop'].includes(kind);
}

export function faultError(
  kind: ErrorFaultKind,
  service: AwsService,
  action: string,
  accountId: string,
): AwsApiError {
  switch (kind) {
    case 'throttle':
      if (service === 'ec2') return new AwsApiError('RequestLimitExceeded', 503, 'Request limit exceeded.');
      return new AwsApiError('Throttling', 400, 'Rate exceeded');
    case 'server-error':
      if (service === 'ec2') return new AwsApiError('InternalError', 500, 'An internal error has occurred');
      if (service === 'cloudwatch')
        return new AwsApiError('InternalServiceError', 500, 'Internal service error');
      return new AwsApiError('InternalFailure', 500, 'An internal error occurred');
    case 'access-denied':
      if (service === 'ec2') {
        const message = `You are not authorized to perform this operation. ${deniedMessage(service, action, accountId)}`;
        return new AwsApiError('UnauthorizedOperation', 403, message);
      }
      return new AwsApiError('AccessDenied', 403, deniedMessage(service, action, accountId));
    case 'expired-credentials':
      // EC2 answers expired temporary credentials with RequestExpired; the query/JSON services with ExpiredToken.
      if (service === 'ec2') return new AwsApiError('RequestExpired', 400, 'Request has expired.');
      return new AwsApiError('ExpiredToken', 403, 'The security token included in the request is expired');
  }
}

/**
 * The first page again with a next-page token that never changes: a listing that would be followed
 * forever. XML answers get it as the last element of the result, JSON answers as `NextToken`.
 */
export const LOOP_TOKEN = 'fleetlens-mock-same-token-again';

export function withLoopToken(body: string, service: AwsService): string {
  if (service === 'cloudwatch') {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    return JSON.stringify({ ...parsed, NextToken: LOOP_TOKEN });
  }
  const [element, closing] =
    service === 'ec2' ? ['nextToken', /<\/(\w+Response)>\s*$/] : ['NextToken', /<\/(\w+Result)>/];
  const without = body.replace(new RegExp(`<${element}>[^<]*</${element}>`), '');
  return without.replace(closing, (tag) => `<${element}>${LOOP_TOKEN}</${element}>${tag}`);
}

/** A 200 whose body the SDK cannot parse, or that parses into the wrong shape. */
export function malformedBody(body: string, variant: ScenarioFault['body'], isJson: boolean): string {
  switch (variant ?? 'truncated') {
    case 'truncated':
      return body.slice(0, Math.max(1, Math.floor(body.length * 0.6)));
    case 'wrong-types':
      return isJson ? jsonWithWrongTypes(body) : xmlWithWrongTypes(body);
    case 'wrong-shape':
      return isJson
        ? jsonWithWrongShape(body)
        : '<?xml version="1.0"?><html><body>Service Unavailable</body></html>';
  }
}

function jsonWithWrongTypes(body: string): string {
  return JSON.stringify(JSON.parse(body), (_key, value: unknown) =>
    typeof value === 'number' ? 'n/a' : value,
  );
}

function xmlWithWrongTypes(body: string): string {
  return body.replace(/>\d+(\.\d+)?</g, '>n/a<').replace(/>\d{4}-\d{2}-\d{2}T[^<]*</g, '>yesterday<');
}

function jsonWithWrongShape(body: string): string {
  const parsed: unknown = JSON.parse(body);
  if (typeof parsed !== 'object' || parsed === null) return body;
  const reshaped = Object.fromEntries(
    Object.entries(parsed).map(([key, value]) => [
      key,
      Array.isArray(value) ? { count: value.length } : value,
    ]),
  );
  return JSON.stringify(reshaped);
}

import type { Scenario } from '../../scenarios/schema.ts';
import { describeAutoScalingGroups } from './autoscaling.ts';
import type { CatalogInstanceType } from './catalog.ts';
import { CloudWatchHandlers, cloudWatchTargets } from './cloudwatch.ts';
import { type ActionContext, type ActionResult, isReadOnlyAction } from './context.ts';
import { describeInstances, describeInstanceTypes, describeVolumes } from './ec2.ts';
import { FaultInjector, faultError, isErrorFault, malformedBody, withLoopToken } from './faults.ts';
import { buildRegionFleet, type RegionFleet } from './fleet.ts';
import { buildMetricRegistry, type MetricRegistry, simulationAnchorSec } from './metrics.ts';
import { describeAlarms, describePolicies } from './policies.ts';
import {
  AwsApiError,
  type AwsService,
  type HttpResponse,
  jsonContentType,
  renderError,
  type SigningScope,
} from './protocol.ts';
import { bucketFor, getMetricDataPoints, TokenBuckets } from './rate-limit.ts';
import type { RequestSummary, Served } from './routing.ts';

// One request to an implemented service, in the order AWS applies its checks: authentication,
// then the action (refused when it writes, or not implemented), then injected faults, then the
// rate limit, then the answer.

type Handler = (ctx: ActionContext, payload: unknown) => ActionResult;

const serviceNames: Record<AwsService, string> = {
  cloudwatch: 'CloudWatch',
  ec2: 'EC2',
  autoscaling: 'Auto Scaling',
};

function withoutToken(payload: unknown): unknown {
  if (payload instanceof URLSearchParams) {
    const form = new URLSearchParams(payload);
    form.delete('NextToken');
    return form;
  }
  if (typeof payload === 'object' && payload !== null) {
    const { NextToken: _token, ...rest } = payload as Record<string, unknown>;
    return rest;
  }
  return payload;
}

function asForm(payload: unknown): URLSearchParams {
  return payload instanceof URLSearchParams ? payload : new URLSearchParams();
}

function refusal(service: AwsService, action: string, implemented: readonly string[]): AwsApiError {
  if (isReadOnlyAction(action)) {
    const message = `fleetlens mock: ${serviceNames[service]} action ${action} is not implemented (implemented: ${implemented.join(', ')}).`;
    return new AwsApiError('NotImplemented', 400, message);
  }
  // The answer a read-only IAM policy gives, with a message that says who refused.
  const code = service === 'ec2' ? 'UnauthorizedOperation' : 'AccessDenied';
  const message = `fleetlens mock refuses the mutating action ${action}: fleetlens is read-only and calls only Describe, Get and List actions.`;
  return new AwsApiError(code, 403, message);
}

function okResponse(service: AwsService, body: string, requestId: string): HttpResponse {
  const contentType = service === 'cloudwatch' ? jsonContentType : 'text/xml;charset=UTF-8';
  return { status: 200, headers: { 'content-type': contentType, 'x-amzn-requestid': requestId }, body };
}

interface RegionState {
  readonly fleet: RegionFleet;
  metrics: MetricRegistry | undefined;
}

export interface DispatcherOptions {
  readonly scenario: Scenario;
  readonly catalog: ReadonlyMap<string, CatalogInstanceType>;
  readonly clockMs: () => number;
  readonly rateLimits: boolean;
  readonly limitsClockMs?: () => number;
  /** Keep each metric's datapoints once computed (see StoredDatapoints). */
  readonly storeDatapoints?: boolean;
}

export class Dispatcher {
  private readonly regions = new Map<string, RegionState>();
  private readonly faults: FaultInjector;
  private readonly buckets: TokenBuckets;
  private limitsOn: boolean;
  private readonly handlers: Record<AwsService, Record<string, Handler>>;
  private readonly startSec: number;
  private readonly seed: string;
  private arrivedMs: number | undefined;

  constructor(private readonly options: DispatcherOptions) {
    this.startSec = Math.floor(options.clockMs() / 1000);
    this.seed = options.scenario.seed ?? options.scenario.name;
    this.faults = new FaultInjector(options.scenario.aws.faults);
    this.buckets = new TokenBuckets(options.limitsClockMs);
    this.limitsOn = options.rateLimits;
    const cloudWatch = new CloudWatchHandlers(options.storeDatapoints ?? false);
    this.handlers = {
      cloudwatch: {
        GetMetricData: (ctx, payload) => cloudWatch.getMetricData(ctx, payload),
        ListMetrics: (ctx, payload) => cloudWatch.listMetrics(ctx, payload),
        DescribeAlarms: (ctx, payload) => describeAlarms(ctx, payload),
      },
      ec2: {
        DescribeInstances: (ctx, payload) => describeInstances(ctx, asForm(payload)),
        DescribeVolumes: (ctx, payload) => describeVolumes(ctx, asForm(payload)),
        DescribeInstanceTypes: (ctx, payload) => describeInstanceTypes(ctx, asForm(payload), options.catalog),
      },
      autoscaling: {
        DescribeAutoScalingGroups: (ctx, payload) => describeAutoScalingGroups(ctx, asForm(payload)),
        DescribePolicies: (ctx, payload) => describePolicies(ctx, asForm(payload)),
      },
    };
    // Fail at start, not on the first request, when the scenario names an unknown instance type.
    for (const region of Object.keys(options.scenario.aws.regions)) this.regionState(region);
  }

  /** Now on the clock the rate limits refill on: a request's arrival, for `serve`. */
  limitsNowMs(): number | undefined {
    return this.limitsOn ? this.buckets.clockMs() : undefined;
  }

  /** Turns the token buckets on or off from the next request on (a bench's warm-up runs without). */
  setRateLimits(on: boolean): void {
    this.limitsOn = on;
  }

  /**
   * `arrivedMs` (from limitsNowMs when the request came in): quotas are charged when a request
   * arrives, as a service does, not when this one-threaded mock gets round to computing it.
   */
  serve(
    service: AwsService,
    action: string,
    payload: unknown,
    scope: SigningScope | undefined,
    requestId: string,
    arrivedMs?: number,
  ): Served {
    this.arrivedMs = arrivedMs;
    const summary: RequestSummary = { service, region: scope?.region ?? 'unknown', action };
    try {
      return this.answer(
        service,
        action,
        payload,
        this.authenticate(service, action, scope),
        requestId,
        summary,
      );
    } catch (error) {
      if (!(error instanceof AwsApiError)) throw error;
      return {
        response: renderError(service, error, requestId),
        summary: { ...summary, errorCode: error.code },
      };
    }
  }

  private authenticate(service: AwsService, action: string, scope: SigningScope | undefined): SigningScope {
    if (!scope)
      throw new AwsApiError('MissingAuthenticationToken', 403, 'Request is missing Authentication Token');
    // A key named EXPIRED stands for expired temporary credentials, on every service and action.
    if (scope.accessKeyId === 'EXPIRED') {
      throw faultError('expired-credentials', service, action, this.options.scenario.aws.accountId);
    }
    return scope;
  }

  private answer(
    service: AwsService,
    action: string,
    payload: unknown,
    scope: SigningScope,
    requestId: string,
    summary: RequestSummary,
  ): Served {
    const accountId = this.options.scenario.aws.accountId;
    const handler = this.handlers[service][action];
    if (!handler) throw refusal(service, action, Object.keys(this.handlers[service]));
    const fault = this.faults.check(
      scope.region,
      action,
      service === 'cloudwatch' ? cloudWatchTargets(action, payload) : [],
    );
    if (fault && isErrorFault(fault.kind)) {
      const error = faultError(fault.kind, service, action, accountId);
      return {
        response: renderError(service, error, requestId),
        summary: { ...summary, errorCode: error.code, fault: fault.kind },
      };
    }
    this.takeToken(service, action, scope.region);
    // A looping listing answers its first page whatever token it is sent, and the same token again.
    const asked = fault?.kind === 'loop' ? withoutToken(payload) : payload;
    const result = handler(this.context(scope.region, requestId), asked);
    if (result.datapoints) this.takeDatapoints(service, action, scope.region, result.datapoints);
    const body =
      fault?.kind === 'malformed'
        ? malformedBody(result.body, fault.body, service === 'cloudwatch')
        : fault?.kind === 'loop'
          ? withLoopToken(result.body, service)
          : result.body;
    const counts =
      result.queries === undefined ? {} : { queries: result.queries, datapoints: result.datapoints };
    const delivery =
      fault?.kind === 'stall' || fault?.kind === 'slow' || fault?.kind === 'cut' ? fault.kind : undefined;
    return {
      response: okResponse(service, body, requestId),
      summary: { ...summary, ...counts, ...(fault ? { fault: fault.kind } : {}) },
      ...(delivery ? { delivery } : {}),
    };
  }

  private takeToken(service: AwsService, action: string, region: string): void {
    const bucket = this.limitsOn ? bucketFor(service, action) : undefined;
    if (bucket && !this.buckets.take(`${region}|${service}|${bucket.name}`, bucket.spec, 1, this.arrivedMs)) {
      throw faultError('throttle', service, action, this.options.scenario.aws.accountId);
    }
  }

  private takeDatapoints(service: AwsService, action: string, region: string, datapoints: number): void {
    const { name, spec } = getMetricDataPoints;
    if (
      this.limitsOn &&
      !this.buckets.take(`${region}|${service}|${name}`, spec, datapoints, this.arrivedMs)
    ) {
      throw faultError('throttle', service, action, this.options.scenario.aws.accountId);
    }
  }

  private context(region: string, requestId: string): ActionContext {
    const state = this.regionState(region);
    return {
      region,
      accountId: this.options.scenario.aws.accountId,
      requestId,
      nowSec: Math.floor(this.options.clockMs() / 1000),
      fleet: state.fleet,
      metrics: () => {
        state.metrics ??= buildMetricRegistry(state.fleet, this.seed, simulationAnchorSec(this.startSec));
        return state.metrics;
      },
    };
  }

  /** A region the scenario does not name is an empty fleet, as an unused AWS region is. */
  private regionState(region: string): RegionState {
    let state = this.regions.get(region);
    if (!state) {
      state = {
        fleet: buildRegionFleet(this.options.scenario, region, this.startSec, this.options.catalog),
        metrics: undefined,
      };
      this.regions.set(region, state);
    }
    return state;
  }
}

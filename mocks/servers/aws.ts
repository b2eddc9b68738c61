import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Scenario } from '../scenarios/schema.ts';
import { loadInstanceTypeCatalog } from './aws/catalog.ts';
import { Dispatcher } from './aws/dispatch.ts';
import { AwsApiError, parseSigningScope, queryError, renderError, xmlNamespaces } from './aws/protocol.ts';
import {
  authorizationOf,
  type RequestSummary,
  type Route,
  routeRequest,
  type Served,
} from './aws/routing.ts';
import { deliver } from './delivery.ts';
import { listenOnLoopback } from './listen.ts';

// One loopback server for CloudWatch, EC2 and Auto Scaling, spoken to by the real AWS SDK v3
// clients (reference/providers.md §5.1): point a client's `endpoint` at `endpoint`, any region,
// any credentials. The region and access key come from the SigV4 credential scope; signatures
// are not checked. Read-only: writes are refused, as a read-only IAM policy would.

export interface AwsMockOptions {
  readonly scenario: Scenario;
  /** Default 0: an ephemeral port. The mock binds 127.0.0.1 only. */
  readonly port?: number;
  /** Clock in epoch milliseconds: "now" for series, relative scenario times and the simulations. */
  readonly now?: () => number;
  /** Token buckets at the published API limits (default true); see aws/rate-limit.ts. */
  readonly rateLimits?: boolean;
  /** The clock the token buckets refill on (default: real time); tests pass their virtual clock. */
  readonly limitsClockMs?: () => number;
  /**
   * Keep each metric's datapoints once computed, as CloudWatch keeps what it has stored (default
   * false): a bench asks the fleet once to warm it, then measures a client against the published
   * rates without the simulation's CPU in the way.
   */
  readonly storeDatapoints?: boolean;
}

export interface AwsRequestRecord extends RequestSummary {
  /** Wall-clock time of the answer (the mock's `now` may be frozen). */
  readonly epochMs: number;
  readonly status: number;
}

export interface AwsMock {
  /** `http://127.0.0.1:PORT`: the `endpoint` of every AWS client. */
  readonly endpoint: string;
  readonly port: number;
  /** Every request answered, in order: service, region, action, status, error code, fault, and for
   * GetMetricData the queries in the request and the datapoints in the page. */
  readonly requests: readonly AwsRequestRecord[];
  /** Turns the published rate limits on or off from the next request on. */
  setRateLimits(on: boolean): void;
  close(): Promise<void>;
}

const maxBodyBytes = 8 * 1024 * 1024;

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    if (size > maxBodyBytes) throw new Error(`request body over ${maxBodyBytes} bytes`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

// AWS refuses a request signed more than 15 minutes from its own clock (SigV4 documentation:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/signing-elements.html).
const MAX_SIGNING_SKEW_MS = 15 * 60_000;

/** `20250115T000000Z` (X-Amz-Date) to epoch milliseconds. */
function amzDateMs(value: string | undefined): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

/**
 * With a skewed clock, a request signed too far from it is refused the way each service does:
 * EC2 with RequestExpired, the query and JSON services with "Signature expired".
 */
function skewRefusal(route: Route, signedMs: number | undefined, clockMs: number, requestId: string) {
  if (route.kind !== 'service' || signedMs === undefined) return undefined;
  if (Math.abs(signedMs - clockMs) <= MAX_SIGNING_SKEW_MS) return undefined;
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const error =
    route.service === 'ec2'
      ? new AwsApiError('RequestExpired', 400, 'Request has expired.')
      : new AwsApiError(
          'SignatureDoesNotMatch',
          403,
          `Signature expired: ${stamp(signedMs)} is now earlier than ${stamp(clockMs - MAX_SIGNING_SKEW_MS)} (${stamp(clockMs)} - 15 min.)`,
        );
  return {
    response: renderError(route.service, error, requestId),
    summary: { service: route.service, region: 'unknown', action: route.action, errorCode: error.code },
  } satisfies Served;
}

/** A bug in the mock still answers something the SDK can read, with the cause in the message. */
function mockBug(error: unknown, region: string, requestId: string): Served {
  const cause = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const failure = new AwsApiError('InternalFailure', 500, `fleetlens mock bug: ${cause}`);
  return {
    response: queryError(xmlNamespaces.ec2, failure, requestId),
    summary: { service: 'unknown', region, action: 'unknown', errorCode: failure.code },
  };
}

export async function startAwsMock(options: AwsMockOptions): Promise<AwsMock> {
  const skewMs = options.scenario.aws.clockSkewSec * 1000;
  const now = options.now ?? Date.now;
  const clockMs = () => now() + skewMs;
  const dispatcher = new Dispatcher({
    scenario: options.scenario,
    catalog: loadInstanceTypeCatalog(),
    clockMs,
    rateLimits: options.rateLimits ?? true,
    ...(options.limitsClockMs ? { limitsClockMs: options.limitsClockMs } : {}),
    ...(options.storeDatapoints ? { storeDatapoints: true } : {}),
  });
  const requests: AwsRequestRecord[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const arrivedMs = dispatcher.limitsNowMs();
    const scope = parseSigningScope(authorizationOf(req.headers));
    const region = scope?.region ?? 'unknown';
    let served: Served;
    try {
      const route = routeRequest(
        { headers: req.headers, url: req.url ?? '/', body: await readBody(req) },
        region,
        requestId,
      );
      const tooSkewed = skewMs
        ? skewRefusal(route, amzDateMs(headerOf(req, 'x-amz-date')), Date.now() + skewMs, requestId)
        : undefined;
      served =
        tooSkewed ??
        (route.kind === 'refused'
          ? route.served
          : dispatcher.serve(route.service, route.action, route.payload, scope, requestId, arrivedMs));
    } catch (error) {
      served = mockBug(error, region, requestId);
    }
    requests.push({ epochMs: Date.now(), status: served.response.status, ...served.summary });
    // The SDK takes AWS's time from the Date header of any answer (clock-skew correction).
    const date: Record<string, string> = skewMs ? { date: new Date(Date.now() + skewMs).toUTCString() } : {};
    deliver(
      res,
      served.response.status,
      { ...served.response.headers, ...date },
      served.response.body,
      served.delivery,
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) =>
      res.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  });
  const listening = await listenOnLoopback(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${listening.port}`,
    port: listening.port,
    requests,
    setRateLimits: (on) => dispatcher.setRateLimits(on),
    close: () => listening.close(),
  };
}

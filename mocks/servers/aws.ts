import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Scenario } from '../scenarios/schema.ts';
import { loadInstanceTypeCatalog } from './aws/catalog.ts';
import { Dispatcher } from './aws/dispatch.ts';
import { AwsApiError, parseSigningScope, queryError, xmlNamespaces } from './aws/protocol.ts';
import { authorizationOf, type RequestSummary, routeRequest, type Served } from './aws/routing.ts';
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
  close(): Promise<void>;
}

const maxBodyBytes = 8 * 1024 * 1024;

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
  const clockMs = options.now ?? Date.now;
  const dispatcher = new Dispatcher({
    scenario: options.scenario,
    catalog: loadInstanceTypeCatalog(),
    clockMs,
    rateLimits: options.rateLimits ?? true,
  });
  const requests: AwsRequestRecord[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const scope = parseSigningScope(authorizationOf(req.headers));
    const region = scope?.region ?? 'unknown';
    let served: Served;
    try {
      const route = routeRequest(
        { headers: req.headers, url: req.url ?? '/', body: await readBody(req) },
        region,
        requestId,
      );
      served =
        route.kind === 'refused'
          ? route.served
          : dispatcher.serve(route.service, route.action, route.payload, scope, requestId);
    } catch (error) {
      served = mockBug(error, region, requestId);
    }
    requests.push({ epochMs: Date.now(), status: served.response.status, ...served.summary });
    res.writeHead(served.response.status, served.response.headers);
    res.end(served.response.body);
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
    close: () => listening.close(),
  };
}

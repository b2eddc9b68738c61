import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { GcpFault, GcpMethod, GcpScenario } from '../scenarios/gcp.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { TokenBuckets } from './aws/rate-limit.ts';
import { type DeliveryFault, deliver, isDeliveryFault } from './delivery.ts';
import {
  getMachineType,
  listAutoscalers,
  listDisks,
  listGroupManagers,
  listInstances,
  listMachineTypes,
} from './gcp/compute.ts';
import { buildFleet, type FleetProject } from './gcp/fleet.ts';
import { GoogleApiError, listTimeSeries, MAX_PAGE_POINTS } from './gcp/monitoring.ts';
import { listenOnLoopback } from './listen.ts';

// One loopback server for Compute Engine v1 and Cloud Monitoring v3 over REST, spoken to by the
// real @google-cloud/compute and @google-cloud/monitoring clients (REST fallback) built with
// { apiEndpoint: '127.0.0.1', port, protocol: 'http', fallback: true, authClient }
// (reference/providers.md §5.2). GET only: the reads a read-only role allows. Errors are Google's
// JSON error body; the published per-project rates are enforced with token buckets.

export interface GcpMockOptions {
  readonly scenario: Scenario;
  readonly port?: number;
  readonly now?: () => number;
  /** Token buckets at the published per-project rates (default true). */
  readonly rateLimits?: boolean;
  /** The clock the token buckets refill on (default: real time); tests pass their virtual clock. */
  readonly limitsClockMs?: () => number;
  /**
   * Whether the request log keeps each answer's body (default true, for the contract test). A mock
   * serving a fleet turns it off: every timeSeries.list page kept is up to 100,000 points.
   */
  readonly keepBodies?: boolean;
  /**
   * Tests only: the most points a timeSeries.list page holds (default and real cap 100,000), so
   * paging can be exercised without decoding 100,000-point pages.
   */
  readonly pagePoints?: number;
  /**
   * Tests only: a synchronous busy loop of this many ms before each answer. The mock runs in the
   * test's process, so this is the client's event loop blocked too (a busy machine, or fleetlens'
   * own CPU), for a bounded time.
   */
  readonly blockLoopMs?: number;
  /** With `blockLoopMs`: block before every n-th answer only (1st, n+1-th, ...; default every one). */
  readonly blockLoopEvery?: number;
}

export interface GcpRequestRecord {
  readonly epochMs: number;
  readonly method: GcpMethod | 'unknown';
  readonly project: string;
  readonly path: string;
  readonly status: number;
  readonly metricType?: string;
  readonly points?: number;
  /** The JSON body answered (for the contract test); absent for malformed and error answers. */
  readonly body?: unknown;
  readonly authorization?: string;
}

export interface GcpMock {
  readonly endpoint: string;
  readonly port: number;
  readonly requests: readonly GcpRequestRecord[];
  close(): Promise<void>;
}

/**
 * - Cloud Monitoring: 6,000 time-series read requests per minute per project
 *   (https://cloud.google.com/monitoring/quotas): 100 a second, bucket of 100.
 * - Compute Engine read requests: 1,500 per minute per project
 *   (https://cloud.google.com/compute/docs/api-rate-limits): 25 a second, bucket of 25.
 */
const RATES = {
  monitoring: { capacity: 100, refillPerSec: 100 },
  compute: { capacity: 25, refillPerSec: 25 },
} as const;

interface Route {
  method: GcpMethod;
  api: 'compute' | 'monitoring';
  project: string;
  serve(
    project: FleetProject,
    query: URLSearchParams,
  ): { body: unknown; metricType?: string; points?: number };
}

const PROJECT = '/compute/v1/projects/([^/]+)';
const ROUTES: [RegExp, (m: string[], pagePoints: number) => Route][] = [
  [
    new RegExp(`^${PROJECT}/aggregated/instances$`),
    (m) => computeRoute('instances.aggregatedList', m[1]!, listInstances),
  ],
  [
    new RegExp(`^${PROJECT}/aggregated/disks$`),
    (m) => computeRoute('disks.aggregatedList', m[1]!, listDisks),
  ],
  [
    new RegExp(`^${PROJECT}/aggregated/instanceGroupManagers$`),
    (m) => computeRoute('instanceGroupManagers.aggregatedList', m[1]!, listGroupManagers),
  ],
  [
    new RegExp(`^${PROJECT}/aggregated/autoscalers$`),
    (m) => computeRoute('autoscalers.aggregatedList', m[1]!, listAutoscalers),
  ],
  [
    new RegExp(`^${PROJECT}/zones/([^/]+)/machineTypes$`),
    (m) => computeRoute('machineTypes.list', m[1]!, (p, q) => listMachineTypes(p, m[2]!, q)),
  ],
  [
    new RegExp(`^${PROJECT}/zones/([^/]+)/machineTypes/([^/]+)$`),
    (m) => computeRoute('machineTypes.get', m[1]!, (p) => getMachineType(p, m[2]!, m[3]!)),
  ],
  [
    /^\/v3\/projects\/([^/]+)\/timeSeries$/,
    (m, pagePoints) => ({
      method: 'timeSeries.list',
      api: 'monitoring',
      project: m[1]!,
      serve: (p, q) => listTimeSeries(p, q, pagePoints),
    }),
  ],
];

function computeRoute(method: GcpMethod, project: string, serve: Route['serve']): Route {
  return { method, api: 'compute', project, serve };
}

function route(path: string, pagePoints: number): Route | undefined {
  for (const [pattern, make] of ROUTES) {
    const m = pattern.exec(path);
    if (m) return make([...m], pagePoints);
  }
  return undefined;
}

function errorBody(error: GoogleApiError, api: Route['api'] | undefined): string {
  return JSON.stringify({
    error: {
      code: error.code,
      message: error.message,
      // Compute (the older error format) lists reasons; both carry the canonical status.
      ...(api === 'compute' || error.reason
        ? {
            errors: [
              {
                message: error.message,
                domain: error.reason === 'rateLimitExceeded' ? 'usageLimits' : 'global',
                reason: error.reason ?? error.status.toLowerCase(),
              },
            ],
          }
        : {}),
      status: error.status,
    },
  });
}

function faultError(fault: GcpFault, r: Route): GoogleApiError {
  const permission =
    r.api === 'monitoring' ? 'monitoring.timeSeries.list' : `compute.${r.method.split('.')[0]}.list`;
  switch (fault.kind) {
    case 'throttle':
      return r.api === 'monitoring'
        ? new GoogleApiError(
            429,
            'RESOURCE_EXHAUSTED',
            `Quota exceeded for quota metric 'Time series queries' and limit 'Time series queries per minute' of service 'monitoring.googleapis.com' for consumer 'project:${r.project}'.`,
            'rateLimitExceeded',
            1,
          )
        : new GoogleApiError(403, 'PERMISSION_DENIED', 'Rate Limit Exceeded', 'rateLimitExceeded', 1);
    case 'server-error':
      return new GoogleApiError(503, 'UNAVAILABLE', 'The service is currently unavailable.', 'backendError');
    case 'bad-credentials':
      return unauthenticated();
    case 'permission-denied':
      return new GoogleApiError(
        403,
        'PERMISSION_DENIED',
        `Permission '${permission}' denied on resource 'projects/${r.project}' (or it may not exist).`,
        'forbidden',
      );
    default:
      throw new Error(`${fault.kind} is not an error answer`);
  }
}

/** The token a looping listing hands back on every page. */
const LOOP_TOKEN = 'fleetlens-mock-same-token-again';

function unauthenticated(): GoogleApiError {
  return new GoogleApiError(
    401,
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    'authError',
  );
}

class Faults {
  private readonly counts = new Map<string, number>();
  constructor(private readonly faults: readonly GcpFault[]) {}
  check(method: GcpMethod, project: string, metricType: string | undefined): GcpFault | undefined {
    let fired: GcpFault | undefined;
    this.faults.forEach((fault, index) => {
      if (fault.method !== method || (fault.project !== undefined && fault.project !== project)) return;
      if (fault.metricType !== undefined && fault.metricType !== metricType) return;
      const key = `${index}|${project}`;
      const count = (this.counts.get(key) ?? 0) + 1;
      this.counts.set(key, count);
      const last = fault.times === 'always' ? Number.POSITIVE_INFINITY : fault.nth + fault.times - 1;
      if (!fired && count >= fault.nth && count <= last) fired = fault;
    });
    return fired;
  }
}

function malformed(body: string, variant: GcpFault['body']): string {
  if (variant === 'wrong-shape') {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    return JSON.stringify(
      Object.fromEntries(
        Object.entries(parsed).map(([k, v]) => [
          k,
          Array.isArray(v) || (typeof v === 'object' && v !== null) ? 'n/a' : v,
        ]),
      ),
    );
  }
  return body.slice(0, Math.max(1, Math.floor(body.length * 0.6)));
}

const emptyGcp: GcpScenario = { projects: {}, faults: [], clockSkewSec: 0 };
const ANSWERS_IN_BODY: readonly string[] = ['malformed', 'loop', 'stall', 'slow', 'cut'];

export async function startGcpMock(options: GcpMockOptions): Promise<GcpMock> {
  const gcp = options.scenario.gcp ?? emptyGcp;
  const now = options.now ?? Date.now;
  // A skewed mock ends its series that much earlier (or later) than the client's clock says.
  const clockMs = () => now() + gcp.clockSkewSec * 1000;
  const fleet = buildFleet(gcp, Math.floor(clockMs() / 1000));
  const faults = new Faults(gcp.faults);
  const buckets = new TokenBuckets(options.limitsClockMs);
  const requests: GcpRequestRecord[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const r = route(url.pathname, options.pagePoints ?? MAX_PAGE_POINTS);
    const authorization = req.headers.authorization;
    const record = (status: number, extra: Partial<GcpRequestRecord> = {}) =>
      requests.push({
        epochMs: Date.now(),
        method: r?.method ?? 'unknown',
        project: r?.project ?? '',
        path: url.pathname,
        status,
        ...(authorization ? { authorization } : {}),
        ...extra,
      });
    const send = (
      status: number,
      body: string,
      headers: Record<string, string> = {},
      delivery?: DeliveryFault,
    ) =>
      deliver(res, status, { 'content-type': 'application/json; charset=UTF-8', ...headers }, body, delivery);
    const fail = (error: GoogleApiError, metricType?: string) => {
      record(error.code, metricType ? { metricType } : {});
      send(
        error.code,
        errorBody(error, r?.api),
        error.retryAfterSec ? { 'retry-after': String(error.retryAfterSec) } : {},
      );
    };
    try {
      if (!r) {
        return fail(
          new GoogleApiError(
            404,
            'NOT_FOUND',
            `The requested URL ${url.pathname} was not found on this server.`,
          ),
        );
      }
      if (req.method !== 'GET') {
        return fail(
          new GoogleApiError(403, 'PERMISSION_DENIED', 'fleetlens mock: read-only (GET) calls only'),
        );
      }
      if (gcp.accessToken !== undefined && authorization !== `Bearer ${gcp.accessToken}`)
        return fail(unauthenticated());
      const metricType =
        r.method === 'timeSeries.list'
          ? /metric\.type\s*=\s*"([^"]+)"/.exec(url.searchParams.get('filter') ?? '')?.[1]
          : undefined;
      if ((options.rateLimits ?? true) && !buckets.take(`${r.api}|${r.project}`, RATES[r.api])) {
        const error =
          r.api === 'monitoring'
            ? new GoogleApiError(
                429,
                'RESOURCE_EXHAUSTED',
                `Quota exceeded for quota metric 'Time series queries' and limit 'Time series queries per minute' of service 'monitoring.googleapis.com' for consumer 'project:${r.project}'.`,
                'rateLimitExceeded',
                1,
              )
            : new GoogleApiError(403, 'PERMISSION_DENIED', 'Rate Limit Exceeded', 'rateLimitExceeded', 1);
        return fail(error, metricType);
      }
      const fault = faults.check(r.method, r.project, metricType);
      if (fault && !ANSWERS_IN_BODY.includes(fault.kind)) return fail(faultError(fault, r), metricType);
      const project = fleet.get(r.project);
      if (!project) {
        return fail(
          r.api === 'compute'
            ? new GoogleApiError(
                404,
                'NOT_FOUND',
                `The resource 'projects/${r.project}' was not found`,
                'notFound',
              )
            : new GoogleApiError(
                403,
                'PERMISSION_DENIED',
                `Permission monitoring.timeSeries.list denied (or the resource may not exist).`,
                'forbidden',
              ),
          metricType,
        );
      }
      // A looping listing answers its first page whatever token it is sent, and the same token again.
      const query = new URLSearchParams(url.searchParams);
      if (fault?.kind === 'loop') query.delete('pageToken');
      const served = r.serve(project, query);
      const body =
        fault?.kind === 'loop'
          ? { ...(served.body as Record<string, unknown>), nextPageToken: LOOP_TOKEN }
          : served.body;
      const text = JSON.stringify(body);
      if (fault?.kind === 'malformed') {
        record(200, { ...(served.metricType ? { metricType: served.metricType } : {}) });
        return send(200, malformed(text, fault.body));
      }
      record(200, {
        ...(options.keepBodies === false ? {} : { body }),
        ...(served.metricType ? { metricType: served.metricType } : {}),
        ...(served.points !== undefined ? { points: served.points } : {}),
      });
      return send(200, text, {}, fault && isDeliveryFault(fault.kind) ? fault.kind : undefined);
    } catch (error) {
      if (error instanceof GoogleApiError) return fail(error);
      const cause = error instanceof Error ? (error.stack ?? error.message) : String(error);
      return fail(new GoogleApiError(500, 'INTERNAL', `fleetlens mock bug: ${cause}`));
    }
  };

  let answered = 0;
  const server = createServer((req, res) => {
    // Drain any body, then answer.
    req.resume();
    req.on('end', () => {
      answered += 1;
      if (options.blockLoopMs && (answered - 1) % (options.blockLoopEvery ?? 1) === 0)
        blockLoop(options.blockLoopMs);
      handle(req, res);
    });
  });
  const listening = await listenOnLoopback(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${listening.port}`,
    port: listening.port,
    requests,
    close: () => listening.close(),
  };
}

/** Keeps the event loop busy for `ms` (wall time): nothing else in the process runs meanwhile. */
function blockLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy on purpose
  }
}

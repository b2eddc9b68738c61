import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { LinodeOperation, LinodeScenario, LinodeScenarioFault } from '../scenarios/linode.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { type DeliveryFault, deliver, isDeliveryFault } from './delivery.ts';
import { type CatalogType, instanceBody, loadTypeCatalog, typeBody, volumeBodies } from './linode/fleet.ts';
import {
  type LinodeBucket,
  LinodeRateLimiter,
  type LinodeRateLimits,
  publishedLimits,
} from './linode/limits.ts';
import { statsBody, statsRange } from './linode/stats.ts';
import { listenOnLoopback } from './listen.ts';

// One loopback server for the Linode API v4, spoken to by the real @linode/api-v4 client with its
// URLs rewritten from https://api.linode.com (providers.md §5.3): `/v4/...` and `/v4beta/...`
// alike. Bearer token required (any, or the scenario's `token`); collections paged with page and
// page_size (25-500) and filtered by X-Filter tags/region; the published rates enforced per token
// with Linode's 429 and Retry-After; faults from the scenario. Read-only: other verbs are refused
// as a read-only token is.

export interface LinodeMockOptions {
  readonly scenario: Scenario;
  /** Default 0: an ephemeral port. The mock binds 127.0.0.1 only. */
  readonly port?: number;
  /** Clock in epoch milliseconds: "now" for series and relative scenario times. */
  readonly now?: () => number;
  /** The published rates (default), other rates (tests), or none. */
  readonly rateLimits?: boolean | Partial<LinodeRateLimits>;
  /** The clock the rate limits refill on (default: real time); tests pass their virtual clock. */
  readonly limitsClockMs?: () => number;
  /**
   * Whether the request log keeps each answer's body (default true, for contract tests). A mock
   * serving a fleet turns it off: every /stats answer kept is 12 series of a month's points.
   */
  readonly keepBodies?: boolean;
}

export interface LinodeRequestRecord {
  readonly method: string;
  /** Path without the query: `/v4beta/linode/instances`. */
  readonly path: string;
  readonly operation: LinodeOperation | 'unknown';
  readonly status: number;
  readonly epochMs: number;
  /** Query and X-Filter as received, for paging and filter checks. */
  readonly query: Record<string, string>;
  readonly filter?: string;
  /** The JSON body sent back (successful and error answers alike), for contract tests; undefined
   * when the mock keeps no bodies. */
  readonly body: unknown;
}

export interface LinodeMock {
  /** `http://127.0.0.1:PORT`: what replaces `https://api.linode.com`. */
  readonly endpoint: string;
  readonly port: number;
  readonly requests: readonly LinodeRequestRecord[];
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
  /** Sent as is instead of JSON (malformed faults). */
  raw?: string;
  headers?: Record<string, string>;
  delivery?: DeliveryFault;
}

const errors = (reason: string, field?: string) => ({ errors: [field ? { reason, field } : { reason }] });
const emptyScenario: LinodeScenario = { instances: [], volumes: [], faults: [], clockSkewSec: 0 };
const ANSWERS_IN_BODY: readonly string[] = ['malformed', 'loop', 'stall', 'slow', 'cut'];

export async function startLinodeMock(options: LinodeMockOptions): Promise<LinodeMock> {
  const scenario = options.scenario.linode ?? emptyScenario;
  const seed = options.scenario.seed ?? options.scenario.name;
  const now = options.now ?? Date.now;
  const clockMs = () => now() + scenario.clockSkewSec * 1000;
  const types = new Map(loadTypeCatalog().map((type) => [type.id, type]));
  const limiter =
    options.rateLimits === false
      ? undefined
      : new LinodeRateLimiter(
          {
            ...publishedLimits,
            ...(typeof options.rateLimits === 'object' ? options.rateLimits : {}),
          },
          options.limitsClockMs,
        );
  const faultCounts = new Map<number, number>();
  const requests: LinodeRequestRecord[] = [];

  const typeOf = (id: string): CatalogType => {
    const type = types.get(id);
    if (!type)
      throw new Error(`scenario Linode type ${id} is not in providers/linode/data/linode-types.json`);
    return type;
  };

  const fire = (operation: LinodeOperation, instanceId?: number): LinodeScenarioFault | undefined => {
    let fired: LinodeScenarioFault | undefined;
    scenario.faults.forEach((fault, index) => {
      if (fault.operation !== operation) return;
      if (fault.instanceId !== undefined && fault.instanceId !== instanceId) return;
      const count = (faultCounts.get(index) ?? 0) + 1;
      faultCounts.set(index, count);
      const last = fault.times === 'always' ? Number.POSITIVE_INFINITY : fault.nth + fault.times - 1;
      if (!fired && count >= fault.nth && count <= last) fired = fault;
    });
    return fired;
  };

  const route = (
    method: string,
    url: URL,
    headers: IncomingMessage['headers'],
  ): { operation: LinodeOperation | 'unknown'; answer: Answer } => {
    const match = /^\/v4(?:beta)?(\/.*?)\/?$/.exec(url.pathname);
    const path = match?.[1] ?? '';
    const stats = /^\/linode\/instances\/(\d+)\/stats(?:\/(\d{4})\/(\d{1,2}))?$/.exec(path);
    const operation: LinodeOperation | 'unknown' = stats
      ? 'stats'
      : path === '/linode/instances'
        ? 'instances'
        : path === '/volumes'
          ? 'volumes'
          : path === '/linode/types'
            ? 'types'
            : 'unknown';

    const auth = /^Bearer (\S+)$/.exec(String(headers.authorization ?? ''));
    const token = auth?.[1];
    if (!token || (scenario.token !== undefined && token !== scenario.token))
      return { operation, answer: { status: 401, body: errors('Invalid Token') } };
    if (method !== 'GET')
      return {
        operation,
        answer: { status: 401, body: errors('Your OAuth token is not authorized to use this endpoint.') },
      };
    if (!match || operation === 'unknown')
      return { operation, answer: { status: 404, body: errors('Not found') } };

    const bucket: LinodeBucket = operation === 'stats' ? 'stats' : 'collections';
    const rate = limiter?.take(token, bucket);
    if (rate && !rate.allowed)
      return { operation, answer: { status: 429, body: errors('Too Many Requests'), headers: rate.headers } };

    const fault = fire(operation, stats ? Number(stats[1]) : undefined);
    if (fault && !ANSWERS_IN_BODY.includes(fault.kind)) return { operation, answer: faultAnswer(fault) };
    const answer =
      fault?.kind === 'loop' && operation !== 'stats'
        ? loopingPage(serve(operation, withPage(url, 1), headers, stats), url)
        : serve(operation, url, headers, stats);
    if (rate) answer.headers = { ...rate.headers, ...answer.headers };
    if (fault?.kind === 'malformed' && answer.status === 200) answer.raw = malformed(answer.body, fault.body);
    if (fault && isDeliveryFault(fault.kind)) answer.delivery = fault.kind;
    return { operation, answer };
  };

  const serve = (
    operation: LinodeOperation,
    url: URL,
    headers: IncomingMessage['headers'],
    stats: RegExpExecArray | null,
  ): Answer => {
    const nowSec = Math.floor(clockMs() / 1000);
    if (operation === 'stats' && stats) {
      const instance = scenario.instances.find((i) => i.id === Number(stats[1]));
      if (!instance) return { status: 404, body: errors('Not found') };
      const vcpus = typeOf(instance.type).vcpus;
      if (stats[2] === undefined) {
        const body = statsBody(
          instance,
          vcpus,
          { fromSec: nowSec - 86_400, toSec: nowSec },
          nowSec,
          seed,
          `${instance.label} - day (5 min avg)`,
        );
        return { status: 200, body };
      }
      const year = Number(stats[2]);
      const month = Number(stats[3]);
      if (month < 1 || month > 12) return { status: 400, body: errors('Invalid month', 'month') };
      const range = statsRange(year, month, nowSec);
      if (range === 'future')
        return { status: 400, body: errors('Statistics are not available for future months') };
      const title = `${instance.label} - ${year}-${String(month).padStart(2, '0')}`;
      return { status: 200, body: statsBody(instance, vcpus, range, nowSec, seed, title) };
    }
    const page = Number(url.searchParams.get('page') ?? '1');
    const pageSize = Number(url.searchParams.get('page_size') ?? '100');
    if (!Number.isInteger(page) || page < 1)
      return { status: 400, body: errors('Must be a positive integer', 'page') };
    if (!Number.isInteger(pageSize) || pageSize < 25 || pageSize > 500)
      return { status: 400, body: errors('Must be an integer between 25 and 500', 'page_size') };
    let items: Record<string, unknown>[];
    if (operation === 'instances') {
      items = scenario.instances.map((i) => instanceBody(i, typeOf(i.type), nowSec));
    } else if (operation === 'volumes') {
      items = volumeBodies(scenario, nowSec);
    } else {
      items = [...types.values()].map(typeBody);
    }
    let filter: unknown;
    try {
      filter = headers['x-filter'] ? JSON.parse(String(headers['x-filter'])) : undefined;
    } catch {
      return { status: 400, body: errors('Invalid JSON', 'X-Filter') };
    }
    if (filter !== undefined) items = items.filter((item) => matches(item, filter));
    const pages = Math.max(1, Math.ceil(items.length / pageSize));
    if (page > pages) return { status: 404, body: errors('Not found') };
    const data = items.slice((page - 1) * pageSize, page * pageSize);
    return { status: 200, body: { data, page, pages, results: items.length } };
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let operation: LinodeOperation | 'unknown' = 'unknown';
    let answer: Answer;
    try {
      ({ operation, answer } = route(req.method ?? 'GET', url, req.headers));
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error);
      answer = { status: 500, body: errors(`fleetlens mock bug: ${cause}`) };
    }
    const filter = req.headers['x-filter'];
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      operation,
      status: answer.status,
      epochMs: Date.now(),
      query: Object.fromEntries(url.searchParams),
      ...(filter ? { filter: String(filter) } : {}),
      body: options.keepBodies === false ? undefined : answer.body,
    });
    deliver(
      res,
      answer.status,
      { 'Content-Type': 'application/json', ...answer.headers },
      answer.raw ?? JSON.stringify(answer.body),
      answer.delivery,
    );
  };

  const server = createServer((req, res) => {
    // Request bodies are never read (GET only); drain them so the socket stays usable.
    req.resume();
    req.on('end', () => handle(req, res));
  });
  const listening = await listenOnLoopback(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${listening.port}`,
    port: listening.port,
    requests,
    close: () => listening.close(),
  };
}

function withPage(url: URL, page: number): URL {
  const copy = new URL(url);
  copy.searchParams.set('page', String(page));
  return copy;
}

/** Page 1's entries under the page number asked for, and a page count one beyond it: never the last. */
function loopingPage(first: Answer, url: URL): Answer {
  if (first.status !== 200) return first;
  const page = Number(url.searchParams.get('page') ?? '1');
  return { ...first, body: { ...(first.body as object), page, pages: page + 1 } };
}

/** The error the real API answers for each injected fault. */
function faultAnswer(fault: LinodeScenarioFault): Answer {
  switch (fault.kind) {
    case 'throttle':
      return { status: 429, body: errors('Too Many Requests'), headers: { 'Retry-After': '1' } };
    case 'server-error':
      return { status: 503, body: errors('Service Unavailable') };
    case 'bad-token':
      return { status: 401, body: errors('Invalid Token') };
    default:
      return { status: 200, body: {} };
  }
}

function malformed(body: unknown, variant: LinodeScenarioFault['body']): string {
  const text = JSON.stringify(body);
  if (variant === 'wrong-shape') return JSON.stringify({ items: 'see next page' });
  return text.slice(0, Math.max(1, Math.floor(text.length * 0.6)));
}

/**
 * X-Filter as far as fleetlens sends it: `{field: value}` (a list field matches when it contains
 * the value, as `tags` does), `+and` and `+or` of those.
 * https://techdocs.akamai.com/linode-api/reference/filtering-and-sorting
 */
function matches(item: Record<string, unknown>, filter: unknown): boolean {
  if (typeof filter !== 'object' || filter === null) return true;
  return Object.entries(filter).every(([key, value]) => {
    if (key === '+and') return Array.isArray(value) && value.every((f) => matches(item, f));
    if (key === '+or') return Array.isArray(value) && value.some((f) => matches(item, f));
    if (key.startsWith('+')) return true;
    const field = item[key];
    return Array.isArray(field) ? field.includes(value) : field === value;
  });
}

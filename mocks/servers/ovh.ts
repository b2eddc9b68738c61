import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AdapterOptions } from '../../providers/index.ts';
import type { OvhRoute, OvhScenario, OvhScenarioFault } from '../scenarios/ovh.ts';
import type { Scenario } from '../scenarios/schema.ts';
import { TokenBuckets } from './aws/rate-limit.ts';
import { type DeliveryFault, deliver, deliverEndlessArray, isDeliveryFault } from './delivery.ts';
import { listenOnLoopback } from './listen.ts';
import {
  catalogBody,
  checkFlavors,
  flavorsBody,
  instanceBody,
  metricPeriods,
  metricTypes,
  monitoringBody,
  volumesBody,
} from './ovh/fleet.ts';
import { errors, json, type OvhAnswer, sameText, signature, signedUrl } from './ovh/protocol.ts';

// One loopback HTTPS server for the OVH API 1.0, spoken to by the real `ovh` client
// (reference/providers.md §5.4): a certificate made at start by `selfsigned` (SAN 127.0.0.1 and
// localhost), `GET /1.0/auth/time`, every other call signed and checked, GET only. Rate: the
// fair-use figure of 60 calls a minute per consumer key (ovh/python-ovh#81) as a token bucket,
// answered with 429 and Retry-After when exceeded.

export interface OvhMockOptions {
  readonly scenario: Scenario;
  /** Default 0: an ephemeral port. The mock binds 127.0.0.1 only. */
  readonly port?: number;
  /** Clock in epoch milliseconds for /auth/time and the series. */
  readonly now?: () => number;
  /** The fair-use token bucket (default true). */
  readonly rateLimits?: boolean;
  /** The clock the token bucket refills on (default: real time); tests pass their virtual clock. */
  readonly limitsClockMs?: () => number;
  /**
   * Whether the request log keeps each answer's body (default true, for contract checks). A mock
   * serving a fleet turns it off: the log would hold every monitoring answer, parsed again.
   */
  readonly keepBodies?: boolean;
  /**
   * Legacy 1.0 schema documents served at /1.0/<name>.json, as the API serves them: the client's
   * `apis` option loads them and warns about calls they lack (contract tests pass ../shared/specs).
   */
  readonly schemas?: Readonly<Record<string, unknown>>;
}

export interface OvhRequestRecord {
  readonly route: OvhRoute | 'schema' | 'unknown';
  readonly path: string;
  readonly status: number;
  /** The parsed JSON body sent back (absent for a non-JSON answer), for contract checks. */
  readonly body?: unknown;
}

export interface OvhMock {
  /** `https://127.0.0.1:PORT/1.0`: the `endpoint` of the OVH config. */
  readonly endpoint: string;
  readonly port: number;
  /** The self-signed certificate (PEM) a client must trust for this endpoint only. */
  readonly certificate: string;
  /** What the OVH client needs to talk to this mock: its certificate, trusted for this endpoint only. */
  readonly clientOptions: AdapterOptions;
  readonly requests: readonly OvhRequestRecord[];
  close(): Promise<void>;
}

const RATE = { capacity: 60, refillPerSec: 1 };
// The API refuses a timestamp this far from its clock (QUERY_TIME_OUT).
const MAX_SKEW_SEC = 180;

interface Routed {
  route: OvhRoute | 'schema' | 'unknown';
  project?: string;
  instance?: string;
  query: URLSearchParams;
}

function route(path: string): Routed {
  const url = new URL(path, 'https://mock');
  const parts = url.pathname
    .replace(/^\/1\.0/, '')
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);
  const q = url.searchParams;
  const [a, b, c, d, e, f] = parts;
  if (parts.length === 2 && a === 'auth' && b === 'time') return { route: 'auth.time', query: q };
  if (parts.length === 1 && a?.endsWith('.json'))
    return { route: 'schema', project: a.slice(0, -5), query: q };
  if (a === 'cloud' && b === 'project') {
    if (parts.length === 2) return { route: 'projects', query: q };
    if (parts.length === 4 && d === 'instance') return { route: 'instances', project: c, query: q };
    if (parts.length === 4 && d === 'flavor') return { route: 'flavors', project: c, query: q };
    if (parts.length === 4 && d === 'volume') return { route: 'volumes', project: c, query: q };
    if (parts.length === 6 && d === 'instance' && f === 'monitoring')
      return { route: 'monitoring', project: c, instance: e, query: q };
  }
  if (parts.join('/') === 'order/catalog/public/cloud') return { route: 'catalog', query: q };
  return { route: 'unknown', query: q };
}

class Faults {
  private readonly counts = new Map<number, number>();
  constructor(private readonly faults: readonly OvhScenarioFault[]) {}

  check(routed: Routed): OvhScenarioFault | undefined {
    let fired: OvhScenarioFault | undefined;
    this.faults.forEach((fault, index) => {
      if (fault.route !== routed.route) return;
      if (fault.project !== undefined && fault.project !== routed.project) return;
      if (fault.instance !== undefined && fault.instance !== routed.instance) return;
      if (fault.type !== undefined && fault.type !== routed.query.get('type')) return;
      const count = (this.counts.get(index) ?? 0) + 1;
      this.counts.set(index, count);
      const last = fault.times === 'always' ? Number.POSITIVE_INFINITY : fault.nth + fault.times - 1;
      if (!fired && count >= fault.nth && count <= last) fired = fault;
    });
    return fired;
  }
}

/** What a fault makes of the answer; `loop` and the delivery faults are decided on the wire. */
function faultAnswer(fault: OvhScenarioFault, healthy: () => OvhAnswer): OvhAnswer {
  switch (fault.kind) {
    case 'loop':
    case 'stall':
    case 'slow':
    case 'cut':
      return healthy();
    case 'throttle':
      return errors.tooManyRequests(1);
    case 'server-error':
      return errors.unavailable();
    case 'access-denied':
      return errors.notGranted();
    case 'expired-credentials':
      return errors.invalidCredential();
    case 'malformed': {
      const answer = healthy();
      if (answer.status !== 200) return answer;
      if (fault.body === 'wrong-shape') return json(200, { items: JSON.parse(answer.body) as unknown });
      return { ...answer, body: answer.body.slice(0, Math.max(1, Math.floor(answer.body.length * 0.6))) };
    }
  }
}

export async function startOvhMock(options: OvhMockOptions): Promise<OvhMock> {
  const part = options.scenario.ovh;
  if (!part) throw new Error(`scenario ${options.scenario.name} has no ovh part`);
  checkFlavors(part);
  const now = options.now ?? Date.now;
  // The API's clock: /auth/time, the signature's time window and the series all follow it.
  const clockMs = () => now() + part.clockSkewSec * 1000;
  const seed = options.scenario.seed ?? options.scenario.name;
  const buckets = new TokenBuckets(options.limitsClockMs);
  const faults = new Faults(part.faults);
  const requests: OvhRequestRecord[] = [];

  const serve = (
    req: IncomingMessage,
    body: string,
  ): { routed: Routed; answer: OvhAnswer; fault?: OvhScenarioFault } => {
    const routed = route(req.url ?? '/');
    const nowSec = Math.floor(clockMs() / 1000);
    if (req.method !== 'GET') return { routed, answer: errors.notGranted() };
    // Schema documents are public; the client fetches them with no header at all.
    if (routed.route === 'schema') {
      const schema = options.schemas?.[routed.project ?? ''];
      return {
        routed,
        answer: schema ? json(200, schema) : errors.notFound('Got an invalid (or empty) URL'),
      };
    }
    const appKey = header(req, 'x-ovh-application');
    // /auth/time is public (noAuthentication); everything else names a known application.
    if (
      routed.route !== 'auth.time' &&
      (appKey === undefined || !sameText(appKey, part.credentials.applicationKey))
    ) {
      return { routed, answer: errors.invalidKey() };
    }
    const consumerKey = header(req, 'x-ovh-consumer');
    const bucketKey = consumerKey ?? appKey ?? req.socket.remoteAddress ?? 'anonymous';
    if (options.rateLimits !== false && !buckets.take(bucketKey, RATE)) {
      return { routed, answer: errors.tooManyRequests(1) };
    }
    if (routed.route !== 'auth.time') {
      const refused = checkSignature(req, body, part, nowSec);
      if (refused) return { routed, answer: refused };
    }
    const healthy = () => answer(routed, part, seed, nowSec);
    const fault = faults.check(routed);
    return fault ? { routed, answer: faultAnswer(fault, healthy), fault } : { routed, answer: healthy() };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    let result: { routed: Routed; answer: OvhAnswer; fault?: OvhScenarioFault };
    try {
      result = serve(req, body);
    } catch (error) {
      const cause = error instanceof Error ? (error.stack ?? error.message) : String(error);
      result = { routed: route(req.url ?? '/'), answer: errors.internal(`fleetlens mock bug: ${cause}`) };
    }
    const { routed, answer, fault } = result;
    requests.push({
      route: routed.route,
      path: req.url ?? '/',
      status: answer.status,
      ...(options.keepBodies === false ? {} : { body: parsed(answer.body) }),
    });
    if (fault?.kind === 'loop' && answer.status === 200) {
      const list = parsed(answer.body);
      deliverEndlessArray(res, Array.isArray(list) && list.length > 0 ? list[0] : (fault.project ?? 'x'));
      return;
    }
    const delivery: DeliveryFault | undefined = fault && isDeliveryFault(fault.kind) ? fault.kind : undefined;
    deliver(res, answer.status, answer.headers, answer.body, delivery);
  };

  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 7 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const server: Server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    handle(req, res).catch((error: unknown) =>
      res.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  });
  const listening = await listenOnLoopback(server, options.port);
  const endpoint = `https://127.0.0.1:${listening.port}/1.0`;
  const certificate = pems.cert;
  return {
    endpoint,
    port: listening.port,
    certificate,
    clientOptions: { ovh: { certificateFor: (asked) => (asked === endpoint ? certificate : undefined) } },
    requests,
    close: () => listening.close(),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parsed(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function checkSignature(
  req: IncomingMessage,
  body: string,
  part: OvhScenario,
  nowSec: number,
): OvhAnswer | undefined {
  const consumerKey = header(req, 'x-ovh-consumer');
  const timestamp = header(req, 'x-ovh-timestamp');
  const signed = header(req, 'x-ovh-signature');
  if (consumerKey === undefined || timestamp === undefined || signed === undefined) return errors.mustLogin();
  if (!sameText(consumerKey, part.credentials.consumerKey)) return errors.invalidCredential();
  if (!/^\d+$/.test(timestamp) || Math.abs(Number(timestamp) - nowSec) > MAX_SKEW_SEC)
    return errors.queryTimeOut();
  const expected = signature(
    part.credentials.applicationSecret,
    consumerKey,
    req.method ?? 'GET',
    signedUrl(header(req, 'host'), req.url ?? '/'),
    body,
    timestamp,
  );
  return sameText(signed, expected) ? undefined : errors.invalidSignature();
}

function answer(routed: Routed, part: OvhScenario, seed: string, nowSec: number): OvhAnswer {
  const fleet = routed.project !== undefined ? part.projects[routed.project] : undefined;
  switch (routed.route) {
    case 'auth.time':
      return json(200, nowSec);
    case 'projects':
      return json(200, Object.keys(part.projects));
    case 'instances': {
      if (!fleet) return errors.notFound();
      const region = routed.query.get('region');
      const listed = fleet.instances.filter((i) => !region || i.region === region);
      return json(
        200,
        listed.map((i) => instanceBody(i, nowSec)),
      );
    }
    case 'volumes':
      if (!fleet) return errors.notFound();
      return json(200, volumesBody(fleet.instances, nowSec, fleet.volumes));
    case 'flavors':
      if (!fleet) return errors.notFound();
      return json(200, flavorsBody(fleet.instances, routed.query.get('region') ?? undefined));
    case 'monitoring': {
      if (!fleet) return errors.notFound();
      const instance = fleet.instances.find((i) => i.id === routed.instance);
      if (!instance) return errors.notFound(`Instance ${routed.instance ?? ''} not found`);
      const type = routed.query.get('type') ?? '';
      const period = routed.query.get('period') ?? '';
      if (!(metricTypes as readonly string[]).includes(type))
        return errors.badRequest('Invalid value for parameter type');
      if (!(metricPeriods as readonly string[]).includes(period))
        return errors.badRequest('Invalid value for parameter period');
      if (instance.status !== 'ACTIVE') return json(200, { unit: '', values: [] });
      return json(
        200,
        monitoringBody(
          seed,
          instance,
          type as (typeof metricTypes)[number],
          period as (typeof metricPeriods)[number],
          nowSec,
        ),
      );
    }
    case 'catalog':
      return json(200, catalogBody(routed.query.get('ovhSubsidiary') ?? 'FR'));
    case 'schema':
    case 'unknown':
      return errors.notFound('Got an invalid (or empty) URL');
  }
}

// A loopback server speaking Prometheus' HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/)
// over in-memory series: /api/v1/query_range, /api/v1/query, /api/v1/series and
// /api/v1/label/__name__/values, with the real server's envelope, error types and its 11,000
// points per series limit. It evaluates the PromQL the fleet reader sends (./prometheus/promql.ts).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listen.ts';
import type { RawSeries } from './prometheus/captures.ts';
import { evaluate, PromqlError, parsePromql, select, selectorsOf, window } from './prometheus/promql.ts';

/** Prometheus refuses a range query of more than 11,000 points per series (web/api/v1/api.go). */
const MAX_POINTS = 11_000;

export interface PrometheusMock {
  endpoint: string;
  /** Paths and `query` params of every request, in order. */
  requests: { path: string; query: string | null }[];
  close(): Promise<void>;
}

type Answer = { status: number; body: unknown };
const ok = (data: unknown): Answer => ({ status: 200, body: { status: 'success', data } });
const bad = (error: string): Answer => ({
  status: 400,
  body: { status: 'error', errorType: 'bad_data', error },
});

/** Prometheus prints values with Go's strconv 'f' -1; NaN and infinities by name. */
function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}

function timeParam(params: URLSearchParams, name: string): number {
  const raw = params.get(name);
  const ms = raw === null ? Number.NaN : /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
  if (!Number.isFinite(ms))
    throw new PromqlError(`invalid parameter "${name}": cannot parse "${raw}" to a valid timestamp`);
  return ms;
}

function stepParam(params: URLSearchParams): number {
  const raw = params.get('step') ?? '';
  const found = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw);
  if (!found) throw new PromqlError(`invalid parameter "step": cannot parse "${raw}" to a valid duration`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[found[2] ?? 's']!;
  return Number(found[1]) * unit;
}

function queryRange(all: readonly RawSeries[], params: URLSearchParams): Answer {
  const startMs = timeParam(params, 'start');
  const endMs = timeParam(params, 'end');
  const stepMs = stepParam(params);
  if (endMs < startMs) return bad('invalid parameter "end": end timestamp must not be before start time');
  if (stepMs <= 0)
    return bad(
      'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
    );
  if ((endMs - startMs) / stepMs > MAX_POINTS) {
    return bad(
      'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    );
  }
  const expr = parsePromql(params.get('query') ?? '');
  // Only steps where some selected series has a sample in reach: the rest evaluate to nothing.
  const steps = new Set<number>();
  for (const { matchers, rangeMs } of selectorsOf(expr)) {
    for (const s of select(all, matchers)) {
      if (s.timesMs.length === 0) continue;
      const first = Math.max(0, Math.ceil((s.timesMs[0]! - startMs) / stepMs));
      const last = Math.min(
        Math.floor((endMs - startMs) / stepMs),
        Math.floor((s.timesMs.at(-1)! + rangeMs - startMs) / stepMs),
      );
      for (let i = first; i <= last; i++) steps.add(i);
    }
  }
  const out = new Map<string, { metric: Record<string, string>; values: [number, string][] }>();
  for (const i of [...steps].sort((a, b) => a - b)) {
    const t = startMs + i * stepMs;
    for (const sample of evaluate(expr, all, t)) {
      const key = JSON.stringify(Object.entries(sample.labels).sort());
      const series = out.get(key) ?? { metric: sample.labels, values: [] };
      out.set(key, series);
      series.values.push([t / 1000, formatValue(sample.value)]);
    }
  }
  return ok({ resultType: 'matrix', result: [...out.values()] });
}

function instantQuery(all: readonly RawSeries[], params: URLSearchParams): Answer {
  const t = params.has('time') ? timeParam(params, 'time') : Date.now();
  const expr = parsePromql(params.get('query') ?? '');
  if (expr.kind === 'selector' && expr.rangeMs !== undefined) {
    const result = select(all, expr.matchers).flatMap((s) => {
      const { times, values } = window(s, t, expr.rangeMs!);
      return times.length > 0
        ? [{ metric: s.labels, values: times.map((time, i) => [time / 1000, formatValue(values[i]!)]) }]
        : [];
    });
    return ok({ resultType: 'matrix', result });
  }
  const result = evaluate(expr, all, t).map((s) => ({
    metric: s.labels,
    value: [t / 1000, formatValue(s.value)],
  }));
  return ok({ resultType: 'vector', result });
}

/** Series with a sample in [start, end] matching any `match[]` selector. */
function matching(all: readonly RawSeries[], params: URLSearchParams): RawSeries[] {
  const startMs = params.has('start') ? timeParam(params, 'start') : Number.NEGATIVE_INFINITY;
  const endMs = params.has('end') ? timeParam(params, 'end') : Number.POSITIVE_INFINITY;
  const found = new Set<RawSeries>();
  for (const text of params.getAll('match[]')) {
    const expr = parsePromql(text);
    if (expr.kind !== 'selector')
      throw new PromqlError(`invalid parameter "match[]": expected a series selector`);
    for (const s of select(all, expr.matchers)) {
      if (s.timesMs.some((t) => t >= startMs && t <= endMs)) found.add(s);
    }
  }
  return [...found];
}

function answer(all: readonly RawSeries[], path: string, params: URLSearchParams): Answer {
  try {
    if (path === '/api/v1/query_range') return queryRange(all, params);
    if (path === '/api/v1/query') return instantQuery(all, params);
    if (path === '/api/v1/series') {
      if (params.getAll('match[]').length === 0) return bad('no match[] parameter provided');
      return ok(matching(all, params).map((s) => s.labels));
    }
    if (path === '/api/v1/label/__name__/values') {
      const series = params.getAll('match[]').length > 0 ? matching(all, params) : all;
      return ok([...new Set(series.map((s) => s.labels.__name__ ?? ''))].sort());
    }
    return { status: 404, body: '404 page not found\n' };
  } catch (error) {
    if (error instanceof PromqlError || error instanceof SyntaxError) return bad(error.message);
    throw error;
  }
}

export async function startPrometheusMock(series: readonly RawSeries[], port = 0): Promise<PrometheusMock> {
  const requests: PrometheusMock['requests'] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    requests.push({ path: url.pathname, query: url.searchParams.get('query') });
    const { status, body } = answer(series, url.pathname, url.searchParams);
    response.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
    });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  const listening = await listenOnLoopback(server, port);
  return { endpoint: `http://127.0.0.1:${listening.port}`, requests, close: listening.close };
}

// readPrometheusLive against a real Prometheus serving a copy of a capture's data dir, and against a
// loopback server for the answers a real one does not give on demand (500, bad JSON, a wrong shape).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import {
  LIVE_QUERIES,
  MAX_POINTS,
  publicPrometheusUrl,
  readPrometheusLive,
  selectorOf,
  stepFor,
} from '../../src/ingest/prometheus-live.ts';
import { silentLogger } from '../../src/log.ts';
import {
  type FakeServer,
  fakePrometheus,
  freePort,
  matrix,
  type RunningPrometheus,
  SHARED_SAMPLES,
  startPrometheus,
  threadsLogWindow,
} from '../helpers/prometheus.ts';

const SAMPLE = 'threadpool-starvation';
const fast = { attempts: 2, minDelayMs: 1, maxDelayMs: 5, timeoutMs: 5_000 };
const log = silentLogger;

let prom: RunningPrometheus | undefined;
// A start failure (prometheus not installed) fails every test that needs it, with its message.
let startError: unknown;
let window: { fromMs: number; toMs: number };

beforeAll(async () => {
  window = await threadsLogWindow(SAMPLE);
  prom = await startPrometheus(SAMPLE).catch((error: unknown) => {
    startError = error;
    return undefined;
  });
});
afterAll(async () => {
  await prom?.stop();
});

function live() {
  if (startError) throw startError;
  if (!prom) throw new Error('prometheus did not start');
  return prom.url;
}

describe('readPrometheusLive against a real Prometheus', () => {
  it('runs the fixed query set whose metrics exist, one prometheus-range input per query', async () => {
    const samples = await readPrometheusLive({ url: live(), ...window }, { log, retry: fast });
    expect(samples.gaps).toEqual([]);
    expect(samples.dir).toBe(live());
    const keys = Object.keys(samples.prometheus ?? {});
    // a threaded app: no event-loop metrics, so those queries are not sent
    expect(keys).toContain('app_threadpool_queue_depth');
    expect(keys).not.toContain('app_event_loop_lag_max_1s_seconds');
    expect(keys.length).toBeGreaterThan(35);
    expect(keys.length).toBeLessThan(LIVE_QUERIES.length);
    expect(samples.inputs).toHaveLength(keys.length);
    const cpu = samples.inputs.find(
      (i) => i.file.includes('node_cpu_seconds_total') && i.file.includes('mode'),
    );
    expect(cpu).toMatchObject({
      kind: 'prometheus-range',
      file: 'api/v1/query_range?query=sum by (mode) (rate(node_cpu_seconds_total{job="node"}[5s]))',
      from: expect.stringMatching(/^2026-11-24T08:46:5\d/),
    });
    expect(cpu!.records).toBeGreaterThan(8 * 130);
  });

  it('gives the same values as the capture saved for a shared query (within rounding)', async () => {
    const index = JSON.parse(
      await readFile(join(SHARED_SAMPLES, SAMPLE, 'prometheus-queries', 'index.json'), 'utf8'),
    );
    const { start, end } = index.cpu_seconds_rate_by_mode as { start: number; end: number };
    const samples = await readPrometheusLive(
      { url: live(), fromMs: start * 1000, toMs: end * 1000 },
      { log },
    );
    for (const key of ['cpu_seconds_rate_by_mode', 'app_process_threads', 'app_threadpool_queue_depth']) {
      const saved = JSON.parse(
        await readFile(join(SHARED_SAMPLES, SAMPLE, 'prometheus-queries', `${key}.json`), 'utf8'),
      );
      const ours = samples.prometheus![key]!.series;
      const byLabels = (labels: Record<string, string>) =>
        JSON.stringify(Object.entries(labels).filter(([name]) => name !== '__name__'));
      expect(ours.length).toBe(saved.data.result.length);
      for (const entry of saved.data.result as {
        metric: Record<string, string>;
        values: [number, string][];
      }[]) {
        const match = ours.find((s) => byLabels(s.labels) === byLabels(entry.metric))!;
        expect(match, `${key} ${byLabels(entry.metric)}`).toBeDefined();
        expect(match.timesMs).toEqual(entry.values.map(([t]) => t * 1000));
        match.values.forEach((value, i) => {
          expect(value).toBeCloseTo(Number(entry.values[i]![1]), 9);
        });
      }
    }
  });

  it('honours the node and app job selectors', async () => {
    const samples = await readPrometheusLive({ url: live(), ...window, nodeJob: 'nope' }, { log });
    expect(samples.gaps).toEqual([
      expect.objectContaining({
        kind: 'insufficient-data',
        message: expect.stringContaining('{job="nope"}'),
      }),
    ]);
    expect(samples.inputs.length).toBeGreaterThan(5);
    for (const input of samples.inputs) expect(input.file).toContain('job="app"');
    for (const entry of Object.values(samples.prometheus!)) {
      for (const s of entry.series) if (s.labels.job) expect(s.labels.job).toBe('app');
    }
  });

  it('honours --instance: exact host:port, a host for every port, or nothing', async () => {
    const appOnly = await readPrometheusLive({ url: live(), ...window, instance: '127.0.0.1:8001' }, { log });
    expect(appOnly.gaps.map((g) => g.message)).toEqual([expect.stringContaining('job="node"')]);
    expect(appOnly.inputs.every((i) => i.file.includes('instance="127.0.0.1:8001"'))).toBe(true);
    const host = await readPrometheusLive({ url: live(), ...window, instance: '127.0.0.1' }, { log });
    expect(host.gaps).toEqual([]);
    expect(Object.keys(host.prometheus!)).toContain('cpu_seconds_rate_by_mode');
    const none = await readPrometheusLive({ url: live(), ...window, instance: '10.1.2.3' }, { log });
    expect(none.inputs).toEqual([]);
    expect(none.gaps.map((g) => g.kind)).toEqual(['insufficient-data', 'insufficient-data']);
  });

  it('raises the step for a long window so no series passes 11,000 points', async () => {
    const twoDays = { fromMs: window.toMs - 2 * 86_400_000, toMs: window.toMs };
    const samples = await readPrometheusLive({ url: live(), ...twoDays }, { log });
    expect(samples.gaps).toEqual([]);
    const longest = Math.max(
      ...Object.values(samples.prometheus!).flatMap((e) => e.series.map((s) => s.values.length)),
    );
    expect(longest).toBeLessThanOrEqual(MAX_POINTS);
    expect(longest).toBeGreaterThan(0);
  });
});

describe('readPrometheusLive against a bad or absent server', () => {
  const servers: FakeServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  const names = JSON.stringify({
    status: 'success',
    data: ['up', 'node_cpu_seconds_total', 'node_load1', 'node_procs_running', 'process_threads'],
  });
  const up = matrix([
    { metric: { job: 'node' }, values: [1, 2, 3, 4].map((t) => [1000 + t, '1'] as [number, string]) },
  ]);

  it('turns a 500, malformed JSON and a wrong envelope into gaps naming the URL and query; the rest goes on', async () => {
    const server = await fakePrometheus((path, query, request) => {
      if (path.endsWith('/values')) return { status: 200, body: names };
      if (path === '/api/v1/query') return { status: 200, body: up };
      const promql = query.get('query') ?? '';
      if (promql.startsWith('node_load1')) {
        // a proxy that echoes the request's headers must not leak them into a gap
        return { status: 500, body: `internal error; saw ${request.headers.authorization}` };
      }
      if (promql.startsWith('sum by (mode)')) return { status: 200, body: '{"status":"success","data":' };
      if (promql.startsWith('count('))
        return { status: 200, body: '{"status":"success","data":{"resultType":"matrix","result":"x"}}' };
      return { status: 200, body: matrix([{ metric: { job: 'app' }, values: [[1001, '3']] }]) };
    });
    servers.push(server);
    const samples = await readPrometheusLive(
      { url: server.url.replace('http://', 'http://alice:pa55word@'), fromMs: 1_000_000, toMs: 1_010_000 },
      { log, retry: fast },
    );
    const byKey = (needle: string) => samples.gaps.find((g) => g.file.includes(needle));
    expect(byKey('node_load1')).toMatchObject({
      kind: 'bad-sample',
      message: expect.stringMatching(
        new RegExp(`^${server.url}/api/v1/query_range \\(load1\\): unavailable: HTTP 500`),
      ),
    });
    expect(byKey('sum by (mode)')!.message).toMatch(/not JSON/);
    expect(byKey('count(')!.message).toMatch(/not a Prometheus query API response/);
    expect(samples.prometheus!.app_process_threads!.series[0]!.values).toEqual([3]);
    expect(samples.prometheus!.procs_running).toBeDefined();
    // retried once (attempts 2), then given up
    expect(server.requests.filter((r) => r.query.get('query')?.startsWith('node_load1'))).toHaveLength(2);
    const text = JSON.stringify(samples);
    expect(text).not.toContain('pa55word');
    expect(text).not.toContain('alice');
    expect(text).not.toContain(Buffer.from('alice:pa55word').toString('base64'));
    expect(server.requests[0]!.authorization).toBe(
      `Basic ${Buffer.from('alice:pa55word').toString('base64')}`,
    );
  });

  it('sends a bearer token when the URL has no userinfo', async () => {
    const server = await fakePrometheus(() => ({
      status: 200,
      body: JSON.stringify({ status: 'success', data: [] }),
    }));
    servers.push(server);
    const samples = await readPrometheusLive(
      { url: server.url, fromMs: 1_000_000, toMs: 1_010_000, token: 'tok-123456' },
      { log, retry: fast },
    );
    expect(server.requests.map((r) => r.authorization)).toEqual(['Bearer tok-123456', 'Bearer tok-123456']);
    expect(samples.gaps.map((g) => g.kind)).toEqual(['insufficient-data', 'insufficient-data']);
  });

  it('gives gaps, not a crash, when nothing listens', async () => {
    const port = await freePort();
    const samples = await readPrometheusLive(
      { url: `http://127.0.0.1:${port}`, fromMs: 1_000_000, toMs: 1_010_000 },
      { log, retry: fast },
    );
    expect(samples.inputs).toEqual([]);
    expect(samples.gaps).toHaveLength(2);
    for (const gap of samples.gaps) {
      expect(gap).toMatchObject({
        kind: 'bad-sample',
        message: expect.stringContaining(`127.0.0.1:${port}`),
      });
      expect(gap.message).toMatch(/unavailable: .*ECONNREFUSED/);
    }
  });

  it('rejects what cannot be asked as a usage error', async () => {
    await expect(readPrometheusLive({ url: 'ftp://x', fromMs: 1, toMs: 2 }, { log })).rejects.toBeInstanceOf(
      ConfigError,
    );
    await expect(
      readPrometheusLive({ url: 'http://127.0.0.1:1', fromMs: 2, toMs: 2 }, { log }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('selectors, steps and URLs', () => {
  it('builds job and instance matchers', () => {
    expect(selectorOf('node', undefined)).toBe('job="node"');
    expect(selectorOf('node', 'db-1:9100')).toBe('job="node",instance="db-1:9100"');
    expect(selectorOf('node', '10.0.0.5')).toBe('job="node",instance=~"10\\\\.0\\\\.0\\\\.5(:[0-9]+)?"');
    expect(selectorOf('node', '[::1]:9100')).toBe('job="node",instance="[::1]:9100"');
  });

  it('keeps 1 s steps for short windows and raises them to stay within 11,000 points', () => {
    expect(stepFor(150, undefined, 1)).toBe(1);
    expect(stepFor(150, undefined, 15)).toBe(15);
    expect(stepFor(86_400, undefined, 1)).toBe(8);
    expect(Math.floor(86_400 / stepFor(86_400, undefined, 1)) + 1).toBeLessThanOrEqual(MAX_POINTS);
    expect(stepFor(3_600, 5, 1)).toBe(5);
  });

  it('strips credentials, query and trailing slashes from the URL users see', () => {
    expect(publicPrometheusUrl('https://u:p@prom.example:9090/prometheus/?x=1#y')).toBe(
      'https://prom.example:9090/prometheus',
    );
    expect(publicPrometheusUrl('not a url')).toBeNull();
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePrometheusIndex, parsePrometheusRange } from '../../src/ingest/prometheus-range.ts';
import { type HostFolder, hostSample } from './shared-files.ts';

const query = (folder: HostFolder, stem: string) =>
  readFileSync(hostSample(folder, `prometheus-queries/${stem}.json`), 'utf8');

describe('parsePrometheusRange', () => {
  it('reads the thread-pool queue ramping up, one point a second', () => {
    const [series, ...rest] = parsePrometheusRange(
      query('threadpool-starvation', 'app_threadpool_queue_depth'),
      'q',
    );
    expect(rest).toEqual([]);
    expect(series?.labels).toEqual({
      __name__: 'threadpool_queue_depth',
      instance: '127.0.0.1:8001',
      job: 'app',
    });
    expect(series?.timesMs).toHaveLength(148);
    expect(series?.timesMs.slice(0, 2)).toEqual([1795510009000, 1795510010000]);
    expect(series?.values.slice(17, 21)).toEqual([0, 10, 20, 30]);
  });

  it('reads several series and NaN points', () => {
    const modes = parsePrometheusRange(query('healthy', 'cpu_seconds_rate_by_mode'), 'q');
    expect(modes.map((series) => series.labels.mode).sort()).toEqual(
      ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'].sort(),
    );
    const awaits = parsePrometheusRange(query('healthy', 'disk_read_await_seconds'), 'q')[0]?.values ?? [];
    expect(awaits.some(Number.isNaN)).toBe(true);
    expect(awaits.some(Number.isFinite)).toBe(true);
  });

  it('reads an empty result (a metric that does not exist) as no series', () => {
    expect(parsePrometheusRange(query('healthy', 'app_threadpool_queue_depth'), 'q')).toEqual([]);
  });

  it('keeps NaN, and leaves out the infinite values with a gap that names the first', () => {
    const body = {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: {},
            values: [
              [1, '+Inf'],
              [2, '-Inf'],
              [3, 'NaN'],
              [4.5, '1e3'],
            ],
          },
        ],
      },
    };
    expect(() => parsePrometheusRange(JSON.stringify(body), 'q')).toThrow(
      expect.objectContaining({
        message: '2 points with a time or value out of range left out (first: [1, "+Inf"])',
        partial: [{ labels: {}, timesMs: [3000, 4500], values: [Number.NaN, 1000] }],
      }),
    );
  });

  it("turns an API error into a SampleError with the API's text", () => {
    const body =
      '{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"}';
    expect(() => parsePrometheusRange(body, 'q.json')).toThrow(
      'Prometheus API error (bad_data): 1:5: parse error: unexpected end of input',
    );
    expect(() => parsePrometheusRange('<html>', 'q.json')).toThrow(/^not JSON/);
    expect(() => parsePrometheusRange('{"status":"success"}', 'q.json')).toThrow(
      'not a Prometheus query API response',
    );
  });
});

describe('parsePrometheusIndex', () => {
  it('gives the PromQL and time range of every saved query', () => {
    const index = parsePrometheusIndex(query('threadpool-starvation', 'index'), 'index.json');
    expect(Object.keys(index)).toHaveLength(36);
    expect(index.app_threadpool_queue_depth?.query).toBe('threadpool_queue_depth');
    expect(index.cpu_busy_ratio).toEqual({
      query: '1 - avg(rate(node_cpu_seconds_total{mode="idle"}[5s]))',
      startMs: 1795510009000,
      endMs: 1795510156000,
      step: '1s',
    });
  });
});

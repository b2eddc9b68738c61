import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTimeSeriesPage } from '../../../providers/gcp/time-series-json.ts';

describe('decodeTimeSeriesPage', () => {
  it('reads doubles and int64 strings into [end ms, value], labels and the instance id', () => {
    const page = decodeTimeSeriesPage({
      timeSeries: [
        {
          metric: { type: 'x', labels: { cpu_state: 'wait' } },
          resource: { type: 'gce_instance', labels: { instance_id: '123', zone: 'z' } },
          points: [
            {
              interval: { startTime: '2025-01-15T00:00:00Z', endTime: '2025-01-15T00:05:00Z' },
              value: { doubleValue: 0.25 },
            },
            { interval: { endTime: '2025-01-15T00:00:00.000Z' }, value: { int64Value: '42' } },
          ],
        },
      ],
      nextPageToken: 'abc',
    });
    expect(page).toEqual({
      series: [
        {
          metricLabels: { cpu_state: 'wait' },
          instanceId: '123',
          points: [
            [Date.parse('2025-01-15T00:05:00Z'), 0.25],
            [Date.parse('2025-01-15T00:00:00Z'), 42],
          ],
        },
      ],
      points: 2,
      malformed: 0,
      nextPageToken: 'abc',
    });
  });

  it('skips and counts points without a time or a number; an empty token is the last page', () => {
    const page = decodeTimeSeriesPage({
      timeSeries: [
        {
          resource: { labels: { instance_id: '9' } },
          points: [
            { interval: { endTime: 'yesterday' }, value: { doubleValue: 1 } },
            { interval: { endTime: '2025-01-15T00:05:00Z' }, value: { int64Value: '4.5' } },
            { interval: { endTime: '2025-01-15T00:05:00Z' }, value: { doubleValue: 'NaN' } },
            null,
            { interval: { endTime: '2025-01-15T00:10:00Z' }, value: { doubleValue: 3 } },
          ],
        },
      ],
      nextPageToken: '',
    });
    expect(page.points).toBe(5);
    expect(page.malformed).toBe(4);
    expect(page.series[0]!.points).toEqual([[Date.parse('2025-01-15T00:10:00Z'), 3]]);
    expect(page.nextPageToken).toBeUndefined();
  });

  it('never throws on any JSON, and every kept point is finite', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const page = decodeTimeSeriesPage(body);
        expect(page.malformed).toBeLessThanOrEqual(page.points);
        for (const s of page.series)
          for (const [t, v] of s.points) expect(Number.isFinite(t) && Number.isFinite(v)).toBe(true);
      }),
    );
  });

  it('decodes what a well-formed page encodes, point for point', () => {
    const point = fc.record({
      endMs: fc.integer({ min: 0, max: 4_000_000_000_000 }),
      value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer().map(BigInt)),
    });
    fc.assert(
      fc.property(fc.array(fc.array(point, { maxLength: 20 }), { maxLength: 5 }), (series) => {
        const body = {
          timeSeries: series.map((points, i) => ({
            metric: { labels: { n: String(i) } },
            resource: { labels: { instance_id: String(i) } },
            points: points.map((p) => ({
              interval: { endTime: new Date(p.endMs).toISOString() },
              value: typeof p.value === 'bigint' ? { int64Value: String(p.value) } : { doubleValue: p.value },
            })),
          })),
        };
        const page = decodeTimeSeriesPage(JSON.parse(JSON.stringify(body)));
        expect(page.malformed).toBe(0);
        expect(page.series.map((s) => s.points)).toEqual(
          // JSON has no -0: the wire carries it as 0
          series.map((points) => points.map((p) => [p.endMs, Number(p.value) + 0])),
        );
      }),
    );
  });
});

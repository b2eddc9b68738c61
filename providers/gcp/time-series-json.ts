// Decodes a projects.timeSeries.list answer as the REST API sends it (JSON), straight into
// [endMs, value] pairs: no protobuf message per point (gax's REST fallback built two per point and
// was half of a 200-VM run's CPU, issue 12) and no zod object per point. Each series' header is
// still checked by the permissive zod schema; a point that is not a well-formed number is skipped
// and counted, never thrown.
import { z } from 'zod';

const Labels = z.record(z.string(), z.string()).catch({});

const SeriesHeader = z.object({
  metric: z.object({ labels: Labels.optional() }).catch({}),
  resource: z.object({ labels: Labels.optional() }).catch({}),
});

export interface DecodedSeries {
  metricLabels: Record<string, string>;
  instanceId: string;
  /** [period end (epoch ms), value] in the order the API sent them (newest first). */
  points: [number, number][];
}

export interface DecodedPage {
  series: DecodedSeries[];
  /** Points the page carried, well-formed or not (what the page cost against pageSize). */
  points: number;
  /** Points dropped because their time or value did not parse. */
  malformed: number;
  nextPageToken: string | undefined;
}

/** RFC3339 as the API writes it (`2025-01-15T00:05:00Z`, optional fraction); NaN otherwise. */
function timeMs(value: unknown): number {
  return typeof value === 'string' ? Date.parse(value) : Number.NaN;
}

/** doubleValue is a JSON number; int64Value a decimal string (proto3 JSON), or a number from lenient servers. */
function pointValue(value: unknown): number {
  if (typeof value !== 'object' || value === null) return Number.NaN;
  const typed = value as { doubleValue?: unknown; int64Value?: unknown };
  const raw = typed.doubleValue ?? typed.int64Value;
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && /^-?\d+$/.test(raw)) return Number(raw);
  // proto3 JSON writes non-finite doubles as strings.
  if (raw === 'NaN' || raw === 'Infinity' || raw === '-Infinity') return Number.NaN;
  return Number.NaN;
}

export function decodeTimeSeriesPage(body: unknown): DecodedPage {
  const page: DecodedPage = { series: [], points: 0, malformed: 0, nextPageToken: undefined };
  if (typeof body !== 'object' || body === null) return page;
  const { timeSeries, nextPageToken } = body as { timeSeries?: unknown; nextPageToken?: unknown };
  if (typeof nextPageToken === 'string' && nextPageToken !== '') page.nextPageToken = nextPageToken;
  if (!Array.isArray(timeSeries)) return page;
  for (const raw of timeSeries) {
    const header = SeriesHeader.safeParse(raw);
    if (!header.success) continue;
    const points = (raw as { points?: unknown }).points;
    const decoded: DecodedSeries = {
      metricLabels: header.data.metric.labels ?? {},
      instanceId: header.data.resource.labels?.instance_id ?? '',
      points: [],
    };
    if (Array.isArray(points)) {
      for (const point of points) {
        page.points += 1;
        const p = point as { interval?: { endTime?: unknown }; value?: unknown } | null;
        const endMs = timeMs(p?.interval?.endTime);
        const value = pointValue(p?.value);
        if (Number.isFinite(endMs) && Number.isFinite(value)) decoded.points.push([endMs, value]);
        else page.malformed += 1;
      }
    }
    page.series.push(decoded);
  }
  return page;
}

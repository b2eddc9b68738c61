// GetMetricData's datapoints decoded from the answer's JSON, not through the SDK's deserializer.
// A page holds up to 100,800 datapoints; the SDK turns each timestamp into a Date and walks every
// value through the output schema, which was most of fleetlens' CPU per datapoint and half of its
// garbage (issue 12: a fleet's collection must cost well under the time the rate limits impose).
// The client still does everything else: signing, endpoints, retries, errors; only a 200 answer's
// MetricDataResults are taken here, and the SDK deserializes the rest of that answer as usual.
import { buffer } from 'node:stream/consumers';
import type { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';

/** The step's name in a command's middleware stack. */
const STEP = 'fleetlensMetricDataResults';

/** A deserialize-step middleware of GetMetricData's stack (the SDK's types are a union of steps). */
type Step = Parameters<GetMetricDataCommand['middlewareStack']['addRelativeTo']>[0];
type Handler = (args: unknown) => Promise<{ response: unknown }>;

/** What a 200 answer's JSON held under MetricDataResults, as parsed; undefined if none was taken. */
export type TakenResults = () => unknown;

/**
 * Adds to one GetMetricData command a step just inside the SDK's deserializer: a 200 answer's body is
 * parsed once, its MetricDataResults kept for `TakenResults`, and the rest (NextToken, Messages)
 * handed on to the SDK. Any other answer (an error, a body that is not a JSON object) passes through
 * untouched, so the SDK reports it exactly as it would have. A retried call keeps its last answer.
 */
export function takeMetricDataResults(command: GetMetricDataCommand): TakenResults {
  let taken: unknown;
  const step =
    (next: Handler): Handler =>
    async (args) => {
      taken = undefined;
      const out = await next(args);
      const response = out.response as { statusCode?: unknown; body?: unknown } | undefined;
      if (response?.statusCode !== 200 || response.body === undefined) return out;
      const bytes = await bytesOf(response.body);
      const parsed = parsedObject(bytes);
      if (!parsed || !('MetricDataResults' in parsed)) {
        response.body = bytes;
        return out;
      }
      const { MetricDataResults: results, ...rest } = parsed;
      taken = results;
      response.body = Buffer.from(JSON.stringify({ ...rest, MetricDataResults: [] }));
      return out;
    };
  command.middlewareStack.addRelativeTo(step as unknown as Step, {
    name: STEP,
    relation: 'after',
    toMiddleware: 'deserializerMiddleware',
    override: true,
  });
  return () => taken;
}

/**
 * A datapoint's timestamp as epoch milliseconds. The JSON protocol sends epoch seconds (a number,
 * possibly fractional, or the same as a string); an ISO 8601 date-time is read too. NaN otherwise.
 */
export function timestampMs(value: unknown): number {
  if (typeof value === 'number') return value * 1000;
  if (typeof value !== 'string' || value.trim() === '') return Number.NaN;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value);
}

async function bytesOf(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body);
  return buffer(body as AsyncIterable<Uint8Array>);
}

function parsedObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
    );
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

import { z } from 'zod';
import { hashKey } from '../../scenarios/shapes.ts';
import type { ActionContext, ActionResult } from './context.ts';
import type { MetricTarget } from './faults.ts';
import type { Dimension, MetricSeries } from './metrics.ts';
import { AwsApiError, decodePageToken, encodePageToken } from './protocol.ts';
import {
  computeDatapoints,
  type Datapoints,
  parseStatistic,
  reversed,
  type Statistic,
} from './statistics.ts';
import { StoredDatapoints } from './stored-datapoints.ts';

// CloudWatch over AWS JSON 1.0: GetMetricData and ListMetrics. Timestamps travel as epoch seconds.
// Limits: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html

const maxQueries = 500;
const maxDatapointsPerCall = 100_800;
const listMetricsPageSize = 500;
const metricIdPattern = /^[a-z][a-zA-Z0-9_]*$/;

const DimensionInput = z.object({ Name: z.string(), Value: z.string() });

const QueryInput = z.object({
  Id: z.string(),
  MetricStat: z
    .object({
      Metric: z.object({
        Namespace: z.string().optional(),
        MetricName: z.string().optional(),
        Dimensions: z.array(DimensionInput).optional(),
      }),
      Period: z.number(),
      Stat: z.string(),
      Unit: z.string().optional(),
    })
    .optional(),
  Expression: z.string().optional(),
  Label: z.string().optional(),
  ReturnData: z.boolean().optional(),
  Period: z.number().optional(),
  AccountId: z.string().optional(),
});
type QueryInput = z.infer<typeof QueryInput>;

const GetMetricDataInput = z.object({
  MetricDataQueries: z.array(z.unknown()),
  StartTime: z.number(),
  EndTime: z.number(),
  NextToken: z.string().optional(),
  ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).optional(),
  MaxDatapoints: z.number().optional(),
  LabelOptions: z.object({ Timezone: z.string().optional() }).optional(),
});

const ListMetricsInput = z.object({
  Namespace: z.string().optional(),
  MetricName: z.string().optional(),
  Dimensions: z.array(z.object({ Name: z.string(), Value: z.string().optional() })).optional(),
  NextToken: z.string().optional(),
  RecentlyActive: z.string().optional(),
  IncludeLinkedAccounts: z.boolean().optional(),
  OwningAccount: z.string().optional(),
});

/** Zod issues in the service's wording: `1 validation error detected: Value null at 'startTime' ...`. */
function validationError(error: z.ZodError): AwsApiError {
  const details = error.issues.map((issue) => {
    const path = issue.path.map((part, index) =>
      index === 0 ? String(part).replace(/^./, (c) => c.toLowerCase()) : part,
    );
    return `Value at '${path.join('.')}' failed to satisfy constraint: ${issue.message}`;
  });
  return new AwsApiError(
    'ValidationError',
    400,
    `${details.length} validation error detected: ${details.join('; ')}`,
  );
}

function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(result.error);
  return result.data;
}

type ValidQuery = QueryInput & { MetricStat: NonNullable<QueryInput['MetricStat']>; statistic: Statistic };

function validateQuery(query: QueryInput, index: number, seen: Set<string>): ValidQuery {
  const where = `MetricDataQueries.member.${index + 1}`;
  if (!metricIdPattern.test(query.Id)) {
    throw new AwsApiError(
      'ValidationError',
      400,
      `The value ${query.Id} for parameter ${where}.Id is not valid. It must start with a lowercase letter and contain only letters, numbers and underscores.`,
    );
  }
  if (seen.has(query.Id))
    throw new AwsApiError(
      'ValidationError',
      400,
      `The value ${query.Id} for parameter ${where}.Id is not unique.`,
    );
  seen.add(query.Id);
  if (query.Expression !== undefined) {
    throw new AwsApiError(
      'NotImplemented',
      400,
      `fleetlens mock: ${where}.Expression (metric math, SEARCH, Metrics Insights) is not implemented; use MetricStat queries.`,
    );
  }
  const stat = query.MetricStat;
  if (!stat) throw new AwsApiError('MissingParameter', 400, `The parameter ${where}.MetricStat is required.`);
  // Periods below 60 s exist for high-resolution custom metrics only; the rest are multiples of 60.
  if (
    !(
      Number.isInteger(stat.Period) &&
      ([1, 5, 10, 20, 30].includes(stat.Period) || (stat.Period >= 60 && stat.Period % 60 === 0))
    )
  ) {
    throw new AwsApiError(
      'InvalidParameterValue',
      400,
      `The parameter ${where}.MetricStat.Period must be 1, 5, 10, 20, 30, or a multiple of 60.`,
    );
  }
  const statistic = parseStatistic(stat.Stat);
  if (!statistic)
    throw new AwsApiError(
      'InvalidParameterValue',
      400,
      `The value ${stat.Stat} for parameter ${where}.MetricStat.Stat is not supported.`,
    );
  return { ...query, MetricStat: stat, statistic };
}

function queryTarget(query: QueryInput): MetricTarget {
  const metric = query.MetricStat?.Metric;
  return {
    namespace: metric?.Namespace,
    metricName: metric?.MetricName,
    dimensions: metric?.Dimensions ?? [],
  };
}

/** What a CloudWatch call is about, for fault matching; [] when the body does not parse. */
export function cloudWatchTargets(action: string, input: unknown): MetricTarget[] {
  if (action === 'GetMetricData') {
    const parsed = GetMetricDataInput.safeParse(input);
    if (!parsed.success) return [];
    return parsed.data.MetricDataQueries.flatMap((raw) => {
      const query = QueryInput.safeParse(raw);
      return query.success ? [queryTarget(query.data)] : [];
    });
  }
  const parsed = ListMetricsInput.safeParse(input);
  if (action !== 'ListMetrics' || !parsed.success) return [];
  const { Namespace, MetricName, Dimensions } = parsed.data;
  return [
    {
      namespace: Namespace,
      metricName: MetricName,
      dimensions: (Dimensions ?? []).map((d) => ({ Name: d.Name, Value: d.Value ?? '' })),
    },
  ];
}

interface QueryPoints {
  readonly query: ValidQuery;
  readonly points: Datapoints;
}

const noPoints: Datapoints = { epochSec: new Float64Array(0), values: new Float64Array(0) };

/** Series of a query, or none: the dimensions must match exactly, and a given Unit must agree. */
function seriesOfQuery(ctx: ActionContext, query: ValidQuery): MetricSeries | undefined {
  const metric = query.MetricStat.Metric;
  if (metric.Namespace === undefined || metric.MetricName === undefined) return undefined;
  const series = ctx.metrics().find(metric.Namespace, metric.MetricName, metric.Dimensions ?? []);
  if (!series || (query.MetricStat.Unit !== undefined && query.MetricStat.Unit !== series.unit))
    return undefined;
  return series;
}

// NOTE: paging re-sends the same request with a NextToken; the computed points of the last few
// requests are kept so a 5-page read costs one computation.
const computedCacheSize = 3;

export class CloudWatchHandlers {
  private readonly computed = new Map<string, QueryPoints[]>();
  private readonly store: StoredDatapoints | undefined;

  /** `storeDatapoints`: keep each metric's settled datapoints once computed (stored-datapoints.ts). */
  constructor(storeDatapoints = false) {
    this.store = storeDatapoints ? new StoredDatapoints() : undefined;
  }

  getMetricData(ctx: ActionContext, input: unknown): ActionResult {
    const request = parseInput(GetMetricDataInput, input);
    if (request.MetricDataQueries.length > maxQueries) {
      throw new AwsApiError(
        'ValidationError',
        400,
        `The collection MetricDataQueries must not have a size greater than ${maxQueries}.`,
      );
    }
    const seen = new Set<string>();
    const queries = request.MetricDataQueries.map((raw, index) =>
      validateQuery(parseInput(QueryInput, raw), index, seen),
    );
    if (request.StartTime >= request.EndTime) {
      throw new AwsApiError(
        'ValidationError',
        400,
        'The parameter StartTime must be less than the parameter EndTime.',
      );
    }
    const limit = Math.min(request.MaxDatapoints ?? maxDatapointsPerCall, maxDatapointsPerCall);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new AwsApiError(
        'InvalidParameterValue',
        400,
        'The parameter MaxDatapoints must be a positive integer.',
      );
    }
    const ascending = request.ScanBy === 'TimestampAscending';
    const { NextToken: _token, MaxDatapoints: _max, ...identity } = request;
    const fingerprint = String(hashKey(`${ctx.region}|${JSON.stringify(identity)}`));
    const offset =
      request.NextToken === undefined
        ? 0
        : decodePageToken(request.NextToken, fingerprint, 'InvalidNextToken');
    // A first page computes afresh (the clock may have moved); later pages reuse its points.
    const cached = offset > 0 ? this.computed.get(fingerprint) : undefined;
    const all =
      cached ?? this.pointsFor(ctx, fingerprint, queries, request.StartTime, request.EndTime, ascending);
    return { ...pageOfResults(all, offset, limit, fingerprint), queries: queries.length };
  }

  private pointsFor(
    ctx: ActionContext,
    fingerprint: string,
    queries: readonly ValidQuery[],
    startSec: number,
    endSec: number,
    ascending: boolean,
  ): QueryPoints[] {
    const all = queries
      .filter((query) => query.ReturnData !== false)
      .map((query) => {
        const series = seriesOfQuery(ctx, query);
        const stat = query.MetricStat;
        const points = !series
          ? noPoints
          : this.store
            ? this.store.datapoints(series, query.statistic, stat.Period, startSec, endSec, ctx.nowSec)
            : computeDatapoints(series, query.statistic, stat.Period, startSec, endSec, ctx.nowSec);
        return { query, points: ascending ? points : reversed(points) };
      });
    this.computed.delete(fingerprint);
    this.computed.set(fingerprint, all);
    if (this.computed.size > computedCacheSize) this.computed.delete(this.computed.keys().next().value ?? '');
    return all;
  }

  listMetrics(ctx: ActionContext, input: unknown): ActionResult {
    const request = parseInput(ListMetricsInput, input);
    if (request.RecentlyActive !== undefined && request.RecentlyActive !== 'PT3H') {
      throw new AwsApiError(
        'InvalidParameterValue',
        400,
        `The value ${request.RecentlyActive} for parameter RecentlyActive is not valid.`,
      );
    }
    const matches = ctx.metrics().all.filter((series) => listFilterMatches(series, request));
    const { NextToken: _token, ...identity } = request;
    const fingerprint = String(hashKey(`${ctx.region}|${JSON.stringify(identity)}`));
    const offset =
      request.NextToken === undefined
        ? 0
        : decodePageToken(request.NextToken, fingerprint, 'InvalidNextToken');
    const page = matches.slice(offset, offset + listMetricsPageSize);
    const next =
      offset + listMetricsPageSize < matches.length
        ? encodePageToken(offset + listMetricsPageSize, fingerprint)
        : undefined;
    const Metrics = page.map((series) => ({
      Namespace: series.namespace,
      MetricName: series.metricName,
      Dimensions: series.dimensions.map((d) => ({ Name: d.Name, Value: d.Value })),
    }));
    return { body: JSON.stringify(next ? { Metrics, NextToken: next } : { Metrics }) };
  }
}

/** ListMetrics keeps a metric that has every filter dimension (with the value, when one is given). */
function listFilterMatches(series: MetricSeries, request: z.infer<typeof ListMetricsInput>): boolean {
  if (request.Namespace !== undefined && series.namespace !== request.Namespace) return false;
  if (request.MetricName !== undefined && series.metricName !== request.MetricName) return false;
  return (request.Dimensions ?? []).every((filter) =>
    series.dimensions.some(
      (d: Dimension) => d.Name === filter.Name && (filter.Value === undefined || d.Value === filter.Value),
    ),
  );
}

/**
 * One page: points flow query after query in scan order; a query whose points continue on a later
 * page says PartialData, and every query appears on the first page even with no points.
 */
function pageOfResults(
  all: readonly QueryPoints[],
  offset: number,
  limit: number,
  fingerprint: string,
): ActionResult {
  const results: Record<string, unknown>[] = [];
  let cursor = 0;
  let returned = 0;
  for (const { query, points } of all) {
    const count = points.values.length;
    const from = Math.max(0, offset - cursor);
    const to = Math.max(from, Math.min(count, offset + limit - cursor));
    const complete = offset + limit - cursor >= count;
    cursor += count;
    if (to === from && offset > 0) continue;
    returned += to - from;
    results.push({
      Id: query.Id,
      Label: query.Label ?? query.MetricStat.Metric.MetricName ?? query.Id,
      Timestamps: Array.from(points.epochSec.subarray(from, to)),
      Values: Array.from(points.values.subarray(from, to)),
      StatusCode: complete ? 'Complete' : 'PartialData',
    });
  }
  const nextOffset = offset + limit;
  const body: Record<string, unknown> = { MetricDataResults: results, Messages: [] };
  if (nextOffset < cursor) body.NextToken = encodePageToken(nextOffset, fingerprint);
  return { body: JSON.stringify(body), datapoints: returned };
}

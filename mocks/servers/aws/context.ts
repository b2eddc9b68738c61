import type { RegionFleet } from './fleet.ts';
import type { MetricRegistry } from './metrics.ts';

/** What an action handler sees of one request. */
export interface ActionContext {
  readonly region: string;
  readonly accountId: string;
  readonly requestId: string;
  readonly nowSec: number;
  readonly fleet: RegionFleet;
  /** Built on first use: inventory calls never pay for the metric registry. */
  readonly metrics: () => MetricRegistry;
}

/** A successful answer, plus the counts the request log keeps for GetMetricData. */
export interface ActionResult {
  readonly body: string;
  readonly queries?: number;
  readonly datapoints?: number;
}

/** Describe/Get/List are reads; every other verb changes something and the read-only mock refuses it. */
export function isReadOnlyAction(action: string): boolean {
  return /^(Describe|Get|List|Search)[A-Z]/.test(action);
}

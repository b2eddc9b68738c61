// How far back each cloud's metrics API serves data, by resolution, so `--since` past it fails
// before any call instead of coming back as a silently short window.
import type { ProviderId } from '../src/model/index.ts';

export interface RetentionTier {
  /** The finest step this tier serves; coarser steps that are multiples of it read it too. */
  stepSec: number;
  /** How long data at this step is kept; null where the provider documents no limit. */
  keptDays: number | null;
}

export interface ProviderRetention {
  /** The metrics service, as the user knows it. */
  service: string;
  tiers: readonly RetentionTier[];
  /** The provider's page that states it. */
  source: string;
  /** One line: what the service keeps, for messages and the README. */
  summary: string;
}

export const metricRetention: Record<ProviderId, ProviderRetention> = {
  aws: {
    service: 'CloudWatch',
    // The GetMetricData reference (and providers.md §1.1): older data is rolled up to coarser periods.
    tiers: [
      { stepSec: 60, keptDays: 15 },
      { stepSec: 300, keptDays: 63 },
      { stepSec: 3600, keptDays: 455 },
    ],
    source: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html',
    summary: 'CloudWatch keeps 1-minute data 15 days, 5-minute data 63 days and 1-hour data 455 days',
  },
  gcp: {
    service: 'Cloud Monitoring',
    tiers: [{ stepSec: 60, keptDays: 42 }],
    source: 'https://cloud.google.com/monitoring/quotas#data_retention_policy',
    summary: 'Cloud Monitoring keeps Compute Engine metrics 6 weeks (42 days)',
  },
  linode: {
    service: 'Linode /stats',
    // NOTE: /stats/{year}/{month} serves a past calendar month at 5-minute averages; the reference
    // states no limit on how many months back.
    tiers: [{ stepSec: 300, keptDays: null }],
    source: 'https://techdocs.akamai.com/linode-api/reference/get-linode-stats-by-year-month',
    summary: 'Linode /stats serves past calendar months at 5-minute averages (no limit documented)',
  },
  ovh: {
    service: 'OVHcloud instance monitoring',
    // NOTE: the call takes a period enum, the longest of which is `lastyear`; the server picks the
    // granularity (a 14-day window comes as hourly samples of `lastmonth`).
    tiers: [{ stepSec: 60, keptDays: 365 }],
    source:
      'https://eu.api.ovh.com/console/?section=%2Fcloud&branch=v1#get-/cloud/project/-serviceName-/instance/-instanceId-/monitoring',
    summary: 'OVHcloud instance monitoring reaches back one year at most (period=lastyear)',
  },
};

/**
 * How many days of data at `stepSec` the provider keeps: the tier of the coarsest resolution that
 * the step reads (a multiple of it); null when nothing is documented or no tier fits.
 */
export function keptDaysAt(provider: ProviderId, stepSec: number): number | null {
  const tiers = metricRetention[provider].tiers.filter(
    (t) => stepSec >= t.stepSec && stepSec % t.stepSec === 0,
  );
  const tier = tiers.at(-1) ?? metricRetention[provider].tiers[0];
  return tier?.keptDays ?? null;
}

/**
 * Why a window of `sinceMs` at `stepSec` reaches past what the provider keeps (with the longest
 * window that step allows and the coarser step that would keep it), or undefined when it fits.
 */
export function retentionProblem(provider: ProviderId, sinceMs: number, stepSec: number): string | undefined {
  const keptDays = keptDaysAt(provider, stepSec);
  const sinceDays = sinceMs / 86_400_000;
  if (keptDays === null || sinceDays <= keptDays) return undefined;
  const { summary, source, tiers } = metricRetention[provider];
  const coarser = tiers.find((t) => t.stepSec > stepSec && (t.keptDays === null || t.keptDays >= sinceDays));
  const instead = coarser ? `, or a ${coarser.stepSec} s period (periodSec: ${coarser.stepSec})` : '';
  return `${summary} (${source}): at a ${stepSec} s period it serves at most ${keptDays}d; use --since ${keptDays}d${instead}`;
}

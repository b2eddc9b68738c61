// How the metrics step splits a project's running VMs into timeSeries.list requests, and so how many
// calls it makes: one function for both, so the minimum the run reports and the calls it makes
// agree by construction (issue 12 point 3). A request names its VMs (`resource.labels.instance_id =
// one_of(...)`) and holds as many as fit in ONE page of 100,000 points, so the count depends only
// on the inventory and the window: never on which VMs have the agent or an E2's scheduler wait, and
// never on the answers (a failed call does not lower it). Against providers.md §6's
// Σ ⌈M·points/100,000⌉ this costs at most a few percent more calls where a page would have split a
// VM's series (e.g. 41 → 42 pages per stream at 1,000 VMs × 14 days × 5 min), in exchange for a
// count known before the first call.
import type { MetricWindow } from '../types.ts';

/** listTimeSeries pageSize with view FULL counts points; 100,000 is the maximum (discovery document). */
export const POINTS_PER_PAGE = 100_000;

/**
 * The most VMs one filter names: ~26 characters each, so a request stays a few KB of URL (the
 * REST fallback sends the filter as a query parameter). Binds only at coarse steps (hourly: 297 VMs'
 * points fit in a page).
 */
export const MAX_HOSTS_PER_REQUEST = 100;

/** Points one series can have in the window: aligned periods ending in (from, to], plus one for an unaligned edge. */
export function pointsPerSeries(window: MetricWindow): number {
  return Math.ceil((window.toMs - window.fromMs) / (window.stepSec * 1000)) + 1;
}

/** VMs per request so that every series of every VM fits in one page. */
export function hostsPerRequest(
  seriesPerHost: number,
  window: MetricWindow,
  pagePoints = POINTS_PER_PAGE,
): number {
  const fit = Math.floor(pagePoints / (seriesPerHost * pointsPerSeries(window)));
  return Math.max(1, Math.min(MAX_HOSTS_PER_REQUEST, fit));
}

/** The VMs of each request, in inventory order. */
export function chunkHosts<T>(
  hosts: readonly T[],
  seriesPerHost: number,
  window: MetricWindow,
  pagePoints = POINTS_PER_PAGE,
): T[][] {
  const size = hostsPerRequest(seriesPerHost, window, pagePoints);
  const chunks: T[][] = [];
  for (let i = 0; i < hosts.length; i += size) chunks.push(hosts.slice(i, i + size));
  return chunks;
}

/** Requests (= calls, one page each) a stream makes for `hosts` running VMs; none without VMs. */
export function requestsFor(
  hosts: number,
  seriesPerHost: number,
  window: MetricWindow,
  pagePoints = POINTS_PER_PAGE,
): number {
  return Math.ceil(hosts / hostsPerRequest(seriesPerHost, window, pagePoints));
}

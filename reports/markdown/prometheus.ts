// report.md's "On-host evidence from Prometheus": per configured Prometheus, the queries made
// against the plan's minimum and the samples fetched, how hosts were matched, the hosts with no
// series and the series that match no host (a stale target, another fleet).
import type { AnalysisResult } from '../json/schema.ts';
import { fitItems } from './budget.ts';
import { escapeText } from './escape.ts';
import { formatNumber } from './units.ts';

export const PROMETHEUS_MAX_CHARS = 2_500;
const LISTED = 8;

function listed(items: readonly string[], maxChars = 40): string {
  if (items.length === 0) return 'none';
  const shown = items.slice(0, LISTED).map((item) => escapeText(item, { maxChars }));
  return `${formatNumber(items.length)}: ${shown.join(', ')}${items.length > LISTED ? ` and ${formatNumber(items.length - LISTED)} more` : ''}`;
}

/** Empty when the run read no Prometheus. */
export function prometheusSection(result: AnalysisResult): string {
  const reads = result.run.prometheus ?? [];
  if (reads.length === 0) return '';
  const names = new Map(result.hosts.map((h) => [h.id, h.name]));
  const blocks = reads.map((read) => {
    const by = new Map<string, number>();
    for (const m of read.matched) by.set(m.by, (by.get(m.by) ?? 0) + 1);
    const matchedBy = [...by].map(([how, n]) => `${formatNumber(n)} by ${how}`).join(', ') || 'none';
    const perHost = read.hostsJudged > 0 ? read.apiCalls.made / read.hostsJudged : 0;
    return [
      `**${escapeText(read.url, { maxChars: 80 })}**: ${formatNumber(read.hostsJudged)} hosts judged; ` +
        `${formatNumber(read.apiCalls.made)} queries (minimum ${formatNumber(read.apiCalls.minimum)}, ` +
        `${formatNumber(read.apiCalls.failed)} failed; ${perHost.toFixed(1)} a host), ` +
        `${formatNumber(read.samples)} samples, whole window at ${read.plan.coarseStepSec} s in ` +
        `${formatNumber(read.plan.splits)} piece(s), ${formatNumber(read.plan.windows)} busiest window(s) at the scrape interval.`,
      `- Matched: ${matchedBy}.`,
      `- Hosts with no series: ${listed(read.unmatchedHosts.map((id) => names.get(id) ?? id))}.`,
      `- Series that match no host: ${listed(
        read.unmatchedSeries.map((u) => `${u.instances.join(' + ')} (${u.reason})`),
        120,
      )}.`,
    ].join('\n');
  });
  const more = (left: number) => `…and ${formatNumber(left)} more Prometheus servers in report.json.`;
  return `### On-host evidence from Prometheus\n\n${fitItems(blocks, PROMETHEUS_MAX_CHARS - 60, more, '\n\n')}`;
}

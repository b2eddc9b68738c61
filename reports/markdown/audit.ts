import type { Severity } from '../../src/model/index.ts';
import type { AnalysisResult, ReportHost, RuleRun } from '../json/schema.ts';
import { escapeText, md } from './escape.ts';
import {
  changeText,
  compareFindings,
  compareRecommendations,
  recommendationsTable,
  renderFindingSection,
  riskText,
  severityBadge,
  subjectText,
} from './finding.ts';
import { mdTable } from './table.ts';
import {
  formatDurationSec,
  formatNumber,
  formatShare,
  formatUsdPerMonth,
  formatUtcDate,
  formatUtcMinute,
  formatValue,
} from './units.ts';

export interface AuditMarkdownOptions {
  title?: string;
}

const SEVERITIES_DOWN: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
const TOP_ACTIONS = 5;
const REASONS_PER_RULE = 10;
const SUBJECTS_PER_REASON = 10;

function windowText(result: AnalysisResult): string {
  const { from, to, stepSec } = result.run.window;
  const spanSec = (Date.parse(to) - Date.parse(from)) / 1000;
  const span = Number.isFinite(spanSec) ? `${formatDurationSec(spanSec)}, ` : '';
  return `${formatUtcMinute(from)} → ${formatUtcMinute(to)} (${span}step ${formatDurationSec(stepSec)})`;
}

function runFacts(result: AnalysisResult): string {
  const { run } = result;
  const facts = [
    `Mode: ${run.mode}`,
    `Window: ${windowText(result)}`,
    `Providers: ${run.providers.join(', ') || 'none'}`,
    `Run took ${formatDurationSec(run.durationMs / 1000)}`,
    `${run.tool.name} ${escapeText(run.tool.version)}`,
  ];
  if (run.eventMultiplier !== null) facts.push(`Event multiplier: ×${formatNumber(run.eventMultiplier)}`);
  return facts.join(' · ');
}

function severityTable(result: AnalysisResult): string {
  const counts = SEVERITIES_DOWN.map((severity) => ({
    severity,
    count: result.findings.filter((finding) => finding.severity === severity).length,
  }));
  return mdTable(
    ['Severity', { label: 'Findings', align: 'right' }],
    [
      ...counts.map(({ severity, count }) => [severity, count]),
      [md('**total**'), md(`**${result.findings.length}**`)],
    ],
  );
}

function countBy<T>(items: readonly T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b, 'en'));
}

function hostsLine(result: AnalysisResult): string {
  const byProvider = countBy(result.hosts, (host) => host.provider)
    .map(([provider, count]) => `${provider} ${count}`)
    .join(', ');
  const regions = new Set(result.hosts.map((host) => `${host.provider}/${host.region}`)).size;
  return `- Hosts: ${result.hosts.length}${byProvider ? ` (${byProvider}) in ${regions} ${regions === 1 ? 'region' : 'regions'}` : ''}`;
}

function costLines(result: AnalysisResult): string[] {
  const known = result.recommendations.filter((rec) => rec.monthlyCostDeltaUsd !== null);
  const totalUsd = known.reduce((sum, rec) => sum + (rec.monthlyCostDeltaUsd ?? 0), 0);
  const unknown = result.recommendations.length - known.length;
  return [
    `- Recommendations: ${result.recommendations.length}`,
    `- Known monthly cost delta: **${formatUsdPerMonth(totalUsd)}** (sum over ${known.length} with a known price; ${unknown} with an unknown price not counted)`,
  ];
}

function gapsLine(result: AnalysisResult): string {
  const rules = rulesWithGaps(result.run.rules).length;
  return `- Data gaps: ${result.gaps.length} collection ${result.gaps.length === 1 ? 'gap' : 'gaps'}, ${rules} ${rules === 1 ? 'rule' : 'rules'} that could not judge everything (see Data gaps)`;
}

function topActions(result: AnalysisResult): string {
  const severityOf = new Map(result.findings.map((finding) => [finding.id, finding.severity]));
  const top = [...result.recommendations].sort(compareRecommendations(result.findings)).slice(0, TOP_ACTIONS);
  if (top.length === 0) return 'No recommendations in this run.';
  return top
    .map((rec, index) => {
      const severity = severityOf.get(rec.findingId);
      const badge = severity ? `${severityBadge(severity)} ` : '';
      return `${index + 1}. ${badge}${subjectText(rec.subject)}: ${rec.kind} ${changeText(rec)}, ${formatUsdPerMonth(rec.monthlyCostDeltaUsd)}, risk ${riskText(rec.risk)}`;
    })
    .join('\n');
}

function summarySection(result: AnalysisResult): string {
  const facts = [hostsLine(result), ...costLines(result), gapsLine(result)];
  if (result.run.eventMultiplier !== null) {
    facts.push(`- Pre-event projection: every peak × ${formatNumber(result.run.eventMultiplier)}`);
  }
  return [
    '## Summary',
    severityTable(result),
    facts.join('\n'),
    '### Top actions',
    topActions(result),
    '### Across clouds',
    crossCloudTable(result),
  ].join('\n\n');
}

/** Providers in the run: those with hosts, calls or gaps, in name order. */
function providersOf(result: AnalysisResult): string[] {
  const ids = new Set<string>([
    ...result.run.providers,
    ...result.hosts.map((host) => host.provider),
    ...Object.keys(result.run.apiCalls),
  ]);
  return [...ids].sort((a, b) => a.localeCompare(b, 'en'));
}

/**
 * The dimensions a cloud could not report for its hosts, each with how many hosts it hit and how
 * many of those the on-host samples filled: `memory 6/6 (1 filled on-host)`.
 */
function blindSpotSummary(hosts: readonly ReportHost[]): string | null {
  const byDimension = new Map<string, { hosts: number; filled: number }>();
  for (const host of hosts) {
    for (const spot of host.blindSpots) {
      const entry = byDimension.get(spot.dimension) ?? { hosts: 0, filled: 0 };
      entry.hosts += 1;
      if (spot.filledByOnHost) entry.filled += 1;
      byDimension.set(spot.dimension, entry);
    }
  }
  if (byDimension.size === 0) return null;
  return [...byDimension.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en'))
    .map(
      ([dimension, { hosts: count, filled }]) =>
        `${dimension} ${count}/${hosts.length}${filled > 0 ? ` (${filled} filled on-host)` : ''}`,
    )
    .join(', ');
}

function crossCloudTable(result: AnalysisResult): string {
  const providers = providersOf(result);
  if (providers.length === 0) return 'No provider in this run.';
  const right = (label: string) => ({ label, align: 'right' as const });
  return mdTable(
    [
      'Provider',
      right('Hosts'),
      right('Findings'),
      right('Critical + high'),
      right('Recommendations'),
      right('Monthly delta'),
      right('Calls made'),
      right('Minimum'),
      right('Retries'),
      right('Gaps'),
      'Not reported by the cloud (hosts)',
    ],
    providers.map((provider) => {
      const hosts = result.hosts.filter((host) => host.provider === provider);
      const findings = result.findings.filter((finding) => finding.subject.provider === provider);
      const recs = result.recommendations.filter((rec) => rec.subject.provider === provider);
      const known = recs.filter((rec) => rec.monthlyCostDeltaUsd !== null);
      const calls = result.run.apiCalls[provider as keyof typeof result.run.apiCalls];
      return [
        provider,
        hosts.length,
        findings.length,
        findings.filter((f) => f.severity === 'critical' || f.severity === 'high').length,
        recs.length,
        known.length === 0
          ? null
          : formatUsdPerMonth(known.reduce((sum, r) => sum + (r.monthlyCostDeltaUsd ?? 0), 0)),
        calls?.made ?? null,
        calls?.minimum ?? null,
        calls?.retries ?? null,
        result.gaps.filter((gap) => gap.provider === provider).length,
        blindSpotSummary(hosts),
      ];
    }),
  );
}

// NOTE: Compute Optimizer sizes on the per-period maximum, so prefer it over the average.
function cpuStat(host: ReportHost) {
  return (
    host.stats.find((stat) => stat.metric === 'cpu.util.max') ??
    host.stats.find((stat) => stat.metric === 'cpu.util')
  );
}

function blindSpotsText(host: ReportHost): string | null {
  if (host.blindSpots.length === 0) return null;
  return host.blindSpots
    .map((spot) => `${spot.dimension} (${spot.filledByOnHost ? 'filled on-host' : 'missing'})`)
    .join(', ');
}

function hostRow(host: ReportHost, groupNames: ReadonlyMap<string, string>) {
  const cpu = cpuStat(host);
  const cpuCell = (value: number | null | undefined) =>
    cpu && value !== null && value !== undefined ? formatValue(value, cpu.unit) : null;
  return [
    host.provider,
    host.region,
    host.name,
    host.id,
    host.instanceType,
    host.vcpu === null ? null : formatValue(host.vcpu, 'vcpu'),
    host.memoryMiB === null ? null : formatValue(host.memoryMiB, 'mib'),
    host.groupId === null ? null : (groupNames.get(host.groupId) ?? host.groupId),
    cpuCell(cpu?.p95),
    cpuCell(cpu?.p99_5),
    cpuCell(cpu?.max),
    host.onHost ? `${host.onHost.primary} (${formatShare(host.onHost.confidence)})` : null,
    blindSpotsText(host),
  ];
}

function hostsSection(result: AnalysisResult): string {
  if (result.hosts.length === 0 && providersOf(result).length === 0)
    return '## By provider\n\nNo hosts in this run.';
  const groupNames = new Map(result.groups.map((group) => [group.id, group.name]));
  const hosts = [...result.hosts].sort(
    (a, b) =>
      a.provider.localeCompare(b.provider, 'en') ||
      a.region.localeCompare(b.region, 'en') ||
      a.name.localeCompare(b.name, 'en') ||
      a.id.localeCompare(b.id, 'en'),
  );
  const right = (label: string) => ({ label, align: 'right' as const });
  const columns = [
    'Provider',
    'Region',
    'Name',
    'ID',
    'Type',
    right('vCPU'),
    right('Memory'),
    'Group',
    right('CPU p95'),
    right('CPU p99.5'),
    right('CPU max'),
    'On-host verdict',
    'Blind spots',
  ];
  const sections = providersOf(result).map((provider) => {
    const own = hosts.filter((host) => host.provider === provider);
    const findings = result.findings.filter((finding) => finding.subject.provider === provider);
    const gaps = result.gaps.filter((gap) => gap.provider === provider);
    const blind = blindSpotSummary(own);
    const regions = new Set(own.map((h) => h.region)).size;
    const facts = [
      own.length === 0
        ? 'no hosts listed'
        : `${own.length} ${own.length === 1 ? 'host' : 'hosts'} in ${regions} ${regions === 1 ? 'region' : 'regions'}`,
      `${findings.length} ${findings.length === 1 ? 'finding' : 'findings'}`,
      `${gaps.length} collection ${gaps.length === 1 ? 'gap' : 'gaps'}`,
    ];
    const lines = [`### ${escapeText(provider)}`, `${facts.join(' · ')}.`];
    if (blind)
      lines.push(
        `Not reported by ${escapeText(provider)}, so not judged from its metrics: ${escapeText(blind)}.`,
      );
    if (gaps.length > 0) {
      const shown = gaps
        .slice(0, 5)
        .map((gap) => `- Gap (${escapeText(gap.kind)}): ${escapeText(gap.message)}`);
      if (gaps.length > 5) shown.push(`- and ${gaps.length - 5} more (see Data gaps)`);
      lines.push(shown.join('\n'));
    }
    if (own.length > 0)
      lines.push(
        mdTable(
          columns,
          own.map((host) => hostRow(host, groupNames)),
        ),
      );
    return lines.join('\n\n');
  });
  return ['## By provider', ...sections].join('\n\n');
}

function findingContext(result: AnalysisResult): string {
  return `From fleetlens audit run ${escapeText(result.run.id)}, window ${windowText(result)}, report schema v${result.schemaVersion}.`;
}

function findingsSection(result: AnalysisResult): string {
  if (result.findings.length === 0) return '## Findings\n\nNo findings in this run.';
  const sections = [...result.findings]
    .sort(compareFindings)
    .map((finding) => renderFindingSection(finding, result.recommendations, { level: 3 }));
  return ['## Findings', ...sections].join('\n\n');
}

function recommendationsSection(result: AnalysisResult): string {
  if (result.recommendations.length === 0) return '## Recommendations\n\nNo recommendations in this run.';
  return `## Recommendations\n\n${recommendationsTable(result.recommendations, result.findings)}`;
}

function gapsTable(result: AnalysisResult): string {
  const rows = result.gaps.map((gap) => [
    gap.provider,
    gap.what,
    gap.kind,
    gap.subject ? md(subjectText(gap.subject)) : null,
    gap.message,
    gap.file ? `${gap.file}${gap.line === undefined ? '' : `:${gap.line}`}` : null,
  ]);
  return mdTable(['Provider', 'What', 'Kind', 'Subject', 'Message', 'File'], rows);
}

const GAP_STATUSES: readonly RuleRun['status'][] = [
  'error',
  'skipped',
  'insufficient-data',
  'not-applicable',
];

/** Rules that could not judge some or all subjects: a gap status, or reasons on any status. */
function rulesWithGaps(rules: readonly RuleRun[]): RuleRun[] {
  const order = (rule: RuleRun) => {
    const index = GAP_STATUSES.indexOf(rule.status);
    return index === -1 ? GAP_STATUSES.length : index;
  };
  return rules
    .filter((rule) => GAP_STATUSES.includes(rule.status) || rule.reasons.length > 0)
    .sort((a, b) => order(a) - order(b) || a.ruleId.localeCompare(b.ruleId, 'en'));
}

function listWithRest(items: readonly string[], cap: number): string {
  const shown = items.slice(0, cap).join(', ');
  return items.length > cap ? `${shown} and ${items.length - cap} more` : shown;
}

/** Ids of hosts, volumes and groups to the names a reader knows them by. */
function subjectNames(result: AnalysisResult): Map<string, string> {
  const names = new Map<string, string>();
  for (const host of result.hosts) {
    names.set(host.id, host.name);
    for (const volume of host.volumes) if (volume.tags.Name) names.set(volume.id, volume.tags.Name);
  }
  for (const group of result.groups) names.set(group.id, group.name);
  return names;
}

function namedSubject(subject: string, names: ReadonlyMap<string, string>): string {
  const name = names.get(subject);
  return name && name !== subject ? `${escapeText(subject)} (${escapeText(name)})` : escapeText(subject);
}

/** Identical reasons share one line listing their subjects, so 30 hosts stay readable. */
function ruleReasonLines(rule: RuleRun, names: ReadonlyMap<string, string>): string[] {
  const groups = new Map<string, string[]>();
  for (const { subject, reason } of rule.reasons) {
    const subjects = groups.get(reason) ?? [];
    if (subject !== null) subjects.push(subject);
    groups.set(reason, subjects);
  }
  const sorted = [...groups.entries()].sort(
    ([a, sa], [b, sb]) => sb.length - sa.length || a.localeCompare(b, 'en'),
  );
  const lines = sorted.slice(0, REASONS_PER_RULE).map(([reason, subjects]) => {
    const who =
      subjects.length === 0
        ? ''
        : ` (${subjects.length} ${subjects.length === 1 ? 'subject' : 'subjects'}: ${listWithRest(
            subjects.map((subject) => namedSubject(subject, names)),
            SUBJECTS_PER_REASON,
          )})`;
    return `  - ${escapeText(reason)}${who}`;
  });
  if (sorted.length > REASONS_PER_RULE)
    lines.push(`  - and ${sorted.length - REASONS_PER_RULE} more reasons`);
  return lines;
}

function ruleGapItem(rule: RuleRun, names: ReadonlyMap<string, string>): string {
  const status = GAP_STATUSES.includes(rule.status)
    ? rule.status
    : `${rule.status}, could not judge some subjects`;
  const head = `- **${escapeText(rule.ruleId)}** (${escapeText(rule.title)}): ${status}`;
  const reasons = ruleReasonLines(rule, names);
  return [reasons.length === 0 ? `${head}; no reason given` : head, ...reasons].join('\n');
}

function dataGapsSection(result: AnalysisResult): string {
  const rules = rulesWithGaps(result.run.rules);
  const names = subjectNames(result);
  if (result.gaps.length === 0 && rules.length === 0) {
    return '## Data gaps\n\nNone: every provider answered and every rule had the data it needed.';
  }
  const parts = ['## Data gaps'];
  parts.push('### Collection gaps', result.gaps.length === 0 ? 'None.' : gapsTable(result));
  parts.push(
    '### Rules that could not judge everything',
    rules.length === 0 ? 'None.' : rules.map((rule) => ruleGapItem(rule, names)).join('\n'),
  );
  return parts.join('\n\n');
}

function footer(result: AnalysisResult): string {
  return `---\n\nReport schema v${result.schemaVersion} · run ${escapeText(result.run.id)} · started ${formatUtcMinute(result.run.startedAt)}. The same run's report.json holds everything shown here.`;
}

/** The whole audit report, GitHub-flavoured, for a ticket. */
export function renderAuditMarkdown(result: AnalysisResult, options: AuditMarkdownOptions = {}): string {
  const title = options.title ?? `fleetlens audit ${formatUtcDate(result.run.startedAt)}`;
  return `${[
    `# ${escapeText(title)}`,
    runFacts(result),
    summarySection(result),
    hostsSection(result),
    findingsSection(result),
    recommendationsSection(result),
    dataGapsSection(result),
    footer(result),
  ].join('\n\n')}\n`;
}

/** One finding's section alone, with a line saying which run it came from, for one ticket. */
export function renderFindingMarkdown(result: AnalysisResult, findingId: string): string {
  const finding = result.findings.find((candidate) => candidate.id === findingId);
  if (!finding) throw new Error(`finding ${findingId} is not in run ${result.run.id}`);
  return `${renderFindingSection(finding, result.recommendations, { level: 3, context: findingContext(result) })}\n`;
}

// report.md: what a ticket needs, under REPORT_MD_MAX_CHARS for any fleet. Each section renders against
// its own budget and says what it left out; the findings list takes what the others leave. Every
// finding stands alone in findings/<id>.md (renderFindingMarkdown), which the list links to.
import type { Finding, FindingCategory, Recommendation, Severity } from '../../src/model/index.ts';
import { severityRank } from '../../src/model/index.ts';
import type { AnalysisResult, ProviderCoverage, ReportHost, RuleRun } from '../json/schema.ts';
import { countFitting, fitCount, fitItems, REPORT_MD_MAX_CHARS, within } from './budget.ts';
import { escapeText, md } from './escape.ts';
import { eventSection } from './event.ts';
import { findingFilePath } from './file-names.ts';
import {
  CATEGORIES,
  changeText,
  isActive,
  isNoChange,
  recommendationsFor,
  renderFindingSection,
  riskText,
  severityBadge,
  subjectKey,
} from './finding.ts';
import { findingStatusText, historySection, sinceLastRunLine, stabilityText } from './history.ts';
import { PROMETHEUS_MAX_CHARS, prometheusSection } from './prometheus.ts';
import { mdTable, type TableCell } from './table.ts';
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
const TOP_ACTIONS = 10;
const HOST_ROWS = 30;
const REASONS_PER_RULE = 5;
const SUBJECTS_PER_REASON = 5;

// Budgets of report.md's sections, in characters; the findings list gets what is left of the limit.
const HEAD_MAX_CHARS = 3_000;
const SUMMARY_MAX_CHARS = 4_000;
const TOP_ACTIONS_MAX_CHARS = 5_000;
const COVERAGE_MAX_CHARS = 3_500;
const ACROSS_MAX_CHARS = 3_500;
const HOSTS_MAX_CHARS = 12_000;
const EVENT_MAX_CHARS = 14_000;
const BY_RULE_MAX_CHARS = 4_000;
const RECOMMENDATIONS_MAX_CHARS = 2_000;
const GAPS_MAX_CHARS = 6_000;
const HISTORY_MAX_CHARS = 6_000;
const FOOTER_MAX_CHARS = 600;
/** Room the section separators and headings take, kept back before the findings list is fitted. */
const SLACK_CHARS = 500;

// Caps on untrusted text in one table cell or list line of report.md.
const NAME_MAX_CHARS = 48;
const CELL_MAX_CHARS = 64;
const REASON_MAX_CHARS = 200;
const TITLE_MAX_CHARS = 120;
const CHANGE_MAX_CHARS = 100;

const cell = (text: string | null | undefined, maxChars = CELL_MAX_CHARS): TableCell =>
  text === null || text === undefined ? null : md(escapeText(text, { maxChars }));
// NOTE: one amount per cell cannot pair into GitHub's `$...$` math, so money in a cell stays unescaped.
const usdCell = (text: string | null): TableCell => (text === null ? null : md(text));
const right = (label: string) => ({ label, align: 'right' as const });
const plural = (count: number, word: string, words = `${word}s`) =>
  `${formatNumber(count)} ${count === 1 ? word : words}`;

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
    `${run.tool.name} ${escapeText(run.tool.version, { maxChars: 40 })}`,
  ];
  if (run.eventMultiplier !== null) facts.push(`Event multiplier: ×${formatNumber(run.eventMultiplier)}`);
  return facts.join(' · ');
}

function coverageEntries(result: AnalysisResult): [string, ProviderCoverage][] {
  return Object.entries(result.run.coverage).flatMap(([provider, coverage]) =>
    coverage ? [[provider, coverage] as [string, ProviderCoverage]] : [],
  );
}

/** The line a scheduled job's reader must not miss: what failed, and that the totals are partial. */
function incompleteLine(result: AnalysisResult): string | null {
  if (result.run.complete) return null;
  const failed = coverageEntries(result).flatMap(([provider, coverage]) =>
    coverage.failedScopes.map(
      (scope) =>
        `${provider} ${escapeText(scope.scope, { maxChars: NAME_MAX_CHARS })} (${escapeText(scope.reason, { maxChars: REASON_MAX_CHARS })})`,
    ),
  );
  const partial = coverageEntries(result)
    .filter(([, coverage]) => !coverage.complete)
    .map(([provider]) => provider);
  const what =
    failed.length > 0
      ? `${plural(failed.length, 'configured scope')} listed nothing because of an error: ${fitItems(failed, 1_500, (left) => `and ${formatNumber(left)} more (see Coverage)`, '; ')}.`
      : partial.length > 0
        ? `${partial.join(', ')} did not list everything (see Coverage and Data gaps).`
        : 'a configured scope did not list (see Data gaps).';
  return `**Incomplete run:** ${what} Findings and totals below cover only what was listed; fleetlens exits 4 for this run unless --allow-partial.`;
}

function headSection(result: AnalysisResult, title: string): string {
  const incomplete = incompleteLine(result);
  return [
    `# ${escapeText(title, { maxChars: 200 })}`,
    runFacts(result),
    ...(incomplete ? [incomplete] : []),
  ].join('\n\n');
}

function pushTo<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

function countBy<T>(items: readonly T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b, 'en'));
}

/** Findings per severity and category: `--fail-on` counts reliability and performance, cost apart. */
function severityTable(result: AnalysisResult): string {
  const count = (severity: Severity | null, category: FindingCategory | null) =>
    result.findings.filter(
      (finding) =>
        (severity === null || finding.severity === severity) &&
        (category === null || finding.category === category),
    ).length;
  const bold = (value: number) => md(`**${formatNumber(value)}**`);
  return mdTable(
    ['Severity', ...CATEGORIES.map((category) => right(category)), right('Total')],
    [
      ...SEVERITIES_DOWN.map((severity) => [
        severity,
        ...CATEGORIES.map((category) => count(severity, category)),
        count(severity, null),
      ]),
      [
        md('**total**'),
        ...CATEGORIES.map((category) => bold(count(null, category))),
        bold(result.findings.length),
      ],
    ],
  );
}

function hostsLine(result: AnalysisResult): string {
  const byProvider = countBy(result.hosts, (host) => host.provider)
    .map(([provider, count]) => `${provider} ${formatNumber(count)}`)
    .join(', ');
  const regions = new Set(result.hosts.map((host) => `${host.provider}/${host.region}`)).size;
  return `- Hosts: ${formatNumber(result.hosts.length)}${byProvider ? ` (${byProvider}) in ${plural(regions, 'region')}` : ''}`;
}

/** Totals come from the run summary (report.json's own), so the two files never disagree. */
function costLines(result: AnalysisResult): string[] {
  const recs = result.recommendations;
  const active = recs.filter(isActive);
  const superseded = recs.filter((rec) => rec.supersededBy !== null).length;
  const noChange = recs.filter((rec) => rec.supersededBy === null && isNoChange(rec)).length;
  const known = active.filter((rec) => rec.monthlyCostDeltaUsd !== null).length;
  const { summary } = result.run;
  const apart = [
    ...(superseded > 0 ? [`${formatNumber(superseded)} superseded`] : []),
    ...(noChange > 0 ? [`${formatNumber(noChange)} already right`] : []),
  ];
  return [
    `- Recommendations: ${plural(active.length, 'change')} to make${apart.length > 0 ? ` (${apart.join(', ')}: shown, never counted)` : ''}`,
    `- Known monthly cost delta: **${formatUsdPerMonth(summary.monthlyCostDeltaUsd)}** (sum over ${formatNumber(known)} with a known price; ${formatNumber(summary.recommendationsWithUnknownCost)} with an unknown price not counted)`,
  ];
}

function gapsLine(result: AnalysisResult): string {
  const rules = rulesWithGaps(result.run.rules).length;
  return `- Data gaps: ${plural(result.gaps.length, 'collection gap')}, ${plural(rules, 'rule')} that could not judge everything (see Data gaps)`;
}

function summarySection(result: AnalysisResult): string {
  const since = sinceLastRunLine(result);
  const facts = [hostsLine(result), ...costLines(result), gapsLine(result)];
  if (result.run.eventMultiplier !== null) {
    facts.push(`- Pre-event projection: every peak × ${formatNumber(result.run.eventMultiplier)}`);
  }
  return ['## Summary', ...(since ? [since] : []), severityTable(result), facts.join('\n')].join('\n\n');
}

const CATEGORY_ORDER: Readonly<Record<FindingCategory, number>> = { reliability: 0, performance: 1, cost: 2 };

/** The saving (most negative delta) of a finding's changes; 0 without a known one. */
function bestDeltaUsd(changes: readonly Recommendation[]): number {
  return changes.reduce((best, rec) => Math.min(best, rec.monthlyCostDeltaUsd ?? 0), 0);
}

interface Action {
  finding: Finding;
  changes: Recommendation[];
  /** Its recommendations, all superseded by a stronger one elsewhere: no action of its own. */
  replaced: boolean;
}

/**
 * Every finding is an action (a critical host without a sizing still needs a person), ranked by
 * severity first, then what it threatens (reliability, performance, cost), then the biggest saving.
 */
function rankedActions(result: AnalysisResult): Action[] {
  const actions = result.findings.map((finding) => {
    const linked = recommendationsFor(finding, result.recommendations);
    const changes = linked.filter(isActive);
    const replaced = changes.length === 0 && linked.some((rec) => rec.supersededBy !== null);
    return { finding, changes, replaced };
  });
  return actions.sort(
    (a, b) =>
      severityRank[b.finding.severity] - severityRank[a.finding.severity] ||
      CATEGORY_ORDER[a.finding.category] - CATEGORY_ORDER[b.finding.category] ||
      bestDeltaUsd(a.changes) - bestDeltaUsd(b.changes) ||
      subjectKey(a.finding.subject).localeCompare(subjectKey(b.finding.subject), 'en') ||
      a.finding.id.localeCompare(b.finding.id, 'en'),
  );
}

function findingLink(finding: Finding, text: string): string {
  return `[${text}](${findingFilePath(finding.id)})`;
}

function shortSubject(finding: Finding): string {
  const { subject } = finding;
  const name =
    subject.name && subject.name !== subject.id
      ? ` (${escapeText(subject.name, { maxChars: NAME_MAX_CHARS })})`
      : '';
  return `${subject.provider} ${subject.kind} ${escapeText(subject.id, { maxChars: NAME_MAX_CHARS })}${name}`;
}

function changeSummary(action: Action): string {
  const [first] = action.changes;
  if (!first)
    return action.replaced
      ? 'change superseded by a stronger one for this subject'
      : 'no change computed: see the finding';
  const more = action.changes.length > 1 ? ` and ${plural(action.changes.length - 1, 'more change')}` : '';
  return `${first.kind} ${changeText(first, CHANGE_MAX_CHARS)}, ${formatUsdPerMonth(first.monthlyCostDeltaUsd)}, risk ${riskText(first.risk)}${more}`;
}

/** With `--only-stable`, an action counts only when one of its changes is stable over the runs asked. */
function isStableAction(action: Action): boolean {
  return action.changes.some((rec) => rec.stability?.stable === true);
}

/** ` · open since 2025-05-07, for 3 runs` (and the mute, and the first change's stability), or nothing. */
function statusSuffix(action: Action): string {
  const status = findingStatusText(action.finding);
  const first = action.changes[0];
  const stability = first ? stabilityText(first) : null;
  return [status, stability]
    .filter((part): part is string => part !== null)
    .map((part) => ` · ${part}`)
    .join('');
}

function topActionsSection(actions: readonly Action[], onlyStable: boolean): string {
  const open = actions.filter(
    (action) => !action.replaced && !(action.finding.mute && !action.finding.mute.expired),
  );
  const top = (onlyStable ? open.filter(isStableAction) : open).slice(0, TOP_ACTIONS);
  const heading = onlyStable
    ? '### Top actions (stable recommendations only, --only-stable)'
    : '### Top actions';
  if (top.length === 0)
    return `${heading}\n\n${onlyStable ? 'No recommendation is stable yet: see Findings.' : 'No findings in this run: nothing to act on.'}`;
  const lines = top.map(
    (action, index) =>
      `${index + 1}. ${severityBadge(action.finding.severity)} ${action.finding.category} · ${shortSubject(action.finding)}: ${escapeText(action.finding.title, { maxChars: TITLE_MAX_CHARS })} → ${changeSummary(action)} · ${findingLink(action.finding, 'details')}${statusSuffix(action)}`,
  );
  const more = (left: number) => `(and ${formatNumber(left)} more: see Findings)`;
  return `${heading}\n\n${fitItems(lines, TOP_ACTIONS_MAX_CHARS - 20, more)}`;
}

function coverageSection(result: AnalysisResult): string {
  const entries = coverageEntries(result).sort(([a], [b]) => a.localeCompare(b, 'en'));
  if (entries.length === 0) return '### Coverage\n\nNo coverage was recorded for this run.';
  const listed = (items: readonly string[]) =>
    items.length === 0
      ? '—'
      : `${formatNumber(items.length)}: ${items
          .slice(0, 4)
          .map((item) => escapeText(item, { maxChars: 32 }))
          .join(', ')}${items.length > 4 ? ` and ${formatNumber(items.length - 4)} more` : ''}`;
  const rows = entries.map(([provider, coverage]) => {
    const series =
      coverage.seriesExpected > 0
        ? `${formatNumber(coverage.seriesReceived)} / ${formatNumber(coverage.seriesExpected)} (${formatShare(coverage.seriesReceived / coverage.seriesExpected)})`
        : `${formatNumber(coverage.seriesReceived)} / 0`;
    const judged =
      coverage.judgedShare === null
        ? formatNumber(coverage.hostsJudged)
        : `${formatNumber(coverage.hostsJudged)} (${formatShare(coverage.judgedShare)})`;
    const failed = coverage.failedScopes.map((scope) => `${scope.scope} (${scope.reason})`);
    return [
      provider,
      md(listed(coverage.scopes)),
      coverage.hostsListed,
      series,
      judged,
      md(
        escapeText(
          failed.length === 0
            ? '—'
            : `${formatNumber(failed.length)}: ${failed.slice(0, 2).join('; ')}${failed.length > 2 ? ` and ${formatNumber(failed.length - 2)} more` : ''}`,
          { maxChars: 240 },
        ),
      ),
      md(coverage.complete ? 'yes' : '**no**'),
    ];
  });
  const table = mdTable(
    [
      'Cloud',
      'Scopes',
      right('Hosts listed'),
      right('Series received / expected'),
      right('Hosts judged'),
      'Failed scopes',
      'Complete',
    ],
    rows,
  );
  return `### Coverage\n\n${table}`;
}

/** Providers in the run: those with hosts, calls or coverage, in name order. */
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

function sumUsd(recs: readonly Recommendation[]): string | null {
  const known = recs.filter((rec) => rec.monthlyCostDeltaUsd !== null);
  return known.length === 0
    ? null
    : formatUsdPerMonth(known.reduce((sum, rec) => sum + (rec.monthlyCostDeltaUsd ?? 0), 0));
}

function acrossCloudsSection(result: AnalysisResult): string {
  const providers = providersOf(result);
  if (providers.length === 0) return '### Across clouds\n\nNo provider in this run.';
  const active = result.recommendations.filter(isActive);
  const table = mdTable(
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
      const recs = active.filter((rec) => rec.subject.provider === provider);
      const calls = result.run.apiCalls[provider as keyof typeof result.run.apiCalls];
      return [
        provider,
        hosts.length,
        findings.length,
        findings.filter((f) => f.severity === 'critical' || f.severity === 'high').length,
        recs.length,
        usdCell(sumUsd(recs)),
        calls?.made ?? null,
        calls?.minimum ?? null,
        calls?.retries ?? null,
        result.gaps.filter((gap) => gap.provider === provider).length,
        cell(blindSpotSummary(hosts), 240),
      ];
    }),
  );
  return `### Across clouds\n\n${table}`;
}

interface HostStanding {
  host: ReportHost;
  findings: number;
  worst: Severity | null;
  cpuP95: number | null;
}

// NOTE: `cpu.util` (the per-period average) is what the CPU rules judge, so "CPU p95" here is the
// figure their findings quote; the max column reads the per-period maxima.
function cpuFigures(host: ReportHost): { p95: number | null; max: number | null } {
  const average = host.stats.find((stat) => stat.metric === 'cpu.util');
  const maxima = host.stats.find((stat) => stat.metric === 'cpu.util.max');
  return { p95: average?.p95 ?? null, max: maxima?.max ?? average?.max ?? null };
}

/** Hosts with findings first (most severe, then most findings), then the busiest by CPU p95. */
function rankedHosts(result: AnalysisResult): HostStanding[] {
  // A volume's finding counts for the hosts it is attached to.
  const hostsOfVolume = new Map<string, string[]>();
  for (const host of result.hosts) {
    for (const volumeId of new Set([...host.volumeIds, ...host.volumes.map((volume) => volume.id)])) {
      const key = `${host.provider}\u0000${volumeId}`;
      pushTo(hostsOfVolume, key, host.id);
    }
  }
  const byHost = new Map<string, Finding[]>();
  for (const finding of result.findings) {
    const { provider, kind, id } = finding.subject;
    const hostIds =
      kind === 'host' ? [id] : kind === 'volume' ? (hostsOfVolume.get(`${provider}\u0000${id}`) ?? []) : [];
    for (const hostId of hostIds) {
      const key = `${provider}\u0000${hostId}`;
      pushTo(byHost, key, finding);
    }
  }
  const standings = result.hosts.map((host) => {
    const findings = byHost.get(`${host.provider}\u0000${host.id}`) ?? [];
    const worst = findings.reduce<Severity | null>(
      (top, finding) =>
        top === null || severityRank[finding.severity] > severityRank[top] ? finding.severity : top,
      null,
    );
    return { host, findings: findings.length, worst, cpuP95: cpuFigures(host).p95 };
  });
  const rank = (severity: Severity | null) => (severity === null ? -1 : severityRank[severity]);
  return standings.sort(
    (a, b) =>
      rank(b.worst) - rank(a.worst) ||
      b.findings - a.findings ||
      (b.cpuP95 ?? -1) - (a.cpuP95 ?? -1) ||
      a.host.provider.localeCompare(b.host.provider, 'en') ||
      a.host.region.localeCompare(b.host.region, 'en') ||
      a.host.name.localeCompare(b.host.name, 'en') ||
      a.host.id.localeCompare(b.host.id, 'en'),
  );
}

function hostRow(standing: HostStanding, groupNames: ReadonlyMap<string, string>): TableCell[] {
  const { host } = standing;
  const cpu = cpuFigures(host);
  return [
    host.provider,
    cell(host.region, 24),
    cell(host.name, NAME_MAX_CHARS),
    cell(host.id, NAME_MAX_CHARS),
    cell(host.instanceType, 32),
    host.groupId === null ? null : cell(groupNames.get(host.groupId) ?? host.groupId, 40),
    cpu.p95 === null ? null : formatValue(cpu.p95, 'percent'),
    cpu.max === null ? null : formatValue(cpu.max, 'percent'),
    standing.findings === 0 ? null : `${standing.findings} (worst ${standing.worst})`,
    host.onHost
      ? md(`${escapeText(host.onHost.primary, { maxChars: 32 })} (${formatShare(host.onHost.confidence)})`)
      : null,
  ];
}

function hostsSection(result: AnalysisResult): string {
  if (result.hosts.length === 0) return '## Hosts\n\nNo hosts in this run.';
  const groupNames = new Map(result.groups.map((group) => [group.id, group.name]));
  const ranked = rankedHosts(result);
  const columns = [
    'Provider',
    'Region',
    'Name',
    'ID',
    'Type',
    'Group',
    right('CPU p95'),
    right('CPU max'),
    'Findings',
    'On-host verdict',
  ];
  const note =
    'CPU p95: 95th percentile of the per-period average (what the CPU findings quote); CPU max: the highest per-period maximum.';
  const render = (count: number) => {
    const table = mdTable(
      columns,
      ranked.slice(0, count).map((standing) => hostRow(standing, groupNames)),
    );
    const rest = ranked.length - count;
    const more =
      rest > 0
        ? `\n\nShowing ${formatNumber(count)} of ${formatNumber(ranked.length)} hosts: those with findings first, most severe first, then the busiest by CPU p95. The other ${formatNumber(rest)} are in report.json.`
        : '';
    return `## Hosts\n\n${table}\n\n${note}${more}`;
  };
  return fitCount(Math.min(HOST_ROWS, ranked.length), render, HOSTS_MAX_CHARS)?.text ?? '';
}

function byRuleTable(result: AnalysisResult): string {
  const byRule = new Map<string, Finding[]>();
  for (const finding of result.findings) pushTo(byRule, finding.ruleId, finding);
  const activeByFinding = new Map<string, Recommendation[]>();
  for (const rec of result.recommendations.filter(isActive)) pushTo(activeByFinding, rec.findingId, rec);
  const rows = [...byRule.entries()]
    .map(([ruleId, findings]) => {
      const worst = Math.max(...findings.map((finding) => severityRank[finding.severity]));
      return { ruleId, findings, worst };
    })
    .sort(
      (a, b) =>
        b.worst - a.worst || b.findings.length - a.findings.length || a.ruleId.localeCompare(b.ruleId, 'en'),
    )
    .map(({ ruleId, findings }) => [
      cell(ruleId),
      [...new Set(findings.map((finding) => finding.category))].join(', '),
      findings.length,
      ...SEVERITIES_DOWN.map(
        (severity) => findings.filter((finding) => finding.severity === severity).length || null,
      ),
      usdCell(sumUsd(findings.flatMap((finding) => activeByFinding.get(finding.id) ?? []))),
    ]);
  const render = (count: number) => {
    const table = mdTable(
      [
        'Rule',
        'Category',
        right('Findings'),
        ...SEVERITIES_DOWN.map((severity) => right(severity)),
        right('Monthly delta'),
      ],
      rows.slice(0, count),
    );
    return count < rows.length
      ? `${table}\n\n(and ${plural(rows.length - count, 'more rule')}: see report.json)`
      : table;
  };
  return fitCount(rows.length, render, BY_RULE_MAX_CHARS)?.text ?? '';
}

function findingLine(action: Action): string {
  const { finding } = action;
  return `- ${severityBadge(finding.severity)} ${finding.category} · ${shortSubject(finding)}: ${findingLink(
    finding,
    escapeText(finding.title, { maxChars: TITLE_MAX_CHARS }),
  )} · ${changeSummary(action)}${statusSuffix(action)}`;
}

/** One line per finding, most urgent first, as many as the budget holds; every one has its own file. */
function findingsSection(result: AnalysisResult, actions: readonly Action[], maxChars: number): string {
  if (result.findings.length === 0) return '## Findings\n\nNo findings in this run.';
  const intro = `Each finding stands alone in its own file, findings/ID.md (the links below), ready to paste into a ticket; report.json holds all ${plural(result.findings.length, 'finding')}.`;
  const head = [
    '## Findings',
    intro,
    '### By rule',
    byRuleTable(result),
    '### Every finding, most urgent first',
  ].join('\n\n');
  const more = (left: number) => {
    const bySeverity = SEVERITIES_DOWN.map(
      (severity) =>
        [
          severity,
          actions.slice(actions.length - left).filter((a) => a.finding.severity === severity).length,
        ] as const,
    )
      .filter(([, count]) => count > 0)
      .map(([severity, count]) => `${formatNumber(count)} ${severity}`)
      .join(', ');
    return `- … and ${plural(left, 'more finding')} (${bySeverity}), left out to keep this report pasteable: each is in findings/ and report.json.`;
  };
  const lines = actions.map(findingLine);
  const reserve = more(lines.length).length + 1;
  const room = maxChars - head.length - 2;
  const shown = countFitting(lines, room, 1, reserve);
  const list = [...lines.slice(0, shown), ...(shown < lines.length ? [more(lines.length - shown)] : [])].join(
    '\n',
  );
  return `${head}\n\n${list}`;
}

function recommendationsSection(result: AnalysisResult): string {
  const recs = result.recommendations;
  if (recs.length === 0) return '## Recommendations\n\nNo recommendations in this run.';
  const kinds = [...new Set(recs.map((rec) => rec.kind))].sort((a, b) => a.localeCompare(b, 'en'));
  const rows = kinds.map((kind) => {
    const own = recs.filter((rec) => rec.kind === kind);
    const active = own.filter(isActive);
    return [
      kind,
      active.length,
      own.filter((rec) => rec.supersededBy !== null).length,
      own.filter((rec) => rec.supersededBy === null && isNoChange(rec)).length,
      usdCell(sumUsd(active)),
      active.filter((rec) => rec.monthlyCostDeltaUsd === null).length,
    ];
  });
  const table = mdTable(
    [
      'Kind',
      right('Changes'),
      right('Superseded'),
      right('Already right'),
      right('Monthly delta'),
      right('Price unknown'),
    ],
    rows,
  );
  return `## Recommendations\n\n${table}\n\nEach change, with its arithmetic, is in the file of the finding behind it. Superseded and already-right ones are never counted.`;
}

interface GapRow {
  provider: string;
  kind: string;
  where: string;
  scope: string | null;
  message: string;
  count: number;
}

/** One row per provider, kind, call (or file) and scope, so one fault is one row however often it hit. */
function gapRows(result: AnalysisResult): GapRow[] {
  const rows = new Map<string, GapRow>();
  for (const gap of result.gaps) {
    const where =
      gap.operation ?? (gap.file ? `${gap.file}${gap.line === undefined ? '' : `:${gap.line}`}` : gap.what);
    const scope = gap.scope ?? null;
    const key = [gap.provider, gap.kind, where, scope ?? ''].join('\u0000');
    const row = rows.get(key);
    if (row) row.count += 1;
    else
      rows.set(key, { provider: gap.provider, kind: gap.kind, where, scope, message: gap.message, count: 1 });
  }
  return [...rows.values()].sort(
    (a, b) =>
      a.provider.localeCompare(b.provider, 'en') ||
      b.count - a.count ||
      a.kind.localeCompare(b.kind, 'en') ||
      a.where.localeCompare(b.where, 'en'),
  );
}

function gapsTable(result: AnalysisResult, maxChars: number): string {
  const rows = gapRows(result);
  const render = (count: number) => {
    const table = mdTable(
      ['Provider', 'Kind', 'Call or file', 'Scope', right('Count'), 'Message'],
      rows
        .slice(0, count)
        .map((row) => [
          row.provider,
          row.kind,
          cell(row.where, 80),
          cell(row.scope, 40),
          row.count,
          cell(row.message, REASON_MAX_CHARS),
        ]),
    );
    const rest = rows.length - count;
    return rest > 0
      ? `${table}\n\n(and ${plural(rest, 'more row')} of gaps: every gap is in report.json)`
      : table;
  };
  return fitCount(rows.length, render, maxChars)?.text ?? '';
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
  const id = escapeText(subject, { maxChars: NAME_MAX_CHARS });
  return name && name !== subject ? `${id} (${escapeText(name, { maxChars: NAME_MAX_CHARS })})` : id;
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
    const shown = subjects
      .slice(0, SUBJECTS_PER_REASON)
      .map((subject) => namedSubject(subject, names))
      .join(', ');
    const rest = subjects.length - SUBJECTS_PER_REASON;
    const who =
      subjects.length === 0
        ? ''
        : ` (${plural(subjects.length, 'subject')}: ${shown}${rest > 0 ? ` and ${formatNumber(rest)} more` : ''})`;
    return `  - ${escapeText(reason, { maxChars: REASON_MAX_CHARS })}${who}`;
  });
  if (sorted.length > REASONS_PER_RULE)
    lines.push(`  - and ${formatNumber(sorted.length - REASONS_PER_RULE)} more reasons`);
  return lines;
}

function ruleGapItem(rule: RuleRun, names: ReadonlyMap<string, string>): string {
  const status = GAP_STATUSES.includes(rule.status)
    ? rule.status
    : `${rule.status}, could not judge some subjects`;
  const head = `- **${escapeText(rule.ruleId, { maxChars: CELL_MAX_CHARS })}** (${escapeText(rule.title, { maxChars: TITLE_MAX_CHARS })}): ${status}`;
  const reasons = ruleReasonLines(rule, names);
  return [reasons.length === 0 ? `${head}; no reason given` : head, ...reasons].join('\n');
}

function dataGapsSection(result: AnalysisResult): string {
  const rules = rulesWithGaps(result.run.rules);
  if (result.gaps.length === 0 && rules.length === 0) {
    return '## Data gaps\n\nNone: every provider answered and every rule had the data it needed.';
  }
  const names = subjectNames(result);
  const gaps = result.gaps.length === 0 ? 'None.' : gapsTable(result, Math.floor(GAPS_MAX_CHARS / 2));
  const ruleItems = fitItems(
    rules.map((rule) => ruleGapItem(rule, names)),
    Math.floor(GAPS_MAX_CHARS / 2) - 120,
    (left) => `- and ${plural(left, 'more rule')} (see run.rules in report.json)`,
  );
  return [
    '## Data gaps',
    '### Collection gaps',
    gaps,
    '### Rules that could not judge everything',
    rules.length === 0 ? 'None.' : ruleItems,
  ].join('\n\n');
}

function footer(result: AnalysisResult): string {
  return `---\n\nReport schema v${result.schemaVersion} · run ${escapeText(result.run.id, { maxChars: 80 })} · started ${formatUtcMinute(result.run.startedAt)}. The same run's report.json holds everything shown here.`;
}

/**
 * The audit report, GitHub-flavoured, for a ticket: always under REPORT_MD_MAX_CHARS. The sections
 * before and after the findings list are capped one by one; the list takes the rest.
 */
export function renderAuditMarkdown(result: AnalysisResult, options: AuditMarkdownOptions = {}): string {
  const title = options.title ?? `fleetlens audit ${formatUtcDate(result.run.startedAt)}`;
  const actions = rankedActions(result);
  const omitted = (what: string) => `${what} is too large for this report: see report.json.`;
  const before = [
    within(
      headSection(result, title),
      HEAD_MAX_CHARS,
      `# fleetlens audit\n\n${omitted('The run description')}`,
    ),
    within(summarySection(result), SUMMARY_MAX_CHARS, `## Summary\n\n${omitted('The summary')}`),
    within(
      topActionsSection(actions, result.history?.onlyStable === true),
      TOP_ACTIONS_MAX_CHARS,
      `### Top actions\n\n${omitted('The list')}`,
    ),
    within(coverageSection(result), COVERAGE_MAX_CHARS, `### Coverage\n\n${omitted('The coverage table')}`),
    within(
      prometheusSection(result),
      PROMETHEUS_MAX_CHARS,
      `### On-host evidence from Prometheus\n\n${omitted('It')}`,
    ),
    within(acrossCloudsSection(result), ACROSS_MAX_CHARS, `### Across clouds\n\n${omitted('The table')}`),
    eventSection(result, EVENT_MAX_CHARS),
    within(hostsSection(result), HOSTS_MAX_CHARS, `## Hosts\n\n${omitted('The host table')}`),
  ];
  const after = [
    within(
      historySection(result, HISTORY_MAX_CHARS - 200),
      HISTORY_MAX_CHARS,
      `## Changes since the last run\n\n${omitted('The list of changes')}`,
    ),
    within(
      recommendationsSection(result),
      RECOMMENDATIONS_MAX_CHARS,
      `## Recommendations\n\n${omitted('The table')}`,
    ),
    within(dataGapsSection(result), GAPS_MAX_CHARS, `## Data gaps\n\n${omitted('The list of gaps')}`),
    within(footer(result), FOOTER_MAX_CHARS),
  ];
  const fixedChars = [...before, ...after].reduce((sum, part) => sum + part.length + 2, 0);
  const findingsMaxChars = REPORT_MD_MAX_CHARS - 1 - fixedChars - SLACK_CHARS;
  const findings = within(
    findingsSection(result, actions, findingsMaxChars),
    findingsMaxChars,
    `## Findings\n\n${omitted('The list of findings')}`,
  );
  return `${[...before, findings, ...after].filter((part) => part !== '').join('\n\n')}\n`;
}

function findingContext(result: AnalysisResult): string {
  return `From fleetlens audit run ${result.run.id}, window ${windowText(result)}, report schema v${result.schemaVersion}; the run's report.md lists every finding.`;
}

/** One finding as a file of its own (findings/<id>.md), under FINDING_MD_MAX_CHARS, for one ticket. */
// NOTE: one lookup table per findings list, so writing every finding's file stays linear.
const findingIndexes = new WeakMap<readonly Finding[], Map<string, Finding>>();

export function renderFindingMarkdown(result: AnalysisResult, findingId: string): string {
  let byId = findingIndexes.get(result.findings);
  if (!byId) {
    byId = new Map(result.findings.map((finding) => [finding.id, finding]));
    findingIndexes.set(result.findings, byId);
  }
  const finding = byId.get(findingId);
  if (!finding) throw new Error(`finding ${findingId} is not in run ${result.run.id}`);
  return `${renderFindingSection(finding, result.recommendations, { level: 2, context: findingContext(result) })}\n`;
}

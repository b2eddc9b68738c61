// The one engine that runs rules (models-and-libraries.md §2.4): it checks `requires`, parses
// options, isolates each rule (a throw is an `error` result, the run goes on), fills messages,
// fingerprints findings and links recommendations to them.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RuleRun, RuleStatus } from '../../reports/json/schema.ts';
import { ConfigErrorList } from '../config/config-errors.ts';
import { didYouMean } from '../config/did-you-mean.ts';
import { configErrorsFromIssues } from '../config/issues.ts';
import { ConfigError } from '../errors.ts';
import type { Finding, Recommendation, Subject } from '../model/index.ts';
import { resolveOneActionPerSubject } from '../recommend/one-action.ts';
import type { FindingReport, Rule } from './define-rule.ts';
import type { FactKey, Facts } from './facts.ts';

export interface RuleSettings {
  /** `rules:` of fleetlens.yaml: options per rule id, or false to switch it off. */
  byId: Record<string, false | Record<string, unknown>>;
  file?: string;
  locate?: (path: readonly PropertyKey[]) => number | undefined;
}

export interface EngineResult {
  findings: Finding[];
  recommendations: Recommendation[];
  runs: RuleRun[];
}

/** Fails fast, before any collection, on unknown rule ids and bad options, all at once (exit 2). */
export function validateRuleSettings(rules: readonly Rule[], settings: RuleSettings): Map<string, unknown> {
  const { errors, parsed } = checkRuleSettings(rules, settings);
  ConfigErrorList.throwIfAny(errors);
  return parsed;
}

/** Every problem with `rules:` (for the config loader, which reports them with the file's others). */
export function ruleSettingsErrors(rules: readonly Rule[], settings: RuleSettings): ConfigError[] {
  return checkRuleSettings(rules, settings).errors;
}

function checkRuleSettings(
  rules: readonly Rule[],
  settings: RuleSettings,
): { errors: ConfigError[]; parsed: Map<string, unknown> } {
  const known = new Map(rules.map((rule) => [rule.meta.id, rule]));
  const locate = settings.locate ?? (() => undefined);
  const errors: ConfigError[] = [];
  for (const id of Object.keys(settings.byId)) {
    if (known.has(id)) continue;
    const hint = didYouMean(id, known.keys()) || ` (known: ${[...known.keys()].sort().join(', ')})`;
    errors.push(new ConfigError(`unknown rule${hint}`, settings.file, locate(['rules', id]), `rules.${id}`));
  }
  const parsed = new Map<string, unknown>();
  for (const rule of rules) {
    const given = settings.byId[rule.meta.id];
    if (given === false) continue;
    // NOTE: rule option schemas are plain objects that strip unknown keys; a typo (`threshhold`)
    // must fail like any unknown key of the file instead of silently keeping the default.
    const schema = rule.meta.options instanceof z.ZodObject ? rule.meta.options.strict() : rule.meta.options;
    const result = schema.safeParse(given ?? {});
    if (result.success) {
      parsed.set(rule.meta.id, result.data);
      continue;
    }
    errors.push(
      ...configErrorsFromIssues(result.error.issues, {
        file: settings.file,
        locate,
        schema,
        input: given ?? {},
        prefix: ['rules', rule.meta.id],
      }),
    );
  }
  return { errors, parsed };
}

export function runRules(
  rules: readonly Rule[],
  facts: Facts,
  settings: RuleSettings = { byId: {} },
): EngineResult {
  const options = validateRuleSettings(rules, settings);
  const findings: Finding[] = [];
  const recommendations: Recommendation[] = [];
  const runs: RuleRun[] = [];
  for (const rule of rules) {
    const started = performance.now();
    const run =
      preflight(rule, options, (key) => hasFact(facts, key), facts.unavailable) ??
      checkRule(rule, facts, options);
    findings.push(...run.findings);
    recommendations.push(...run.recommendations);
    runs.push({ ...ruleRun(rule, run), durationMs: Math.round((performance.now() - started) * 100) / 100 });
  }
  // Rules judge alone; one action per subject is settled once all of them have spoken.
  return {
    findings,
    recommendations: resolveOneActionPerSubject(findings, recommendations, facts.volumes),
    runs,
  };
}

/** Why a rule said it could not judge: its own words, and which kind of answer it was. */
export interface RuleReason {
  subject: string | null;
  reason: string;
  kind: 'switched-off' | 'skipped' | 'not-applicable' | 'insufficient-data' | 'error';
}

/** One rule's answer over some of the fleet (all of it, or one unit of judgeFleet). */
export interface RuleOutcome {
  findings: Finding[];
  recommendations: Recommendation[];
  reasons: RuleReason[];
}

/** The status a rule's outcome adds up to. */
export function ruleStatus(outcome: RuleOutcome): RuleStatus {
  const has = (kind: RuleReason['kind']) => outcome.reasons.some((r) => r.kind === kind);
  if (has('switched-off')) return 'not-applicable';
  if (has('skipped')) return 'skipped';
  if (has('error')) return 'error';
  if (outcome.findings.length > 0) return 'findings';
  if (has('insufficient-data')) return 'insufficient-data';
  if (has('not-applicable')) return 'not-applicable';
  return 'pass';
}

export function ruleRun(rule: Rule, outcome: RuleOutcome): Omit<RuleRun, 'durationMs'> {
  return {
    ruleId: rule.meta.id,
    title: rule.meta.title,
    status: ruleStatus(outcome),
    findings: outcome.findings.length,
    reasons: outcome.reasons.map(({ subject, reason }) => ({ subject, reason })),
  };
}

/** A rule that is switched off or misses a fact it requires gets its answer before it runs. */
export function preflight(
  rule: Rule,
  options: ReadonlyMap<string, unknown>,
  has: (key: FactKey) => boolean,
  unavailable: Facts['unavailable'],
): RuleOutcome | undefined {
  const { meta } = rule;
  const answer = (kind: RuleReason['kind'], reason: string) => ({
    findings: [],
    recommendations: [],
    reasons: [{ subject: null, reason, kind }],
  });
  if (!options.has(meta.id))
    return answer('switched-off', `switched off in the config (rules.${meta.id}: false)`);
  const missing = meta.requires.find((key) => unavailable[key] !== undefined || !has(key));
  if (missing) return answer('skipped', unavailable[missing] ?? `no ${missing} data in this run`);
  return undefined;
}

/** Runs one rule's check over `facts`; a throw is an `error` reason, the findings before it stay. */
export function checkRule(rule: Rule, facts: Facts, options: ReadonlyMap<string, unknown>): RuleOutcome {
  const { meta } = rule;
  const findings: Finding[] = [];
  const recommendations: Recommendation[] = [];
  const reasons: RuleReason[] = [];
  const issued = new Set<string>();
  try {
    rule.check(facts, {
      options: options.get(meta.id),
      report: (report) => {
        const finding = toFinding(rule, report);
        // Two findings of one rule on one subject need a problem key each; without one the message
        // id tells them apart, so ids stay unique (and finding files distinct) whatever a rule does.
        if (issued.has(finding.id))
          finding.id = fingerprint(
            meta.id,
            report.subject,
            `${report.problemKey ?? ''}\u0000${report.messageId}`,
          );
        issued.add(finding.id);
        const recs = (report.recommendations ?? []).map((draft, index) => ({
          ...draft,
          id: `${finding.id}-${index + 1}`,
          findingId: finding.id,
          supersededBy: null,
        }));
        finding.recommendationIds = recs.map((r) => r.id);
        findings.push(finding);
        recommendations.push(...recs);
      },
      notApplicable: (reason, subject) => {
        reasons.push({ subject: subject ? label(subject) : null, reason, kind: 'not-applicable' });
      },
      insufficientData: (reason, subject) => {
        reasons.push({ subject: subject ? label(subject) : null, reason, kind: 'insufficient-data' });
      },
    });
  } catch (error) {
    reasons.push({
      subject: null,
      reason: `rule failed: ${error instanceof Error ? error.message : String(error)}`,
      kind: 'error',
    });
  }
  return { findings, recommendations, reasons };
}

export function hasFact(facts: Facts, key: FactKey): boolean {
  switch (key) {
    case 'inventory':
      return facts.hosts.length > 0;
    case 'metrics':
      return facts.series.all().length > 0;
    case 'catalog':
      return facts.catalog.size > 0;
    case 'onhost':
      return facts.onHost.length > 0;
  }
}

function toFinding(rule: Rule, report: FindingReport<string>): Finding {
  const { meta } = rule;
  const template = meta.messages[report.messageId];
  if (template === undefined)
    throw new Error(`rule ${meta.id} reported unknown message id ${report.messageId}`);
  return {
    id: fingerprint(meta.id, report.subject, report.problemKey),
    ruleId: meta.id,
    messageId: report.messageId,
    severity: report.severity ?? meta.defaultSeverity,
    category: meta.category,
    subject: report.subject,
    title: meta.title,
    message: fillTemplate(template, report.data, meta.id),
    evidence: report.evidence,
    rationale: meta.docs.rationale,
    remediation: meta.docs.remediation,
    sources: [...meta.docs.sources],
    recommendationIds: [],
  };
}

export function fillTemplate(template: string, data: Record<string, string | number>, ruleId = '?'): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_match, key: string) => {
    const value = data[key];
    if (value === undefined) throw new Error(`rule ${ruleId}: message placeholder {{${key}}} has no value`);
    return String(value);
  });
}

/**
 * Same rule, subject and problem ⇒ same id across runs, so history can say new / open / resolved.
 * Never the numbers, the message id (gp2 `plain` → `trap` is one problem) or the Name tag: the
 * subject is keyed by the cloud's id, so a host renamed by tag keeps its findings.
 */
export function fingerprint(ruleId: string, subject: Subject, problemKey?: string): string {
  return createHash('sha256')
    .update([ruleId, subject.provider, subject.kind, subject.id, problemKey ?? ''].join('\u0000'))
    .digest('hex')
    .slice(0, 16);
}

function label(subject: Subject): string {
  return subject.name && subject.name !== subject.id ? `${subject.name} (${subject.id})` : subject.id;
}

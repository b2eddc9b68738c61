// What a scheduled job learns from the exit status (DESIGN.md "Commands"), decided in one place:
// 2 usage or config (thrown before any of this) > 4 incomplete > 3 findings at or above --fail-on > 0.
// A bug is 1, whatever else held.
import type { AnalysisResult, DiagnoseResult } from '../../reports/json/schema.ts';
import { ConfigError } from '../errors.ts';
import { type Finding, FindingCategory, type Severity, severityRank } from '../model/index.ts';

export const EXIT = { done: 0, bug: 1, usage: 2, findings: 3, incomplete: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Categories `--fail-on` counts without being asked: a cheaper instance type is not an outage. */
export const ALWAYS_COUNTED: readonly FindingCategory[] = ['reliability', 'performance'];

export interface FailPolicy {
  failOn?: Severity;
  /** Categories whose findings count toward `--fail-on`. */
  categories: ReadonlySet<FindingCategory>;
  allowPartial?: boolean;
}

export interface ExitStatus {
  code: ExitCode;
  /** One line each, for stderr: why the code is not 0 (or what --allow-partial let through). */
  reasons: string[];
}

/**
 * `--fail-on-category LIST`: categories counted on top of reliability and performance (so `cost`
 * adds cost findings). Comma-separated; an unknown name is a usage error.
 */
export function parseFailOnCategories(text: string | undefined): Set<FindingCategory> {
  const counted = new Set<FindingCategory>(ALWAYS_COUNTED);
  if (text === undefined) return counted;
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) throw usage('--fail-on-category', `expected ${FindingCategory.options.join(', ')}`);
  for (const name of names) {
    const parsed = FindingCategory.safeParse(name);
    if (!parsed.success) {
      throw usage(
        '--fail-on-category',
        `unknown category "${name}" (one of ${FindingCategory.options.join(', ')})`,
      );
    }
    counted.add(parsed.data);
  }
  return counted;
}

/**
 * Findings that fail the run: at or above `failOn` and in a counted category, and not under an
 * active mute (`mutes:`; an expired mute counts again).
 */
export function failingFindings(findings: readonly Finding[], policy: FailPolicy): Finding[] {
  const { failOn } = policy;
  if (failOn === undefined) return [];
  return findings.filter(
    (f) =>
      policy.categories.has(f.category) &&
      severityRank[f.severity] >= severityRank[failOn] &&
      (f.mute === undefined || f.mute.expired),
  );
}

export function auditExitStatus(result: AnalysisResult, policy: FailPolicy): ExitStatus {
  const reasons: string[] = [];
  let code: ExitCode = EXIT.done;
  if (!result.run.complete) {
    const what = incompleteScopes(result);
    if (policy.allowPartial) reasons.push(`incomplete run accepted by --allow-partial: ${what}`);
    else {
      reasons.push(`incomplete run (exit 4; --allow-partial accepts it): ${what}`);
      code = EXIT.incomplete;
    }
  }
  const failing = failingFindings(result.findings, policy);
  if (failing.length > 0) {
    reasons.push(failOnReason(failing, policy));
    if (code === EXIT.done) code = EXIT.findings;
  }
  return { code, reasons };
}

export function diagnoseExitStatus(result: DiagnoseResult, policy: FailPolicy): ExitStatus {
  const failing = failingFindings(
    result.diagnoses.flatMap((d) => d.findings),
    policy,
  );
  return failing.length > 0
    ? { code: EXIT.findings, reasons: [failOnReason(failing, policy)] }
    : { code: EXIT.done, reasons: [] };
}

function failOnReason(failing: readonly Finding[], policy: FailPolicy): string {
  const n = failing.length;
  return `${n} finding${n === 1 ? '' : 's'} at or above --fail-on ${policy.failOn} (counting ${[...policy.categories].join(', ')}; exit 3)`;
}

/** `aws us-east-1: auth: ...; gcp shop-prod-123: ...`, over every cloud that listed a scope badly. */
function incompleteScopes(result: AnalysisResult): string {
  const parts = Object.entries(result.run.coverage).flatMap(([provider, coverage]) =>
    (coverage?.complete ?? true)
      ? []
      : coverage!.failedScopes.length > 0
        ? coverage!.failedScopes.map((f) => `${provider} ${f.scope}: ${oneLine(f.reason)}`)
        : [`${provider}: incomplete`],
  );
  return parts.length > 0 ? parts.join('; ') : 'a configured scope listed nothing because of an error';
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

function usage(key: string, message: string): ConfigError {
  return new ConfigError(message, undefined, undefined, key);
}

// A rule is one file: `meta` (id = file name, requires, options with defaults, messages, docs)
// and a `check` that reports findings with evidence (ESLint and Lighthouse, models-and-libraries.md §2.4).
import type { z } from 'zod';
import type { Evidence, FindingCategory, Recommendation, Severity, Subject } from '../model/index.ts';
import type { FactKey, Facts } from './facts.ts';

/** What the rule's findings threaten; `--fail-on` counts cost only with `--fail-on-category cost`. */
export type RuleCategory = FindingCategory;

export interface RuleMeta<Options, MessageId extends string> {
  id: string;
  title: string;
  category: RuleCategory;
  defaultSeverity: Severity;
  /** Facts that must be there; when one is missing the rule is skipped with the reason. */
  requires: readonly FactKey[];
  options: z.ZodType<Options>;
  /** Templates with `{{placeholders}}`, keyed by message id. */
  messages: Record<MessageId, string>;
  docs: { rationale: string; remediation: string; sources: readonly string[] };
}

/** A recommendation before the engine gives it ids and links it to its finding. */
export type RecommendationDraft = Omit<Recommendation, 'id' | 'findingId' | 'supersededBy'>;

export interface FindingReport<MessageId extends string> {
  subject: Subject;
  messageId: MessageId;
  /**
   * What is wrong, when one rule can find two different problems on one subject (a device, a
   * listener): part of the finding's fingerprint. Never a number that moves from run to run.
   */
  problemKey?: string;
  data: Record<string, string | number>;
  evidence: Evidence[];
  severity?: Severity;
  recommendations?: RecommendationDraft[];
}

export interface RuleContext<Options, MessageId extends string> {
  options: Options;
  report(finding: FindingReport<MessageId>): void;
  /** The rule does not apply to this subject (e.g. not a burstable type): a result, not a silent pass. */
  notApplicable(reason: string, subject?: Subject): void;
  /** The rule applies but the data is too thin to judge. */
  insufficientData(reason: string, subject?: Subject): void;
}

export interface Rule<Options = unknown, MessageId extends string = string> {
  meta: RuleMeta<Options, MessageId>;
  check(facts: Facts, context: RuleContext<Options, MessageId>): void;
}

export function defineRule<Options, MessageId extends string>(
  rule: Rule<Options, MessageId>,
): Rule<Options, MessageId> {
  return rule;
}

// Table-driven rule tests (ESLint's RuleTester): one describe per rule, one it per case. Besides
// each case's expectations it checks that the rule's messages exist, every placeholder is filled,
// default options parse, and no case ends in an `error` result.
import { describe, expect, it } from 'vitest';
import type { Rule } from '../../src/analysis/define-rule.ts';
import { runRules } from '../../src/analysis/engine.ts';
import type { Facts } from '../../src/analysis/facts.ts';
import type { Finding, Recommendation } from '../../src/model/index.ts';

interface Case {
  name: string;
  facts: Facts | { facts(): Facts };
  options?: Record<string, unknown>;
  /** For insufficient-data and not-applicable cases: a reason the run must give. */
  reason?: RegExp;
}

export interface FindingCase extends Case {
  expect: {
    messageId: string;
    subject: string;
    severity?: Finding['severity'];
    message?: RegExp;
    recommendation?: Partial<Pick<Recommendation, 'kind' | 'recommended' | 'current' | 'risk'>> & {
      costDelta?: 'negative' | 'positive' | 'null' | 'zero';
    };
  }[];
}

export interface RuleCases {
  pass?: Case[];
  findings?: FindingCase[];
  insufficientData?: Case[];
  notApplicable?: Case[];
}

function run(rule: Rule, c: Case) {
  const facts =
    'facts' in c.facts && typeof c.facts.facts === 'function' ? c.facts.facts() : (c.facts as Facts);
  const result = runRules([rule], facts, { byId: c.options ? { [rule.meta.id]: c.options } : {} });
  const runInfo = result.runs[0]!;
  expect(runInfo.status, `rule errored: ${runInfo.reasons.map((r) => r.reason).join('; ')}`).not.toBe(
    'error',
  );
  return { ...result, run: runInfo };
}

export const ruleTester = {
  run(rule: Rule, cases: RuleCases): void {
    describe(rule.meta.id, () => {
      it('has docs, sources and default options that parse', () => {
        expect(rule.meta.docs.rationale.length).toBeGreaterThan(40);
        expect(rule.meta.docs.remediation.length).toBeGreaterThan(40);
        expect(rule.meta.docs.sources.length).toBeGreaterThan(0);
        expect(() => rule.meta.options.parse({})).not.toThrow();
      });
      for (const c of cases.pass ?? []) {
        it(`passes: ${c.name}`, () => {
          const { findings, run: r } = run(rule, c);
          expect(findings).toEqual([]);
          expect(['pass', 'not-applicable']).toContain(r.status);
        });
      }
      for (const c of cases.findings ?? []) {
        it(`finds: ${c.name}`, () => {
          const { findings, recommendations } = run(rule, c);
          expect(findings.map((f) => `${f.messageId} ${f.subject.id}`).sort()).toEqual(
            c.expect.map((e) => `${e.messageId} ${e.subject}`).sort(),
          );
          for (const e of c.expect) {
            const finding = findings.find((f) => f.subject.id === e.subject && f.messageId === e.messageId)!;
            expect(Object.keys(rule.meta.messages)).toContain(finding.messageId);
            expect(finding.message).not.toMatch(/\{\{/);
            expect(finding.evidence.length).toBeGreaterThan(0);
            if (e.severity) expect(finding.severity).toBe(e.severity);
            if (e.message) expect(finding.message).toMatch(e.message);
            if (e.recommendation) {
              const rec = recommendations.find((r) => r.findingId === finding.id);
              expect(rec, 'a recommendation').toBeDefined();
              const { costDelta, ...fields } = e.recommendation;
              expect(rec).toMatchObject(fields);
              if (costDelta === 'negative') expect(rec!.monthlyCostDeltaUsd).toBeLessThan(0);
              if (costDelta === 'positive') expect(rec!.monthlyCostDeltaUsd).toBeGreaterThan(0);
              if (costDelta === 'zero') expect(rec!.monthlyCostDeltaUsd).toBe(0);
              if (costDelta === 'null') expect(rec!.monthlyCostDeltaUsd).toBeNull();
              expect(
                rec!.evidence.some((ev) => ev.kind === 'arithmetic'),
                'the arithmetic is shown',
              ).toBe(true);
            }
          }
        });
      }
      for (const c of cases.insufficientData ?? []) {
        it(`lacks data: ${c.name}`, () => {
          const { findings, run: r } = run(rule, c);
          expect(findings).toEqual([]);
          expect(r.status).toBe('insufficient-data');
          expect(r.reasons.length).toBeGreaterThan(0);
          if (c.reason) expect(r.reasons.map((x) => x.reason).join('\n')).toMatch(c.reason);
        });
      }
      for (const c of cases.notApplicable ?? []) {
        it(`does not apply: ${c.name}`, () => {
          const { findings, run: r } = run(rule, c);
          expect(findings).toEqual([]);
          expect(r.status).toBe('not-applicable');
          if (c.reason) expect(r.reasons.map((x) => x.reason).join('\n')).toMatch(c.reason);
        });
      }
    });
  },
};

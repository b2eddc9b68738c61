import { describe, expect, it } from 'vitest';
import type { AnalysisResult, DiagnoseResult } from '../../reports/json/schema.ts';
import type { Finding, FindingCategory, Severity } from '../../src/model/index.ts';
import {
  auditExitStatus,
  diagnoseExitStatus,
  EXIT,
  failingFindings,
  parseFailOnCategories,
} from '../../src/run/exit-status.ts';

function finding(severity: Severity, category: FindingCategory): Finding {
  return {
    id: `${category}-${severity}`,
    ruleId: 'r',
    messageId: 'm',
    severity,
    category,
    subject: { provider: 'aws', kind: 'host', id: 'i-1', name: 'web-1' },
    title: 't',
    message: 'm',
    evidence: [],
    rationale: 'r',
    remediation: 'r',
    sources: [],
    recommendationIds: [],
  };
}

/** Only what the exit status reads: findings, run.complete and run.coverage. */
function result(findings: Finding[], failedScope?: { scope: string; reason: string }): AnalysisResult {
  const coverage = {
    scopes: ['us-east-1'],
    failedScopes: failedScope ? [failedScope] : [],
    hostsListed: 1,
    seriesExpected: 2,
    seriesReceived: 2,
    hostsJudged: 1,
    judgedShare: 1,
    complete: !failedScope,
  };
  return {
    findings,
    run: { complete: !failedScope, coverage: { aws: coverage } },
  } as unknown as AnalysisResult;
}

const counted = parseFailOnCategories(undefined);
const withCost = parseFailOnCategories('cost');
const noAuth = {
  scope: 'eu-west-1',
  reason: 'aws ec2.DescribeInstances (eu-west-1): auth: no AWS credentials found',
};

describe('--fail-on and its categories', () => {
  it('counts reliability and performance, and cost only when asked', () => {
    expect([...counted].sort()).toEqual(['performance', 'reliability']);
    expect([...withCost].sort()).toEqual(['cost', 'performance', 'reliability']);
    expect([...parseFailOnCategories(' cost , reliability ')].sort()).toEqual([
      'cost',
      'performance',
      'reliability',
    ]);
    const findings = [
      finding('high', 'cost'),
      finding('medium', 'performance'),
      finding('low', 'reliability'),
    ];
    expect(failingFindings(findings, { failOn: 'medium', categories: counted }).map((f) => f.id)).toEqual([
      'performance-medium',
    ]);
    expect(failingFindings(findings, { failOn: 'medium', categories: withCost }).map((f) => f.id)).toEqual([
      'cost-high',
      'performance-medium',
    ]);
    expect(failingFindings(findings, { categories: withCost })).toEqual([]);
  });

  it('names the categories it knows when given another', () => {
    expect(() => parseFailOnCategories('money')).toThrow(
      /unknown category "money" \(one of reliability, performance, cost\)/,
    );
    expect(() => parseFailOnCategories(',')).toThrow(/expected reliability, performance, cost/);
  });
});

describe('audit exit status', () => {
  it('is 0 for a complete run with nothing at or above --fail-on, cost findings included', () => {
    expect(
      auditExitStatus(result([finding('critical', 'cost')]), { failOn: 'info', categories: counted }),
    ).toEqual({
      code: EXIT.done,
      reasons: [],
    });
  });

  it('is 3 for a counted finding at or above --fail-on, with one line saying so', () => {
    const status = auditExitStatus(result([finding('critical', 'cost')]), {
      failOn: 'high',
      categories: withCost,
    });
    expect(status.code).toBe(3);
    expect(status.reasons).toEqual([
      '1 finding at or above --fail-on high (counting reliability, performance, cost; exit 3)',
    ]);
  });

  it('is 4 for an incomplete run, naming the scope and its reason, even with findings at or above --fail-on', () => {
    const status = auditExitStatus(result([finding('critical', 'performance')], noAuth), {
      failOn: 'info',
      categories: counted,
    });
    expect(status.code).toBe(EXIT.incomplete);
    expect(status.reasons[0]).toBe(
      'incomplete run (exit 4; --allow-partial accepts it): aws eu-west-1: aws ec2.DescribeInstances (eu-west-1): auth: no AWS credentials found',
    );
    expect(status.reasons).toHaveLength(2);
  });

  it('lets --allow-partial through to 3 or 0, and still says the run was incomplete', () => {
    const policy = { failOn: 'high' as const, categories: counted, allowPartial: true };
    expect(auditExitStatus(result([finding('high', 'reliability')], noAuth), policy).code).toBe(3);
    const quiet = auditExitStatus(result([], noAuth), policy);
    expect(quiet.code).toBe(0);
    expect(quiet.reasons[0]).toMatch(/^incomplete run accepted by --allow-partial: aws eu-west-1: /);
  });
});

describe('diagnose exit status', () => {
  it('is 3 when a diagnosis has a counted finding at or above --fail-on', () => {
    const diagnoses = (findings: Finding[]) => ({ diagnoses: [{ findings }] }) as unknown as DiagnoseResult;
    expect(
      diagnoseExitStatus(diagnoses([finding('high', 'reliability')]), {
        failOn: 'medium',
        categories: counted,
      }).code,
    ).toBe(3);
    expect(
      diagnoseExitStatus(diagnoses([finding('high', 'cost')]), { failOn: 'medium', categories: counted })
        .code,
    ).toBe(0);
    expect(
      diagnoseExitStatus(diagnoses([finding('high', 'reliability')]), { categories: counted }).code,
    ).toBe(0);
  });
});

// Hostile text for the HTML writer's tests: the markdown tests' strings plus what breaks HTML, SVG and
// attributes, put into every field a cloud, a host or a log line can fill.
import { expect } from 'vitest';
import { PAGE_SCRIPT } from '../../../reports/html/script.ts';
import type { AnalysisResult } from '../../../reports/json/schema.ts';
import {
  buildAnalysisResult,
  buildFinding,
  buildHost,
  buildRecommendation,
  defaultHosts,
  HOST_IDS,
} from '../../helpers/result-builder.ts';
import { attr, byTag, type DomElement, elements, textOf } from './dom.ts';

/** The markdown tests' hostile text, and what else breaks HTML, SVG and attributes. */
export const HOSTILE_PARTS = [
  'a|b\nc</details><script>alert(1)</script>[x](http://evil) ![i](http://evil/i.png) `x` *y* _z_',
  '"><img src=x onerror=alert(2)>',
  "'><svg onload=alert(3)>",
  'javascript:alert(4)',
  '</svg><script>alert(5)</script><svg>',
  '</textarea></style></title></pre></table><script>alert(6)</script>',
  '<a href="javascript:alert(7)">click</a>',
  '<iframe src="http://127.0.0.1:9/"></iframe><link rel=stylesheet href=http://127.0.0.1:9/x.css>',
  '<meta http-equiv="refresh" content="0;url=http://127.0.0.1:9/">',
  '&lt;script&gt; &amp; &#x3c;b&#x3e;',
  'web\u202E1-bew\u0007',
];
export const HOSTILE = HOSTILE_PARTS.join(' ');

/** Every field a cloud, a host or a log line can fill, filled with hostile text. */
export function hostileResult(): AnalysisResult {
  const hosts = defaultHosts().map((host) =>
    host.id === HOST_IDS.web1 ? { ...host, name: HOSTILE, tags: { Name: HOSTILE, team: HOSTILE } } : host,
  );
  const evil = buildHost({
    id: `i-evil ${HOSTILE}`,
    name: HOSTILE,
    region: HOSTILE,
    instanceType: HOSTILE,
    groupId: HOSTILE,
    onHost: { sampleDir: HOSTILE, primary: HOSTILE, confidence: 0.5, window: { from: null, to: null } },
  });
  const subject = { provider: 'aws' as const, kind: 'host' as const, id: evil.id, name: HOSTILE };
  const finding = buildFinding({
    id: 'f-evil',
    subject,
    title: HOSTILE,
    message: HOSTILE,
    rationale: HOSTILE,
    remediation: HOSTILE,
    sources: [
      HOSTILE,
      'javascript:alert(8)',
      'data:text/html,<script>alert(9)</script>',
      ' https://example.com/"onmouseover="alert(10)',
    ],
    evidence: [
      { kind: 'stat', label: HOSTILE, value: 1, unit: 'count', method: HOSTILE },
      { kind: 'excerpt', label: HOSTILE, source: HOSTILE, lines: HOSTILE_PARTS },
      {
        kind: 'table',
        label: HOSTILE,
        columns: [
          { key: 'k', label: HOSTILE },
          { key: HOSTILE, label: 'n', unit: 'count' },
        ],
        rows: [{ k: HOSTILE, [HOSTILE]: 3 }, { k: null }],
      },
      { kind: 'arithmetic', label: HOSTILE, steps: [{ label: HOSTILE, formula: HOSTILE, result: HOSTILE }] },
      {
        kind: 'series',
        label: HOSTILE,
        unit: 'percent',
        stepSec: 60,
        points: [
          [0, 1],
          [60_000, 95],
          [120_000, 2],
        ],
        source: HOSTILE,
        reference: { label: HOSTILE, value: 90 },
      },
    ],
    recommendationIds: ['r-evil', HOSTILE],
  });
  const rec = buildRecommendation({
    id: 'r-evil',
    findingId: 'f-evil',
    subject,
    current: HOSTILE,
    recommended: HOSTILE,
    rationale: HOSTILE,
    supersededBy: HOSTILE,
  });
  const base = buildAnalysisResult({
    hosts: [...hosts, evil],
    findings: [finding],
    recommendations: [rec],
    gaps: [
      {
        provider: 'aws',
        what: HOSTILE,
        kind: 'bad-response',
        message: HOSTILE,
        operation: HOSTILE,
        scope: HOSTILE,
        subject,
        file: HOSTILE,
        line: 3,
      },
    ],
    rules: [
      {
        ruleId: HOSTILE,
        title: HOSTILE,
        status: 'error',
        findings: 0,
        reasons: [{ subject: HOSTILE, reason: HOSTILE }],
        durationMs: 1,
      },
    ],
  });
  base.run.id = HOSTILE;
  base.run.tool.version = HOSTILE;
  base.run.complete = false;
  base.run.coverage.aws = {
    ...base.run.coverage.aws!,
    scopes: [HOSTILE],
    failedScopes: [{ scope: HOSTILE, reason: HOSTILE }],
  };
  return {
    ...base,
    findings: base.findings.map((f) => ({ ...f, status: 'open', firstSeen: HOSTILE })),
    resolved: [{ id: HOSTILE, title: HOSTILE, ruleId: HOSTILE, subject }],
    event: {
      multiplier: 3,
      units: [
        {
          subject: HOSTILE,
          verdict: 'no-go',
          firstCeiling: { kind: HOSTILE, demand: 2, limit: 1, unit: HOSTILE, source: HOSTILE },
          breaksAt: 1.5,
          change: HOSTILE,
          monthlyCostDeltaUsd: 1,
          checks: [{ kind: HOSTILE, demand: 2, limit: 1, unit: HOSTILE, source: HOSTILE }],
        },
      ],
    },
  } as unknown as AnalysisResult;
}

// Everything the writer itself emits; an element outside this list can only have come from the input.
export const OUR_ELEMENTS = new Set([
  'html',
  'head',
  'body',
  'meta',
  'title',
  'style',
  'script',
  'header',
  'nav',
  'main',
  'section',
  'article',
  'footer',
  'h1',
  'h2',
  'h3',
  'h4',
  'p',
  'a',
  'ul',
  'ol',
  'li',
  'strong',
  'span',
  'br',
  'div',
  'table',
  'caption',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'form',
  'label',
  'select',
  'option',
  'button',
  'output',
  'figure',
  'figcaption',
  'pre',
  'code',
  'details',
  'summary',
  // vega's SVG
  'svg',
  'g',
  'path',
  'line',
  'rect',
  'text',
  'defs',
  'clipPath',
  'linearGradient',
  'stop',
]);

export function expectNothingLive(root: DomElement): void {
  const scripts = byTag(root, 'script');
  expect(scripts).toHaveLength(1);
  expect(textOf(scripts[0]!)).toBe(PAGE_SCRIPT);
  for (const element of elements(root)) {
    expect(OUR_ELEMENTS.has(element.tagName), `<${element.tagName}>`).toBe(true);
    for (const { name, value } of element.attrs) {
      expect(name.startsWith('on'), `${element.tagName} ${name}`).toBe(false);
      expect(name, element.tagName).not.toBe('style');
      expect(name, element.tagName).not.toBe('src');
      if (name === 'href')
        expect(value.startsWith('#') || /^https:\/\/[^\s"'<>]+$/.test(value), value).toBe(true);
    }
  }
  expect(byTag(root, 'meta').filter((meta) => attr(meta, 'http-equiv'))).toHaveLength(1);
}

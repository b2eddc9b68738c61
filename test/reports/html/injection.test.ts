// Untrusted text (tag values, host names, log lines, gap messages) fed through every field the page
// shows, then the page parsed as a browser parses it: nothing that came from the input may be live.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAuditHtml, renderAuditHtml, renderDiagnoseHtml } from '../../../reports/html/index.ts';
import { buildDiagnoseResult } from '../../helpers/result-builder.ts';
import { attr, byId, byTag, type DomElement, parseHtml, textOf } from './dom.ts';
import { expectNothingLive, HOSTILE, HOSTILE_PARTS, hostileResult } from './hostile.ts';

/** The hostile text as the page shows it: the bidi override and the bell replaced by U+FFFD. */
function disarmed(text: string): string {
  return text.replaceAll('\u202E', '\uFFFD').replaceAll('\u0007', '\uFFFD');
}

describe('report.html with hostile text in every field', () => {
  let page: string;
  let root: DomElement;
  beforeAll(async () => {
    page = await renderAuditHtml(hostileResult());
    root = parseHtml(page);
  });

  it('creates no element, attribute, script or link from the input', () => {
    expectNothingLive(root);
    const links = byTag(root, 'a').map((a) => attr(a, 'href')!);
    expect(links.filter((href) => !href.startsWith('#'))).toEqual([]);
  });

  it('shows the hostile text as text, where a reader expects it', () => {
    const article = byId(root, 'finding-f-evil')!;
    const visible = textOf(article);
    expect(visible).toContain('</svg><script>alert(5)</script><svg>');
    expect(visible).toContain('"><img src=x onerror=alert(2)>');
    expect(visible).toContain('javascript:alert(8)');
    // The log excerpt keeps each line verbatim.
    expect(textOf(byTag(article, 'pre')[0]!)).toBe(disarmed(HOSTILE_PARTS.join('\n')));
    // Entities in the input are shown as typed, not decoded.
    expect(visible).toContain('&lt;script&gt; &amp; &#x3c;b&#x3e;');
  });

  it('keeps hostile text inside SVG text and labels (vega escapes its own text)', () => {
    const svg = byTag(byId(root, 'finding-f-evil')!, 'svg')[0]!;
    expect(byTag(svg, 'text').map(textOf).join('\n')).toContain('</svg><script>alert(5)</script><svg>');
    expect(attr(svg, 'aria-label')).toContain('"><img src=x onerror=alert(2)>');
    const event = byTag(byId(root, 'event')!, 'svg')[0]!;
    expect(byTag(event, 'text').map(textOf).join('\n')).toContain(
      '<iframe src="http://127.0.0.1:9/"></iframe>',
    );
  });

  it('keeps hostile values in filter attributes without breaking out of them', () => {
    const withoutEvent = { ...hostileResult(), event: undefined };
    const other = parseHtml(buildAuditHtml(withoutEvent));
    const shown = disarmed(HOSTILE);
    const rows = byTag(byId(other, 'host-table')!, 'tr').filter((row) => attr(row, 'data-verdict') === shown);
    expect(rows).toHaveLength(1);
    const options = byTag(byId(other, 'host-filters')!, 'option').map((option) => attr(option, 'value'));
    expect(options).toContain(shown);
  });

  it('drops controls and bidi overrides that can disguise a name', () => {
    expect(page.includes('\u202E') || page.includes('\u0007')).toBe(false);
    expect(page).toContain('web\uFFFD1-bew\uFFFD');
  });
});

describe('diagnose html with hostile text', () => {
  it('creates nothing live from folder names, signals or log lines', async () => {
    const result = buildDiagnoseResult();
    const diagnosis = result.diagnoses[0]!;
    diagnosis.source = HOSTILE;
    diagnosis.scores[0]!.signals[0]!.observed = HOSTILE;
    diagnosis.inputs[0]!.file = HOSTILE;
    diagnosis.gaps[0]!.message = HOSTILE;
    diagnosis.ignored = [HOSTILE];
    const root = parseHtml(await renderDiagnoseHtml(result));
    expectNothingLive(root);
    expect(textOf(byTag(root, 'h2')[0]!)).toContain('</svg><script>alert(5)</script><svg>');
  });
});

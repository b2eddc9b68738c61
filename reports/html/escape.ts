// Untrusted text (cloud tags, host names, log lines) must never become markup. Every HTML fragment of the
// report is built with the `html` tag below, which escapes whatever it did not write itself.

const HTML_MARK = Symbol('fleetlens.html');

/** Markup we wrote (or checked): the only thing `html` interpolates without escaping. */
export interface Html {
  readonly [HTML_MARK]: true;
  readonly text: string;
}

function trusted(text: string): Html {
  return { [HTML_MARK]: true, text };
}

export function isHtml(value: unknown): value is Html {
  return typeof value === 'object' && value !== null && HTML_MARK in value;
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

// C0/C1 controls (not tab or newline) and the bidi overrides that can make a name read as another.
function isHiddenControl(codePoint: number): boolean {
  return (
    (codePoint < 0x20 && codePoint !== 0x09 && codePoint !== 0x0a) ||
    (codePoint >= 0x7f && codePoint <= 0x9f) ||
    (codePoint >= 0x202a && codePoint <= 0x202e) ||
    (codePoint >= 0x2066 && codePoint <= 0x2069)
  );
}

/** Text safe in element content and in quoted attribute values alike; hidden controls become U+FFFD. */
export function escapeHtml(text: string): string {
  let out = '';
  for (const char of text.replace(/\r\n?/g, '\n')) {
    const codePoint = char.codePointAt(0) ?? 0;
    out += isHiddenControl(codePoint) ? '\uFFFD' : (ENTITIES[char] ?? char);
  }
  return out;
}

/** Text for places that hold one line and no markup (chart labels): newlines and tabs become spaces. */
export function oneLine(text: string): string {
  let out = '';
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (char === '\n' || char === '\r' || char === '\t') out += ' ';
    else out += isHiddenControl(codePoint) ? '\uFFFD' : char;
  }
  return out;
}

export type HtmlValue = Html | string | number | null | undefined | false | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (isHtml(value)) return value.text;
  return escapeHtml(String(value));
}

/**
 * The template tag for every fragment: `html\`<td>${host.name}</td>\``. Strings and numbers are escaped;
 * arrays are joined; `Html` values pass as they are. Attribute values must be quoted in the template.
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0] ?? '';
  for (const [index, value] of values.entries()) out += render(value) + (strings[index + 1] ?? '');
  return trusted(out);
}

export function joinHtml(parts: readonly HtmlValue[], separator = ''): Html {
  return trusted(
    parts
      .map(render)
      .filter((part) => part !== '')
      .join(separator),
  );
}

/**
 * Markup that did not come from the `html` tag: our own constant CSS and script, and SVG that
 * `checkedSvg` verified. Never call it on text from a result.
 */
export function unsafeRawHtml(text: string): Html {
  return trusted(text);
}

/** A link only for a plain http(s) URL shown verbatim; anything else (javascript:, data:) stays text. */
export function linkOrText(text: string): Html {
  const trimmed = text.trim();
  if (/^https?:\/\/[^\s<>"'`\\]+$/i.test(trimmed)) {
    return html`<a href="${trimmed}" rel="noreferrer noopener">${trimmed}</a>`;
  }
  return html`${trimmed}`;
}

/** An id attribute value: letters, digits, `-`, `_`, `.` and `:`; anything else becomes `_` plus its code. */
export function idFragment(text: string): string {
  return text.replace(/[^A-Za-z0-9_.:-]/g, (char) => `_${char.codePointAt(0)?.toString(16)}`);
}

// Untrusted text (cloud tag values, host names, log lines) must never change a report's structure:
// no new table cells, blocks, links, images or HTML. Everything we did not write goes through here.

/** Markdown we wrote ourselves from escaped parts; table cells and lists take it as is. */
export interface Markdown {
  readonly markdown: string;
}

export function md(markdown: string): Markdown {
  return { markdown };
}

// C0/C1 controls and the bidi overrides that can make a name read as something else.
function isHiddenControl(codePoint: number): boolean {
  return (
    codePoint < 0x20 ||
    (codePoint >= 0x7f && codePoint <= 0x9f) ||
    (codePoint >= 0x202a && codePoint <= 0x202e) ||
    (codePoint >= 0x2066 && codePoint <= 0x2069)
  );
}

/** Newlines become `\n`, tabs a space, other controls U+FFFD. */
function clean(text: string, keepTabs = false): string {
  let out = '';
  for (const char of text.replace(/\r\n?/g, '\n')) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (char === '\n' || (keepTabs && char === '\t')) out += char;
    else if (char === '\t') out += ' ';
    else out += isHiddenControl(codePoint) ? '\uFFFD' : char;
  }
  return out;
}

const INLINE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '`': '\\`',
  '*': '\\*',
  _: '\\_',
  '~': '\\~',
  '[': '\\[',
  ']': '\\]',
  '#': '\\#',
  '|': '\\|',
  // NOTE: GitHub renders `$...$` as math.
  $: '\\$',
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
};

function escapeLine(line: string): string {
  return (
    line
      .replace(/[\\`*_~[\]#|$<>&]/g, (char) => INLINE_ESCAPES[char] ?? char)
      // NOTE: GFM autolinks bare `http://host.tld` and `www.host.tld`; an escaped `:` or `.` stops it.
      .replace(/:(?=\/\/)/g, '\\:')
      .replace(/(www)\./gi, '$1\\.')
  );
}

/**
 * Untrusted text for any inline position: a paragraph, a heading, a list item or a table cell.
 * Lines are trimmed and joined with `<br>`, so the result is always one line of markdown.
 */
export function escapeText(text: string): string {
  const lines = clean(text)
    .split('\n')
    .map((line) => escapeLine(line.trim()));
  const joined = lines.join('<br>').replace(/^(<br>)+|(<br>)+$/g, '');
  // Where the text opens a line, `- x`, `+ x`, `1. x` would start a list and `---`/`===` an underline.
  return joined.replace(/^([-+=])(?=\s|[-=\s]*$)/, '\\$1').replace(/^(\d{1,9})([.)])(?=\s|$)/, '$1\\$2');
}

/** A table cell: `|` escaped and newlines as `<br>` (escapeText does both). */
export function escapeCell(text: string): string {
  return escapeText(text);
}

/**
 * Text inside raw HTML (`<summary>`): tags and quotes as entities, and link syntax too, for the
 * renderers that do parse markdown there.
 */
export function escapeHtml(text: string): string {
  return clean(text)
    .replace(/\s*\n\s*/g, ' ')
    .trim()
    .replace(/[&<>"'[\]`]|:(?=\/\/)/g, (char) => `&#${char.codePointAt(0)};`);
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    longest = Math.max(longest, current);
  }
  return longest;
}

/** Verbatim lines in a fenced block whose fence is longer than any backtick run inside. */
export function fencedBlock(lines: readonly string[], info = ''): string {
  const body = clean(lines.join('\n'), true);
  const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1));
  return `${fence}${info}\n${body}\n${fence}`;
}

/** A `<details>` block; the body is markdown, so blank lines must surround it. */
export function details(summary: string, body: string): string {
  return `<details>\n<summary>${escapeHtml(summary)}</summary>\n\n${body}\n\n</details>`;
}

/** A link only for a plain http(s) URL we can show verbatim; anything else stays text. */
export function safeUrlOrText(text: string): string {
  const trimmed = text.trim();
  return /^https?:\/\/[^\s<>"'`|\\[\]()]+$/.test(trimmed) ? `<${trimmed}>` : escapeText(trimmed);
}

// Untrusted text (cloud tag values, host names, log lines) must never change a report's structure:
// no new table cells, blocks, links, images or HTML. Everything we did not write goes through here.
// It escapes only what a GFM renderer would read as syntax, so a pasted report stays readable as raw
// text too (a Jira field shows the markdown as it is).

/** Markdown we wrote ourselves from escaped parts; table cells and lists take it as is. */
export interface Markdown {
  readonly markdown: string;
}

export function md(markdown: string): Markdown {
  return { markdown };
}

// C0/C1 controls and the bidi overrides that can make a name read as something else.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
const HIDDEN_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Newlines become `\n`, tabs a space (or stay, in a code block), other controls U+FFFD. */
function clean(text: string, keepTabs = false): string {
  const unified = text.replace(/\r\n?/g, '\n').replace(HIDDEN_CONTROLS, '\uFFFD');
  return keepTabs ? unified : unified.replace(/\t/g, ' ');
}

const ALNUM = /[\p{L}\p{N}]/u;

/**
 * One character of plain text: `before`/`after` are its neighbours in the source line, `rest` what
 * follows it. Only what a GFM renderer would parse is escaped: `node_exporter` and `1 > 0` stay.
 */
function escapeChar(char: string, before: string, after: string, rest: () => string): string {
  switch (char) {
    case '\\':
    case '`':
    case '*':
    case '~':
    case '[':
    case ']':
    case '|':
    // NOTE: GitHub renders `$...$` as math.
    case '$':
      return `\\${char}`;
    // NOTE: `_` inside a word never opens or closes emphasis (CommonMark's flanking rules).
    case '_':
      return ALNUM.test(before) && ALNUM.test(after) ? char : '\\_';
    // A heading's closing sequence, or an opening one where the text starts a line.
    case '#':
      return before === '' || /\s/.test(before) ? '\\#' : char;
    // Only a tag, a comment or an autolink starts with `<` and a letter, `/`, `!` or `?`.
    case '<':
      return /[A-Za-z/!?]/.test(after) ? '&lt;' : char;
    // Only `&name;` and `&#...;` are entities.
    case '&':
      return /^(#|[A-Za-z0-9]+;)/.test(rest()) ? '&amp;' : char;
    default:
      return char;
  }
}

// Characters escapeChar may change; everything else is copied as it is.
const SPECIAL = /[\\`*~[\]|$_#<&]/g;

function escapePlain(text: string, before = '', after = ''): string {
  return (
    text
      .replace(SPECIAL, (char: string, index: number) =>
        escapeChar(
          char,
          index === 0 ? before : (text[index - 1] ?? ''),
          index === text.length - 1 ? after : (text[index + 1] ?? ''),
          // NOTE: the longest HTML entity name is 31 characters.
          () => text.slice(index + 1, index + 34),
        ),
      )
      // NOTE: GFM autolinks bare `http://host.tld` and `www.host.tld`; an escaped `:` or `.` stops it.
      .replace(/:(?=\/\/)/g, '\\:')
      .replace(/(www)\./gi, '$1\\.')
  );
}

export interface EscapeOptions {
  /** Longest result in characters; longer text is cut at a character and ends with `…`. */
  maxChars?: number;
  /**
   * Show https URLs as autolinks. Only for text fleetlens wrote itself (a rule's sources), never for
   * text from a cloud or a host.
   */
  links?: boolean;
}

/**
 * One line: `code` spans stay code (a rule's advice names commands that way), https URLs become
 * links when asked, the rest is escaped. A span with `|` stays text: a table would split it.
 */
function escapeLine(line: string, links: boolean): string {
  // NOTE: a linkable URL has no spaces, quotes, brackets or markdown punctuation in it.
  const token = links ? /`([^`|]+)`|https:\/\/[^\s<>"'`|\\[\]()]+/g : /`([^`|]+)`/g;
  let out = '';
  let from = 0;
  for (const match of line.matchAll(token)) {
    const start = match.index ?? 0;
    let text = match[0];
    if (match[1] === undefined) {
      // NOTE: trailing punctuation ends a sentence, not the URL (GFM's own autolink rule).
      text = text.replace(/[.,;:!?]+$/, '');
      if (text.length <= 'https://'.length) continue;
    }
    out += escapePlain(line.slice(from, start), line[from - 1] ?? '', line[start] ?? '');
    out += match[1] === undefined ? `<${text}>` : `\`${match[1]}\``;
    from = start + text.length;
  }
  return out + escapePlain(line.slice(from), line[from - 1] ?? '', '');
}

function escapeWhole(text: string, links: boolean): string {
  const lines = clean(text)
    .split('\n')
    .map((line) => escapeLine(line.trim(), links));
  const joined = lines.join('<br>').replace(/^(<br>)+|(<br>)+$/g, '');
  // Where the text opens a line, `- x`, `+ x`, `1. x`, `> x` would start a block and `---`/`===` an underline.
  return joined
    .replace(/^([-+=])(?=\s|[-=\s]*$)/, '\\$1')
    .replace(/^>/, '\\>')
    .replace(/^(\d{1,9})([.)])(?=\s|$)/, '$1\\$2');
}

/** The longest prefix of `text` whose escaped form plus `…` fits `maxChars` (never a split surrogate pair). */
function clippedEscape(text: string, maxChars: number, links: boolean): string {
  if (maxChars < 1) return '';
  // NOTE: escaping only lengthens text (bar trimmed blanks), so a raw prefix past maxChars never fits.
  const raw = text.length > maxChars + 16 ? text.slice(0, maxChars + 16) : text;
  if (raw === text) {
    const whole = escapeWhole(raw, links);
    if (whole.length <= maxChars) return whole;
  }
  const fits = (length: number) => escapeWhole(text.slice(0, length), links).length + 1 <= maxChars;
  let lo = 0;
  let hi = raw.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  const code = text.charCodeAt(lo - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? lo - 1 : lo;
  return `${escapeWhole(text.slice(0, end), links)}…`;
}

/**
 * Untrusted text for any inline position: a paragraph, a heading, a list item or a table cell.
 * Lines are trimmed and joined with `<br>`, so the result is always one line of markdown.
 */
export function escapeText(text: string, options: EscapeOptions = {}): string {
  const links = options.links === true;
  return options.maxChars === undefined
    ? escapeWhole(text, links)
    : clippedEscape(text, options.maxChars, links);
}

/** A table cell: `|` escaped and newlines as `<br>` (escapeText does both). */
export function escapeCell(text: string): string {
  return escapeText(text);
}

/** Text cut to `maxChars` characters with `…`, for places that escape on their own (Mermaid, HTML). */
export function clipText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const code = text.charCodeAt(maxChars - 2);
  const end = code >= 0xd800 && code <= 0xdbff ? maxChars - 2 : maxChars - 1;
  return `${text.slice(0, Math.max(0, end))}…`;
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

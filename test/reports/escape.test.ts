import { describe, expect, it } from 'vitest';
import {
  details,
  escapeHtml,
  escapeText,
  fencedBlock,
  md,
  safeUrlOrText,
} from '../../reports/markdown/escape.ts';
import { displayWidth, mdTable } from '../../reports/markdown/table.ts';
import { proseLines, splitRow } from './markdown-lines.ts';

/** HTML tags other than the `<br>` line breaks escapeText itself writes. */
const RAW_TAG = /<(?!br>)[a-z/!?]/i;
/** An opening bracket a renderer would read as the start of a link or an image. */
const UNESCAPED_BRACKET = /(?<!\\)\[/;

describe('escapeText', () => {
  it('keeps HTML from a tag value as text', () => {
    const out = escapeText('</details><img src=x onerror=alert(1)><script>alert(1)</script>');
    expect(out).not.toMatch(RAW_TAG);
    expect(out).toContain('&lt;/details>');
  });

  it('stops markdown links, images and autolinks', () => {
    for (const hostile of [
      '[click](http://evil)',
      '![x](http://evil/x.png)',
      '<http://evil>',
      '[x]: http://evil',
    ]) {
      const out = escapeText(hostile);
      expect(out).not.toMatch(UNESCAPED_BRACKET);
      expect(out).not.toMatch(RAW_TAG);
    }
    expect(escapeText('see http://evil.example.com now')).toContain('http\\://evil.example.com');
    expect(escapeText('see www.evil.example.com')).toContain('www\\.evil');
  });

  it('escapes emphasis, headings, list starts and entities', () => {
    expect(escapeText('*bold* _it_ ~~s~~')).toBe('\\*bold\\* \\_it\\_ \\~\\~s\\~\\~');
    expect(escapeText('# not a heading')).toBe('\\# not a heading');
    expect(escapeText('title #')).toBe('title \\#');
    expect(escapeText('- not a list')).toBe('\\- not a list');
    expect(escapeText('1. not a list')).toBe('1\\. not a list');
    expect(escapeText('> not a quote')).toBe('\\> not a quote');
    expect(escapeText('---')).toBe('\\---');
    expect(escapeText('$a$ and $b$')).toBe('\\$a\\$ and \\$b\\$');
    expect(escapeText('&amp; &#60; &lt')).toBe('&amp;amp; &amp;#60; &lt');
  });

  it('keeps a `code` span as code, which shows it verbatim, and escapes a lone backtick', () => {
    expect(escapeText('run `ss -tanp state close-wait` now')).toBe('run `ss -tanp state close-wait` now');
    expect(escapeText('`</details>` and `[x](http://evil)`')).toBe('`</details>` and `[x](http://evil)`');
    expect(escapeText('one ` backtick')).toBe('one \\` backtick');
    // A pipe inside a span would split a table cell: the span stays escaped text.
    expect(escapeText('`a|b`')).toBe('\\`a\\|b\\`');
  });

  it('leaves ordinary names, numbers and prose readable', () => {
    expect(escapeText('web-1.prod')).toBe('web-1.prod');
    expect(escapeText('12.9 %')).toBe('12.9 %');
    expect(escapeText('--worker-class gevent')).toBe('--worker-class gevent');
    expect(escapeText('prometheus/node_exporter CLOSE_WAIT')).toBe('prometheus/node_exporter CLOSE_WAIT');
    expect(escapeText('1024 > hard 256 & soft < 2048, C#')).toBe('1024 > hard 256 & soft < 2048, C#');
  });

  it('turns every newline into <br> so the text stays on one line', () => {
    const out = escapeText('a|b\nc\r\nd\re');
    expect(out).toBe('a\\|b<br>c<br>d<br>e');
    expect(escapeText('\n\n# x\n\n')).toBe('\\# x');
  });

  it('drops controls and bidi overrides that can disguise a name', () => {
    expect(escapeText('web\u202E1-bew\u0007')).toBe('web\uFFFD1-bew\uFFFD');
  });

  it('links https URLs only in text fleetlens wrote itself, without the sentence end', () => {
    const source = 'EBS metrics: https://docs.aws.amazon.com/ebs/latest/userguide/using_cloudwatch_ebs.html.';
    expect(escapeText(source, { links: true })).toBe(
      'EBS metrics: <https://docs.aws.amazon.com/ebs/latest/userguide/using_cloudwatch_ebs.html>.',
    );
    expect(escapeText(source)).toContain('https\\://docs');
    expect(escapeText('http://evil.example.com', { links: true })).toBe('http\\://evil.example.com');
    expect(escapeText('https://x.example/a>b"c <b>', { links: true })).toBe(
      '<https://x.example/a>>b"c &lt;b>',
    );
  });

  it('cuts long text to maxChars with an ellipsis, never inside an escape, a span or a character', () => {
    const texts = [
      '<'.repeat(500),
      '&#'.repeat(500),
      'a`b`c '.repeat(200),
      '\\'.repeat(300),
      '😀'.repeat(300),
      `${'x'.repeat(50)}\n${'y'.repeat(50)}`.repeat(20),
      '[x](http://evil) '.repeat(100),
    ];
    for (const text of texts) {
      for (const maxChars of [1, 2, 5, 17, 64, 100, 333]) {
        const out = escapeText(text, { maxChars });
        expect(out.length, `${text.slice(0, 10)} ${maxChars}`).toBeLessThanOrEqual(maxChars);
        expect(out.endsWith('…')).toBe(true);
        const prefix = out.slice(0, -1);
        // What is shown is the escaped form of a prefix of the text: no half escape, no open span.
        const raw = [...text].find(
          (_, index, chars) => escapeText(chars.slice(0, index).join('')) === prefix,
        );
        expect(raw === undefined && prefix !== '' ? prefix : 'ok', `${text.slice(0, 10)} ${maxChars}`).toBe(
          'ok',
        );
        expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
      }
    }
    expect(escapeText('short', { maxChars: 10 })).toBe('short');
  });
});

describe('escapeHtml', () => {
  it('keeps a summary line free of tags and quotes', () => {
    const out = escapeHtml('x</summary><script>alert("1")</script>\nnext');
    expect(out).not.toMatch(/[<>"\n]/);
    expect(out).toContain('&#60;/summary&#62;');
  });

  it('keeps a hostile label inside its <details> block', () => {
    const block = details('</details><details open>', 'body');
    expect(block.match(/<details>/g)).toHaveLength(1);
    expect(block.match(/<\/details>/g)).toHaveLength(1);
  });
});

describe('fencedBlock', () => {
  it('uses a fence longer than any backtick run inside, so content cannot close it', () => {
    const lines = ['```', '````', 'x ``` y', '</details>'];
    const block = fencedBlock(lines);
    const [open, ...rest] = block.split('\n');
    expect(open).toBe('`````');
    expect(rest[rest.length - 1]).toBe('`````');
    expect(rest.slice(0, -1)).toEqual(lines);
    expect(proseLines(`before\n\n${block}\n\nafter`)).toEqual(['before', '', '', 'after']);
  });

  it('keeps at least three backticks and the info string', () => {
    expect(fencedBlock(['plain'], 'text')).toBe('```text\nplain\n```');
  });

  it('splits embedded newlines instead of letting them run on', () => {
    expect(fencedBlock(['a\nb'])).toBe('```\na\nb\n```');
  });
});

describe('mdTable', () => {
  it('keeps one cell per column whatever a cell contains', () => {
    const hostile = [
      'a|b\nc',
      '</details><script>x</script>',
      '[x](http://evil)',
      'ends with \\',
      '|',
      '\\|',
    ];
    const table = mdTable(
      ['Name', 'Value'],
      hostile.map((value) => [value, value]),
    );
    const [header, delimiter, ...rows] = table.split('\n');
    expect(splitRow(header ?? '')).toEqual(['Name', 'Value']);
    expect(splitRow(delimiter ?? '').every((cell) => /^-{3,}$/.test(cell))).toBe(true);
    expect(rows).toHaveLength(hostile.length);
    for (const row of rows) expect(splitRow(row)).toHaveLength(2);
    expect(table).not.toMatch(RAW_TAG);
  });

  it('pads short rows, shows missing values as a dash and aligns numbers on request', () => {
    const table = mdTable(
      ['A', { label: 'B', align: 'right' }, 'C', { label: 'D', align: 'center' }],
      [
        ['x', 1234.5],
        [null, undefined, md('**y**'), 'ab'],
      ],
    );
    expect(table.split('\n')).toEqual([
      '| A   |     B | C     |  D  |',
      '| --- | ----: | ----- | :-: |',
      '| x   | 1,235 | —     |  —  |',
      '| —   |     — | **y** | ab  |',
    ]);
  });

  it('pads by display width, so wide characters and accents keep the columns straight', () => {
    expect(displayWidth('日本語')).toBe(6);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(displayWidth('\u200bz')).toBe(1);
    expect(displayWidth('😀')).toBe(2);
    expect(mdTable(['Name'], [['日本'], ['abcdef']]).split('\n')[2]).toBe('| 日本   |');
  });
});

describe('safeUrlOrText', () => {
  it('links a plain https URL and leaves anything else as text', () => {
    expect(safeUrlOrText('https://docs.aws.amazon.com/ebs/latest/userguide/gp3.html')).toBe(
      '<https://docs.aws.amazon.com/ebs/latest/userguide/gp3.html>',
    );
    expect(safeUrlOrText('javascript:alert(1)')).toBe('javascript:alert(1)');
    expect(safeUrlOrText('https://x.example/a>b')).not.toMatch(RAW_TAG);
  });
});

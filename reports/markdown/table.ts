import { escapeCell, type Markdown } from './escape.ts';
import { formatNumber } from './units.ts';

export type Align = 'left' | 'right' | 'center';

export interface TableColumn {
  label: string | Markdown;
  align?: Align;
}

/** Plain strings are untrusted and escaped; `md()` cells are markdown we built from escaped parts. */
export type TableCell = string | number | null | undefined | Markdown;

export const EMPTY_CELL = '—';

const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}]/u;
const DOUBLE_WIDTH =
  /[\p{Emoji_Presentation}\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]/u;

/** Columns a monospace font gives the text (wide East Asian and emoji take two, marks none). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += ZERO_WIDTH.test(char) ? 0 : DOUBLE_WIDTH.test(char) ? 2 : 1;
  return width;
}

function renderCell(cell: TableCell): string {
  if (cell === null || cell === undefined) return EMPTY_CELL;
  if (typeof cell === 'number') return formatNumber(cell);
  if (typeof cell === 'string') return escapeCell(cell);
  // NOTE: our own markdown can still carry a newline from a helper; a raw one would end the row.
  return cell.markdown.replace(/\r?\n/g, '<br>');
}

function pad(text: string, width: number, align: Align): string {
  const room = Math.max(0, width - displayWidth(text));
  if (align === 'right') return ' '.repeat(room) + text;
  if (align === 'center') return ' '.repeat(Math.floor(room / 2)) + text + ' '.repeat(Math.ceil(room / 2));
  return text + ' '.repeat(room);
}

function delimiter(width: number, align: Align): string {
  if (align === 'right') return `${'-'.repeat(width - 1)}:`;
  if (align === 'center') return `:${'-'.repeat(width - 2)}:`;
  return '-'.repeat(width);
}

/**
 * A GFM table whose every row has exactly one cell per column, whatever the cells contain.
 * Columns are padded to one width (as Biome formats markdown) so the raw text reads as a table too.
 */
export function mdTable(
  columns: readonly (string | TableColumn)[],
  rows: readonly (readonly TableCell[])[],
): string {
  const specs = columns.map((column) => (typeof column === 'string' ? { label: column } : column));
  const aligns = specs.map((spec): Align => spec.align ?? 'left');
  const header = specs.map((spec) => renderCell(spec.label));
  const body = rows.map((row) => specs.map((_, index) => renderCell(row[index])));
  const widths = header.map((label, index) =>
    Math.max(3, displayWidth(label), ...body.map((cells) => displayWidth(cells[index] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, index) => pad(cell, widths[index] ?? 3, aligns[index] ?? 'left')).join(' | ')} |`;
  const delimiterRow = `| ${widths.map((width, index) => delimiter(width, aligns[index] ?? 'left')).join(' | ')} |`;
  return [line(header), delimiterRow, ...body.map(line)].join('\n');
}

// Small readers for rendered markdown, so tests check structure the way a renderer sees it.

/** Cells of one GFM table row; `\|` never splits a cell (cmark-gfm's rule). */
export function splitRow(line: string): string[] {
  const body = line.trim().replace(/^\|/, '');
  const cells: string[] = [];
  let current = '';
  for (let index = 0; index < body.length; index += 1) {
    const char = body[index];
    if (char === '\\' && body[index + 1] === '|') {
      current += '\\|';
      index += 1;
    } else if (char === '|') {
      cells.push(current.trim());
      current = '';
    } else current += char;
  }
  if (current.trim() !== '') cells.push(current.trim());
  return cells;
}

/** Every table in a document: runs of consecutive lines that start with `|`, outside code fences. */
export function tables(markdown: string): string[][] {
  const found: string[][] = [];
  let current: string[] = [];
  for (const line of proseLines(markdown)) {
    if (line.startsWith('|')) current.push(line);
    else if (current.length > 0) {
      found.push(current);
      current = [];
    }
  }
  if (current.length > 0) found.push(current);
  return found;
}

/** Lines outside fenced code blocks (a fence closes only with a run at least as long). */
export function proseLines(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | null = null;
  for (const line of markdown.split('\n')) {
    const run = /^(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === null && run) fence = run;
    else if (
      fence !== null &&
      run &&
      run[0] === fence[0] &&
      run.length >= fence.length &&
      line.trim() === run
    ) {
      fence = null;
    } else if (fence === null) lines.push(line);
  }
  return lines;
}

/** The section that starts with `heading`, up to the next heading of the same or a higher level. */
export function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}`);
  if (start === -1) return '';
  const level = /^#+/.exec(heading)?.[0].length ?? 6;
  const rest = markdown.slice(start + 1);
  const next = rest.slice(1).search(new RegExp(`\n#{1,${level}} `));
  return next === -1 ? rest : rest.slice(0, next + 1);
}

/** The numbers of each `line [...]` of a mermaid block. */
export function mermaidLines(block: string): number[][] {
  return [...block.matchAll(/^ {2}line \[(.*)\]$/gm)].map((match) =>
    (match[1] ?? '').split(', ').map(Number),
  );
}

export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((match) => match[1] ?? '');
}

// report.html read back the way a browser's parser reads it (parse5 follows the HTML standard), so a test
// sees the elements and attributes a reader's browser would build, not the text we meant to write.
import { parse } from 'parse5';

export interface DomElement {
  nodeName: string;
  tagName: string;
  attrs: { name: string; value: string }[];
  childNodes: DomNode[];
}
export interface DomText {
  nodeName: '#text';
  value: string;
}
export type DomNode = DomElement | DomText | { nodeName: string; childNodes?: DomNode[] };

export function isElement(node: DomNode): node is DomElement {
  return 'tagName' in node;
}

export function parseHtml(text: string): DomElement {
  const document = parse(text) as unknown as { childNodes: DomNode[] };
  const root = document.childNodes.find(isElement);
  if (!root) throw new Error('no <html> element');
  return root;
}

export function* elements(root: DomElement): Generator<DomElement> {
  yield root;
  for (const child of root.childNodes) if (isElement(child)) yield* elements(child);
}

export function attr(element: DomElement, name: string): string | undefined {
  return element.attrs.find((a) => a.name === name)?.value;
}

export function textOf(node: DomNode): string {
  if (node.nodeName === '#text') return (node as DomText).value;
  return ((node as { childNodes?: DomNode[] }).childNodes ?? []).map(textOf).join('');
}

export function byId(root: DomElement, id: string): DomElement | undefined {
  for (const element of elements(root)) if (attr(element, 'id') === id) return element;
  return undefined;
}

export function byTag(root: DomElement, tagName: string): DomElement[] {
  return [...elements(root)].filter((element) => element.tagName === tagName);
}

export function byClass(root: DomElement, className: string): DomElement[] {
  return [...elements(root)].filter((element) =>
    (attr(element, 'class') ?? '').split(/\s+/).includes(className),
  );
}

/** The cells of each body row of a table, as text. */
export function tableRows(table: DomElement): string[][] {
  const body = byTag(table, 'tbody')[0];
  if (!body) return [];
  return byTag(body, 'tr').map((row) =>
    row.childNodes
      .filter(isElement)
      .flatMap((cell) => (['td', 'th'].includes(cell.tagName) ? [textOf(cell).trim()] : [])),
  );
}

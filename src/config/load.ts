// The one config loader: YAML → zod, with every error of the file at once, each naming the file,
// line and dotted key (with "did you mean" and the allowed values where there are some).
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Document, isMap, isNode, LineCounter, Parser, parseDocument, type YAMLError } from 'yaml';
import { ConfigError } from '../errors.ts';
import { ConfigErrorList } from './config-errors.ts';
import { configErrorsFromIssues, type Locate } from './issues.ts';
import { Config, onHostFolders } from './schema.ts';

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or a label such as `<demo>`. */
  file: string;
  /** Line of a dotted path in the file, for errors raised later (rule options). */
  locate(path: readonly PropertyKey[]): number | undefined;
}

/**
 * A check beyond the schema, run on the raw document even when the schema failed, so its errors
 * are reported with the schema's (e.g. rule options, which the rules themselves define).
 */
export type ConfigCheck = (
  raw: Record<string, unknown>,
  where: { file: string; locate: Locate },
) => ConfigError[];

export interface ParseOptions {
  checks?: readonly ConfigCheck[];
}

export async function loadConfigFile(file: string, options: ParseOptions = {}): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    throw new ConfigError(reason, file);
  }
  const loaded = parseConfigText(text, file, options);
  // Sample folders are relative to the config file, not to wherever the command ran.
  const base = dirname(resolve(file));
  for (const mapping of onHostFolders(loaded.config)) mapping.dir = resolve(base, mapping.dir);
  return loaded;
}

export function parseConfigText(text: string, file: string, options: ParseOptions = {}): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const openers = unclosedOpeners(text);
    const seen = new Set<string>();
    const errors = doc.errors.flatMap((error) => {
      const line = yamlErrorLine(error, openers, lineCounter);
      const message = `invalid YAML: ${error.message.split('\n')[0]}`;
      // One unclosed bracket can raise the same complaint twice: say it once.
      if (seen.has(`${line}:${message}`)) return [];
      seen.add(`${line}:${message}`);
      return [new ConfigError(message, file, line)];
    });
    ConfigErrorList.throwIfAny(errors);
  }
  const locate = (path: readonly PropertyKey[]) => lineOf(doc, lineCounter, path);
  const raw: unknown = doc.toJS() ?? {};
  const parsed = Config.safeParse(raw);
  const errors = parsed.success
    ? []
    : configErrorsFromIssues(parsed.error.issues, { file, locate, schema: Config, input: raw });
  if (isPlainObject(raw))
    for (const check of options.checks ?? []) errors.push(...check(raw, { file, locate }));
  ConfigErrorList.throwIfAny(errors);
  // NOTE: no errors means the schema parsed.
  return { config: parsed.data!, file, locate };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The parser notices an unclosed `[`, `{` or quote only where the document ends or the indentation
 * breaks, lines later; the line to fix is the one that opened it.
 */
function yamlErrorLine(error: YAMLError, openers: readonly number[], lineCounter: LineCounter): number {
  const at = error.pos[0];
  if (/end with a [\]}]|Missing closing/.test(error.message)) {
    const opener = openers.filter((offset) => offset <= at).at(-1);
    if (opener !== undefined) return lineCounter.linePos(opener).line;
  }
  return lineCounter.linePos(at).line;
}

/** Offsets of flow collections and quoted scalars that never close, in the parser's own tokens. */
function unclosedOpeners(text: string): number[] {
  const offsets: number[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (!isPlainObject(node)) return;
    const token = node as { type?: unknown; offset?: unknown; source?: unknown; end?: unknown };
    if (typeof token.offset === 'number') {
      if (token.type === 'flow-collection' && Array.isArray(token.end)) {
        const closed = token.end.some((t: { source?: string }) => t.source === ']' || t.source === '}');
        if (!closed) offsets.push(token.offset);
      }
      if (token.type === 'double-quoted-scalar' && typeof token.source === 'string') {
        if (!/^"(?:[^"\\]|\\.)*"$/s.test(token.source)) offsets.push(token.offset);
      }
      if (token.type === 'single-quoted-scalar' && typeof token.source === 'string') {
        if (!/^'(?:[^']|'')*'$/s.test(token.source)) offsets.push(token.offset);
      }
    }
    for (const value of Object.values(node)) if (typeof value === 'object') walk(value);
  };
  for (const token of new Parser().parse(text)) walk(token);
  return offsets.sort((a, b) => a - b);
}

function lineOf(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  if (path.length === 0) return undefined;
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1).map(String), true) : doc.contents;
  const last = path.at(-1);
  // Prefer the key's own position in a map; fall back to the value node.
  if (isMap(parent)) {
    const pair = parent.items.find(
      (item) => isNode(item.key) && String((item.key as { value?: unknown }).value) === String(last),
    );
    const keyRange = pair && isNode(pair.key) ? pair.key.range : undefined;
    if (keyRange) return lineCounter.linePos(keyRange[0]).line;
  }
  const node = doc.getIn(
    path.map((segment) => (typeof segment === 'number' ? segment : String(segment))),
    true,
  );
  return isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : undefined;
}

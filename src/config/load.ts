// The one config loader: YAML → zod, with every error naming the file, line and dotted key.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Document, isMap, isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { Config } from './schema.ts';

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or a label such as `<demo>`. */
  file: string;
  /** Line of a dotted path in the file, for errors raised later (rule options). */
  locate(path: readonly PropertyKey[]): number | undefined;
}

export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    throw new ConfigError(reason, file);
  }
  const loaded = parseConfigText(text, file);
  // Sample folders are relative to the config file, not to wherever the command ran.
  const base = dirname(resolve(file));
  for (const mapping of loaded.config.onHost) mapping.dir = resolve(base, mapping.dir);
  return loaded;
}

export function parseConfigText(text: string, file: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = lineCounter.linePos(yamlError.pos[0]).line;
    throw new ConfigError(`invalid YAML: ${yamlError.message.split('\n')[0]}`, file, line);
  }
  const locate = (path: readonly PropertyKey[]) => lineOf(doc, lineCounter, path);
  const raw = doc.toJS() ?? {};
  const parsed = Config.safeParse(raw);
  if (!parsed.success) throw toConfigError(parsed.error.issues[0]!, file, locate);
  return { config: parsed.data, file, locate };
}

function toConfigError(
  issue: z.core.$ZodIssue,
  file: string,
  locate: (path: readonly PropertyKey[]) => number | undefined,
): ConfigError {
  // An unknown key is reported at the key itself, so the line points at the typo.
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  const key = path.map(String).join('.') || '(top level)';
  const message = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
  return new ConfigError(message, file, locate(path) ?? nearestLine(path, locate), key);
}

function nearestLine(
  path: readonly PropertyKey[],
  locate: (p: readonly PropertyKey[]) => number | undefined,
) {
  for (let n = path.length - 1; n > 0; n--) {
    const line = locate(path.slice(0, n));
    if (line !== undefined) return line;
  }
  return undefined;
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

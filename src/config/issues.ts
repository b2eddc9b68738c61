// zod issues → ConfigErrors a person can act on: the file, line and dotted key of each, "did you
// mean" for an unknown key, the allowed values where there is a fixed set, and the value found.
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { didYouMean } from './did-you-mean.ts';

export type Locate = (path: readonly PropertyKey[]) => number | undefined;

export interface IssueContext {
  file: string | undefined;
  locate: Locate;
  /** The schema the issues' paths start from. */
  schema: z.core.$ZodType;
  /** What was parsed, to quote the value that failed. */
  input: unknown;
  /** Where `input` sits in the file (e.g. `['rules', 'cpu-saturated']`); empty for the whole file. */
  prefix?: readonly PropertyKey[];
}

export function configErrorsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  context: IssueContext,
): ConfigError[] {
  const prefix = context.prefix ?? [];
  return issues.flatMap(shapeMatchedBranch).flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(context.schema, issue.path);
      // An unknown key is reported at the key itself, so the line points at the typo.
      return issue.keys.map((key) =>
        errorAt(context, [...prefix, ...issue.path, key], `unknown key${keyHint(key, known)}`),
      );
    }
    return [
      errorAt(context, [...prefix, ...issue.path], messageOf(issue, valueAt(context.input, issue.path))),
    ];
  });
}

/**
 * A union of a list and a map (`onHost`) fails in both branches; the branch whose shape the value
 * has (no type error at its root) says what is wrong inside it, with its own paths.
 */
function shapeMatchedBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union') return [issue];
  const shaped = issue.errors.filter(
    (branch) => !branch.some((i) => i.path.length === 0 && i.code === 'invalid_type'),
  );
  if (shaped.length !== 1) return [issue];
  return shaped[0]!.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }));
}

function errorAt(context: IssueContext, path: readonly PropertyKey[], message: string): ConfigError {
  const key = path.map(String).join('.') || '(top level)';
  return new ConfigError(message, context.file, lineNear(path, context.locate), key);
}

/** The line of the path, else of its closest parent that is in the file (a missing key's map). */
export function lineNear(path: readonly PropertyKey[], locate: Locate): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const line = locate(path.slice(0, n));
    if (line !== undefined) return line;
  }
  return undefined;
}

/** A close known key, else the whole list when it is short enough to read. */
function keyHint(key: string, known: readonly string[]): string {
  const hint = didYouMean(key, known);
  if (hint || known.length === 0 || known.length > 8) return hint;
  return ` (known: ${known.join(', ')})`;
}

function messageOf(issue: z.core.$ZodIssue, value: unknown): string {
  const got = describeValue(value);
  if (issue.code === 'invalid_value') return `expected ${oneOf(issue.values)}${got}`;
  if (issue.code === 'invalid_type') {
    const expected = typeName(issue.expected);
    return value === undefined ? `missing: expected ${expected}` : `expected ${expected}${got}`;
  }
  if (issue.code === 'invalid_union') {
    const branches = issue.errors.map(branchOf);
    if (branches.every((b) => b?.kind === 'value')) {
      return `expected ${oneOf(branches.flatMap((b) => (b?.kind === 'value' ? b.values : [])))}${got}`;
    }
    if (branches.every((b) => b !== undefined)) {
      const texts = branches.map((b) => (b.kind === 'value' ? oneOf(b.values) : b.text));
      return `expected ${texts.join(' or ')}${got}`;
    }
  }
  return `${issue.message}${got}`;
}

type Branch = { kind: 'value'; values: readonly unknown[] } | { kind: 'type'; text: string };

/** What one branch of a union accepts, when it says so in one issue at the branch's root. */
function branchOf(branch: readonly z.core.$ZodIssue[]): Branch | undefined {
  const [only] = branch;
  if (branch.length !== 1 || !only || only.path.length > 0) return undefined;
  if (only.code === 'invalid_value') return { kind: 'value', values: only.values };
  if (only.code === 'invalid_type') return { kind: 'type', text: typeName(only.expected) };
  return undefined;
}

const TYPE_NAMES: Record<string, string> = {
  array: 'a list',
  object: 'a map',
  record: 'a map',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

function oneOf(values: readonly unknown[]): string {
  const texts = values.map((v) => JSON.stringify(v));
  return texts.length === 1 ? texts[0]! : `one of ${texts.join(', ')}`;
}

function describeValue(value: unknown): string {
  if (value === undefined || (typeof value === 'object' && value !== null)) return '';
  const text = JSON.stringify(value);
  return ` (found ${text.length > 60 ? `${text.slice(0, 57)}...` : text})`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

interface SchemaNode {
  _zod: {
    def: {
      type: string;
      innerType?: SchemaNode;
      in?: SchemaNode;
      shape?: Record<string, SchemaNode>;
      element?: SchemaNode;
      valueType?: SchemaNode;
      options?: SchemaNode[];
    };
  };
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

function unwrap(node: SchemaNode): SchemaNode {
  let current = node;
  for (;;) {
    const def = current._zod.def;
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

/** The keys an object schema accepts at `path`, for "did you mean"; none when it is not an object. */
export function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let nodes: SchemaNode[] = [schema as unknown as SchemaNode];
  for (const segment of path) {
    nodes = nodes.flatMap((node) => childrenAt(unwrap(node), segment));
  }
  const objects = nodes.map(unwrap).flatMap((node) => {
    const def = node._zod.def;
    return def.type === 'union' && def.options ? def.options.map(unwrap) : [node];
  });
  return [
    ...new Set(
      objects.flatMap((node) => {
        const def = node._zod.def;
        return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
      }),
    ),
  ];
}

function childrenAt(node: SchemaNode, segment: PropertyKey): SchemaNode[] {
  const def = node._zod.def;
  if (def.type === 'object') return def.shape?.[String(segment)] ? [def.shape[String(segment)]!] : [];
  if (def.type === 'array' && def.element) return [def.element];
  if (def.type === 'record' && def.valueType) return [def.valueType];
  if (def.type === 'union' && def.options) return def.options.flatMap((o) => childrenAt(unwrap(o), segment));
  return [];
}

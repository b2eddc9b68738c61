import { readFileSync } from 'node:fs';
import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';

// Checks a response body against a botocore service model (shared/specs/aws/botocore): every
// element or key must be a member of its shape, scalars must parse as their type, enums hold one
// of their values, required members are there. Wire names follow each protocol:
// - json (CloudWatch): member names; timestamps epoch seconds.
// - ec2: `locationName` of each member, lists as <set><item>, the result at the root.
// - query (Auto Scaling): member names (or `locationName`), lists as <List><member>, the result
//   inside <OperationResult> next to <ResponseMetadata>.
// https://smithy.io/2.0/aws/protocols/aws-ec2-query-protocol.html
// https://smithy.io/2.0/aws/protocols/aws-query-protocol.html

const Member = z.object({
  shape: z.string(),
  locationName: z.string().optional(),
  flattened: z.boolean().optional(),
  timestampFormat: z.string().optional(),
});

const Shape = z.object({
  type: z.enum([
    'structure',
    'list',
    'map',
    'string',
    'integer',
    'long',
    'boolean',
    'timestamp',
    'double',
    'float',
    'blob',
  ]),
  members: z.record(z.string(), Member).optional(),
  member: Member.optional(),
  key: Member.optional(),
  value: Member.optional(),
  required: z.array(z.string()).optional(),
  enum: z.array(z.string()).optional(),
  flattened: z.boolean().optional(),
  timestampFormat: z.string().optional(),
});
type Shape = z.infer<typeof Shape>;

const Model = z.object({
  metadata: z.object({ protocol: z.string(), protocols: z.array(z.string()).optional() }),
  operations: z.record(
    z.string(),
    z.object({ output: z.object({ shape: z.string(), resultWrapper: z.string().optional() }).optional() }),
  ),
  shapes: z.record(z.string(), Shape),
});
export type BotocoreModel = z.infer<typeof Model>;

export type WireProtocol = 'json' | 'ec2' | 'query';

export interface ShapeIssue {
  readonly path: string;
  readonly message: string;
}

export function loadBotocoreModel(path: string): BotocoreModel {
  return Model.parse(JSON.parse(readFileSync(path, 'utf8')));
}

const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

interface Walk {
  readonly model: BotocoreModel;
  readonly protocol: WireProtocol;
  readonly issues: ShapeIssue[];
}

function shapeOf(walk: Walk, name: string): Shape {
  const shape = walk.model.shapes[name];
  if (!shape) throw new Error(`model has no shape ${name}`);
  return shape;
}

function wireName(walk: Walk, memberName: string, member: z.infer<typeof Member>): string {
  return walk.protocol === 'json' ? memberName : (member.locationName ?? memberName);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkStructure(walk: Walk, shape: Shape, node: unknown, path: string): void {
  if (walk.protocol !== 'json' && node === '') return; // <empty/>
  if (!isRecord(node)) {
    walk.issues.push({ path, message: `expected a structure, got ${JSON.stringify(node)}` });
    return;
  }
  const members = Object.entries(shape.members ?? {});
  const byWire = new Map(members.map(([name, member]) => [wireName(walk, name, member), { name, member }]));
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('@_')) continue; // XML attributes (xmlns)
    const found = byWire.get(key);
    if (!found) {
      walk.issues.push({ path: `${path}.${key}`, message: 'not a member of the shape' });
      continue;
    }
    checkValue(walk, found.member, value, `${path}.${key}`);
  }
  for (const name of shape.required ?? []) {
    const member = shape.members?.[name];
    if (member && !(wireName(walk, name, member) in node)) {
      walk.issues.push({ path: `${path}.${name}`, message: 'required member missing' });
    }
  }
}

function checkList(walk: Walk, shape: Shape, node: unknown, path: string): void {
  const member = shape.member;
  if (!member) throw new Error(`list shape without member at ${path}`);
  if (walk.protocol === 'json') {
    if (!Array.isArray(node))
      walk.issues.push({ path, message: `expected a list, got ${JSON.stringify(node)}` });
    else
      node.forEach((item, index) => {
        checkValue(walk, member, item, `${path}[${index}]`);
      });
    return;
  }
  if (shape.flattened) throw new Error(`flattened lists are not handled (${path})`);
  if (node === '') return;
  const itemName = member.locationName ?? (walk.protocol === 'ec2' ? 'item' : 'member');
  if (!isRecord(node)) {
    walk.issues.push({ path, message: `expected <${itemName}> elements, got ${JSON.stringify(node)}` });
    return;
  }
  for (const key of Object.keys(node)) {
    if (key !== itemName)
      walk.issues.push({ path: `${path}.${key}`, message: `list element must be <${itemName}>` });
  }
  const items = node[itemName];
  const list = Array.isArray(items) ? items : items === undefined ? [] : [items];
  list.forEach((item, index) => {
    checkValue(walk, member, item, `${path}.${itemName}[${index}]`);
  });
}

function checkMap(walk: Walk, shape: Shape, node: unknown, path: string): void {
  const { key, value } = shape;
  if (!key || !value) throw new Error(`map shape without key/value at ${path}`);
  if (walk.protocol !== 'json') throw new Error(`XML maps are not handled (${path})`);
  if (!isRecord(node)) {
    walk.issues.push({ path, message: 'expected a map' });
    return;
  }
  for (const [entryKey, entryValue] of Object.entries(node)) {
    checkValue(walk, key, entryKey, `${path}{key}`);
    checkValue(walk, value, entryValue, `${path}.${entryKey}`);
  }
}

/** Why a scalar does not fit its type, or undefined when it does. */
function scalarProblem(
  walk: Walk,
  shape: Shape,
  member: z.infer<typeof Member>,
  node: unknown,
): string | undefined {
  const xml = walk.protocol !== 'json';
  if (xml && typeof node !== 'string') return `expected text, got ${JSON.stringify(node)}`;
  const text = String(node);
  switch (shape.type) {
    case 'string':
    case 'blob':
      if (!xml && typeof node !== 'string') return `expected a string, got ${JSON.stringify(node)}`;
      if (shape.enum && !shape.enum.includes(text)) return `"${text}" is not one of the enum values`;
      return undefined;
    case 'integer':
    case 'long':
      return (xml ? /^-?\d+$/.test(text) : Number.isInteger(node))
        ? undefined
        : `expected an integer, got ${JSON.stringify(node)}`;
    case 'double':
    case 'float':
      return (
        xml
          ? /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)
          : typeof node === 'number' && Number.isFinite(node)
      )
        ? undefined
        : `expected a number, got ${JSON.stringify(node)}`;
    case 'boolean':
      return (xml ? text === 'true' || text === 'false' : typeof node === 'boolean')
        ? undefined
        : `expected a boolean, got ${JSON.stringify(node)}`;
    case 'timestamp': {
      const format = member.timestampFormat ?? shape.timestampFormat ?? (xml ? 'iso8601' : 'unixTimestamp');
      const ok =
        format === 'unixTimestamp'
          ? typeof node === 'number' && Number.isFinite(node)
          : isoTimestamp.test(text);
      return ok ? undefined : `expected a ${format} timestamp, got ${JSON.stringify(node)}`;
    }
    default:
      return `unexpected scalar type ${shape.type}`;
  }
}

function checkValue(walk: Walk, member: z.infer<typeof Member>, node: unknown, path: string): void {
  const shape = shapeOf(walk, member.shape);
  if (shape.type === 'structure') checkStructure(walk, shape, node, path);
  else if (shape.type === 'list') checkList(walk, shape, node, path);
  else if (shape.type === 'map') checkMap(walk, shape, node, path);
  else {
    const problem = scalarProblem(walk, shape, member, node);
    if (problem) walk.issues.push({ path, message: problem });
  }
}

function outputOf(model: BotocoreModel, operation: string) {
  const output = model.operations[operation]?.output;
  if (!output) throw new Error(`model has no output for ${operation}`);
  return output;
}

/** A JSON (CloudWatch JSON 1.0) response body against the operation's output shape. */
export function checkJsonResponse(model: BotocoreModel, operation: string, body: unknown): ShapeIssue[] {
  const walk: Walk = { model, protocol: 'json', issues: [] };
  checkValue(walk, { shape: outputOf(model, operation).shape }, body, operation);
  return walk.issues;
}

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: true,
});

/** An XML response (ec2 or awsQuery) against the operation's output shape, wrappers included. */
export function checkXmlResponse(
  model: BotocoreModel,
  operation: string,
  xml: string,
  protocol: 'ec2' | 'query',
): ShapeIssue[] {
  const walk: Walk = { model, protocol, issues: [] };
  const document: unknown = xmlParser.parse(xml);
  const rootName = `${operation}Response`;
  const root = isRecord(document) ? document[rootName] : undefined;
  if (!isRecord(root)) return [{ path: rootName, message: `root element <${rootName}> missing` }];
  const output = outputOf(model, operation);
  if (protocol === 'ec2') {
    // <requestId> is protocol metadata next to the result members, not part of the shape.
    const { requestId, ...result } = root;
    if (typeof requestId !== 'string')
      walk.issues.push({ path: `${rootName}.requestId`, message: 'missing' });
    checkValue(walk, { shape: output.shape }, result, rootName);
    return walk.issues;
  }
  const wrapper = output.resultWrapper ?? `${operation}Result`;
  const { [wrapper]: result, ResponseMetadata: metadata, ...extra } = root;
  for (const key of Object.keys(extra).filter((name) => !name.startsWith('@_'))) {
    walk.issues.push({
      path: `${rootName}.${key}`,
      message: `only <${wrapper}> and <ResponseMetadata> belong here`,
    });
  }
  if (!isRecord(metadata) || typeof metadata.RequestId !== 'string') {
    walk.issues.push({ path: `${rootName}.ResponseMetadata`, message: 'RequestId missing' });
  }
  checkValue(walk, { shape: output.shape }, result ?? '', `${rootName}.${wrapper}`);
  return walk.issues;
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openapiSchemaToJsonSchema } from '@openapi-contrib/openapi-schema-to-json-schema';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseScenario } from '../../mocks/scenarios/schema.ts';
import { type LinodeMock, type LinodeRequestRecord, startLinodeMock } from '../../mocks/servers/linode.ts';
import { createLinodeAdapter } from '../../providers/linode/index.ts';
import { silentLogger } from '../../src/log.ts';
import { packagePath } from '../../src/paths.ts';
import { collectProvider } from '../../src/run/collect.ts';

// Every body the mock Linode API sends in these runs (the real client's calls, and the error
// answers), checked against the Linode API v4 OpenAPI 3.0.1 document (4.189.0) in ../shared/specs,
// its schemas turned into JSON Schema by @openapi-contrib/openapi-schema-to-json-schema for ajv.
// Named exceptions, both where the document disagrees with what the API and its clients do:
// - `/stats`: the document has {cpu, io, netv4, netv6, title}; @linode/api-v4 (type `Stats`),
//   linodego and the Java client read {title, data: {cpu, io, netv4, netv6}}, and so does the
//   mock (providers.md §0.5). Checked as `{title, ...data}` against the document's schema.
// - `date-time`: the API writes `2018-01-01T00:01:01` (no zone; UTC), which RFC 3339 rejects.
const specsDir = process.env.FLEETLENS_SPECS_DIR ?? packagePath('..', 'shared', 'specs');
const specFile = join(specsDir, 'linode', 'openapi.yaml');
const haveSpec = existsSync(specFile);

const nowMs = Date.parse('2025-03-10T00:00:00Z');
const window = { fromMs: nowMs - 14 * 86_400_000, toMs: nowMs, stepSec: 300 };

type OperationKey = 'instances' | 'volumes' | 'types' | 'stats';
const paths: Record<OperationKey, string> = {
  instances: '/{apiVersion}/linode/instances',
  volumes: '/{apiVersion}/volumes',
  types: '/{apiVersion}/linode/types',
  stats: '/{apiVersion}/linode/instances/{linodeId}/stats/{year}/{month}',
};

interface OpenApiOperation {
  responses: Record<string, { content?: { 'application/json'?: { schema: object } } }>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, { get: OpenApiOperation }>;
}

let doc: OpenApiDocument;
let ajv: Ajv;
const validators = new Map<string, ValidateFunction>();

function validator(operation: OperationKey, status: string): ValidateFunction {
  const key = `${operation} ${status}`;
  let validate = validators.get(key);
  if (!validate) {
    const responses = doc.paths[paths[operation]]!.get.responses;
    const schema = (responses[status] ?? responses.default)!.content!['application/json']!.schema;
    // NOTE: the Linode document inlines every schema (no $ref) in these operations; the converter
    // turns `nullable` into a type union and drops OpenAPI-only keywords. Its `$schema` names
    // draft-04; the keywords these schemas use mean the same in ajv's draft-07.
    const { $schema: _draft, ...converted } = openapiSchemaToJsonSchema(schema) as { $schema?: string };
    validate = ajv.compile(converted);
    validators.set(key, validate);
  }
  return validate;
}

function check(record: LinodeRequestRecord) {
  const operation = record.operation as OperationKey;
  const status = record.status === 200 ? '200' : 'default';
  const body =
    operation === 'stats' && record.status === 200
      ? (({ title, data }: { title: string; data: object }) => ({ title, ...data }))(
          record.body as { title: string; data: object },
        )
      : record.body;
  const validate = validator(operation, status);
  const ok = validate(body);
  return { ok, errors: ok ? [] : ajv.errorsText(validate.errors).slice(0, 500) };
}

const fleet = {
  token: 'contract-token',
  instances: [
    {
      id: 71000001,
      label: 'web-1',
      type: 'g6-standard-2',
      region: 'us-east',
      tags: ['web'],
      cpu: { shape: 'diurnal', base: 10, peak: 60 },
      io: 25,
      swap: 1,
      network: { inMbps: 4, outMbps: 9, privateInMbps: 1, privateOutMbps: 1 },
      volumes: [{ id: 910001, label: 'web-data', sizeGiB: 40 }],
    },
    { id: 71000002, label: 'idle-1', type: 'g6-nanode-1', region: 'eu-central' },
    { id: 71000003, label: 'gpu-1', type: 'g1-gpu-rtx6000-1', region: 'eu-central', status: 'offline' },
  ],
  faults: [
    { kind: 'throttle', operation: 'stats', nth: 2 },
    { kind: 'server-error', operation: 'volumes', nth: 1 },
  ],
};

let mock: LinodeMock;

beforeAll(async () => {
  if (!haveSpec) return;
  doc = parseYaml(readFileSync(specFile, 'utf8')) as OpenApiDocument;
  ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$/);
  ajv.addFormat('ipv6/128', /^[0-9a-f:]+\/128$/i);
  mock = await startLinodeMock({
    scenario: parseScenario({ name: 'linode-contract', linode: fleet }),
    now: () => nowMs,
  });
  // A whole collection through the real client (with a retried 429 and a retried 503)...
  const adapter = createLinodeAdapter({ token: 'contract-token' });
  await collectProvider(
    { ...adapter, retry: { minDelayMs: 5, maxDelayMs: 20 } },
    { tags: [], endpoint: mock.endpoint },
    window,
    silentLogger,
  );
  // ...and the error answers a client can meet.
  const get = (path: string, token = 'contract-token') =>
    fetch(`${mock.endpoint}${path}`, { headers: { authorization: `Bearer ${token}` } });
  await get('/v4beta/linode/instances', 'wrong-token');
  await get('/v4/linode/instances?page_size=1000');
  await get('/v4/linode/instances?page=9');
  await get('/v4/linode/instances/71000001/stats/2031/1');
  await get('/v4/linode/instances/99/stats/2025/3');
});

afterAll(async () => {
  await mock?.close();
});

describe.runIf(haveSpec)('linode mock bodies against the Linode API v4 OpenAPI document', () => {
  it('parses the 3.0.1 document', () => {
    expect(doc.openapi).toBe('3.0.1');
  });

  it('answered every kind of call the client makes, and the errors', () => {
    const seen = new Set(mock.requests.map((r) => `${r.operation} ${r.status}`));
    for (const expected of [
      'instances 200',
      'volumes 200',
      'types 200',
      'stats 200',
      'stats 429',
      'volumes 503',
      'instances 401',
      'instances 400',
      'instances 404',
      'stats 400',
      'stats 404',
    ])
      expect(seen, expected).toContain(expected);
  });

  it.each(['instances', 'volumes', 'types', 'stats'] as const)(
    'every %s body matches its schema',
    (operation) => {
      const records = mock.requests.filter((r) => r.operation === operation);
      expect(records.length).toBeGreaterThan(0);
      for (const record of records)
        expect(check(record), `${record.path} ${record.status}`).toEqual({ ok: true, errors: [] });
    },
  );

  it('checks closed objects: an unknown field on a Linode fails', () => {
    const record = mock.requests.find((r) => r.operation === 'instances' && r.status === 200)!;
    const body = structuredClone(record.body) as { data: Record<string, unknown>[] };
    body.data[0]!.disk_encryption = 'enabled';
    expect(validator('instances', '200')(body)).toBe(false);
  });

  it('names the /stats exception: the client-shaped body does not match the document as is', () => {
    const record = mock.requests.find((r) => r.operation === 'stats' && r.status === 200)!;
    expect(validator('stats', '200')(record.body)).toBe(false);
    expect(check(record).ok).toBe(true);
  });
});

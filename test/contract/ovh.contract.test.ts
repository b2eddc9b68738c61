import { existsSync, readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import ovh from 'ovh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OvhRequestRecord } from '../../mocks/servers/ovh.ts';
import { createOvhClient } from '../../providers/ovh/clients.ts';
import { packagePath } from '../../src/paths.ts';
import { CREDENTIALS, collect, fleet, withMock } from '../providers/ovh/harness.ts';

// Every body the OVH mock answered during a full adapter run (the real client, signed calls),
// checked against the legacy 1.0 schema the API itself publishes at /1.0/cloud.json
// (../shared/specs/ovh/legacy-1.0/cloud.json, shared/specs/README.md). The legacy format is not
// JSON Schema, so `legacyToJsonSchema` below converts the models an operation's responseType
// reaches. Named exceptions: `GET /auth/time` is in auth.json, which was not saved (its
// responseType is a bare `long`), and `GET /order/catalog/public/cloud` is in order.json, not saved
// either (providers.md §4.2: path UNVERIFIED).
const specPath = packagePath('..', 'shared', 'specs', 'ovh', 'legacy-1.0', 'cloud.json');
const haveSpec = existsSync(specPath);

interface LegacyProperty {
  type: string;
  canBeNull: boolean;
}
interface LegacyModel {
  enum?: string[];
  properties?: Record<string, LegacyProperty>;
}
interface LegacySpec {
  apis: { path: string; operations: { httpMethod: string; responseType: string }[] }[];
  models: Record<string, LegacyModel>;
}
type JsonSchema = Record<string, unknown>;

const PRIMITIVES: Record<string, JsonSchema> = {
  string: { type: 'string' },
  password: { type: 'string' },
  text: { type: 'string' },
  ip: { type: 'string' },
  ipv4: { type: 'string' },
  ipv6: { type: 'string' },
  ipBlock: { type: 'string' },
  uuid: { type: 'string' },
  datetime: { type: 'string', format: 'date-time' },
  date: { type: 'string', format: 'date' },
  time: { type: 'string' },
  long: { type: 'integer' },
  int: { type: 'integer' },
  double: { type: 'number' },
  float: { type: 'number' },
  boolean: { type: 'boolean' },
};

/**
 * A legacy type (`string`, `long`, `cloud.instance.InstanceStatusEnum`, `string[]`,
 * `map[string]T`) as JSON Schema, with every model it reaches under `definitions`. Properties that
 * cannot be null are required (the legacy `required` flag is about request bodies) and no other
 * property is allowed, so the mock can neither drop nor invent a field.
 */
function legacyToJsonSchema(spec: LegacySpec, type: string): JsonSchema {
  const definitions: Record<string, JsonSchema> = {};
  const convert = (t: string): JsonSchema => {
    if (t.endsWith('[]')) return { type: 'array', items: convert(t.slice(0, -2)) };
    const map = /^map\[string\](.+)$/.exec(t);
    if (map) return { type: 'object', additionalProperties: convert(map[1]!) };
    const primitive = PRIMITIVES[t];
    if (primitive) return primitive;
    const model = spec.models[t];
    if (!model) throw new Error(`type ${t} is not in the spec's models`);
    if (!(t in definitions)) {
      definitions[t] = {};
      definitions[t] = model.enum
        ? { type: 'string', enum: model.enum }
        : {
            type: 'object',
            additionalProperties: false,
            required: Object.entries(model.properties ?? {})
              .filter(([, p]) => !p.canBeNull)
              .map(([name]) => name),
            properties: Object.fromEntries(
              Object.entries(model.properties ?? {}).map(([name, p]) => [
                name,
                p.canBeNull ? { anyOf: [convert(p.type), { type: 'null' }] } : convert(p.type),
              ]),
            ),
          };
    }
    return { $ref: `#/definitions/${t}` };
  };
  const root = convert(type);
  return { ...root, definitions };
}

function responseType(spec: LegacySpec, path: string): string {
  const operation = spec.apis
    .find((api) => api.path === path)
    ?.operations.find((op) => op.httpMethod === 'GET');
  if (!operation) throw new Error(`GET ${path} is not in the spec`);
  return operation.responseType;
}

// The mock's routes and the spec paths they serve.
const SPEC_PATHS = {
  projects: '/cloud/project',
  instances: '/cloud/project/{serviceName}/instance',
  flavors: '/cloud/project/{serviceName}/flavor',
  volumes: '/cloud/project/{serviceName}/volume',
  monitoring: '/cloud/project/{serviceName}/instance/{instanceId}/monitoring',
} as const;

let spec: LegacySpec;
let records: OvhRequestRecord[] = [];
const validators = new Map<string, ValidateFunction>();

beforeAll(async () => {
  if (!haveSpec) return;
  spec = JSON.parse(readFileSync(specPath, 'utf8')) as LegacySpec;
  const ajv = new Ajv({ allErrors: true, strict: false });
  // NOTE: ajv-formats is CommonJS; its default export arrives wrapped or not depending on the loader.
  const addFormats = ((addFormatsModule as { default?: unknown }).default ?? addFormatsModule) as (
    instance: Ajv,
  ) => Ajv;
  addFormats(ajv);
  for (const [route, path] of Object.entries(SPEC_PATHS)) {
    validators.set(route, ajv.compile(legacyToJsonSchema(spec, responseType(spec, path))));
  }
  await withMock(fleet(), async (mock) => {
    const result = await collect(mock);
    expect(result.gaps).toEqual([]);
    records = [...mock.requests];
  });
});

afterAll(() => {
  records = [];
});

describe('the converter', () => {
  it.runIf(haveSpec)('turns the legacy types into JSON Schema', () => {
    expect(responseType(spec, SPEC_PATHS.monitoring)).toBe('cloud.instance.InstanceMetrics');
    const schema = legacyToJsonSchema(spec, 'cloud.instance.Instance[]');
    const definitions = schema.definitions as Record<string, JsonSchema>;
    expect(schema).toMatchObject({ type: 'array', items: { $ref: '#/definitions/cloud.instance.Instance' } });
    expect(definitions['cloud.instance.InstanceStatusEnum']).toMatchObject({
      type: 'string',
      enum: expect.arrayContaining(['ACTIVE', 'SHUTOFF']),
    });
    expect(definitions['cloud.instance.Instance']).toMatchObject({
      properties: {
        planCode: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        operationIds: { type: 'array', items: { type: 'string' } },
        created: { type: 'string', format: 'date-time' },
      },
    });
  });
});

describe('mock bodies match the published OVH schema', () => {
  it.runIf(haveSpec).each(Object.keys(SPEC_PATHS))('every %s body the adapter read', (route) => {
    const bodies = records.filter((r) => r.route === route && r.status === 200);
    expect(bodies.length).toBeGreaterThan(0);
    const validate = validators.get(route)!;
    for (const record of bodies) {
      const ok = validate(record.body);
      expect(ok, `${record.path}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
    }
  });

  it.runIf(haveSpec)('would catch a field the mock invented, dropped or mistyped', () => {
    const validate = validators.get('instances')!;
    const [instance] = records.find((r) => r.route === 'instances')!.body as Record<string, unknown>[];
    expect(validate([instance])).toBe(true);
    expect(validate([{ ...instance, tags: {} }])).toBe(false);
    const { flavorId: _dropped, ...missing } = instance!;
    expect(validate([missing])).toBe(false);
    expect(validate([{ ...instance, status: 'RUNNING' }])).toBe(false);
    expect(validators.get('monitoring')!({ unit: '%', values: [{ timestamp: '1', value: 2 }] })).toBe(false);
  });

  it.runIf(haveSpec)('the bodies cover a stopped instance, monthly billing and every metric type', () => {
    const instances = records
      .filter((r) => r.route === 'instances')
      .flatMap((r) => r.body as { status: string; monthlyBilling: unknown }[]);
    expect(new Set(instances.map((i) => i.status))).toEqual(new Set(['ACTIVE', 'SHUTOFF']));
    expect(instances.some((i) => i.monthlyBilling !== null)).toBe(true);
    const types = records
      .filter((r) => r.route === 'monitoring')
      .map((r) => new URL(r.path, 'https://x').searchParams.get('type'));
    expect(new Set(types)).toEqual(
      new Set(['cpu:used', 'cpu:max', 'mem:used', 'mem:max', 'net:rx', 'net:tx']),
    );
  });

  it.runIf(haveSpec)('the monitoring call the adapter makes uses the enums of the spec', () => {
    const enums = (id: string) => spec.models[id]!.enum!;
    for (const record of records.filter((r) => r.route === 'monitoring')) {
      const query = new URL(record.path, 'https://x').searchParams;
      expect(enums('cloud.instance.MetricsPeriodEnum')).toContain(query.get('period'));
      expect(enums('cloud.instance.MetricsTypeEnum')).toContain(query.get('type'));
    }
  });

  it.runIf(haveSpec)(
    'named exceptions: /auth/time (auth.json not saved) is a bare integer; the catalog has addons with pricings',
    () => {
      const time = records.find((r) => r.route === 'auth.time')!;
      expect(Number.isInteger(time.body)).toBe(true);
      const catalog = records.find((r) => r.route === 'catalog')!.body as {
        locale: { currencyCode: string };
        addons: { planCode: string; pricings: { intervalUnit: string; price: number }[] }[];
      };
      expect(catalog.locale.currencyCode).toBe('EUR');
      expect(catalog.addons.find((a) => a.planCode === 'b3-16.consumption')!.pricings[0]).toMatchObject({
        intervalUnit: 'hour',
        price: 9_000_000,
      });
    },
  );
});

describe('the real client checks the adapter calls against the schema itself', () => {
  // providers.md §5.4: given `apis: ['cloud']` the client loads /1.0/cloud.json (and auth.json) and
  // warns about any call the schema lacks or marks deprecated. auth.json was not saved, so the mock
  // serves an empty one and the /auth/time warning is the named exception; the order catalog is
  // another API (order.json), so it is not asked here.
  it.runIf(haveSpec)('finds every cloud call the adapter made, none deprecated', async () => {
    const calls = records
      .filter((r) => ['projects', 'instances', 'flavors', 'volumes', 'monitoring'].includes(r.route))
      .map((r) => new URL(r.path, 'https://x'));
    expect(calls.length).toBeGreaterThan(20);
    const schemas = { cloud: spec, auth: { apis: [], models: {} } };
    await withMock(
      fleet(),
      async (mock) => {
        // The adapter's own client registers the mock's certificate for this host:port.
        const handle = createOvhClient(
          { endpoint: mock.endpoint },
          { credentials: CREDENTIALS, certificateFor: () => mock.certificate },
        );
        try {
          const warnings: string[] = [];
          const checked = ovh({
            ...CREDENTIALS,
            host: '127.0.0.1',
            port: mock.port,
            basePath: '/1.0',
            apis: ['cloud'],
            warn: (...message: unknown[]) => warnings.push(message.join(' ')),
          });
          for (const url of calls) {
            const path = url.pathname.replace(/^\/1\.0/, '');
            await checked.requestPromised('GET', path, Object.fromEntries(url.searchParams));
          }
          expect(warnings.filter((w) => !w.includes('/auth/time'))).toEqual([]);
          await checked.requestPromised('GET', '/cloud/project/x/doesNotExist').catch(() => undefined);
          expect(warnings.some((w) => w.includes('/cloud/project/x/doesNotExist was not found'))).toBe(true);
        } finally {
          handle.dispose();
        }
      },
      { rateLimits: false, schemas },
    );
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GcpMock, startGcpMock } from '../../mocks/servers/gcp.ts';
import { createGcpAdapter } from '../../providers/gcp/index.ts';
import { silentLogger } from '../../src/log.ts';
import { packagePath } from '../../src/paths.ts';
import { collectProvider } from '../../src/run/collect.ts';
import { dayMs, gcpScenario, nowMs, OTHER, PROJECT, TOKEN } from '../providers/gcp/fixtures.ts';

// Every body the mock answered during the adapter's normal run (the bodies the adapter tests use),
// plus a raw ALIGN_NONE page with int64Value strings and a paged listing, validated against the
// Google discovery documents the clients are generated from (shared/specs/README.md: compute.v1
// rev 20260922, monitoring.v3 rev 20260129), turned into JSON Schema by the small converter below.
const specsDir = process.env.FLEETLENS_SPECS_DIR ?? packagePath('..', 'shared', 'specs');
const computeDoc = join(specsDir, 'gcp', 'compute.v1.discovery.json');
const monitoringDoc = join(specsDir, 'gcp', 'monitoring.v3.discovery.json');
const haveSpecs = existsSync(computeDoc) && existsSync(monitoringDoc);

interface DiscoverySchema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: string[];
  properties?: Record<string, DiscoverySchema>;
  additionalProperties?: DiscoverySchema;
  items?: DiscoverySchema;
}

type JsonSchema = Record<string, unknown>;

/**
 * Discovery `schemas` → JSON Schema (draft-07 for ajv): `$ref` by schema name, `type`,
 * `properties` (closed: a property the document does not name is an error), `items`,
 * `additionalProperties` (maps such as aggregatedList `items`), int64/uint64 as decimal strings,
 * `enum`, google-datetime as RFC 3339.
 */
export function discoveryToJsonSchema(schemas: Record<string, DiscoverySchema>): Record<string, JsonSchema> {
  const convert = (s: DiscoverySchema): JsonSchema => {
    if (s.$ref) return { $ref: `#/definitions/${s.$ref}` };
    switch (s.type) {
      case 'object': {
        const out: JsonSchema = { type: 'object' };
        if (s.properties)
          out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, convert(v)]));
        out.additionalProperties = s.additionalProperties ? convert(s.additionalProperties) : !s.properties;
        return out;
      }
      case 'array':
        return { type: 'array', ...(s.items ? { items: convert(s.items) } : {}) };
      case 'string':
        if (s.format === 'int64' || s.format === 'uint64') return { type: 'string', pattern: '^-?[0-9]+$' };
        if (s.format === 'google-datetime')
          return {
            type: 'string',
            pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
          };
        if (s.format === 'google-duration') return { type: 'string', pattern: '^-?\\d+(\\.\\d+)?s$' };
        return s.enum ? { type: 'string', enum: s.enum } : { type: 'string' };
      case 'integer':
        return { type: 'integer' };
      case 'number':
        return { type: 'number' };
      case 'boolean':
        return { type: 'boolean' };
      default:
        return {};
    }
  };
  return Object.fromEntries(Object.entries(schemas).map(([name, s]) => [name, convert(s)]));
}

function validatorFor(file: string) {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { schemas: Record<string, DiscoverySchema> };
  const ajv = new Ajv({ allErrors: true, strict: false });
  const definitions = discoveryToJsonSchema(doc.schemas);
  const cache = new Map<string, ValidateFunction>();
  return (schema: string, body: unknown) => {
    let validate = cache.get(schema);
    if (!validate) {
      validate = ajv.compile({ definitions, $ref: `#/definitions/${schema}` });
      cache.set(schema, validate);
    }
    validate(body);
    return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  };
}

const RESPONSE_SCHEMA: Record<string, ['compute' | 'monitoring', string]> = {
  'instances.aggregatedList': ['compute', 'InstanceAggregatedList'],
  'disks.aggregatedList': ['compute', 'DiskAggregatedList'],
  'instanceGroupManagers.aggregatedList': ['compute', 'InstanceGroupManagerAggregatedList'],
  'autoscalers.aggregatedList': ['compute', 'AutoscalerAggregatedList'],
  'machineTypes.list': ['compute', 'MachineTypeList'],
  'machineTypes.get': ['compute', 'MachineType'],
  'timeSeries.list': ['monitoring', 'ListTimeSeriesResponse'],
};

describe.runIf(haveSpecs)('gcp mock bodies against the discovery documents', () => {
  let mock: GcpMock;
  let check: Record<'compute' | 'monitoring', ReturnType<typeof validatorFor>>;

  beforeAll(async () => {
    check = { compute: validatorFor(computeDoc), monitoring: validatorFor(monitoringDoc) };
    mock = await startGcpMock({ scenario: gcpScenario(), now: () => nowMs, rateLimits: false });
    const adapter = createGcpAdapter({ accessToken: TOKEN });
    const window = { fromMs: nowMs - dayMs, toMs: nowMs, stepSec: 300 };
    await collectProvider(
      adapter,
      { projects: [PROJECT, OTHER], endpoint: mock.endpoint, labels: {} },
      window,
      silentLogger,
    );
    const auth = { authorization: `Bearer ${TOKEN}` };
    const base = `${mock.endpoint}`;
    // Bodies the adapter does not ask for but the mock serves: raw points, a second page, a get.
    const start = new Date(nowMs - 3600_000).toISOString();
    const end = new Date(nowMs).toISOString();
    const raw = new URLSearchParams({
      filter:
        'metric.type = "compute.googleapis.com/instance/disk/read_ops_count" AND resource.type = "gce_instance"',
      'interval.startTime': start,
      'interval.endTime': end,
    });
    for (const url of [
      `${base}/v3/projects/${PROJECT}/timeSeries?${raw}`,
      `${base}/compute/v1/projects/${PROJECT}/aggregated/instances?maxResults=2`,
      `${base}/compute/v1/projects/${PROJECT}/zones/us-central1-a/machineTypes/e2-standard-4`,
    ]) {
      expect((await fetch(url, { headers: auth })).status).toBe(200);
    }
  });
  afterAll(() => mock?.close());

  it('checked a body of every method the adapter calls', () => {
    const methods = new Set(mock.requests.filter((r) => r.body !== undefined).map((r) => r.method));
    expect([...methods].sort()).toEqual(Object.keys(RESPONSE_SCHEMA).sort());
  });

  it.each(Object.keys(RESPONSE_SCHEMA))('%s bodies match their discovery schema', (method) => {
    const [api, schema] = RESPONSE_SCHEMA[method]!;
    const bodies = mock.requests.filter((r) => r.method === method && r.body !== undefined);
    expect(bodies.length).toBeGreaterThan(0);
    for (const request of bodies) expect(check[api](schema, request.body), `${request.path}`).toEqual([]);
  });

  it('the converter catches what the documents forbid', () => {
    expect(check.compute('MachineType', { name: 'x', guestCpus: '4' })).not.toEqual([]);
    expect(check.compute('Instance', { id: 12, name: 'x' })).not.toEqual([]);
    expect(check.compute('Instance', { status: 'SLEEPING' })).not.toEqual([]);
    expect(check.compute('Instance', { nmae: 'typo' })).not.toEqual([]);
    expect(check.monitoring('TypedValue', { int64Value: 5 })).not.toEqual([]);
    expect(check.monitoring('TimeSeries', { metricKind: 'SOMETIMES' })).not.toEqual([]);
  });
});

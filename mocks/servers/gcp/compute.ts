import {
  autoscalerResource,
  COMPUTE_BASE,
  diskResources,
  type FleetProject,
  groupManagerResource,
  machineCatalog,
  machineTypeResource,
} from './fleet.ts';
import { decodeToken, encodeToken, GoogleApiError } from './monitoring.ts';

// Compute Engine v1 REST reads, as @google-cloud/compute 6 sends them (providers.md §2.2):
// aggregatedList of instances, instanceGroupManagers and autoscalers (items keyed by scope, pages
// of maxResults ≤ 500 with nextPageToken), machineTypes list (with filter) and get per zone.

type Item = { scope: string; value: Record<string, unknown> };

/** The compute filter subset: `(status = "RUNNING") (labels.env = "prod")`, `(name = "a") OR (name = "b")`. */
export function computeFilter(filter: string | null): (resource: Record<string, unknown>) => boolean {
  if (!filter?.trim()) return () => true;
  const anyOf = /\)\s+OR\s+\(/.test(filter) || /"\s+OR\s+/.test(filter);
  const clauses = [...filter.matchAll(/\(?\s*([\w.]+)\s*(=|!=)\s*"([^"]*)"\s*\)?/g)].map((m) => ({
    field: m[1]!,
    op: m[2]!,
    value: m[3]!,
  }));
  if (clauses.length === 0)
    throw new GoogleApiError(
      400,
      'INVALID_ARGUMENT',
      `Invalid value for field 'filter': '${filter}'. Invalid list filter expression.`,
      'invalid',
    );
  const test = (resource: Record<string, unknown>, c: (typeof clauses)[number]) => {
    const actual = c.field.startsWith('labels.')
      ? (resource.labels as Record<string, string> | undefined)?.[c.field.slice('labels.'.length)]
      : resource[c.field];
    const equal = String(actual ?? '') === c.value;
    return c.op === '=' ? equal : !equal;
  };
  return (resource) =>
    anyOf ? clauses.some((c) => test(resource, c)) : clauses.every((c) => test(resource, c));
}

function aggregated(
  project: string,
  what: string,
  field: string,
  items: Item[],
  query: URLSearchParams,
): Record<string, unknown> {
  const size = Math.min(500, Number(query.get('maxResults') ?? 500) || 500);
  const offset = decodeToken(query.get('pageToken'));
  const slice = items.slice(offset, offset + size);
  const byScope: Record<string, Record<string, unknown>> = {};
  for (const item of slice) {
    const scope = byScope[item.scope] ?? { [field]: [] };
    byScope[item.scope] = scope;
    (scope[field] as unknown[]).push(item.value);
  }
  const next = offset + size < items.length ? encodeToken(offset + size) : undefined;
  return {
    kind: `compute#${what}AggregatedList`,
    id: `projects/${project}/aggregated/${field}`,
    items: byScope,
    selfLink: `${COMPUTE_BASE}/projects/${project}/aggregated/${field}`,
    ...(next ? { nextPageToken: next } : {}),
  };
}

export function listInstances(project: FleetProject, query: URLSearchParams) {
  const keep = computeFilter(query.get('filter'));
  const items = project.instances
    .map((i) => ({ scope: `zones/${i.spec.zone}`, value: i.resource }))
    .filter((item) => keep(item.value));
  return { body: aggregated(project.id, 'instance', 'instances', items, query), count: items.length };
}

export function listDisks(project: FleetProject, query: URLSearchParams) {
  const items = diskResources(project).map((d) => ({ scope: `zones/${d.zone}`, value: d.value }));
  return { body: aggregated(project.id, 'disk', 'disks', items, query), count: items.length };
}

export function listGroupManagers(project: FleetProject, query: URLSearchParams) {
  const items = project.groups.map((g) => ({
    scope: `zones/${g.zone}`,
    value: groupManagerResource(project, g),
  }));
  return {
    body: aggregated(project.id, 'instanceGroupManager', 'instanceGroupManagers', items, query),
    count: items.length,
  };
}

export function listAutoscalers(project: FleetProject, query: URLSearchParams) {
  const items = project.groups.flatMap((g) => {
    const value = autoscalerResource(project, g);
    return value ? [{ scope: `zones/${g.zone}`, value }] : [];
  });
  return { body: aggregated(project.id, 'autoscaler', 'autoscalers', items, query), count: items.length };
}

export function listMachineTypes(project: FleetProject, zone: string, query: URLSearchParams) {
  const keep = computeFilter(query.get('filter'));
  const all = [...machineCatalog().values()]
    .map((entry) => machineTypeResource(project.id, zone, entry))
    .filter(keep);
  const size = Math.min(500, Number(query.get('maxResults') ?? 500) || 500);
  const offset = decodeToken(query.get('pageToken'));
  const next = offset + size < all.length ? encodeToken(offset + size) : undefined;
  return {
    body: {
      kind: 'compute#machineTypeList',
      id: `projects/${project.id}/zones/${zone}/machineTypes`,
      items: all.slice(offset, offset + size),
      selfLink: `${COMPUTE_BASE}/projects/${project.id}/zones/${zone}/machineTypes`,
      ...(next ? { nextPageToken: next } : {}),
    },
    count: Math.min(size, all.length - offset),
  };
}

export function getMachineType(project: FleetProject, zone: string, name: string) {
  const entry = machineCatalog().get(name);
  if (!entry) {
    throw new GoogleApiError(
      404,
      'NOT_FOUND',
      `The resource 'projects/${project.id}/zones/${zone}/machineTypes/${name}' was not found`,
      'notFound',
    );
  }
  return { body: machineTypeResource(project.id, zone, entry), count: 1 };
}

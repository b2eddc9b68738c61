// Permissive zod at the boundary (Renovate's zod.md): only the fields we use, oddities caught,
// list entries that do not parse dropped and counted. Field names and units: the Linode API v4
// reference (../shared/specs/linode/openapi.yaml, 4.189.0) and @linode/api-v4's types.
import { z } from 'zod';

const DateLike = z
  .string()
  .transform((value) => Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`))
  .pipe(z.number().refine(Number.isFinite));

export const LinodeInstance = z.object({
  id: z.number().int(),
  label: z.string().catch(''),
  region: z.string(),
  type: z.string().nullable().catch(null),
  status: z.string().catch('unknown'),
  created: DateLike.optional().catch(undefined),
  tags: z.array(z.string()).catch([]),
  ipv4: z.array(z.string()).catch([]),
  // NOTE: `group` is the deprecated display group of the old Manager, not a scaling group.
  specs: z
    .object({
      vcpus: z.number().positive().optional().catch(undefined),
      memory: z.number().positive().optional().catch(undefined),
    })
    .catch({}),
});
export type LinodeInstance = z.infer<typeof LinodeInstance>;

export const LinodeVolume = z.object({
  id: z.number().int(),
  label: z.string().catch(''),
  region: z.string(),
  size: z.number().nonnegative(),
  linode_id: z.number().int().nullable().catch(null),
  filesystem_path: z.string().nullable().catch(null),
  hardware_type: z.string().catch('unknown'),
  tags: z.array(z.string()).catch([]),
});
export type LinodeVolume = z.infer<typeof LinodeVolume>;

export const LinodeType = z.object({
  id: z.string(),
  class: z.string().catch('unknown'),
  vcpus: z.number().positive(),
  memory: z.number().positive(),
  network_out: z.number().nonnegative().optional().catch(undefined),
  price: z.object({ hourly: z.number().nonnegative().nullable().catch(null) }).catch({ hourly: null }),
});
export type LinodeType = z.infer<typeof LinodeType>;

/**
 * One page of a collection: `{data, page, pages, results}`. Strict on the envelope: a page that
 * is not this shape (a proxy's HTML, a truncated body axios handed over as a string) is a bad
 * response, not an empty list.
 */
export const LinodePage = z.object({
  data: z.array(z.unknown()),
  page: z.number().int().min(1),
  pages: z.number().int().min(0),
  results: z.number().int().min(0),
});
export type LinodePage = z.infer<typeof LinodePage>;

// [epochMs, value] pairs; a pair that is not two finite numbers is dropped. The pairs that pass are
// kept as they came (a month is 8,640 of them per field: copying each was most of a call's garbage).
const isPoint = (pair: unknown): pair is [number, number] =>
  Array.isArray(pair) &&
  pair.length >= 2 &&
  typeof pair[0] === 'number' &&
  typeof pair[1] === 'number' &&
  Number.isFinite(pair[0]) &&
  Number.isFinite(pair[1]);
const Points = z
  .custom<unknown[]>((value) => Array.isArray(value))
  .catch([])
  .transform((pairs) => pairs.filter(isPoint));

const NetStats = z
  .object({ in: Points, out: Points, private_in: Points, private_out: Points })
  .catch({ in: [], out: [], private_in: [], private_out: [] });

/**
 * `/stats/{year}/{month}` as @linode/api-v4 types it (`Stats`): `{title, data: {cpu, io, netv4,
 * netv6}}`. The OpenAPI 4.189.0 document has the series at the top level instead; the client,
 * linodego and the Java client all read `data` (../shared/reference/providers.md §0.5).
 */
export const LinodeStats = z.object({
  title: z.string().catch(''),
  data: z.object({
    cpu: Points,
    io: z.object({ io: Points, swap: Points }).catch({ io: [], swap: [] }),
    netv4: NetStats,
    netv6: NetStats,
  }),
});
export type LinodeStats = z.infer<typeof LinodeStats>;

/** The bundled catalog's entries (../shared/catalogs/linode-types.json). */
export const CatalogLinodeType = z.object({
  id: z.string(),
  class: z.string(),
  vcpus: z.number().positive(),
  memoryMB: z.number().positive(),
  networkOutMbps: z.number().nullable().catch(null),
  priceHourlyUsd: z.number().nullable().catch(null),
});
export type CatalogLinodeType = z.infer<typeof CatalogLinodeType>;

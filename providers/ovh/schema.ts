// Permissive zod at the boundary (Renovate's zod.md): the fields fleetlens uses from the legacy 1.0
// models (../shared/specs/ovh/legacy-1.0/cloud.json), oddities caught, bad list entries dropped.
import { z } from 'zod';

export const ProjectIds = z.array(z.string().min(1));

/** cloud.instance.Instance */
export const OvhInstance = z.object({
  id: z.string().min(1),
  name: z.string().catch(''),
  flavorId: z.string().catch(''),
  planCode: z.string().nullable().optional().catch(null),
  region: z.string().catch('unknown'),
  status: z.string().catch('UNKNOWN'),
  created: z
    .string()
    .optional()
    .catch(undefined)
    .transform((value) => (value && Number.isFinite(Date.parse(value)) ? Date.parse(value) : null)),
  monthlyBilling: z.object({ status: z.string().optional() }).nullable().optional().catch(null),
  ipAddresses: z
    .array(
      z.object({ ip: z.string().optional().catch(undefined), type: z.string().optional().catch(undefined) }),
    )
    .catch([]),
});
export type OvhInstance = z.infer<typeof OvhInstance>;

/** cloud.flavor.Flavor: ram in GB ("Gio"), disk in GB, bandwidth in Mbit/s. */
export const OvhFlavor = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  region: z.string().catch(''),
  vcpus: z.number().positive(),
  ram: z.number().positive(),
  disk: z.number().nonnegative().catch(0),
  type: z.string().catch(''),
  osType: z.string().catch('linux'),
  inboundBandwidth: z.number().nullable().optional().catch(null),
  outboundBandwidth: z.number().nullable().optional().catch(null),
  planCodes: z
    .object({ hourly: z.string().nullable().optional(), monthly: z.string().nullable().optional() })
    .catch({}),
});
export type OvhFlavor = z.infer<typeof OvhFlavor>;

/** cloud.volume.Volume: size in GB; attachedTo holds instance ids. */
export const OvhVolume = z.object({
  id: z.string().min(1),
  name: z.string().catch(''),
  type: z.string().catch('unknown'),
  size: z.number().nonnegative(),
  region: z.string().catch('unknown'),
  status: z.string().catch('unknown'),
  attachedTo: z.array(z.string()).catch([]),
});
export type OvhVolume = z.infer<typeof OvhVolume>;

/** The bundled catalog's Block Storage classes; a fixed per-volume IOPS cap where the catalog has one. */
export const CatalogVolumeClass = z.object({
  type: z.string(),
  maxIopsPerVolume: z.number().nullable().catch(null),
});

/** cloud.instance.InstanceMetrics: timestamps in epoch seconds. */
export const OvhInstanceMetrics = z.object({
  unit: z.string().catch(''),
  values: z.array(z.unknown()),
});

export const OvhMetricValue = z.object({
  timestamp: z.number(),
  value: z.number(),
});

/**
 * The public order catalog (`GET /order/catalog/public/cloud`): instance plan codes are addons whose
 * pricings give the price in 1e-8 of the catalog's currency per interval unit.
 */
export const OvhCatalogPricing = z.object({
  capacities: z.array(z.string()).catch([]),
  intervalUnit: z.string().catch(''),
  price: z.number(),
});
export const OvhCatalogAddon = z.object({
  planCode: z.string(),
  pricings: z.array(z.unknown()).catch([]),
});
export const OvhCatalog = z.object({
  locale: z.object({ currencyCode: z.string() }).catch({ currencyCode: 'EUR' }),
  addons: z.array(z.unknown()),
});

/** The bundled catalog's flavor entries (../shared/catalogs/ovh-flavors.json). */
export const CatalogFlavor = z.object({
  name: z.string(),
  family: z.string(),
  vcpu: z.number().positive(),
  ramGB: z.number().positive(),
  publicBandwidthMbps: z.number().nullable().catch(null),
  priceEurPerHour: z.number().nullable().catch(null),
  planCodes: z.array(z.object({ planCode: z.string(), priceEurPerHour: z.number().optional() })).catch([]),
});
export type CatalogFlavor = z.infer<typeof CatalogFlavor>;

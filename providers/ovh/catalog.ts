// Flavor specs come from `GET /cloud/project/{sn}/flavor` (listed with the inventory); flavors carry
// no price, so one public order-catalog call gives the hourly price of each plan code
// (providers.md §4.2). The bundled catalog (../shared/catalogs/ovh-flavors.json) fills whatever the
// API did not give and is the offline fallback.
import { z } from 'zod';
import type { OvhConfig } from '../../src/config/schema.ts';
import type { Gap, InstanceType } from '../../src/model/index.ts';
import { readPackageJson } from '../../src/paths.ts';
import type { Collected, Inventory, ProviderContext } from '../types.ts';
import { type OvhClientHandle, request } from './clients.ts';
import { BUCKET, type OvhInventoryState, toGap } from './inventory.ts';
import { CatalogFlavor, OvhCatalog, OvhCatalogAddon, OvhCatalogPricing, type OvhFlavor } from './schema.ts';

// NOTE: the shared model prices in USD and OVH in EUR. This is a fixed, round conversion rate (the
// ECB reference rate moved between about 1.05 and 1.18 USD per EUR in 2024-2025), not a live one:
// OVH cost deltas are estimates to within a few percent; the ranking of flavors does not depend on it.
export const USD_PER_EUR = 1.1;
const USD_PER = new Map<string, number>([
  ['EUR', USD_PER_EUR],
  ['USD', 1],
]);

// The order catalog's prices are integers in 1e-8 of the currency.
const PRICE_SCALE = 1e8;

/** The subsidiary whose catalog matches an endpoint's accounts (prices differ per subsidiary). */
export function subsidiaryOf(endpoint: string): string {
  if (endpoint === 'ovh-ca') return 'CA';
  if (endpoint === 'ovh-us') return 'US';
  return 'FR';
}

let bundled: InstanceType[] | undefined;

/** The bundled catalog (41 Linux flavors, EUR list prices converted at USD_PER_EUR), parsed once. */
export function bundledCatalog(): InstanceType[] {
  bundled ??= z
    .object({ flavors: z.array(CatalogFlavor) })
    .parse(readPackageJson('providers', 'ovh', 'data', 'ovh-flavors.json'))
    .flavors.map((entry) =>
      instanceType(
        entry.name,
        entry.vcpu,
        entry.ramGB,
        entry.publicBandwidthMbps,
        eurToUsd(entry.priceEurPerHour),
        'bundled',
      ),
    );
  return bundled;
}

export async function listInstanceTypes(
  ctx: ProviderContext<OvhConfig>,
  handle: OvhClientHandle,
  state: OvhInventoryState,
  inventory: Inventory,
): Promise<Collected<InstanceType[]>> {
  const byName = new Map(bundledCatalog().map((entry) => [entry.name, entry]));
  if (inventory.hosts.length === 0) return { value: [...byName.values()], gaps: [] };
  const gaps: Gap[] = [];
  ctx.observe('catalog', '*', 1);
  const prices = await ctx
    .call({ bucket: BUCKET, operation: 'order.catalog' }, (signal) =>
      request<unknown>(
        handle,
        '/order/catalog/public/cloud',
        { ovhSubsidiary: subsidiaryOf(ctx.config.endpoint) },
        signal,
      ),
    )
    .then((raw) => hourlyPrices(raw))
    .catch((error: unknown) => {
      const gap = toGap(error, 'flavor prices (public order catalog)');
      gaps.push({ ...gap, message: `${gap.message}; sizing used the bundled catalog's prices` });
      return new Map<string, number>();
    });
  const inUse = new Set(inventory.hosts.map((host) => host.instanceType));
  for (const flavor of uniqueByName(state.flavors.values())) {
    if (!inUse.has(flavor.name) && !byName.has(flavor.name)) continue;
    const hourly = flavor.planCodes.hourly ? prices.get(flavor.planCodes.hourly) : undefined;
    const known = byName.get(flavor.name);
    const price = hourly ?? known?.priceUsdPerHour ?? null;
    const bandwidth = flavor.outboundBandwidth ?? null;
    byName.set(
      flavor.name,
      instanceType(
        flavor.name,
        flavor.vcpus,
        flavor.ram,
        bandwidth,
        price,
        'api',
        known?.networkBaselineGbps ?? null,
      ),
    );
  }
  return { value: [...byName.values()], gaps };
}

/** plan code -> USD per hour, from the `consumption` pricing of each addon (instances are addons). */
export function hourlyPrices(raw: unknown): Map<string, number> {
  const parsed = OvhCatalog.safeParse(raw);
  const prices = new Map<string, number>();
  if (!parsed.success) return prices;
  const rate = USD_PER.get(parsed.data.locale.currencyCode);
  if (rate === undefined) return prices;
  for (const item of parsed.data.addons) {
    const addon = OvhCatalogAddon.safeParse(item);
    if (!addon.success) continue;
    for (const entry of addon.data.pricings) {
      const pricing = OvhCatalogPricing.safeParse(entry);
      if (!pricing.success) continue;
      if (pricing.data.intervalUnit === 'hour' && pricing.data.capacities.includes('consumption')) {
        prices.set(addon.data.planCode, round((pricing.data.price / PRICE_SCALE) * rate));
      }
    }
  }
  return prices;
}

function uniqueByName(flavors: Iterable<OvhFlavor>): OvhFlavor[] {
  const seen = new Map<string, OvhFlavor>();
  for (const flavor of flavors) if (!seen.has(flavor.name)) seen.set(flavor.name, flavor);
  return [...seen.values()];
}

function instanceType(
  name: string,
  vcpu: number,
  ramGB: number,
  bandwidthMbps: number | null,
  priceUsdPerHour: number | null,
  source: InstanceType['source'],
  fallbackGbps: number | null = null,
): InstanceType {
  return {
    provider: 'ovh',
    name,
    family: name.split('-')[0] ?? name,
    vcpu,
    memoryMiB: ramGB * 1024,
    // Every Public Cloud general-purpose, compute and memory flavor is x86-64.
    arch: 'x86_64',
    burstable: false,
    baselineCpuPct: null,
    networkBaselineGbps: bandwidthMbps !== null ? bandwidthMbps / 1000 : fallbackGbps,
    networkPeakGbps: null,
    // Block Storage limits are per volume class, not per flavor.
    ebsBaselineIops: null,
    ebsMaxIops: null,
    ebsBaselineThroughputMBps: null,
    ebsMaxThroughputMBps: null,
    priceUsdPerHour,
    source,
  };
}

function eurToUsd(eur: number | null): number | null {
  return eur === null ? null : round(eur * USD_PER_EUR);
}

function round(value: number): number {
  return Math.round(value * 1e5) / 1e5;
}

// Inventory for the whole account (Linode collections are not per region): GET /v4beta/linode/instances
// and GET /v4/volumes, each paged at the largest page size (page_size 25-500; OpenAPI 4.189.0),
// each page through call(). Linode has no autoscaling groups: `groups` is always empty. Offline
// Linodes and volumes attached to none are listed too: both are billed.
import type { z } from 'zod';
import type { LinodeConfig } from '../../src/config/schema.ts';
import { ProviderError } from '../../src/errors.ts';
import type { Gap, Host, Volume } from '../../src/model/index.ts';
import { LooseArray } from '../../src/model/zod-utils.ts';
import { maxPagesOf } from '../../src/net/pages.ts';
import { gapOf } from '../gaps.ts';
import type { Collected, Inventory, ProviderContext } from '../types.ts';
import type { LinodeClient } from './clients.ts';
import { LinodeInstance, LinodePage, LinodeVolume } from './schema.ts';

export const PAGE_SIZE = 500;
/** Linode collections are account-wide; counts are observed under this key, not per region. */
export const ACCOUNT = 'account';
/**
 * The most entries one collection can hold, which bounds its pages. Linode publishes no account
 * maximum (new accounts have a small limit raised on request); 50,000 Linodes or volumes is an
 * assumption above any account we know of: 101 pages of 500.
 */
export const MAX_PAGES = maxPagesOf({ pageSize: PAGE_SIZE, maxItems: 50_000 });

export async function listInventory(
  ctx: ProviderContext<LinodeConfig>,
  client: LinodeClient,
): Promise<Collected<Inventory>> {
  const empty = { hosts: [], volumes: [], groups: [] };
  let instances: LinodeInstance[];
  try {
    const filter = tagFilter(ctx.config.tags);
    instances = await pages(ctx, client, 'linode.getLinodes', LinodeInstance, (page) =>
      client.api.getLinodes({ page, page_size: PAGE_SIZE }, filter),
    );
  } catch (error) {
    ctx.scope(ACCOUNT, error);
    return { value: empty, gaps: [toGap(error, 'Linodes')] };
  }
  ctx.scope(ACCOUNT);
  ctx.observe('instances', ACCOUNT, instances.length);

  const gaps: Gap[] = [];
  const volumes = await pages(ctx, client, 'linode.getVolumes', LinodeVolume, (page) =>
    client.api.getVolumes({ page, page_size: PAGE_SIZE }),
  ).catch((error: unknown) => {
    gaps.push(toGap(error, 'Block Storage volumes'));
    return undefined;
  });
  if (volumes) ctx.observe('volumes', ACCOUNT, volumes.length);

  const hosts = instances.map(toHost);
  const byId = new Map(hosts.map((host) => [host.id, host]));
  const wanted = ctx.config.tags;
  const kept = (volumes ?? []).map(toVolume).filter((volume) => {
    const hostId = volume.attachedTo[0]?.hostId;
    // Attached to nothing: billed all the same; kept when it carries the configured tags.
    if (hostId === undefined) return wanted.every((tag) => tag in volume.tags);
    const host = byId.get(hostId);
    host?.volumeIds.push(volume.id);
    return host !== undefined;
  });
  return { value: { hosts, volumes: kept, groups: [] }, gaps };
}

/** X-Filter for "carries every one of these tags" (https://techdocs.akamai.com/linode-api/reference/filtering-and-sorting). */
export function tagFilter(tags: readonly string[]): Record<string, unknown> | undefined {
  if (tags.length === 0) return undefined;
  if (tags.length === 1) return { tags: tags[0] };
  return { '+and': tags.map((tag) => ({ tags: tag })) };
}

/**
 * Pages 1..pages of a collection, one call() each; the envelope must parse, entries may be dropped.
 * The page count is the server's word, so it is checked: the same on every page, and no more than
 * a collection can hold. A count that grows as it is followed would otherwise never end.
 */
export async function pages<S extends z.ZodType>(
  ctx: ProviderContext<LinodeConfig>,
  client: LinodeClient,
  operation: string,
  entry: S,
  fetchPage: (page: number) => Promise<unknown>,
): Promise<z.output<S>[]> {
  const all: z.output<S>[] = [];
  let page = 1;
  let last: number | undefined;
  do {
    const current = page;
    const body = await ctx.call({ bucket: 'linode.collections', operation }, (signal) =>
      client.run(operation, signal, () => fetchPage(current)),
    );
    const envelope = parsePage(body, operation);
    if (envelope.page !== current) {
      throw new ProviderError(
        'linode',
        'bad-response',
        operation,
        `answered page ${envelope.page} when asked for page ${current}`,
      );
    }
    if (last !== undefined && envelope.pages !== last) {
      throw new ProviderError(
        'linode',
        'bad-response',
        operation,
        `the page count changed from ${last} to ${envelope.pages} while it was followed; stopped instead of paging on`,
      );
    }
    if (envelope.pages > MAX_PAGES) {
      throw new ProviderError(
        'linode',
        'bad-response',
        operation,
        `claims ${envelope.pages} pages of ${PAGE_SIZE}, more than an account can hold (${MAX_PAGES}); stopped`,
      );
    }
    all.push(...parseList(ctx, entry, envelope.data, operation));
    last = envelope.pages;
    page += 1;
  } while (page <= (last ?? 0));
  return all;
}

export function parsePage(body: unknown, operation: string): LinodePage {
  const parsed = LinodePage.safeParse(body);
  if (parsed.success) return parsed.data;
  const what = typeof body === 'string' ? 'a body that is not JSON' : 'a page without data/page/pages';
  throw new ProviderError('linode', 'bad-response', operation, `answered ${what}`);
}

export function parseList<S extends z.ZodType>(
  ctx: Pick<ProviderContext<unknown>, 'log'>,
  schema: S,
  items: unknown[],
  what: string,
): z.output<S>[] {
  return LooseArray(schema, (dropped) =>
    ctx.log.warn({ provider: 'linode', what, dropped }, 'dropped list entries that did not parse'),
  ).parse(items);
}

export function toHost(linode: LinodeInstance): Host {
  const id = String(linode.id);
  return {
    provider: 'linode',
    id,
    name: linode.label || id,
    region: linode.region,
    // Linode regions have no zones.
    zone: null,
    instanceType: linode.type ?? 'unknown',
    state: STATES.get(linode.status) ?? linode.status,
    vcpu: linode.specs.vcpus ?? null,
    memoryMiB: linode.specs.memory ?? null,
    launchedAtMs: linode.created ?? null,
    groupId: null,
    volumeIds: [],
    // NOTE: Linode tags are plain strings, not key/value pairs.
    tags: { ...Object.fromEntries(linode.tags.map((tag) => [tag, ''])), 'linode:status': linode.status },
    // Linode's private addresses are in 192.168.128.0/17; the rest of ipv4 is public.
    privateIp: linode.ipv4.find((ip) => /^192\.168\.(1(2[89]|[3-9]\d)|2\d\d)\./.test(ip)) ?? null,
  };
}

/**
 * Linode statuses in the words every adapter uses; an `offline` Linode is powered off and its plan
 * still bills (https://techdocs.akamai.com/cloud-computing/docs/understanding-billing-and-payments).
 */
const STATES = new Map<string, string>(
  Object.entries({
    running: 'running',
    offline: 'stopped',
    stopped: 'stopped',
    booting: 'pending',
    provisioning: 'pending',
    rebooting: 'running',
    shutting_down: 'stopping',
  }),
);

export function toVolume(volume: LinodeVolume): Volume {
  return {
    provider: 'linode',
    id: `volume-${volume.id}`,
    region: volume.region,
    zone: null,
    type: `block-storage-${volume.hardware_type}`,
    sizeGiB: volume.size,
    // Linode publishes no per-volume IOPS or throughput limit (../shared/catalogs/README.md).
    iops: null,
    throughputMiBps: null,
    attachedTo:
      volume.linode_id === null ? [] : [{ hostId: String(volume.linode_id), device: volume.filesystem_path }],
    tags: Object.fromEntries(volume.tags.map((tag) => [tag, ''])),
  };
}

export function toGap(error: unknown, what: string): Gap {
  return gapOf('linode', error, what, ACCOUNT);
}

// The change that moves a unit's first ceiling past the event, and what it costs per month while it
// runs: one function per ceiling kind, in one table.
import type { Facts } from '../analysis/facts.ts';
import type { CeilingKind, EventCheck, Group, Host, InstanceType, Volume } from '../model/index.ts';
import { planGp3, volumeMonthlyCost } from '../recommend/ebs.ts';
import { HOURS_PER_MONTH, roundUsd } from '../recommend/money.ts';
import { allowedTypes, capacity, type Dimension } from '../recommend/sizing.ts';
import { AT_RISK_MARGIN } from './check.ts';
import { workerConcurrencyChange } from './worker-concurrency.ts';

export interface Change {
  change: string;
  monthlyCostDeltaUsd: number | null;
}

export interface ChangeContext {
  facts: Facts;
  multiplier: number;
  check: EventCheck;
  checks: readonly EventCheck[];
  host?: Host;
  group?: Group;
}

/** What the projected peak needs with the at-risk margin on top, in the check's unit. */
function needed(ctx: ChangeContext): number {
  return (ctx.check.demand ?? 0) * AT_RISK_MARGIN;
}

const CHANGES: Record<CeilingKind, (ctx: ChangeContext) => Change | null> = {
  cpu: (ctx) => biggerType(ctx, 'cpu'),
  memory: (ctx) => biggerType(ctx, 'memory'),
  network: (ctx) => biggerType(ctx, 'network'),
  'ebs-bandwidth': (ctx) =>
    biggerType(ctx, ctx.check.unit === 'ops-per-second' ? 'ebs-iops' : 'ebs-throughput'),
  volume: volumeChange,
  'group-max': groupChange,
  'accept-queue': (ctx) => {
    // The kernel rounds nothing: a power of two is the convention (and what somaxconn defaults to).
    const backlog = 2 ** Math.ceil(Math.log2(Math.max(2, needed(ctx))));
    return { change: `listen backlog and net.core.somaxconn to ${backlog}`, monthlyCostDeltaUsd: 0 };
  },
  pool: (ctx) => ({
    change:
      workerConcurrencyChange(ctx.check, needed(ctx)) ??
      `pool size to ${Math.ceil(needed(ctx))} workers (or make the slow call async)`,
    monthlyCostDeltaUsd: 0,
  }),
  threads: (ctx) => ({
    change: `raise ${ctx.check.label.replace(/^threads against /, '')} to ${Math.ceil(needed(ctx))}, or cap the threads the app starts`,
    monthlyCostDeltaUsd: 0,
  }),
  fds: (ctx) => ({
    change: `nofile (LimitNOFILE=) to ${Math.ceil(needed(ctx))}, and close leaked sockets`,
    monthlyCostDeltaUsd: 0,
  }),
  'event-loop': (ctx) => ({
    change: `move the blocking step off the loop (run_in_executor), or run ${Math.ceil(needed(ctx) / 100)} loop processes`,
    monthlyCostDeltaUsd: 0,
  }),
};

export function changeFor(ctx: ChangeContext): Change | null {
  return CHANGES[ctx.check.kind](ctx);
}

const SHARE_OF_CAPACITY: ReadonlySet<CeilingKind> = new Set(['cpu', 'memory']);

/** The cheapest type of the same purpose whose capacity in `dimension` covers the projected peak. */
function biggerType(ctx: ChangeContext, dimension: Dimension): Change | null {
  const host = ctx.host;
  const current = host ? ctx.facts.catalog.get(host.instanceType) : undefined;
  if (!host || !current) return null;
  const have = capacity(current, dimension);
  const limit = ctx.check.limit;
  if (have === null || limit === null || limit <= 0) return null;
  // CPU and memory limits are a share of the current capacity with the sizing headroom in it
  // already (a burstable's baseline is not: the new type is not burstable); the others are capacities.
  const headroomPct =
    ctx.check.kind === 'cpu' ? ctx.facts.sizing.cpuHeadroomPct : ctx.facts.sizing.memoryHeadroomPct;
  const want = SHARE_OF_CAPACITY.has(ctx.check.kind)
    ? (have * (ctx.check.demand ?? 0) * (1 + headroomPct / 100)) / 100
    : needed(ctx);
  const pool = allowedTypes(current, [...ctx.facts.catalog.values()], {
    ...ctx.facts.sizing,
    allowBurstable: false,
  });
  const fits = pool
    .filter((t) => (capacity(t, dimension) ?? 0) >= want && t.priceUsdPerHour !== null)
    .sort((a, b) => a.priceUsdPerHour! - b.priceUsdPerHour!);
  const pick = fits[0];
  if (!pick)
    return {
      change: `a larger type than the ${current.name} catalog family offers`,
      monthlyCostDeltaUsd: null,
    };
  return { change: `${current.name} → ${pick.name}`, monthlyCostDeltaUsd: priceDelta(current, pick) };
}

function priceDelta(from: InstanceType, to: InstanceType): number | null {
  if (from.priceUsdPerHour === null || to.priceUsdPerHour === null) return null;
  return roundUsd((to.priceUsdPerHour - from.priceUsdPerHour) * HOURS_PER_MONTH);
}

/** gp3 with the IOPS and throughput the projected peak needs (gp2, io1 and gp3 alike). */
function volumeChange(ctx: ChangeContext): Change | null {
  const volumeId = ctx.check.label.split(' ')[0];
  const volume: Volume | undefined = ctx.facts.volumes.find((v) => v.id === volumeId);
  if (!volume) return null;
  const mine = ctx.checks.filter((c) => c.kind === 'volume' && c.label.startsWith(`${volume.id} `));
  const iops = mine.find((c) => c.unit === 'ops-per-second')?.today ?? 0;
  const mibps = mine.find((c) => c.unit === 'mib-per-second')?.today ?? 0;
  const plan = planGp3(volume.sizeGiB, iops * ctx.multiplier, mibps * ctx.multiplier, AT_RISK_MARGIN);
  if (!plan.fits) return { change: `${volume.id} to io2 (beyond gp3's limits)`, monthlyCostDeltaUsd: null };
  const now = volumeMonthlyCost(volume.type, volume.sizeGiB, volume.iops, volume.throughputMiBps).usd;
  const next = volumeMonthlyCost('gp3', plan.sizeGiB, plan.iops, plan.throughputMiBps).usd;
  return {
    change: `${volume.id} to gp3 ${plan.iops} IOPS, ${plan.throughputMiBps} MiB/s${plan.sizeGiB > volume.sizeGiB ? `, ${plan.sizeGiB} GiB` : ''}`,
    monthlyCostDeltaUsd: now === null || next === null ? null : roundUsd(next - now),
  };
}

function groupChange(ctx: ChangeContext): Change | null {
  const group = ctx.group;
  if (!group) return null;
  // The group's limit already carries the sizing headroom (members are counted against 100 % ÷ 1.2).
  const members = Math.ceil(ctx.check.demand ?? 0);
  const type = ctx.facts.catalog.get(group.instanceTypes[0] ?? '');
  const extra = Math.max(0, members - group.desiredCapacity);
  return {
    change: `max to ${members} and scale out to ${members} members before the event`,
    monthlyCostDeltaUsd:
      type?.priceUsdPerHour === null || type === undefined
        ? null
        : roundUsd(extra * type.priceUsdPerHour * HOURS_PER_MONTH),
  };
}

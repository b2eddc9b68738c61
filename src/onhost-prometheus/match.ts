// Which cloud host a Prometheus target belongs to. Targets are grouped by machine (the `instance`
// address without its port, so node_exporter's :9100 and the app's :8000 are one machine), then
// each machine is matched by the configured methods in order: the instance-id label, the private
// IP in `instance`, the hostname label against the host's Name. What matches nothing is listed.
import type { PrometheusMatch } from '../config/schema.ts';
import type { Host } from '../model/index.ts';

export interface Target {
  job: string;
  instance: string;
  labels: Record<string, string>;
}

export interface Machine {
  /** `10.0.3.7` of `10.0.3.7:9100`. */
  address: string;
  /** The `instance` of each job on this machine (`node` → `10.0.3.7:9100`). */
  instances: Record<string, string>;
  instanceId: string | null;
  hostname: string | null;
}

export interface MatchedHost {
  host: Host;
  machine: Machine;
  by: PrometheusMatch;
}

export interface MatchResult {
  matched: MatchedHost[];
  /** Listed hosts no series belongs to. */
  unmatchedHosts: Host[];
  /** Machines whose series belong to no listed host (a stale target, another fleet), with why. */
  unmatchedSeries: { machine: Machine; reason: string }[];
}

export interface MatchOptions {
  order: readonly PrometheusMatch[];
  instanceIdLabel: string;
  hostnameLabel: string;
}

/** `10.0.3.7:9100` → `10.0.3.7`, `[::1]:9100` → `::1`, a bare name stays as it is. */
export function addressOf(instance: string): string {
  const bracketed = /^\[(.+)\](?::\d+)?$/.exec(instance);
  if (bracketed) return bracketed[1]!;
  return /^[^:]+:\d+$/.test(instance) ? instance.replace(/:\d+$/, '') : instance;
}

export function machinesOf(targets: readonly Target[], options: MatchOptions): Machine[] {
  const byAddress = new Map<string, Machine>();
  for (const target of targets) {
    const address = addressOf(target.instance);
    const machine = byAddress.get(address) ?? { address, instances: {}, instanceId: null, hostname: null };
    byAddress.set(address, machine);
    machine.instances[target.job] ??= target.instance;
    machine.instanceId ??= target.labels[options.instanceIdLabel] || null;
    machine.hostname ??= target.labels[options.hostnameLabel] || null;
  }
  return [...byAddress.values()].sort((a, b) => a.address.localeCompare(b.address));
}

function candidates(machine: Machine, by: PrometheusMatch, hosts: readonly Host[]): Host[] {
  if (by === 'instance-id') return machine.instanceId ? hosts.filter((h) => h.id === machine.instanceId) : [];
  if (by === 'ip') return hosts.filter((h) => h.privateIp === machine.address);
  // A hostname is often the short form of the Name tag, or the Name itself.
  if (!machine.hostname) return [];
  const short = machine.hostname.split('.')[0]!;
  return hosts.filter((h) => h.name === machine.hostname || h.name === short);
}

export function matchMachines(
  machines: readonly Machine[],
  hosts: readonly Host[],
  options: MatchOptions,
): MatchResult {
  const matched: MatchedHost[] = [];
  const taken = new Set<string>();
  const unmatchedSeries: MatchResult['unmatchedSeries'] = [];
  for (const machine of machines) {
    let found: MatchedHost | null = null;
    let reason = `no host has its ${options.order.join(', ')}`;
    for (const by of options.order) {
      const hits = candidates(machine, by, hosts);
      if (hits.length > 1) {
        // Group members often share a Name: an ambiguous match must not pick one at random.
        reason = `${by} names ${hits.length} hosts (${hits.map((h) => h.id).join(', ')})`;
        continue;
      }
      if (hits.length === 1) {
        found = { host: hits[0]!, machine, by };
        break;
      }
    }
    if (found && taken.has(found.host.id)) {
      unmatchedSeries.push({
        machine,
        reason: `host ${found.host.id} already has series from another target`,
      });
    } else if (found) {
      taken.add(found.host.id);
      matched.push(found);
    } else unmatchedSeries.push({ machine, reason });
  }
  return { matched, unmatchedHosts: hosts.filter((h) => !taken.has(h.id)), unmatchedSeries };
}

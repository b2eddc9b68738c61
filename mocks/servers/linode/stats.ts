import type { LinodeScenarioInstance } from '../../scenarios/linode.ts';
import type { Load } from '../../scenarios/schema.ts';
import { resolveTimeSec } from '../../scenarios/schema.ts';
import { seriesOf } from '../../scenarios/shapes.ts';

// GET /linode/instances/{id}/stats/{year}/{month} in the shape @linode/api-v4 reads (`Stats`:
// `{title, data: {cpu, io: {io, swap}, netv4, netv6}}`; the OpenAPI document has no `data` level,
// providers.md §0.5). 5-minute points `[epochMs, value]`, each the mean of its five minutes:
// - cpu in percent with 100 % per core (the scenario's percent of the whole Linode × vCPUs),
// - io and swap in blocks/s, network in bits/s.
// A past month covers that month; the current month covers the past 30 days (API reference:
// "If the current month, statistics will be retrieved for the past 30 days"). A Linode has no
// points before it was created.

const stepSec = 300;
const daySec = 86_400;

type Pairs = [number, number][];

export interface StatsRange {
  fromSec: number;
  toSec: number;
}

/** The seconds the answer for (year, month) covers at `nowSec`, or 'future' for a later month. */
export function statsRange(year: number, month: number, nowSec: number): StatsRange | 'future' {
  const startSec = Date.UTC(year, month - 1, 1) / 1000;
  const endSec = Date.UTC(year, month, 1) / 1000;
  const now = new Date(nowSec * 1000);
  const current = now.getUTCFullYear() === year && now.getUTCMonth() + 1 === month;
  if (startSec > nowSec) return 'future';
  if (current) return { fromSec: nowSec - 30 * daySec, toSec: nowSec };
  return { fromSec: startSec, toSec: Math.min(endSec, nowSec) };
}

export function statsBody(
  instance: LinodeScenarioInstance,
  vcpus: number,
  range: StatsRange,
  nowSec: number,
  seed: string,
  title: string,
) {
  const createdSec = resolveTimeSec(instance.created, nowSec);
  const fromSec = Math.ceil(Math.max(range.fromSec, createdSec) / stepSec) * stepSec;
  const times: number[] = [];
  // A point stands for the five minutes before it; only whole periods that have ended.
  for (let t = fromSec; t + stepSec <= range.toSec; t += stepSec) times.push(t);
  const key = `${seed}/linode/${instance.id}`;
  const series = (load: Load, name: string, scale: number): Pairs => {
    const value = seriesOf(load, `${key}/${name}`);
    return times.map((t) => {
      let sum = 0;
      for (let minute = 0; minute < 5; minute += 1) sum += value(t + minute * 60);
      return [t * 1000, round((sum / 5) * scale)];
    });
  };
  const net = instance.network;
  const v4 = 1 - net.ipv6Share;
  const bits = 1_000_000;
  return {
    title,
    data: {
      cpu: series(instance.cpu, 'cpu', vcpus).map(
        ([t, v]) => [t, Math.min(v, 100 * vcpus)] as [number, number],
      ),
      io: { io: series(instance.io, 'io', 1), swap: series(instance.swap, 'swap', 1) },
      netv4: {
        in: series(net.inMbps, 'in', bits * v4),
        out: series(net.outMbps, 'out', bits * v4),
        private_in: series(net.privateInMbps, 'private-in', bits),
        private_out: series(net.privateOutMbps, 'private-out', bits),
      },
      netv6: {
        in: series(net.inMbps, 'in', bits * net.ipv6Share),
        out: series(net.outMbps, 'out', bits * net.ipv6Share),
        private_in: times.map((t) => [t * 1000, 0] as [number, number]),
        private_out: times.map((t) => [t * 1000, 0] as [number, number]),
      },
    },
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

import type { Load } from '../../scenarios/schema.ts';
import { seriesOf } from '../../scenarios/shapes.ts';
import type { FleetInstance, FleetProject } from './fleet.ts';

// Cloud Monitoring v3 projects.timeSeries.list as the REST fallback sends it (providers.md §5.2):
// GET /v3/projects/{p}/timeSeries with the filter, interval.*, aggregation.* (enums as NUMBERS)
// and pageSize as query parameters. Raw samples are one per minute, generated from the scenario's
// shapes; the aligner and reducer are applied as Monitoring does; pageSize counts points (view
// FULL) and a series continues on the next page when a page is full.

export class GoogleApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: string,
    message: string,
    readonly reason?: string,
    readonly retryAfterSec?: number,
  ) {
    super(message);
  }
}

const ALIGNERS: Record<string, string> = {
  0: 'ALIGN_NONE',
  1: 'ALIGN_DELTA',
  2: 'ALIGN_RATE',
  10: 'ALIGN_MIN',
  11: 'ALIGN_MAX',
  12: 'ALIGN_MEAN',
  13: 'ALIGN_COUNT',
  14: 'ALIGN_SUM',
};
const REDUCERS: Record<string, string> = {
  0: 'REDUCE_NONE',
  1: 'REDUCE_MEAN',
  2: 'REDUCE_MIN',
  3: 'REDUCE_MAX',
  4: 'REDUCE_SUM',
};
const enumName = (table: Record<string, string>, value: string | null, fallback: string) =>
  value === null ? fallback : (table[value] ?? (Object.values(table).includes(value) ? value : undefined));

type Kind = 'GAUGE' | 'DELTA';
type ValueType = 'DOUBLE' | 'INT64';

interface MetricDef {
  kind: Kind;
  valueType: ValueType;
  unit: string;
  /** Raw series of one instance: labels and the value of the one-minute sample ending at `sec`. */
  series(instance: FleetInstance): { labels: Record<string, string>; value: (sec: number) => number }[];
}

const MiB = 1024 * 1024;
const shape = (spec: Load, key: string) => seriesOf(spec, key);

function perDisk(instance: FleetInstance, spec: Load, key: string, scale: number) {
  const disks = instance.spec.disks ?? [{ name: instance.spec.name, type: 'pd-balanced' }];
  const value = shape(spec, `gcp/${instance.id}/${key}`);
  return disks.map((disk, index) => ({
    labels: {
      device_name: index === 0 ? 'persistent-disk-0' : disk.name,
      device_type: 'permanent',
      storage_type: disk.type,
    },
    value: (sec: number) => (value(sec) * scale) / disks.length,
  }));
}

const compute = 'compute.googleapis.com/instance';
const agent = 'agent.googleapis.com';
const CPU_STATES = ['user', 'system', 'idle', 'wait', 'steal', 'nice', 'interrupt', 'softirq'] as const;

export const METRICS: Record<string, MetricDef> = {
  [`${compute}/cpu/utilization`]: {
    kind: 'GAUGE',
    valueType: 'DOUBLE',
    unit: '10^2.%',
    series: (i) => {
      const cpu = shape(i.spec.cpu, `gcp/${i.id}/cpu`);
      return [{ labels: { instance_name: i.spec.name }, value: (sec) => Math.min(100, cpu(sec)) / 100 }];
    },
  },
  [`${compute}/cpu/scheduler_wait_time`]: {
    kind: 'DELTA',
    valueType: 'DOUBLE',
    unit: 's{idle}',
    series: (i) => {
      const spec =
        i.spec.schedulerWaitPct ??
        (i.spec.machineType.startsWith('e2-') ? ({ shape: 'idle', base: 0, peak: 0.4 } as Load) : undefined);
      if (!spec) return [];
      const wait = shape(spec, `gcp/${i.id}/sched-wait`);
      // vCPU-seconds of wait in the minute, summed over the VM's vCPUs.
      return [{ labels: { instance_name: i.spec.name }, value: (sec) => (wait(sec) / 100) * i.vcpu * 60 }];
    },
  },
  [`${compute}/disk/read_ops_count`]: {
    kind: 'DELTA',
    valueType: 'INT64',
    unit: '1',
    series: (i) => perDisk(i, i.spec.diskIo.readIops, 'read-iops', 60),
  },
  [`${compute}/disk/write_ops_count`]: {
    kind: 'DELTA',
    valueType: 'INT64',
    unit: '1',
    series: (i) => perDisk(i, i.spec.diskIo.writeIops, 'write-iops', 60),
  },
  [`${compute}/disk/read_bytes_count`]: {
    kind: 'DELTA',
    valueType: 'INT64',
    unit: 'By',
    series: (i) => perDisk(i, i.spec.diskIo.readMiBps, 'read-mibps', 60 * MiB),
  },
  [`${compute}/disk/write_bytes_count`]: {
    kind: 'DELTA',
    valueType: 'INT64',
    unit: 'By',
    series: (i) => perDisk(i, i.spec.diskIo.writeMiBps, 'write-mibps', 60 * MiB),
  },
  [`${compute}/disk/average_io_queue_depth`]: {
    kind: 'GAUGE',
    valueType: 'DOUBLE',
    unit: '1',
    series: (i) => {
      const q = i.spec.diskIo.queue;
      if (!q) return [];
      const disks = i.spec.disks ?? [{ name: i.spec.name }];
      return perDisk(i, q, 'queue', disks.length);
    },
  },
  [`${compute}/disk/average_io_latency`]: {
    kind: 'GAUGE',
    valueType: 'DOUBLE',
    unit: 'us',
    series: (i) => {
      const l = i.spec.diskIo.latencyMs;
      if (!l) return [];
      const disks = i.spec.disks ?? [{ name: i.spec.name }];
      return perDisk(i, l, 'latency', 1000 * disks.length);
    },
  },
  [`${compute}/network/received_bytes_count`]: {
    kind: 'DELTA',
    valueType: 'INT64',
    unit: 'By',
    series: (i) => network(i, 'in', 1),
  },
  [`${compute}/network/sent_bytes_count`]: {
    kind: 'DELTA',
    valueType: 'INT64',
    unit: 'By',
    series: (i) => network(i, 'out', 1),
  },
  [`${compute}/network/received_packets_count`]: {
    kind: 'DELTA',
    valueType: 'INT64',
    unit: '{packet}',
    series: (i) => network(i, 'in', 1 / i.spec.network.avgPacketBytes),
  },
  [`${compute}/network/sent_packets_count`]: {
    kind: 'DELTA',
    valueType: 'INT64',
    unit: '{packet}',
    series: (i) => network(i, 'out', 1 / i.spec.network.avgPacketBytes),
  },
  [`${agent}/cpu/utilization`]: {
    kind: 'GAUGE',
    valueType: 'DOUBLE',
    unit: '%',
    series: (i) => {
      const a = i.spec.agent;
      if (!a) return [];
      const cpu = shape(i.spec.cpu, `gcp/${i.id}/cpu`);
      const wait = shape(a.iowaitPct, `gcp/${i.id}/agent-wait`);
      const steal = shape(a.stealPct, `gcp/${i.id}/agent-steal`);
      const cpus = Math.min(i.vcpu, 4);
      return Array.from({ length: cpus }, (_, n) =>
        CPU_STATES.map((state) => ({
          labels: { cpu_number: String(n), cpu_state: state },
          value: (sec: number) => {
            const busy = Math.min(100, cpu(sec));
            const w = Math.min(100 - busy, wait(sec));
            const s = Math.min(100 - busy - w, steal(sec));
            switch (state) {
              case 'user':
                return busy * 0.8;
              case 'system':
                return busy * 0.2;
              case 'wait':
                return w;
              case 'steal':
                return s;
              case 'idle':
                return Math.max(0, 100 - busy - w - s);
              default:
                return 0;
            }
          },
        })),
      ).flat();
    },
  },
  [`${agent}/memory/percent_used`]: {
    kind: 'GAUGE',
    valueType: 'DOUBLE',
    unit: '%',
    series: (i) => {
      const mem = i.spec.agent?.memUsedPct;
      if (!mem) return [];
      const used = shape(mem, `gcp/${i.id}/mem`);
      return [
        { labels: { state: 'used' }, value: (sec) => Math.min(100, used(sec)) },
        { labels: { state: 'free' }, value: (sec) => Math.max(0, 100 - used(sec)) * 0.6 },
        { labels: { state: 'cached' }, value: (sec) => Math.max(0, 100 - used(sec)) * 0.4 },
      ];
    },
  },
};

function network(i: FleetInstance, direction: 'in' | 'out', scale: number) {
  const spec = direction === 'in' ? i.spec.network.inMiBps : i.spec.network.outMiBps;
  const value = shape(spec, `gcp/${i.id}/net-${direction}`);
  return [{ labels: { loadBalanced: 'false' }, value: (sec: number) => value(sec) * MiB * 60 * scale }];
}

// ---- the filter -------------------------------------------------------------------------------

export interface ParsedFilter {
  metricType: string;
  metricLabels: Record<string, string[]>;
  userLabels: Record<string, string>;
  instanceIds?: string[];
}

const quoted = '"([^"]*)"';

const CLAUSES: [RegExp, (m: string[], parsed: ParsedFilter) => void][] = [
  [
    new RegExp(`^metric\\.type\\s*=\\s*${quoted}$`),
    (m, parsed) => {
      parsed.metricType = m[1]!;
    },
  ],
  [
    new RegExp(`^resource\\.type\\s*=\\s*${quoted}$`),
    (m) => {
      if (m[1] !== 'gce_instance') throw invalid(`resource.type ${m[1]} has no data in this project`);
    },
  ],
  [
    /^metric\.labels?\.(\w+)\s*=\s*(.+)$/,
    (m, parsed) => {
      parsed.metricLabels[m[1]!] = values(m[2]!);
    },
  ],
  [
    /^resource\.labels?\.instance_id\s*=\s*(.+)$/,
    (m, parsed) => {
      parsed.instanceIds = values(m[1]!);
    },
  ],
  [
    new RegExp(`^metadata\\.user_labels\\.(?:"([^"]+)"|(\\w+))\\s*=\\s*${quoted}$`),
    (m, parsed) => {
      parsed.userLabels[(m[1] ?? m[2])!] = m[3]!;
    },
  ],
];

/** The subset of the Monitoring filter language fleetlens sends; anything else is INVALID_ARGUMENT. */
export function parseFilter(filter: string): ParsedFilter {
  const parsed: ParsedFilter = { metricType: '', metricLabels: {}, userLabels: {} };
  for (const clause of filter.split(/\s+AND\s+/)) {
    const text = clause.trim();
    const rule = CLAUSES.find(([pattern]) => pattern.test(text));
    if (!rule) throw invalid(`Could not parse filter clause: ${text}`);
    rule[1]([...(rule[0].exec(text) ?? [])], parsed);
  }
  if (!parsed.metricType) throw invalid('The filter must name exactly one metric.type');
  return parsed;
}

function values(expr: string): string[] {
  const oneOf = /^one_of\((.*)\)$/.exec(expr.trim());
  const list = oneOf ? oneOf[1]! : expr;
  const found = [...list.matchAll(/"([^"]*)"/g)].map((x) => x[1]!);
  if (found.length === 0) throw invalid(`Could not parse filter value: ${expr}`);
  return found;
}

function invalid(message: string): GoogleApiError {
  return new GoogleApiError(400, 'INVALID_ARGUMENT', message);
}

// ---- the request -----------------------------------------------------------------------------

export interface SeriesPage {
  body: Record<string, unknown>;
  metricType: string;
  points: number;
}

export const MAX_PAGE_POINTS = 100_000;

export function listTimeSeries(
  project: FleetProject,
  query: URLSearchParams,
  maxPagePoints = MAX_PAGE_POINTS,
): SeriesPage {
  const parsed = parseFilter(query.get('filter') ?? '');
  const def = METRICS[parsed.metricType];
  const startSec = Date.parse(query.get('interval.startTime') ?? '') / 1000;
  const endSec = Date.parse(query.get('interval.endTime') ?? '') / 1000;
  if (!Number.isFinite(endSec)) throw invalid('interval.endTime is required (RFC3339)');
  const fromSec = Number.isFinite(startSec) ? startSec : endSec;
  if (fromSec > endSec) throw invalid('interval.startTime must not be after interval.endTime');
  const aligner = enumName(ALIGNERS, query.get('aggregation.perSeriesAligner'), 'ALIGN_NONE');
  const reducer = enumName(REDUCERS, query.get('aggregation.crossSeriesReducer'), 'REDUCE_NONE');
  if (!aligner || !reducer) throw invalid('Unsupported aligner or reducer');
  const periodText = query.get('aggregation.alignmentPeriod');
  const periodSec = periodText ? Number.parseFloat(periodText) : 60;
  if (aligner !== 'ALIGN_NONE' && (!Number.isFinite(periodSec) || periodSec < 60))
    throw invalid('The alignment period must be at least 60s');
  if (def && aligner === 'ALIGN_RATE' && def.kind === 'GAUGE')
    throw invalid(`The aligner ALIGN_RATE is not valid for metric kind GAUGE (${parsed.metricType})`);
  const view = query.get('view');
  const headersOnly = view === '1' || view === 'HEADERS';
  const pageSize = Math.min(maxPagePoints, Number(query.get('pageSize') ?? maxPagePoints) || maxPagePoints);
  const groupBy = query.getAll('aggregation.groupByFields');

  const instances = project.instances.filter(
    (i) =>
      i.spec.status === 'RUNNING' &&
      (!parsed.instanceIds || parsed.instanceIds.includes(i.id)) &&
      Object.entries(parsed.userLabels).every(([k, v]) => i.spec.labels[k] === v),
  );
  const ends: number[] = [];
  if (aligner !== 'ALIGN_NONE') {
    for (let e = Math.ceil(fromSec / periodSec) * periodSec; e <= endSec + 1e-9; e += periodSec)
      if (e > fromSec || fromSec === endSec) ends.push(e);
  }
  const minuteEnds = (lo: number, hi: number) => {
    const out: number[] = [];
    for (let m = Math.ceil((lo + 1) / 60) * 60; m <= hi; m += 60) out.push(m);
    return out;
  };

  type Out = {
    labels: Record<string, string>;
    resource: Record<string, string>;
    points: { start: number; end: number; value: number }[];
  };
  let produced: Out[] = [];
  for (const instance of def ? instances : []) {
    const resource = { project_id: project.id, instance_id: instance.id, zone: instance.spec.zone };
    for (const raw of def!.series(instance)) {
      if (!Object.entries(parsed.metricLabels).every(([k, allowed]) => allowed.includes(raw.labels[k] ?? '')))
        continue;
      const alive = (sec: number) => sec > instance.createdSec;
      let points: Out['points'];
      if (aligner === 'ALIGN_NONE') {
        points = minuteEnds(fromSec, endSec)
          .filter(alive)
          .map((end) => ({ start: def!.kind === 'DELTA' ? end - 60 : end, end, value: raw.value(end) }));
        if (def!.valueType === 'INT64') points = points.map((p) => ({ ...p, value: Math.round(p.value) }));
      } else {
        points = [];
        // The minutes of each period walked in place (no arrays per point): the sum adds them in
        // the same ascending order, so every value is what an array of samples gave.
        for (const end of ends) {
          let count = 0;
          let sum = 0;
          let max = Number.NEGATIVE_INFINITY;
          let min = Number.POSITIVE_INFINITY;
          for (let m = Math.ceil((end - periodSec + 1) / 60) * 60; m <= end; m += 60) {
            if (!alive(m)) continue;
            const sample = raw.value(m);
            count += 1;
            sum += sample;
            if (sample > max) max = sample;
            if (sample < min) min = sample;
          }
          if (count === 0) continue;
          const value =
            aligner === 'ALIGN_RATE'
              ? sum / periodSec
              : aligner === 'ALIGN_MAX'
                ? max
                : aligner === 'ALIGN_MIN'
                  ? min
                  : aligner === 'ALIGN_SUM' || aligner === 'ALIGN_DELTA'
                    ? sum
                    : aligner === 'ALIGN_COUNT'
                      ? count
                      : sum / count;
          points.push({ start: end, end, value });
        }
      }
      if (points.length > 0) produced.push({ labels: raw.labels, resource, points });
    }
  }
  if (reducer !== 'REDUCE_NONE' && aligner !== 'ALIGN_NONE') produced = reduce(produced, reducer, groupBy);

  const aligned = aligner !== 'ALIGN_NONE';
  const kind =
    aligned && aligner !== 'ALIGN_DELTA' && aligner !== 'ALIGN_SUM' ? 'GAUGE' : (def?.kind ?? 'GAUGE');
  const valueType =
    aligned &&
    aligner !== 'ALIGN_COUNT' &&
    (aligner === 'ALIGN_RATE' || aligner === 'ALIGN_MEAN' || def?.valueType === 'DOUBLE')
      ? 'DOUBLE'
      : (def?.valueType ?? 'DOUBLE');
  const unit = aligner === 'ALIGN_RATE' && def ? `${def.unit}/s` : (def?.unit ?? '');
  const header = (series: Out) => ({
    metric: { type: parsed.metricType, labels: series.labels },
    resource: { type: 'gce_instance', labels: series.resource },
    metricKind: kind,
    valueType,
    unit,
  });
  // Every series of a page shares its period ends: each timestamp is formatted once a call.
  const isoTimes = new Map<number, string>();
  const iso = (sec: number) => {
    let text = isoTimes.get(sec);
    if (text === undefined) {
      text = new Date(sec * 1000).toISOString();
      isoTimes.set(sec, text);
    }
    return text;
  };
  const toPoint = (p: Out['points'][number]) => ({
    interval: {
      startTime: iso(p.start),
      endTime: iso(p.end),
    },
    value: valueType === 'INT64' ? { int64Value: String(Math.round(p.value)) } : { doubleValue: p.value },
  });
  // Newest first, as the API answers.
  for (const series of produced) series.points.sort((a, b) => b.end - a.end);

  const offset = decodeToken(query.get('pageToken'));
  if (headersOnly) {
    const slice = produced.slice(offset, offset + pageSize);
    const next = offset + pageSize < produced.length ? encodeToken(offset + pageSize) : '';
    return {
      body: { timeSeries: slice.map(header), ...(next ? { nextPageToken: next } : {}), unit },
      metricType: parsed.metricType,
      points: 0,
    };
  }
  // FULL view: the page holds up to pageSize points; a series cut by the page edge goes on.
  const page: Record<string, unknown>[] = [];
  let cursor = 0;
  let taken = 0;
  let total = 0;
  for (const series of produced) {
    const n = series.points.length;
    total += n;
    const from = Math.max(0, offset - cursor);
    cursor += n;
    if (from >= n || taken >= pageSize) continue;
    const part = series.points.slice(from, from + (pageSize - taken));
    taken += part.length;
    page.push({ ...header(series), points: part.map(toPoint) });
  }
  const next = offset + taken < total ? encodeToken(offset + taken) : '';
  return {
    body: { timeSeries: page, ...(next ? { nextPageToken: next } : {}), unit },
    metricType: parsed.metricType,
    points: taken,
  };
}

function reduce(
  series: {
    labels: Record<string, string>;
    resource: Record<string, string>;
    points: { start: number; end: number; value: number }[];
  }[],
  reducer: string,
  groupBy: string[],
) {
  const pick = (s: (typeof series)[number]) => {
    const labels: Record<string, string> = {};
    const resource: Record<string, string> = { project_id: s.resource.project_id ?? '' };
    for (const field of groupBy) {
      const m = /^(metric|resource)\.labels?\.(\w+)$/.exec(field);
      if (!m) throw invalid(`Unsupported groupByFields entry: ${field}`);
      if (m[1] === 'metric') labels[m[2]!] = s.labels[m[2]!] ?? '';
      else resource[m[2]!] = s.resource[m[2]!] ?? '';
    }
    return { labels, resource };
  };
  const groups = new Map<
    string,
    { labels: Record<string, string>; resource: Record<string, string>; byEnd: Map<number, number[]> }
  >();
  for (const s of series) {
    const key = pick(s);
    const id = JSON.stringify(key);
    const group = groups.get(id) ?? { ...key, byEnd: new Map<number, number[]>() };
    groups.set(id, group);
    for (const p of s.points) group.byEnd.set(p.end, [...(group.byEnd.get(p.end) ?? []), p.value]);
  }
  return [...groups.values()].map((g) => ({
    labels: g.labels,
    resource: g.resource,
    points: [...g.byEnd].map(([end, vs]) => {
      const sum = vs.reduce((a, b) => a + b, 0);
      const value =
        reducer === 'REDUCE_SUM'
          ? sum
          : reducer === 'REDUCE_MAX'
            ? Math.max(...vs)
            : reducer === 'REDUCE_MIN'
              ? Math.min(...vs)
              : sum / vs.length;
      return { start: end, end, value };
    }),
  }));
}

export function encodeToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

export function decodeToken(token: string | null): number {
  if (!token) return 0;
  const m = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString());
  if (!m) throw invalid('The pagination token is invalid');
  return Number(m[1]);
}

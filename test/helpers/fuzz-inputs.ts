// Seeds and mutations for the on-host readers' property tests: small real files from the
// captures (mocks/samples, ../shared/host-samples, ../shared/conformance), and what damage looks
// like in the field: cut files, flipped bytes, corrupt gzip, absurd numbers, lost and doubled lines.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { packagePath } from '../../src/paths.ts';

export const SHARED = packagePath('..', 'shared');
const OURS = packagePath('mocks', 'samples');
const PUBLIC = join(SHARED, 'host-samples');

function read(path: string): Buffer {
  const bytes = readFileSync(path);
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
}

function firstLines(text: string, count: number): string {
  return `${text.split('\n').slice(0, count).join('\n')}\n`;
}

/** The same file from several captures, when they have it. */
function fromCaptures(file: string, shape: (text: string) => string): string[] {
  const folders = [
    ...readdirSync(OURS, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(OURS, entry.name)),
    ...['healthy', 'cpu-saturation', 'disk-saturation', 'threadpool-starvation'].map((name) =>
      join(PUBLIC, name),
    ),
  ];
  const texts: string[] = [];
  for (const folder of folders) {
    for (const name of [file, `${file}.gz`]) {
      try {
        texts.push(shape(read(join(folder, name)).toString('utf8')));
        break;
      } catch {
        // not in this capture
      }
    }
  }
  return [...new Set(texts)].slice(0, 4);
}

/** A sysstat/iostat JSON document cut to its first records, still whole. */
function firstRecords(text: string, count: number): string {
  const doc = JSON.parse(text) as { sysstat: { hosts: { statistics: unknown[] }[] } };
  const host = doc.sysstat.hosts[0]!;
  // Only what the readers read: the rest (interrupts, softnet, filesystems) only slows 2,000 runs.
  const kept = new Set([
    'timestamp',
    'cpu-load',
    'cpu-load-all',
    'queue',
    'memory',
    'disk',
    'network',
    'psi',
    'kernel',
  ]);
  host.statistics = host.statistics.slice(0, count).map((record) =>
    Object.fromEntries(
      Object.entries(record as Record<string, unknown>)
        .filter(([key]) => kept.has(key))
        .map(([key, value]) => [key, Array.isArray(value) ? value.slice(0, 3) : value]),
    ),
  );
  return JSON.stringify(doc, null, 1);
}

/** A sadf -d CSV cut to each table's header and first rows. */
function firstRowsPerTable(text: string, rows: number): string {
  const kept: string[] = [];
  let sinceHeader = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) sinceHeader = 0;
    else sinceHeader += 1;
    if (sinceHeader <= rows) kept.push(line);
  }
  return `${kept.join('\n')}\n`;
}

/** A saved Prometheus range answer cut to its first series and points. */
function firstPoints(text: string): string {
  const doc = JSON.parse(text) as { data: { result: { values?: unknown[] }[] } };
  doc.data.result = doc.data.result
    .slice(0, 2)
    .map((series) => ({ ...series, values: series.values?.slice(0, 12) }));
  return JSON.stringify(doc);
}

function promRangeSeeds(): string[] {
  const dir = join(PUBLIC, 'cpu-saturation', 'prometheus-queries');
  return ['load1.json', 'cpu_seconds_rate_by_mode.json', 'app_process_threads.json', 'disk_iops.json'].map(
    (file) => firstPoints(read(join(dir, file)).toString('utf8')),
  );
}

/** Seeds by reader, each a few KiB at most: small inputs keep 2,000 runs per reader fast. */
export function seedsFor(kind: string): string[] {
  switch (kind) {
    case 'sysstat-json':
      return fromCaptures('sadf-A.json', (text) => firstRecords(text, 2)).slice(0, 2);
    case 'iostat-json':
      return fromCaptures('iostat-x.json', (text) => firstRecords(text, 3)).slice(0, 2);
    case 'sysstat-csv':
      return fromCaptures('sadf-A.csv', (text) => firstRowsPerTable(text, 3));
    case 'pidstat':
      return [
        ...fromCaptures('pidstat-app.txt', (text) => firstLines(text, 14)),
        firstLines(
          read(join(SHARED, 'conformance', 'sysstat', 'expected.pidstat-At-ALL')).toString('utf8'),
          40,
        ),
      ];
    case 'thread-log':
      return fromCaptures('threads.log', (text) => firstLines(text, 30));
    case 'fd-log':
      return fromCaptures('fds.log', (text) => firstLines(text, 30));
    case 'listen-queue-log':
      return fromCaptures('listen-queue.log', (text) => firstLines(text, 30));
    case 'sockstat-log':
      return fromCaptures('sockstat.log', (text) => firstLines(text, 30));
    case 'proc-net-netstat':
      return fromCaptures('proc-net-netstat-end.txt', (text) => text);
    case 'proc-net-snmp':
      return fromCaptures('proc-net-snmp-end.txt', (text) => text);
    case 'sysctl':
      return fromCaptures('sysctl-a.txt', (text) => firstLines(text, 40));
    case 'proc-limits':
      return fromCaptures('proc-limits-end.txt', (text) => text);
    case 'fd-count':
      return fromCaptures('app-fd-count-end.txt', (text) => text);
    case 'ss-summary':
      return fromCaptures('ss-s-end.txt', (text) => text);
    case 'app-log':
      return fromCaptures('app.log', (text) => firstLines(text, 60));
    case 'lag-csv':
      return fromCaptures('lag.csv', (text) => firstLines(text, 30));
    case 'process-tree':
      return fromCaptures('process-tree.jsonl', (text) => firstLines(text, 30));
    case 'prometheus-text':
      return [
        firstLines(read(join(SHARED, 'conformance', 'node_exporter', 'e2e-output.txt')).toString('utf8'), 80),
      ];
    case 'prometheus-range':
      return promRangeSeeds();
    case 'host-info':
      return fromCaptures('host-info.txt', (text) => text);
    default:
      throw new Error(`no seeds for ${kind}`);
  }
}

/** Numbers the readers must refuse or take as they are, never let through as Infinity. */
export const weirdNumbers = [
  '1e400',
  '-1e400',
  '18446744073709551616',
  '184467440737095516160000',
  '1e308',
  'NaN',
  'Infinity',
  '+Inf',
  '-0',
  '0x10',
  '',
  '9'.repeat(400),
  '4.9e-324',
] as const;

export type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; flips: [number, number][] }
  | { kind: 'drop'; lines: number[] }
  | { kind: 'repeat'; line: number; times: number }
  | { kind: 'number'; which: number; value: string }
  | { kind: 'gzip'; cut: number | null; flip: [number, number] | null };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('flip' as const),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('drop' as const),
    lines: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
  }),
  fc.record({ kind: fc.constant('repeat' as const), line: fc.nat(), times: fc.integer({ min: 2, max: 40 }) }),
  fc.record({
    kind: fc.constant('number' as const),
    which: fc.nat(),
    value: fc.constantFrom(...weirdNumbers),
  }),
  fc.record({
    kind: fc.constant('gzip' as const),
    cut: fc.option(fc.nat(), { nil: null }),
    flip: fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { nil: null }),
  }),
);

function mutateLines(bytes: Buffer, change: (lines: string[]) => string[]): Buffer {
  return Buffer.from(change(bytes.toString('latin1').split('\n')).join('\n'), 'latin1');
}

const numberToken = /-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/g;

export function applyMutation(bytes: Buffer, m: Mutation): Buffer {
  switch (m.kind) {
    case 'truncate':
      return bytes.subarray(0, bytes.length === 0 ? 0 : m.at % bytes.length);
    case 'flip': {
      const out = Buffer.from(bytes);
      for (const [at, mask] of m.flips) if (out.length > 0) out[at % out.length]! ^= mask;
      return out;
    }
    case 'drop':
      return mutateLines(bytes, (lines) =>
        lines.filter((_, i) => !m.lines.some((d) => d % lines.length === i)),
      );
    case 'repeat':
      return mutateLines(bytes, (lines) => {
        const at = m.line % Math.max(1, lines.length);
        return [...lines.slice(0, at), ...Array(m.times).fill(lines[at] ?? ''), ...lines.slice(at + 1)];
      });
    case 'number': {
      const text = bytes.toString('latin1');
      const matches = [...text.matchAll(numberToken)];
      const hit = matches[m.which % Math.max(1, matches.length)];
      if (!hit || hit.index === undefined) return bytes;
      return Buffer.from(
        text.slice(0, hit.index) + m.value + text.slice(hit.index + hit[0].length),
        'latin1',
      );
    }
    case 'gzip': {
      const out = Buffer.from(gzipSync(bytes));
      if (m.flip) out[m.flip[0] % out.length]! ^= m.flip[1];
      return m.cut === null ? out : out.subarray(0, m.cut % out.length);
    }
  }
}

export const mutatedInput = (seeds: readonly string[]) =>
  fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([seed, mutations]) => mutations.reduce(applyMutation, Buffer.from(seed, 'utf8')));

// The series a live run collects, as the adapters hand them over (ctx.emitSeries): held in memory
// up to a budget, and past it appended to a DuckDB file on disk, so collection memory stays flat
// whatever the fleet. On disk each run of units (a bucket, about 16 MB of values) has a table of
// its own; a run that spilled writes each bucket as a part file of its region, sorted by unit at
// COPY time (the answers come in any order), and is judged by reading them back one unit at a
// time, as a replay is.
//
//   const collected = new CollectedSeries({ budgetBytes: 64 * MiB, pointsPerSeries: 4_033 });
//   collected.sink('aws', inventory)(series);      // per answer, in any order, from any cloud
//   await collected.settle();                      // everything appended, or the spill's error
//   collected.spilled ? await collected.writeRegions('aws', writer) : collected.takeSeries('aws');
//   await collected.close();                       // removes the spill
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  blobValue,
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBType,
} from '@duckdb/node-api';
import type { Inventory } from '../../providers/types.ts';
import { fleetUnits } from '../analysis/judge-fleet.ts';
import { ConfigError } from '../errors.ts';
import type { MetricName, MetricSeries, ProviderId, SubjectKind } from '../model/index.ts';
import { COLUMNS as FILE_COLUMNS, littleEndianBytes, SERIES_FILE_OPTIONS } from './artifacts-series.ts';
import type { ArtifactsWriter } from './artifacts-writer.ts';

/**
 * What a run holds in memory before it spills: about 2,000 AWS hosts' 14 days of 5-minute series.
 * NOTE: spilling costs about 35 ms of CPU a host and a serial write and read after the last answer:
 * 2,000 AWS hosts against rate-limited mocks took 229.0 s spilled past 64 MiB, 1.32 times the
 * rate floor, against 183.5 s (1.05) held; so fleets that fit a CI runner's memory stay in it.
 */
export const DEFAULT_SPILL_BUDGET_BYTES = 1_024 * 1_048_576;
/** The environment variable that sets the budget, in MiB (0 writes every series to disk). */
export const SPILL_BUDGET_ENV = 'FLEETLENS_SERIES_MEMORY_MIB';

/** The budget the environment sets, or the default; a value that is not a number of MiB is refused. */
export function spillBudgetBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[SPILL_BUDGET_ENV]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_SPILL_BUDGET_BYTES;
  const mib = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(mib)) {
    throw new ConfigError(
      `expected a number of MiB of series to hold in memory (0 writes them all to disk), not ${JSON.stringify(raw.slice(0, 40))}`,
      undefined,
      undefined,
      SPILL_BUDGET_ENV,
    );
  }
  return mib * 1_048_576;
}
/** What a series costs beside its values (its object, strings and columns' header), for the budget. */
const SERIES_OVERHEAD_BYTES = 512;
/** Values waiting for their buckets, past which all are appended (however few each has). */
const WAITING_BYTES = 32 * 1_048_576;
/** Rows appended to DuckDB at once: a few hosts' series, a few MB of values. */
const ROWS_PER_CHUNK = 64;
/**
 * DuckDB's limit for the spill: past it the tables' blocks go to the spill's file. NOTE: a COPY
 * that sorts a whole region (240 MB of values at 1,000 hosts) ran out of memory at 256 MB and
 * the process peaked at 1.55 GB with 1 GB; and a region's rows filtered out of one table, part
 * by part, cost a scan of all its values each (2,000 hosts: 78 s). So the spill keeps each run of
 * units in a table of its own, written as a part file of its region.
 */
const SPILL_MEMORY_LIMIT = '256MB';
/**
 * The values a bucket of the spill is meant to hold, written as one part file of its region: what
 * one COPY sorts. NOTE: a 64 MB part's sort failed to allocate its 63 MB at 256 MB; 16 MB did not.
 */
export const DEFAULT_PART_BYTES = 16 * 1_048_576;
/**
 * A host's series, for sizing buckets before any came (AWS asks 10 to 19, and its volumes' 6 or 7
 * each). A bucket that comes out bigger is still written in parts of PART_BYTES.
 */
const SERIES_PER_HOST = 16;
/** 14 days of 5-minute points, when the run does not say. */
const DEFAULT_POINTS = 4_032;
/** Series of a subject whose region the inventory does not give. */
export const UNKNOWN_REGION = 'unknown-region';
/** `host_id` of series no host owns (a group's, a volume attached to nothing): Parquet's empty string. */
const NO_HOST = '';

/** Where one series goes: the host that owns it (a volume's: its host's), its region, its unit's rank. */
export interface SeriesPlace {
  hostId: string | null;
  region: string;
  /** The unit's position in the order a replay judges: what no host owns first (-1), then unit by unit. */
  rank: number;
  /**
   * The owner's place in that order, hosts of a unit by id: -1 for no host, then 0, 1, ... (a host
   * the inventory does not list, last). Series sorted by it come unit by unit, a host's together.
   */
  position: number;
}

/**
 * How a cloud's series are placed, from its inventory: a host's own series and those of the volumes
 * attached to it go with the host; a group's and a loose volume's go with no host, first.
 */
export function seriesPlacement(
  inventory: Inventory,
): (series: { subjectKind: SubjectKind; subjectId: string }) => SeriesPlace {
  const hostRegion = new Map(inventory.hosts.map((h) => [h.id, h.region]));
  const volumes = new Map(inventory.volumes.map((v) => [v.id, v]));
  const groupRegion = new Map(inventory.groups.map((g) => [g.id, g.region]));
  const unitRank = new Map<string, number>();
  const position = new Map<string, number>();
  fleetUnits({ ...inventory, onHost: [] }).forEach((unit, rank) => {
    for (const host of unit.hosts) unitRank.set(host.id, rank);
    for (const id of unit.hosts.map((h) => h.id).sort(compareText)) position.set(id, position.size);
  });
  const place = (hostId: string | null, region: string | undefined): SeriesPlace => ({
    hostId,
    region: region ?? UNKNOWN_REGION,
    rank: hostId === null ? -1 : (unitRank.get(hostId) ?? Number.MAX_SAFE_INTEGER),
    position: hostId === null ? -1 : (position.get(hostId) ?? Number.MAX_SAFE_INTEGER),
  });
  return (s) => {
    if (s.subjectKind === 'host') return place(s.subjectId, hostRegion.get(s.subjectId));
    if (s.subjectKind === 'volume') {
      const volume = volumes.get(s.subjectId);
      const attached = volume?.attachedTo.find((a) => hostRegion.has(a.hostId))?.hostId;
      return place(attached ?? null, volume?.region);
    }
    return place(null, groupRegion.get(s.subjectId));
  };
}

interface Placed {
  /** Index of (provider, region) in `regions`. */
  regionIndex: number;
  place: SeriesPlace;
  series: MetricSeries;
}

/** A spill row: where it goes (its region, its owner's position), then a series file's own columns. */
const COLUMNS: readonly [string, DuckDBType][] = [
  ['region_index', DOUBLE],
  ['position', DOUBLE],
  ...FILE_COLUMNS,
];
/** What a part file keeps of a spill row. */
const FILE_SELECT = FILE_COLUMNS.map(([name]) => `"${name}"`).join(', ');

interface Spill {
  dir: string;
  instance: DuckDBInstance;
  connection: DuckDBConnection;
}

/** A table of the spill holding a run of whole units of one region, written as one part file. */
interface Bucket {
  table: string;
  regionIndex: number;
  number: number;
  appender: DuckDBAppender;
}

export interface CollectedSeriesOptions {
  /** Bytes of series held in memory before the rest goes to disk; Infinity never spills. */
  budgetBytes: number;
  /** Where the spill's folder is made (default: the system's temporary folder). */
  tempRoot?: string;
  /** The most points a series of the run has (the window ÷ its step): sizes the spill's buckets. */
  pointsPerSeries?: number;
  /** Values a bucket (a part file) is meant to hold (DEFAULT_PART_BYTES). */
  partBytes?: number;
}

export class CollectedSeries {
  private readonly memory = new Map<ProviderId, Placed[]>();
  /** Rows of each bucket not yet appended (a chunk's worth, or its table still being made). */
  private readonly waiting = new Map<string, Placed[]>();
  private waitingBytes = 0;
  private readonly ready = new Map<string, Bucket>();
  /** The spill's statements, one after another. */
  private statements: Promise<unknown> = Promise.resolve();
  private readonly toCreate: {
    key: string;
    regionIndex: number;
    number: number;
    resolve: (bucket: Bucket) => void;
    reject: (error: unknown) => void;
  }[] = [];
  private tables = 0;
  private heldBytes = 0;
  private spill: Spill | undefined;
  private opening: Promise<Spill> | undefined;
  private failure: unknown;
  private closed = false;
  private readonly buckets = new Map<string, Promise<Bucket>>();
  private readonly hostsPerBucket: number;
  private readonly counts = new Map<ProviderId, number>();
  private readonly metrics = new Map<ProviderId, Map<string, Set<MetricName>>>();
  private readonly regions: { provider: ProviderId; region: string }[] = [];
  private readonly regionIndex = new Map<string, number>();

  constructor(private readonly options: CollectedSeriesOptions) {
    const hostBytes = SERIES_PER_HOST * (options.pointsPerSeries ?? DEFAULT_POINTS) * 8;
    this.hostsPerBucket = Math.max(1, Math.floor((options.partBytes ?? DEFAULT_PART_BYTES) / hostBytes));
  }

  /** Whether the series went to disk: they are then read back from files, never held whole. */
  get spilled(): boolean {
    return this.opening !== undefined;
  }

  /** The sink of one cloud's series, once its inventory says where each belongs. */
  sink(provider: ProviderId, inventory: Inventory): (series: readonly MetricSeries[]) => void {
    const placeOf = seriesPlacement(inventory);
    const metrics = this.metrics.get(provider) ?? new Map<string, Set<MetricName>>();
    this.metrics.set(provider, metrics);
    return (list) => {
      for (const series of list) {
        const place = placeOf(series);
        const key = `${provider}\u0000${place.region}`;
        let regionIndex = this.regionIndex.get(key);
        if (regionIndex === undefined) {
          regionIndex = this.regions.push({ provider, region: place.region }) - 1;
          this.regionIndex.set(key, regionIndex);
        }
        this.counts.set(provider, (this.counts.get(provider) ?? 0) + 1);
        const seen = metrics.get(series.subjectId) ?? new Set<MetricName>();
        metrics.set(series.subjectId, seen);
        seen.add(series.metric);
        this.add(provider, { regionIndex, place, series });
      }
    };
  }

  /** Series handed over for `provider` (after a spill too). */
  received(provider: ProviderId): number {
    return this.counts.get(provider) ?? 0;
  }

  /** The metrics `provider` returned for one subject (blind spots are judged from them). */
  metricsOf(provider: ProviderId, subjectId: string): ReadonlySet<MetricName> {
    return this.metrics.get(provider)?.get(subjectId) ?? new Set();
  }

  /** Waits until every series handed over is in memory or on disk; throws what the spill failed with. */
  async settle(): Promise<void> {
    if (this.spilled) {
      await this.opening!.catch(() => undefined);
      await Promise.allSettled(this.buckets.values());
      for (const key of this.waiting.keys()) this.flushBucket(key);
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * One cloud's series held in memory (never spilled). They came in the order the answers arrived,
   * which concurrency varies from run to run: they are sorted by subject, metric and source.
   */
  takeSeries(provider: ProviderId): MetricSeries[] {
    if (this.spilled) throw new Error('the series were spilled to disk: write them with writeRegions');
    const placed = this.memory.get(provider) ?? [];
    this.memory.delete(provider);
    return placed.map((p) => p.series).sort(bySubjectMetricSource);
  }

  /**
   * Writes one cloud's spilled series into an artifacts folder in the order a replay judges them:
   * per region, a Parquet file per bucket of whole units, in unit order (a host's series by subject,
   * metric and source). Each COPY sorts one bucket, never a region, and reads no other's values.
   */
  async writeRegions(provider: ProviderId, writer: Pick<ArtifactsWriter, 'writeSeriesFile'>): Promise<void> {
    await this.settle();
    if (this.closed) throw new Error('the spill was closed before its series were written');
    const spill = this.spill!;
    const buckets = await Promise.all(this.buckets.values());
    const own = [...this.regions.entries()].filter(([, entry]) => entry.provider === provider);
    // By name, not by which answer came first: the folder is the same from run to run.
    own.sort(([, a], [, b]) => compareText(a.region, b.region));
    for (const [index, entry] of own) {
      const inRegion = buckets.filter((b) => b.regionIndex === index).sort((a, b) => a.number - b.number);
      for (const bucket of inRegion) {
        // A bucket bigger than its estimate (more series a host than assumed) is cut by host.
        const sizes = await spill.connection.runAndReadAll(
          `SELECT position, sum(octet_length("values"))::DOUBLE FROM ${bucket.table} GROUP BY position ORDER BY position`,
        );
        const parts = partsOf(
          sizes.getRows().map(([at, bytes]) => [Number(at), Number(bytes)] as const),
          this.options.partBytes ?? DEFAULT_PART_BYTES,
        );
        for (const [first, last] of parts) {
          const where = `position BETWEEN ${first} AND ${last}`;
          await writer.writeSeriesFile(provider, entry.region, async (file) => {
            const target = file.replaceAll("'", "''");
            try {
              await spill.connection.run(
                `COPY (SELECT ${FILE_SELECT} FROM ${bucket.table} WHERE ${where} ORDER BY position, subject_kind, subject_id, metric, source) TO '${target}' (${SERIES_FILE_OPTIONS})`,
              );
            } catch (error) {
              throw cannotSpill(file, error);
            }
            const counted = await spill.connection.runAndReadAll(
              `SELECT count(*)::DOUBLE, coalesce(sum(octet_length("values")), 0)::DOUBLE / 8, count(DISTINCT host_id) FILTER (WHERE host_id <> '')::DOUBLE FROM ${bucket.table} WHERE ${where}`,
            );
            const [series, points, hosts] = counted.getRows()[0]!.map(Number);
            return { series: series!, points: points!, hosts: hosts! };
          });
        }
      }
    }
  }

  /**
   * A folder of the spill's own for files that should go when it goes (the series files a run that
   * spilled is judged from, when no --save-artifacts folder was asked for).
   */
  async scratchFolder(): Promise<string> {
    await this.settle();
    return join(this.spill!.dir, 'scratch');
  }

  /** Frees DuckDB (and its memory) once the series files are written; the folder stays until close(). */
  async closeDatabase(): Promise<void> {
    await this.settle().catch(() => undefined);
    this.waiting.clear();
    this.memory.clear();
    const spill = this.spill;
    if (!spill || this.closed) return;
    this.closed = true;
    for (const bucket of await Promise.allSettled(this.buckets.values())) {
      if (bucket.status !== 'fulfilled') continue;
      try {
        bucket.value.appender.closeSync();
      } catch {
        // NOTE: closed already by a failed flush; the connection and folder still go.
      }
    }
    spill.connection.closeSync();
    spill.instance.closeSync();
  }

  /** Frees DuckDB and removes the spill's folder. */
  async close(): Promise<void> {
    await this.closeDatabase();
    const spill = this.spill;
    this.spill = undefined;
    if (spill) await rm(spill.dir, { recursive: true, force: true });
  }

  private add(provider: ProviderId, placed: Placed): void {
    if (!this.spilled) {
      const held = this.memory.get(provider) ?? [];
      this.memory.set(provider, held);
      held.push(placed);
      this.heldBytes += placed.series.values.byteLength + SERIES_OVERHEAD_BYTES;
      if (this.heldBytes > this.options.budgetBytes) this.startSpill();
      return;
    }
    this.toBucket(placed);
  }

  /** Moves what memory holds to the buckets' rows and opens the spill. */
  private startSpill(): void {
    const held = [...this.memory.values()].flat();
    this.memory.clear();
    this.heldBytes = 0;
    this.opening = this.openSpill();
    this.opening.then(
      (spill) => {
        this.spill = spill;
        for (const key of this.waiting.keys()) this.bucketFor(spill, key);
      },
      (error: unknown) => {
        this.failure ??= error;
        this.waiting.clear();
      },
    );
    for (const placed of held) this.toBucket(placed);
  }

  /**
   * Adds a row to its bucket's waiting rows, appended once there are a chunk's worth; past
   * WAITING_BYTES every bucket's are appended, so what waits stays bounded whatever the order.
   */
  private toBucket(placed: Placed): void {
    if (this.failure !== undefined) return;
    // What no host owns (position -1) goes first in the first bucket, as it goes first in a held file.
    const number = Math.floor(Math.max(0, placed.place.position) / this.hostsPerBucket);
    const key = `${placed.regionIndex}:${number}`;
    const rows = this.waiting.get(key) ?? [];
    this.waiting.set(key, rows);
    rows.push(placed);
    this.waitingBytes += placed.series.values.byteLength;
    if (this.spill && !this.buckets.has(key)) this.bucketFor(this.spill, key);
    if (rows.length >= ROWS_PER_CHUNK) this.flushBucket(key);
    if (this.waitingBytes > WAITING_BYTES) for (const k of this.waiting.keys()) this.flushBucket(k);
  }

  /** Appends a bucket's waiting rows if its table is ready (else they wait for it). */
  private flushBucket(key: string): void {
    const bucket = this.ready.get(key);
    const rows = this.waiting.get(key);
    if (!bucket || !rows || rows.length === 0 || this.failure !== undefined) return;
    this.waiting.delete(key);
    for (const row of rows) this.waitingBytes -= row.series.values.byteLength;
    try {
      for (let at = 0; at < rows.length; at += ROWS_PER_CHUNK)
        bucket.appender.appendDataChunk(chunkOf(rows.slice(at, at + ROWS_PER_CHUNK)));
      bucket.appender.flushSync();
    } catch (error) {
      this.failure = cannotSpill(this.spill?.dir ?? '', error);
      this.waiting.clear();
    }
  }

  /** Starts the table of a bucket; its waiting rows are appended once it is there. */
  private bucketFor(spill: Spill, key: string): void {
    if (this.buckets.has(key)) return;
    const [regionIndex, number] = key.split(':').map(Number) as [number, number];
    let settle!: { resolve: (bucket: Bucket) => void; reject: (error: unknown) => void };
    const created = new Promise<Bucket>((resolve, reject) => {
      settle = { resolve, reject };
    });
    created.catch(() => undefined);
    this.buckets.set(key, created);
    this.toCreate.push({ key, regionIndex, number, ...settle });
    // NOTE: one statement at a time on the connection (two in flight fail with "Attempting to
    // execute an unsuccessful or closed pending query result"), and the buckets asked for while
    // one is made are made together: one at a time lagged 600 MB of rows behind a busy loop.
    this.statements = this.statements.then(() => this.createWaitingBuckets(spill));
  }

  private async createWaitingBuckets(spill: Spill): Promise<void> {
    const batch = this.toCreate.splice(0).map((b) => ({ ...b, table: `bucket_${this.tables++}` }));
    if (batch.length === 0) return;
    try {
      const columns = COLUMNS.map(([name, type]) => `"${name}" ${type.toString()}`).join(', ');
      const creates = batch.map((b) => `CREATE TABLE ${b.table} (${columns});`).join(' ');
      await spill.connection.run(`BEGIN TRANSACTION; ${creates} COMMIT;`);
      for (const { key, table, regionIndex, number, resolve } of batch) {
        const bucket = { table, regionIndex, number, appender: await spill.connection.createAppender(table) };
        this.ready.set(key, bucket);
        resolve(bucket);
        this.flushBucket(key);
      }
    } catch (error) {
      this.failure ??= cannotSpill(spill.dir, error);
      this.waiting.clear();
      for (const b of batch) b.reject(error);
    }
  }

  private async openSpill(): Promise<Spill> {
    const root = this.options.tempRoot ?? tmpdir();
    let dir: string;
    try {
      dir = await mkdtemp(join(root, 'fleetlens-series-'));
    } catch (error) {
      throw cannotSpill(root, error);
    }
    let instance: DuckDBInstance | undefined;
    try {
      // NOTE: a database file, not :memory:, so DuckDB can evict the tables' blocks to disk.
      instance = await DuckDBInstance.create(join(dir, 'spill.duckdb'), {
        memory_limit: SPILL_MEMORY_LIMIT,
        temp_directory: dir,
        threads: '1',
      });
      const connection = await instance.connect();
      return { dir, instance, connection };
    } catch (error) {
      instance?.closeSync();
      await rm(dir, { recursive: true, force: true });
      throw cannotSpill(dir, error);
    }
  }
}

/**
 * Runs of owners (first and last position) holding at most `partBytes` of values each, from each
 * position's bytes in order; an owner bigger than that is a run of its own.
 */
export function partsOf(
  sizes: readonly (readonly [number, number])[],
  partBytes: number,
): [number, number][] {
  const parts: [number, number][] = [];
  let bytes = 0;
  for (const [at, size] of sizes) {
    const open = parts[parts.length - 1];
    if (open && bytes + size <= partBytes) {
      open[1] = at;
      bytes += size;
    } else {
      parts.push([at, at]);
      bytes = size;
    }
  }
  return parts;
}

/** One line naming the folder: the disk is full, or the folder is not writable. */
function cannotSpill(dir: string, error: unknown): ConfigError {
  const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
  return new ConfigError(
    `cannot keep the collected series on disk past the memory budget (${reason}); free space there or point TMPDIR elsewhere`,
    dir,
  );
}

function chunkOf(rows: readonly Placed[]): DuckDBDataChunk {
  const chunk = DuckDBDataChunk.create(
    COLUMNS.map(([, type]) => type),
    rows.length,
  );
  const columns: unknown[][] = [
    rows.map((r) => r.regionIndex),
    rows.map((r) => r.place.position),
    rows.map((r) => r.place.hostId ?? NO_HOST),
    rows.map((r) => r.series.subjectKind),
    rows.map((r) => r.series.subjectId),
    rows.map((r) => r.series.metric),
    rows.map((r) => r.series.unit),
    rows.map((r) => r.series.source),
    rows.map((r) => r.series.startMs),
    rows.map((r) => r.series.stepSec),
    rows.map((r) => blobValue(littleEndianBytes(r.series.values))),
  ];
  // NOTE: each column's values are of its declared type; the bindings check them as they copy.
  for (const [index, values] of columns.entries()) chunk.setColumnValues(index, values as never);
  return chunk;
}

function bySubjectMetricSource(a: MetricSeries, b: MetricSeries): number {
  return (
    compareText(a.subjectKind, b.subjectKind) ||
    compareText(a.subjectId, b.subjectId) ||
    compareText(a.metric, b.metric) ||
    compareText(a.source, b.source)
  );
}

/**
 * Strings by code unit. DuckDB orders VARCHAR by byte, which is the same order for the ASCII ids
 * and names clouds give, so the in-memory and the spilled folder come out alike.
 */
export const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

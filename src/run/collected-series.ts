// The series a live run collects, as the adapters hand them over (ctx.emitSeries): held in memory
// up to a budget, and past it appended to a DuckDB file on disk, so collection memory stays flat
// whatever the fleet. A run that spilled writes its series files from that table, sorted unit by
// unit at COPY time (the answers come in any order), and is judged by reading them back one unit
// at a time, as a replay is.
//
//   const collected = new CollectedSeries({ budgetBytes: 256 * MiB });
//   collected.sink('aws', inventory)(series);      // per answer, in any order, from any cloud
//   await collected.settle();                      // everything appended, or the spill's error
//   collected.spilled ? await collected.writeRegions(writer, 'aws') : collected.takeSeries('aws');
//   await collected.close();                       // removes the spill
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BLOB,
  blobValue,
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBType,
  VARCHAR,
} from '@duckdb/node-api';
import type { Inventory } from '../../providers/types.ts';
import { fleetUnits } from '../analysis/judge-fleet.ts';
import { ConfigError } from '../errors.ts';
import type { MetricName, MetricSeries, ProviderId, SubjectKind } from '../model/index.ts';
import { littleEndianBytes, SERIES_FILE_OPTIONS } from './artifacts-series.ts';
import type { ArtifactsWriter } from './artifacts-writer.ts';

/** What a run holds in memory before it spills: about 300 hosts' 14 days of 5-minute series. */
export const DEFAULT_SPILL_BUDGET_BYTES = 256 * 1_048_576;
/** What a series costs beside its values (its object, strings and columns' header), for the budget. */
const SERIES_OVERHEAD_BYTES = 512;
/** Rows appended to DuckDB at once: a few hosts' series, a few MB of values. */
const ROWS_PER_CHUNK = 64;
/**
 * DuckDB's limit for the spill: past it the table's blocks and the COPY's sort go to the spill
 * folder. NOTE: the series writer measured 256 MB too little for a 2,000-host region's COPY.
 */
const SPILL_MEMORY_LIMIT = '1GB';
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
  fleetUnits({ ...inventory, onHost: [] }).forEach((unit, rank) => {
    for (const host of unit.hosts) unitRank.set(host.id, rank);
  });
  const place = (hostId: string | null, region: string | undefined): SeriesPlace => ({
    hostId,
    region: region ?? UNKNOWN_REGION,
    rank: hostId === null ? -1 : (unitRank.get(hostId) ?? Number.MAX_SAFE_INTEGER),
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

const COLUMNS: readonly [string, DuckDBType][] = [
  ['region_index', DOUBLE],
  ['rank', DOUBLE],
  ['host_id', VARCHAR],
  ['subject_kind', VARCHAR],
  ['subject_id', VARCHAR],
  ['metric', VARCHAR],
  ['unit', VARCHAR],
  ['source', VARCHAR],
  ['start_ms', DOUBLE],
  ['step_sec', DOUBLE],
  ['values', BLOB],
];

interface Spill {
  dir: string;
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  appender: DuckDBAppender;
}

export interface CollectedSeriesOptions {
  /** Bytes of series held in memory before the rest goes to disk; Infinity never spills. */
  budgetBytes: number;
  /** Where the spill's folder is made (default: the system's temporary folder). */
  tempRoot?: string;
}

export class CollectedSeries {
  private readonly memory = new Map<ProviderId, Placed[]>();
  private pending: Placed[] = [];
  private heldBytes = 0;
  private spill: Spill | undefined;
  private opening: Promise<void> | undefined;
  private failure: unknown;
  private closed = false;
  private readonly counts = new Map<ProviderId, number>();
  private readonly metrics = new Map<ProviderId, Map<string, Set<MetricName>>>();
  private readonly regions: { provider: ProviderId; region: string }[] = [];
  private readonly regionIndex = new Map<string, number>();

  constructor(private readonly options: CollectedSeriesOptions) {}

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
    await this.opening;
    if (this.failure !== undefined) throw this.failure;
    this.flush(0);
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
   * Writes one cloud's spilled series into an artifacts folder, a Parquet file per region in the
   * order a replay judges them (unit by unit; a host's series by subject, metric and source).
   */
  async writeRegions(provider: ProviderId, writer: Pick<ArtifactsWriter, 'writeSeriesFile'>): Promise<void> {
    await this.settle();
    if (this.closed) throw new Error('the spill was closed before its series were written');
    const spill = this.spill!;
    const own = [...this.regions.entries()].filter(([, entry]) => entry.provider === provider);
    // By name, not by which answer came first: the folder is the same from run to run.
    own.sort(([, a], [, b]) => compareText(a.region, b.region));
    for (const [index, entry] of own) {
      await writer.writeSeriesFile(provider, entry.region, async (file) => {
        const where = `region_index = ${index}`;
        const target = file.replaceAll("'", "''");
        try {
          await spill.connection.run(
            `COPY (SELECT host_id, subject_kind, subject_id, metric, unit, source, start_ms, step_sec, "values" FROM spill WHERE ${where} ORDER BY rank, host_id, subject_kind, subject_id, metric, source) TO '${target}' (${SERIES_FILE_OPTIONS})`,
          );
        } catch (error) {
          throw cannotSpill(file, error);
        }
        const counted = await spill.connection.runAndReadAll(
          `SELECT count(*)::DOUBLE, coalesce(sum(octet_length("values")), 0)::DOUBLE / 8, count(DISTINCT host_id) FILTER (WHERE host_id <> '')::DOUBLE FROM spill WHERE ${where}`,
        );
        const [series, points, hosts] = counted.getRows()[0]!.map(Number);
        return { series: series!, points: points!, hosts: hosts! };
      });
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
    await this.opening?.catch(() => undefined);
    this.pending = [];
    this.memory.clear();
    const spill = this.spill;
    if (!spill || this.closed) return;
    this.closed = true;
    try {
      spill.appender.closeSync();
    } catch {
      // NOTE: closed already by a failed flush; the connection and folder still go.
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
    this.pending.push(placed);
    this.flush(ROWS_PER_CHUNK);
  }

  /** Moves what memory holds to the pending rows and opens the spill; rows wait until it is open. */
  private startSpill(): void {
    for (const held of this.memory.values()) this.pending.push(...held);
    this.memory.clear();
    this.heldBytes = 0;
    this.opening = this.openSpill().then(
      (spill) => {
        this.spill = spill;
        this.flush(0);
      },
      (error: unknown) => {
        this.failure = error;
      },
    );
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
      // NOTE: a database file, not :memory:, so DuckDB can evict the table's blocks to disk.
      instance = await DuckDBInstance.create(join(dir, 'spill.duckdb'), {
        memory_limit: SPILL_MEMORY_LIMIT,
        temp_directory: dir,
        threads: '1',
      });
      const connection = await instance.connect();
      const columns = COLUMNS.map(([name, type]) => `"${name}" ${type.toString()}`).join(', ');
      await connection.run(`CREATE TABLE spill (${columns})`);
      const appender = await connection.createAppender('spill');
      return { dir, instance, connection, appender };
    } catch (error) {
      instance?.closeSync();
      await rm(dir, { recursive: true, force: true });
      throw cannotSpill(dir, error);
    }
  }

  /** Appends pending rows in chunks once there are at least `atLeast` (0: all of them). */
  private flush(atLeast: number): void {
    const spill = this.spill;
    if (!spill || this.failure !== undefined) return;
    while (this.pending.length > 0 && this.pending.length >= Math.max(1, atLeast)) {
      const rows = this.pending.splice(0, ROWS_PER_CHUNK);
      try {
        spill.appender.appendDataChunk(chunkOf(rows));
        if (this.pending.length === 0 || atLeast === 0) spill.appender.flushSync();
      } catch (error) {
        this.failure = cannotSpill(spill.dir, error);
        this.pending = [];
        return;
      }
    }
  }
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
    rows.map((r) => r.place.rank),
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

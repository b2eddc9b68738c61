// Series of saved artifacts as Parquet, through DuckDB: one file per cloud and region, one row per
// series (its subject, metric, start, step and a DOUBLE[] of values, NaN where a point is missing),
// the rows of one host together, so a reader holds one host's series at a time.
//
// NOTE: one row per series with a DOUBLE[] was measured against one row per point (8 M points, zstd):
// 21.8 MB against 19.0 MB on disk, 2,016 rows instead of 8 M to group by host on the way back, and
// no start/step to rebuild; a point row also repeats its series' text columns. See README "How cost grows".
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBDoubleVector,
  DuckDBInstance,
  type DuckDBListVector,
  type DuckDBType,
  LIST,
  listValue,
  VARCHAR,
} from '@duckdb/node-api';
import { ConfigError } from '../errors.ts';
import { MetricName, SubjectKind, Unit } from '../model/index.ts';
import type { SeriesColumns } from '../model/series-columns.ts';

/** One saved series: what it measures and its values as columns. */
export interface ArtifactSeries {
  subjectKind: SubjectKind;
  subjectId: string;
  metric: MetricName;
  unit: Unit;
  source: string;
  columns: SeriesColumns;
}

/** The series of one host (its own and its volumes'), or of no host (groups, unattached volumes). */
export interface HostSeriesBatch {
  /** Null for series no host owns. */
  hostId: string | null;
  series: ArtifactSeries[];
}

const COLUMNS: readonly [string, DuckDBType][] = [
  ['host_id', VARCHAR],
  ['subject_kind', VARCHAR],
  ['subject_id', VARCHAR],
  ['metric', VARCHAR],
  ['unit', VARCHAR],
  ['source', VARCHAR],
  // NOTE: epoch milliseconds fit a DOUBLE exactly (< 2^53), and a DOUBLE needs no BigInt on the way.
  ['start_ms', DOUBLE],
  ['step_sec', DOUBLE],
  ['values', LIST(DOUBLE)],
];
const COLUMN_SQL: Record<string, string> = { VARCHAR: 'VARCHAR', DOUBLE: 'DOUBLE', 'DOUBLE[]': 'DOUBLE[]' };
/**
 * Series per Parquet row group (~8 MB of values at 14 days): DuckDB buffers a whole row group when
 * it writes, and its default (122,880 rows) would be a region's every series at once.
 */
const ROWS_PER_GROUP = 256;
/** Rows a data chunk carries to the appender: a few hosts' series, a few MB of values. */
const ROWS_PER_CHUNK = 64;
/**
 * DuckDB spills to the writer's folder past this, so a region of any size writes in bounded
 * memory. NOTE: 256 MB ran out of memory in COPY at 2,000 hosts (a region's sort and row groups).
 */
const WRITE_MEMORY_LIMIT = '1GB';
/** A reader holds one row group and the host being gathered. */
const READ_MEMORY_LIMIT_BYTES = 256 * 1_048_576;
/** Rows in one chunk of a DuckDB result (its standard vector size). */
const ROWS_PER_RESULT_CHUNK = 2_048;

/**
 * The reader's DuckDB memory limit for series of up to `pointsPerSeries` points: a result chunk is
 * 2,048 series whole (64 MiB at 14 days of 5-minute points), and the reader has two in flight (the
 * one being judged and the next), so a longer window or a finer step needs more than the default.
 * NOTE: a limit, not a reservation; DuckDB fails a query that needs more than it ("Out of Memory").
 */
export function readMemoryLimitBytes(pointsPerSeries: number, baseBytes = READ_MEMORY_LIMIT_BYTES): number {
  const points = Number.isFinite(pointsPerSeries) ? Math.max(1, Math.ceil(pointsPerSeries)) : 1;
  const chunkBytes = ROWS_PER_RESULT_CHUNK * points * 8;
  return Math.max(baseBytes, 3 * chunkBytes);
}

export interface ReadSeriesOptions {
  /** The most points a series of the file can have (the window ÷ its step), which sizes the reader. */
  pointsPerSeries?: number;
  /** The limit below which the reader never goes; tests lower it. */
  baseMemoryBytes?: number;
}

/** `host_id` of series no host owns: Parquet keeps it as an empty string. */
const NO_HOST = '';

/**
 * Writes one Parquet file of series. `append` takes one owner's series at a time; an owner seen
 * before is a bug (its series would no longer be read together).
 */
export class SeriesFileWriter {
  private pending: { hostId: string; series: ArtifactSeries }[] = [];
  private readonly owners = new Set<string>();
  private lastOwner: string | undefined;
  seriesCount = 0;
  pointCount = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly appender: DuckDBAppender,
    private readonly file: string,
    private readonly spillDir: string,
  ) {}

  /** `spillDir` is the writer's own (created, and removed by close()). */
  static async create(file: string, spillDir: string): Promise<SeriesFileWriter> {
    await mkdir(spillDir, { recursive: true });
    // NOTE: a database file, not :memory:, so DuckDB can evict the table's blocks to disk: RSS
    // stayed near 1.5 GB at 5,000 hosts with an in-memory table whatever the memory limit.
    const instance = await DuckDBInstance.create(join(spillDir, 'series.duckdb'), {
      memory_limit: WRITE_MEMORY_LIMIT,
      temp_directory: spillDir,
      threads: '1',
    });
    const connection = await instance.connect();
    const columns = COLUMNS.map(([name, type]) => `"${name}" ${COLUMN_SQL[type.toString()]}`).join(', ');
    await connection.run(`CREATE TABLE series (${columns})`);
    const appender = await connection.createAppender('series');
    return new SeriesFileWriter(instance, connection, appender, file, spillDir);
  }

  append(hostId: string | null, series: readonly ArtifactSeries[]): void {
    const owner = hostId ?? NO_HOST;
    if (owner !== this.lastOwner) {
      if (this.owners.has(owner)) throw new Error(`series of ${owner || 'no host'} appended apart`);
      this.owners.add(owner);
      this.lastOwner = owner;
    }
    for (const s of series) {
      this.pending.push({ hostId: owner, series: s });
      this.seriesCount += 1;
      this.pointCount += s.columns.values.length;
      if (this.pending.length >= ROWS_PER_CHUNK) this.flushChunk();
    }
  }

  /** Writes the Parquet file (zstd) and frees DuckDB. */
  async close(): Promise<void> {
    try {
      this.flushChunk();
      this.appender.closeSync();
      const target = this.file.replaceAll("'", "''");
      await this.connection.run(
        `COPY series TO '${target}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROWS_PER_GROUP})`,
      );
    } finally {
      this.connection.closeSync();
      this.instance.closeSync();
      await rm(this.spillDir, { recursive: true, force: true });
    }
  }

  private flushChunk(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    const chunk = DuckDBDataChunk.create(
      COLUMNS.map(([, type]) => type),
      rows.length,
    );
    const text = (pick: (row: (typeof rows)[number]) => string) => rows.map(pick);
    chunk.setColumnValues(
      0,
      text((r) => r.hostId),
    );
    chunk.setColumnValues(
      1,
      text((r) => r.series.subjectKind),
    );
    chunk.setColumnValues(
      2,
      text((r) => r.series.subjectId),
    );
    chunk.setColumnValues(
      3,
      text((r) => r.series.metric),
    );
    chunk.setColumnValues(
      4,
      text((r) => r.series.unit),
    );
    chunk.setColumnValues(
      5,
      text((r) => r.series.source),
    );
    chunk.setColumnValues(
      6,
      rows.map((r) => r.series.columns.startMs),
    );
    chunk.setColumnValues(
      7,
      rows.map((r) => r.series.columns.stepSec),
    );
    chunk.setColumnValues(
      8,
      rows.map((r) => listValue(Array.from(r.series.columns.values))),
    );
    this.appender.appendDataChunk(chunk);
  }
}

/** A file DuckDB cannot read as our series: one line naming the file. */
function damaged(file: string, error: unknown): ConfigError {
  const line = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
  return new ConfigError(`not a readable series file of saved artifacts (${line})`, file);
}

/**
 * The series of one Parquet file, one host at a time, in file order. DuckDB streams the file in
 * chunks of 2,048 rows, so memory holds a chunk and the host being gathered, not the file.
 */
export async function* readSeriesFile(
  file: string,
  options: ReadSeriesOptions = {},
): AsyncGenerator<HostSeriesBatch> {
  let reader: Reader | undefined;
  let pending: Promise<DuckDBDataChunk | null> | undefined;
  try {
    reader = await openReader(readMemoryLimitBytes(options.pointsPerSeries ?? 0, options.baseMemoryBytes));
    const { connection } = reader;
    const names = COLUMNS.map(([name]) => `"${name}"`).join(', ');
    let result: Awaited<ReturnType<DuckDBConnection['stream']>>;
    try {
      result = await connection.stream(`SELECT ${names} FROM read_parquet($file)`, { file });
    } catch (error) {
      throw damaged(file, error);
    }
    let current: HostSeriesBatch | undefined;
    let rowNumber = 0;
    const fetchNext = () => {
      const next = result.fetchChunk();
      // NOTE: awaited in the loop or in `finally`; this only keeps a rejection from being unhandled
      // while the consumer is still judging the chunk before.
      next.catch(() => undefined);
      return next;
    };
    // DuckDB decodes the next chunk on its own thread while this one's hosts are judged.
    pending = fetchNext();
    while (true) {
      let chunk: DuckDBDataChunk | null;
      try {
        chunk = await pending;
      } catch (error) {
        throw damaged(file, error);
      }
      pending = undefined;
      if (!chunk || chunk.rowCount === 0) break;
      pending = fetchNext();
      for (const row of rowsOf(chunk, file, rowNumber)) {
        const hostId = row.hostId === NO_HOST ? null : row.hostId;
        if (current && current.hostId !== hostId) {
          yield current;
          current = undefined;
        }
        current ??= { hostId, series: [] };
        current.series.push(row.series);
      }
      rowNumber += chunk.rowCount;
    }
    if (current) yield current;
  } finally {
    // A consumer that stops early leaves a fetch in flight: it ends before the connection closes.
    await pending?.catch(() => undefined);
    reader?.close();
  }
}

/**
 * How many series each subject has in one Parquet file, reading only the `subject_id` column (the
 * values are never decompressed), so a replay knows when a unit's last series has come by.
 */
export async function countSeriesBySubject(file: string): Promise<Map<string, number>> {
  let reader: Reader | undefined;
  try {
    reader = await openReader(READ_MEMORY_LIMIT_BYTES);
    const counted = await reader.connection.runAndReadAll(
      'SELECT subject_id, count(*)::INTEGER AS n FROM read_parquet($file) GROUP BY subject_id',
      { file },
    );
    return new Map(counted.getRows().map(([id, n]) => [String(id), Number(n)]));
  } catch (error) {
    throw damaged(file, error);
  } finally {
    reader?.close();
  }
}

interface Reader {
  connection: DuckDBConnection;
  close(): void;
}

/**
 * An in-memory DuckDB of its own for reading one file, on one thread.
 * NOTE: without a limit DuckDB's buffer pool keeps what it read, up to 80 % of the machine.
 */
async function openReader(limitBytes: number): Promise<Reader> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: '1',
    memory_limit: `${Math.ceil(limitBytes / 1_048_576)}MB`,
  });
  try {
    const connection = await instance.connect();
    return {
      connection,
      close() {
        connection.closeSync();
        instance.closeSync();
      },
    };
  } catch (error) {
    instance.closeSync();
    throw error;
  }
}

function* rowsOf(
  chunk: DuckDBDataChunk,
  file: string,
  firstRow: number,
): Generator<{ hostId: string; series: ArtifactSeries }> {
  const text = (column: number) => chunk.getColumnVector(column);
  const lists = chunk.getColumnVector(8) as DuckDBListVector;
  const child = lists.childVector as DuckDBDoubleVector;
  for (let row = 0; row < chunk.rowCount; row++) {
    const offset = lists.getEntryOffset(row);
    const length = lists.getEntryLength(row);
    const values = new Float64Array(length);
    for (let i = 0; i < length; i++) values[i] = child.getItem(offset + i) ?? Number.NaN;
    const kind = SubjectKind.safeParse(text(1).getItem(row));
    const metric = MetricName.safeParse(text(3).getItem(row));
    const unit = Unit.safeParse(text(4).getItem(row));
    const startMs = text(6).getItem(row);
    const stepSec = text(7).getItem(row);
    if (
      !kind.success ||
      !metric.success ||
      !unit.success ||
      typeof startMs !== 'number' ||
      !(Number(stepSec) > 0)
    ) {
      throw new ConfigError(`row ${firstRow + row + 1}: not a series of fleetlens`, file);
    }
    yield {
      hostId: String(text(0).getItem(row) ?? NO_HOST),
      series: {
        subjectKind: kind.data,
        subjectId: String(text(2).getItem(row)),
        metric: metric.data,
        unit: unit.data,
        source: String(text(5).getItem(row) ?? ''),
        columns: { startMs, stepSec: Number(stepSec), values },
      },
    };
  }
}

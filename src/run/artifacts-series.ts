// Series of saved artifacts as Parquet, through DuckDB: one file per cloud and region, one row per
// series (its subject, metric, start, step and its values as a BLOB of little-endian doubles, NaN
// where a point is missing), the rows of one host together, so a reader holds one host's series at
// a time. Files of version 2, values as a DOUBLE[], are still read.
//
// NOTE: one row per series was measured against one row per point (8 M points, zstd): 21.8 MB
// against 19.0 MB on disk, 2,016 rows instead of 8 M to group by host on the way back, and no
// start/step to rebuild; a point row also repeats its series' text columns. See README "How cost grows".
// NOTE: the values as a BLOB rather than a DOUBLE[] (10,000 hosts' file of 7,500 series, zstd): the
// same 95.8 MB on disk, DuckDB decodes it 3.5 times faster (290 ms against 1,070 ms, no system
// time), and the reader takes each series' bytes whole instead of reading its points one by one.
import { mkdir, rm } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import {
  BLOB,
  blobValue,
  DOUBLE,
  type DuckDBAppender,
  DuckDBBlobVector,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBDoubleVector,
  DuckDBInstance,
  DuckDBListVector,
  type DuckDBType,
  type DuckDBVector,
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

/** A series file's columns, in order (a collection's spill keeps the same, after two of its own). */
export const COLUMNS: readonly [string, DuckDBType][] = [
  ['host_id', VARCHAR],
  ['subject_kind', VARCHAR],
  ['subject_id', VARCHAR],
  ['metric', VARCHAR],
  ['unit', VARCHAR],
  ['source', VARCHAR],
  // NOTE: epoch milliseconds fit a DOUBLE exactly (< 2^53), and a DOUBLE needs no BigInt on the way.
  ['start_ms', DOUBLE],
  ['step_sec', DOUBLE],
  // The values' doubles, 8 little-endian bytes each (a DOUBLE[] in files of version 2).
  ['values', BLOB],
];
const COLUMN_SQL: Record<string, string> = { VARCHAR: 'VARCHAR', DOUBLE: 'DOUBLE', BLOB: 'BLOB' };
const LITTLE_ENDIAN = endianness() === 'LE';
/**
 * Series per Parquet row group (~8 MB of values at 14 days): DuckDB buffers a whole row group when
 * it writes, and its default (122,880 rows) would be a region's every series at once.
 */
const ROWS_PER_GROUP = 256;
/** How every series file is written (COPY's options): zstd, in row groups of ROWS_PER_GROUP. */
export const SERIES_FILE_OPTIONS = `FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROWS_PER_GROUP}`;
/** Rows a data chunk carries to the appender: a few hosts' series, a few MB of values. */
const ROWS_PER_CHUNK = 64;
/**
 * DuckDB spills to the writer's folder past this, so a region of any size writes in bounded
 * memory. NOTE: 256 MB ran out of memory in COPY at 2,000 hosts (a region's sort and row groups).
 */
const WRITE_MEMORY_LIMIT = '1GB';
/** A reader holds one row group and the host being gathered. */
const READ_MEMORY_LIMIT_BYTES = 256 * 1_048_576;
/** What DuckDB buffers of a streaming result ahead of the reader (see readSeriesFile). */
const STREAMING_BUFFER = '64KB';
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

/** The most points a series of `window` can have: the window at its step, both ends counted. */
export function pointsInWindow(window: { fromMs: number; toMs: number; stepSec: number }): number {
  return Math.floor((window.toMs - window.fromMs) / (window.stepSec * 1000)) + 1;
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
      await this.connection.run(`COPY series TO '${target}' (${SERIES_FILE_OPTIONS})`);
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
      rows.map((r) => blobValue(littleEndianBytes(r.series.columns.values))),
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
    // NOTE: DuckDB buffers a streaming result up to this size ahead of the reader, counting a row's
    // fixed part but not its BLOB's bytes: at the default (976.5 KiB) it read a region's whole file
    // (7,500 series, 240 MB) before handing the first chunk, so memory grew with the region and
    // judging waited for the whole file. Below one chunk's fixed part, it stays a chunk ahead.
    await connection.run(`SET streaming_buffer_size = '${STREAMING_BUFFER}'`);
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
 * An in-memory DuckDB of its own for reading one file, on two threads: it decodes row groups side
 * by side when the judging waits for a chunk (10,000 hosts: 21.6 s against 22.1-23.5 s on one),
 * and keeps their order (preserve_insertion_order), so a host's rows still come together.
 * NOTE: without a limit DuckDB's buffer pool keeps what it read, up to 80 % of the machine.
 */
async function openReader(limitBytes: number): Promise<Reader> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: '2',
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
  const readValues = valuesReader(chunk.getColumnVector(8));
  for (let row = 0; row < chunk.rowCount; row++) {
    const damagedRow = () => new ConfigError(`row ${firstRow + row + 1}: not a series of fleetlens`, file);
    const values = readValues?.(row);
    const kind = SubjectKind.safeParse(text(1).getItem(row));
    const metric = MetricName.safeParse(text(3).getItem(row));
    const unit = Unit.safeParse(text(4).getItem(row));
    const startMs = text(6).getItem(row);
    const stepSec = text(7).getItem(row);
    if (
      !values ||
      !kind.success ||
      !metric.success ||
      !unit.success ||
      typeof startMs !== 'number' ||
      !(Number(stepSec) > 0)
    ) {
      throw damagedRow();
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

/**
 * How a chunk's `values` column is read, row by row: a BLOB of doubles, or version 2's
 * DOUBLE[]. Undefined for a column of any other type; a row reads as undefined when it is damaged.
 */
function valuesReader(vector: DuckDBVector): ((row: number) => Float64Array | undefined) | undefined {
  if (vector instanceof DuckDBBlobVector) {
    return (row) => {
      const bytes = vector.getItemBytes(row);
      return bytes && bytes.length % 8 === 0 ? doublesOf(bytes) : undefined;
    };
  }
  if (vector instanceof DuckDBListVector && vector.childVector instanceof DuckDBDoubleVector) {
    const child = vector.childVector;
    return (row) => {
      const offset = vector.getEntryOffset(row);
      const values = new Float64Array(vector.getEntryLength(row));
      for (let i = 0; i < values.length; i++) values[i] = child.getItem(offset + i) ?? Number.NaN;
      return values;
    };
  }
  return undefined;
}

/** A series' values as the bytes a BLOB keeps: 8 little-endian bytes a double, NaN payloads kept. */
export function littleEndianBytes(values: Float64Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i]!, true);
  return bytes;
}

/**
 * The doubles of a BLOB's bytes. Bytes the bindings handed over on their own (every series past
 * one point) are viewed in place when aligned; short ones share the chunk's memory and are copied.
 */
export function doublesOf(bytes: Uint8Array): Float64Array {
  const n = bytes.length / 8;
  if (!LITTLE_ENDIAN) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Float64Array.from({ length: n }, (_, i) => view.getFloat64(i * 8, true));
  }
  if (bytes.length > 12 && bytes.byteOffset % 8 === 0)
    return new Float64Array(bytes.buffer, bytes.byteOffset, n);
  return new Float64Array(bytes.slice().buffer, 0, n);
}

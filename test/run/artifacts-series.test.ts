import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { MetricName, SubjectKind, Unit } from '../../src/model/index.ts';
import {
  type ArtifactSeries,
  doublesOf,
  type HostSeriesBatch,
  littleEndianBytes,
  readMemoryLimitBytes,
  readSeriesFile,
  SeriesFileWriter,
} from '../../src/run/artifacts-series.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-series-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function roundTrip(
  batches: readonly HostSeriesBatch[],
  name = 'r.parquet',
): Promise<HostSeriesBatch[]> {
  const file = join(dir, name);
  const writer = await SeriesFileWriter.create(file, join(dir, 'spill'));
  for (const b of batches) writer.append(b.hostId, b.series);
  await writer.close();
  const read: HostSeriesBatch[] = [];
  for await (const b of readSeriesFile(file)) read.push(b);
  return read;
}

// Values a cloud can answer: any finite double, and NaN for a missing step.
const value = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(Number.NaN));
const series: fc.Arbitrary<ArtifactSeries> = fc.record({
  subjectKind: fc.constantFrom(...SubjectKind.options),
  subjectId: fc.string({ maxLength: 20 }),
  metric: fc.constantFrom(...MetricName.options),
  unit: fc.constantFrom(...Unit.options),
  // Untrusted text from a cloud: quotes, newlines, any unicode.
  source: fc.string({ maxLength: 40, unit: 'grapheme' }),
  columns: fc.record({
    startMs: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    stepSec: fc.constantFrom(60, 300, 3600, 0.5),
    values: fc.array(value, { maxLength: 300 }).map((v) => Float64Array.from(v)),
  }),
});
const batches = fc
  .uniqueArray(fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: null }), { maxLength: 6 })
  .chain((owners) =>
    fc.tuple(
      ...owners.map((hostId) =>
        fc.array(series, { minLength: 1, maxLength: 4 }).map((s) => ({ hostId, series: s })),
      ),
    ),
  );

describe('series Parquet files', () => {
  it('give back every series, host by host, exactly as written (NaN holes included)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(batches, async (written) => {
        run += 1;
        const read = await roundTrip(written, `p${run}.parquet`);
        expect(read.map((b) => b.hostId)).toEqual(written.map((b) => b.hostId));
        expect(read).toEqual(written);
      }),
      { numRuns: 25 },
    );
  });

  it('keep one host series together: a host appended apart is refused', async () => {
    const writer = await SeriesFileWriter.create(join(dir, 'x.parquet'), join(dir, 'spill'));
    const one: ArtifactSeries = {
      subjectKind: 'host',
      subjectId: 'a',
      metric: 'cpu.util',
      unit: 'percent',
      source: 's',
      columns: { startMs: 0, stepSec: 300, values: Float64Array.of(1) },
    };
    writer.append('a', [one]);
    writer.append('b', [one]);
    expect(() => writer.append('a', [one])).toThrow(/appended apart/);
    await writer.close();
  });

  it('name a damaged file in one line', async () => {
    const file = join(dir, 'bad.parquet');
    await roundTrip(
      [
        {
          hostId: 'h',
          series: [
            {
              subjectKind: 'host',
              subjectId: 'h',
              metric: 'cpu.util',
              unit: 'percent',
              source: 's',
              columns: { startMs: 0, stepSec: 300, values: new Float64Array(4000).fill(3) },
            },
          ],
        },
      ],
      'bad.parquet',
    );
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const error = await consume(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const line = (error as ConfigError).describe();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(new RegExp(`^${file}: not a readable series file of saved artifacts \\(.+\\)$`));
  });
});

/** A Parquet file written by DuckDB alone from `select` (rows in the series files' columns). */
async function parquetOf(file: string, select: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  try {
    const connection = await instance.connect();
    await connection.run(`COPY (${select}) TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
    connection.closeSync();
  } finally {
    instance.closeSync();
  }
}

const ROW = (values: string) =>
  `SELECT 'i-1' AS host_id, 'host' AS subject_kind, 'i-1' AS subject_id, 'cpu.util' AS metric,
     'percent' AS unit, 'cloudwatch' AS source, 1000.0::DOUBLE AS start_ms, 300.0::DOUBLE AS step_sec,
     ${values} AS "values"`;

describe('series files of version 2 and damaged values', () => {
  it('read values saved as a DOUBLE[] (artifacts of earlier versions) as they were written', async () => {
    const file = join(dir, 'v2-list.parquet');
    await parquetOf(
      file,
      `${ROW(`[1.5, 'NaN'::DOUBLE, -2.0]::DOUBLE[]`)} UNION ALL ${ROW(`[]::DOUBLE[]`).replaceAll('i-1', 'i-2')}`,
    );
    const read: HostSeriesBatch[] = [];
    for await (const b of readSeriesFile(file)) read.push(b);
    expect(read.map((b) => [b.hostId, Array.from(b.series[0]!.columns.values)])).toEqual([
      ['i-1', [1.5, Number.NaN, -2]],
      ['i-2', []],
    ]);
    expect(read[0]!.series[0]).toMatchObject({
      metric: 'cpu.util',
      columns: { startMs: 1000, stepSec: 300 },
    });
  });

  it.each([
    ['a BLOB whose length is not whole doubles', `'\\x01\\x02\\x03'::BLOB`],
    ['a NULL BLOB', 'NULL::BLOB'],
    ['values of another type', `'1,2,3'`],
  ])('refuse %s in one line naming the file and row', async (_, values) => {
    const file = join(dir, 'bad-values.parquet');
    await parquetOf(file, ROW(values));
    const error = await consume(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).describe()).toBe(`${file}: row 1: not a series of fleetlens`);
  });

  it('keep every double bit for bit through the bytes a BLOB holds (NaN payloads, -0, subnormals)', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { maxLength: 64 }), fc.nat(7), (numbers, shift) => {
        const values = Float64Array.from(numbers);
        // Bytes at any offset of a larger buffer, as the bindings may hand them.
        const host = new Uint8Array(values.byteLength + shift);
        host.set(littleEndianBytes(values), shift);
        const back = doublesOf(host.subarray(shift));
        expect(new Uint8Array(back.buffer, back.byteOffset, back.byteLength)).toEqual(
          new Uint8Array(values.buffer),
        );
      }),
    );
  });
});

describe('the reader sized by the window', () => {
  it('reads a file whose result chunk is past the base limit once told how long a series can be', async () => {
    // 300 series × 4,032 points: one result chunk of 9.2 MiB against a base limit of 4 MiB.
    const file = join(dir, 'long.parquet');
    const writer = await SeriesFileWriter.create(file, join(dir, 'spill'));
    for (let h = 0; h < 300; h++) {
      writer.append(`i-${h}`, [
        {
          subjectKind: 'host',
          subjectId: `i-${h}`,
          metric: 'cpu.util',
          unit: 'percent',
          source: 'test',
          columns: {
            startMs: 0,
            stepSec: 300,
            values: Float64Array.from({ length: 4032 }, (_, i) => (i * h) % 97),
          },
        },
      ]);
    }
    await writer.close();
    const read = async (pointsPerSeries: number) => {
      let points = 0;
      for await (const b of readSeriesFile(file, { pointsPerSeries, baseMemoryBytes: 4 * 1_048_576 }))
        for (const s of b.series) points += s.columns.values.length;
      return points;
    };
    expect(await read(4032)).toBe(300 * 4032);
    // Told nothing, the base limit alone is too small for the chunk: the failure the sizing prevents.
    const error = await read(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).describe()).toMatch(/Out of Memory/);
  });

  it('keeps the default for 14 days of 5-minute points and grows past it for longer series', () => {
    expect(readMemoryLimitBytes(4033)).toBe(256 * 1_048_576);
    // 28 days at 5 minutes: 8,065 points, two 126 MiB chunks in flight.
    expect(readMemoryLimitBytes(8065)).toBe(3 * 2048 * 8065 * 8);
    expect(readMemoryLimitBytes(Number.NaN)).toBe(256 * 1_048_576);
  });
});

async function consume(file: string): Promise<number> {
  let n = 0;
  for await (const _ of readSeriesFile(file)) n += 1;
  return n;
}

// Every on-host reader, fed 2,000 damaged copies of real files each: cut short, bytes flipped,
// gzipped and corrupted, numbers out of range, lines dropped and repeated. Whatever comes in, a
// reader answers with data or a SampleError (a gap); what it gives is finite numbers (NaN where a
// field is missing) and printable times. Anything else escaping is a bug.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SampleError } from '../../src/errors.ts';
import { appLogReader } from '../../src/ingest/app-log.ts';
import { inSampleRange } from '../../src/ingest/columns.ts';
import { countLogReader } from '../../src/ingest/count-log.ts';
import { fdCountReader } from '../../src/ingest/fd-count.ts';
import { toSampleStream } from '../../src/ingest/gz.ts';
import { parseIostatJson } from '../../src/ingest/iostat-json.ts';
import { lagCsvReader } from '../../src/ingest/lag-csv.ts';
import { type LineReader, readStreamLines } from '../../src/ingest/lines.ts';
import { listenQueueReader } from '../../src/ingest/listen-queue-log.ts';
import { PartialSampleError } from '../../src/ingest/partial-sample-error.ts';
import { pidstatReader } from '../../src/ingest/pidstat.ts';
import { procLimitsReader } from '../../src/ingest/proc-limits.ts';
import { procNetReader } from '../../src/ingest/proc-net.ts';
import { processTreeReader } from '../../src/ingest/process-tree.ts';
import { parsePrometheusRange } from '../../src/ingest/prometheus-range.ts';
import { prometheusTextReader } from '../../src/ingest/prometheus-text.ts';
import { hostInfoReader } from '../../src/ingest/sample-files.ts';
import { sockstatReader } from '../../src/ingest/sockstat-log.ts';
import { ssSummaryReader } from '../../src/ingest/ss-summary.ts';
import { sysctlReader } from '../../src/ingest/sysctl.ts';
import { sysstatCsvReader } from '../../src/ingest/sysstat-csv.ts';
import { parseSysstatJson } from '../../src/ingest/sysstat-json.ts';
import { isSampleTime } from '../../src/ingest/time.ts';
import { mutatedInput, seedsFor } from '../helpers/fuzz-inputs.ts';

/** Runs per reader: the floor. FLEETLENS_FUZZ_RUNS raises it for a longer hunt. */
const RUNS = Math.max(2000, Number(process.env.FLEETLENS_FUZZ_RUNS ?? 0));

type Read = (bytes: Buffer, file: string) => Promise<unknown>;

const lines =
  (reader: (file: string) => LineReader<unknown>): Read =>
  (bytes, file) =>
    readStreamLines(bytes, file, reader(file));

async function textOf(bytes: Buffer, file: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of toSampleStream(bytes, file)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const readers: Record<string, Read> = {
  'sysstat-json': (bytes, file) => parseSysstatJson(bytes, file),
  'sysstat-csv': lines(sysstatCsvReader),
  'iostat-json': (bytes, file) => parseIostatJson(bytes, file),
  pidstat: lines(pidstatReader),
  'thread-log': lines((file) => countLogReader(file, 'Threads')),
  'fd-log': lines((file) => countLogReader(file, 'FDs')),
  'listen-queue-log': lines(listenQueueReader),
  'sockstat-log': lines(sockstatReader),
  'proc-net-netstat': lines(procNetReader),
  'proc-net-snmp': lines(procNetReader),
  sysctl: lines(sysctlReader),
  'proc-limits': lines(procLimitsReader),
  'fd-count': lines(fdCountReader),
  'ss-summary': lines(ssSummaryReader),
  'app-log': lines(appLogReader),
  'lag-csv': lines(lagCsvReader),
  'prometheus-text': lines(prometheusTextReader),
  'prometheus-range': async (bytes, file) => parsePrometheusRange(await textOf(bytes, file), file),
  'host-info': lines(hostInfoReader),
  'process-tree': lines(processTreeReader),
};

/** Every number reachable from `value` that breaks the contract, with its path. */
function badNumbers(value: unknown, path = '', found: string[] = []): string[] {
  if (found.length > 3) return found;
  if (typeof value === 'number') {
    const isTime =
      /(?:^|\.)(?:timesMs|timeMs|firstTimeMs|lastTimeMs|startMs|endMs|firstMs|lastMs|exitedMs)(?:\[|$)/.test(
        path,
      );
    if (Number.isNaN(value)) return found;
    if (isTime ? !isSampleTime(value) : !inSampleRange(value)) found.push(`${path} = ${value}`);
    return found;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) badNumbers(item, `${path}[${i}]`, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) badNumbers(item, path ? `${path}.${key}` : key, found);
  }
  return found;
}

const counts: Record<string, { whole: number; partial: number; gap: number }> = {};

afterAll(() => {
  const rows = Object.entries(counts).map(
    ([kind, c]) =>
      `${kind}: ${c.whole + c.partial + c.gap} (${c.whole} whole, ${c.partial} partial, ${c.gap} gaps)`,
  );
  process.stderr.write(`reader fuzz, inputs per reader: ${rows.join('; ')}\n`);
});

describe('on-host readers on damaged input', () => {
  it.each(Object.keys(readers))(
    '%s: every input is data or a gap, with finite numbers and valid times',
    async (kind) => {
      const read = readers[kind]!;
      const seeds = seedsFor(kind);
      expect(seeds.length).toBeGreaterThan(0);
      const tally = { whole: 0, partial: 0, gap: 0 };
      counts[kind] = tally;
      await fc.assert(
        fc.asyncProperty(mutatedInput(seeds), async (bytes) => {
          let value: unknown;
          try {
            value = await read(bytes, `fuzz-${kind}`);
            tally.whole += 1;
          } catch (error) {
            if (!(error instanceof SampleError)) throw error;
            if (error instanceof PartialSampleError) {
              tally.partial += 1;
              value = error.partial;
            } else tally.gap += 1;
            expect(error.message).not.toMatch(/\n/);
          }
          expect(badNumbers(value)).toEqual([]);
        }),
        { numRuns: RUNS },
      );
      expect(tally.whole + tally.partial + tally.gap).toBe(RUNS);
    },
  );
});

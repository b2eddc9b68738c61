import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SampleError } from '../../src/errors.ts';
import { streamSysstatHost } from '../../src/ingest/sysstat-stream.ts';

// Braces, brackets, quotes and escapes inside strings must not move the record boundaries.
const doc = `{"sysstat": {"hosts": [{"nodename": "we}ird\\"{[host", "number-of-cpus": 2, "nested": {"statistics": [1]},
  "statistics": [
    {"timestamp": {"date": "2026-11-24", "time": "08:00:00"}, "note": "a } and a ] and \\\\"},
    {"timestamp": {"date": "2026-11-24", "time": "08:00:01"}, "list": [[1, 2], {"x": "]"}]},
    {"timestamp": {"date": "2026-11-24", "time": "08:00:02"}, "text": "ü ✓"}
  ],
  "restarts": []}]}}`;

async function read(chunks: Iterable<string | Buffer>) {
  const header: Record<string, unknown> = {};
  const records: unknown[] = [];
  const count = await streamSysstatHost(Readable.from(chunks), 'sadf.json', {
    headerKeys: ['nodename', 'number-of-cpus'],
    onHeader: (key, value) => {
      header[key] = value;
    },
    onRecord: (record) => records.push(record),
  });
  return { header, records, count };
}

function* pieces(text: string, size: number): Generator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('streamSysstatHost', () => {
  it('splits records at their own braces, whatever their strings hold', async () => {
    const { header, records, count } = await read([doc]);
    expect(header).toEqual({ nodename: 'we}ird"{[host', 'number-of-cpus': 2 });
    expect(count).toBe(3);
    expect(records[0]).toMatchObject({ note: 'a } and a ] and \\' });
    expect(records[1]).toMatchObject({ list: [[1, 2], { x: ']' }] });
    expect(records[2]).toMatchObject({ text: 'ü ✓' });
  });

  it('gives the same records whatever the chunk size, multi-byte characters split included', async () => {
    const whole = await read([doc]);
    for (const size of [1, 2, 3, 7, 64]) expect(await read(pieces(doc, size))).toEqual(whole);
  });

  it('counts the records read when the file breaks off in a record', async () => {
    const cut = doc.slice(0, doc.indexOf('"list"'));
    await expect(read([cut])).rejects.toThrow(
      /^malformed or truncated JSON \(the statistics array never closes\) after 1 record$/,
    );
  });

  it('names a broken record by how many came before it', async () => {
    const broken = doc.replace('"note": "a', '"note" "a');
    const error = await read([broken]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SampleError);
    expect((error as Error).message).toMatch(/^malformed or truncated JSON \(.+\) after 0 records$/);
  });

  it('refuses JSON with no sysstat.hosts[0].statistics', async () => {
    await expect(read(['{"other": [1, 2, 3]}'])).rejects.toThrow(/^not sysstat JSON/);
    await expect(read(['{"a": {"b": [{"statistics": [{}]}]}}'])).rejects.toThrow(/^not sysstat JSON/);
  });
});

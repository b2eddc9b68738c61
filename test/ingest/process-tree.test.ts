// process-tree.jsonl as `fleetlens sample` writes it, read back: processes, sums, the port, and
// what a damaged line does (skipped and named in the gap; the rest still counts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SampleError } from '../../src/errors.ts';
import { PartialSampleError } from '../../src/ingest/partial-sample-error.ts';
import { parseProcessTree } from '../../src/ingest/process-tree.ts';
import { sampleDir } from '../helpers/onhost.ts';

const captured = readFileSync(`${sampleDir('gunicorn-sync-starved')}/process-tree.jsonl`, 'utf8');

describe('process-tree.jsonl', () => {
  it('reads a gunicorn master and its two workers, each second summed, and the port', () => {
    const tree = parseProcessTree(captured, 'process-tree.jsonl');
    expect(tree.processes).toHaveLength(3);
    expect(tree.processes.filter((p) => p.ppid === tree.rootPid)).toHaveLength(2);
    expect(tree.totals.timesMs.length).toBeGreaterThanOrEqual(100);
    expect(tree.port.port).toBe(8040);
    expect(Math.max(...tree.port.queued)).toBeGreaterThan(50);
    expect(tree.processes[1]!.busy.filter(Boolean).length).toBeGreaterThan(80);
  });

  it('skips a damaged line, names it, and keeps the rest', () => {
    const lines = captured.split('\n');
    lines.splice(10, 0, '{"t":"2026-12-06T00:24:00Z","kind":"proc","pid":-1}', 'not json');
    let error: unknown;
    try {
      parseProcessTree(lines.join('\n'), 'process-tree.jsonl');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PartialSampleError);
    const partial = error as PartialSampleError<ReturnType<typeof parseProcessTree>>;
    expect(partial.line).toBe(11);
    expect(partial.message).toMatch(/2 lines skipped/);
    expect(partial.partial.processes).toHaveLength(3);
  });

  it('a file without one sample is a gap', () => {
    expect(() =>
      parseProcessTree(
        '{"t":"2026-12-06T00:24:00Z","kind":"start","pid":1,"ppid":0,"comm":"x","root":true}\n',
        'f',
      ),
    ).toThrow(SampleError);
  });
});

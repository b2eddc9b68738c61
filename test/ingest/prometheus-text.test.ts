import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../src/ingest/prometheus-text.ts';
import { conformance } from './shared-files.ts';

describe("parsePrometheusText on node_exporter's end-to-end output", () => {
  const text = readFileSync(conformance('node_exporter/e2e-output.txt'), 'utf8');
  const { samples, families } = parsePrometheusText(text, 'e2e-output.txt');

  it('reads every sample line and every family', () => {
    expect(samples).toHaveLength(3027);
    expect(Object.keys(families)).toHaveLength(1228);
  });

  it('keeps labels, values and HELP/TYPE', () => {
    expect(samples[0]).toEqual({
      name: 'node_arp_entries',
      labels: { device: 'eth0' },
      value: 3,
      timestampMs: null,
    });
    const dirty = samples.find((sample) => sample.name === 'node_bcache_dirty_target_bytes');
    expect(dirty?.value).toBe(2.189426688e10);
    expect(dirty?.labels).toEqual({ backing_device: 'bdev0', uuid: 'deaddd54-c735-46d5-868e-f331c5fd7c74' });
    expect(families.go_goroutines).toEqual({
      help: 'Number of goroutines that currently exist.',
      type: 'gauge',
    });
  });
});

describe('parsePrometheusText on the corners of the format', () => {
  it('unescapes label values and HELP, reads timestamps and NaN; skips an infinite value by line', () => {
    const text = [
      '# HELP odd_metric A help with a \\\\ backslash\\nand a second line.',
      '# TYPE odd_metric counter',
      'odd_metric{path="C:\\\\temp",quote="say \\"hi\\"",multi="a\\nb",empty=""} 7 1700000000000',
      'odd_metric{path="y"} +Inf',
      'odd_metric{path="x",} NaN',
      'bare -1.5e-3',
      '{"utf8.metric", job="x"} 2',
    ].join('\n');
    let partial: unknown;
    try {
      parsePrometheusText(text, 'm.prom');
    } catch (error) {
      expect(error).toMatchObject({
        line: 4,
        message: expect.stringMatching(/^odd_metric "Infinity" is not a finite number in range/),
      });
      partial = (error as { partial: unknown }).partial;
    }
    const { samples, families } = partial as ReturnType<typeof parsePrometheusText>;
    expect(families.odd_metric).toEqual({
      help: 'A help with a \\ backslash\nand a second line.',
      type: 'counter',
    });
    expect(samples[0]).toEqual({
      name: 'odd_metric',
      labels: { path: 'C:\\temp', quote: 'say "hi"', multi: 'a\nb', empty: '' },
      value: 7,
      timestampMs: 1700000000000,
    });
    expect(samples[1]?.value).toBeNaN();
    expect(samples[2]).toEqual({ name: 'bare', labels: {}, value: -0.0015, timestampMs: null });
    expect(samples[3]).toEqual({ name: 'utf8.metric', labels: { job: 'x' }, value: 2, timestampMs: null });
  });

  it('names a malformed line', () => {
    const text = 'ok_metric 1\nbroken{label="unterminated} 1\n';
    expect(() => parsePrometheusText(text, 'm.prom')).toThrow(expect.objectContaining({ line: 2 }));
    expect(() => parsePrometheusText('ok_metric one\n', 'm.prom')).toThrow(
      expect.objectContaining({ line: 1 }),
    );
  });
});

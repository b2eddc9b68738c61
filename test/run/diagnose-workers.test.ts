// The two worker-pool reproductions (scripts/capture/gunicorn-sync-starved.sh,
// uvicorn-workers-blocked.sh): named right with confidence ≥ 0.7 and the right advice, from folders
// that `fleetlens sample` wrote on the server's master and that diagnose reads without a gap.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import { runDiagnose } from '../../src/run/diagnose.ts';
import { OUR_SAMPLES } from '../helpers/labelled-captures.ts';

const diagnose = async (name: string) =>
  (await runDiagnose([join(OUR_SAMPLES, name)], silentLogger)).diagnoses[0]!;

describe('gunicorn -k sync -w 2 starved on a slow upstream', () => {
  it('is threadpool-starvation of the worker pool, ≥ 0.7, sized by Little’s law in gunicorn’s flags', async () => {
    const d = await diagnose('gunicorn-sync-starved');
    expect(d.primary).toBe('threadpool-starvation');
    expect(d.confidence).toBeGreaterThanOrEqual(0.7);
    expect(d.gaps).toEqual([]);
    const signals = d.scores.find((s) => s.class === 'threadpool-starvation')!.signals.map((s) => s.signal);
    expect(signals.some((s) => /every worker process busy/.test(s))).toBe(true);
    expect(signals.some((s) => /shared accept queue/.test(s))).toBe(true);
    const workers = d.recommendations.find((r) => /-k gthread -w 2 --threads \d+/.test(r.recommended))!;
    expect(workers).toBeDefined();
    expect(workers.recommended).toMatch(/gevent.*C extension/);
    const steps = (workers.evidence[0] as { steps: { label: string; result: string }[] }).steps;
    // each request waited 2 s on the upstream (UPSTREAM_MS=2000): W = N ÷ X says so
    expect(steps.find((s) => s.label === 'service time (W)')?.result).toBe('2 s');
    // One action for the pool: the worker processes' sizing, not a ThreadPoolExecutor's beside it.
    expect(d.recommendations.filter((r) => r.findingId === workers.findingId)).toEqual([workers]);
  });

  it('was written by `fleetlens sample` on the master: every process of the tree, no gap', () => {
    const manifest = JSON.parse(
      readFileSync(join(OUR_SAMPLES, 'gunicorn-sync-starved', 'sample-manifest.json'), 'utf8'),
    );
    expect(manifest.children).toBe(true);
    expect(manifest.processes).toHaveLength(3);
    expect(manifest.diagnoseCheck.gaps).toEqual([]);
  });
});

describe('uvicorn --workers 2 with one blocked loop', () => {
  it('is event-loop-blocked, ≥ 0.7 from two kinds of evidence, with the executor advice', async () => {
    const d = await diagnose('uvicorn-workers-blocked');
    expect(d.primary).toBe('event-loop-blocked');
    expect(d.confidence).toBeGreaterThanOrEqual(0.7);
    expect(d.gaps).toEqual([]);
    expect(d.confidenceReasons?.join('\n')).toMatch(
      /independent kinds of evidence agree: .*worker-processes/,
    );
    expect(d.recommendations.some((r) => /run_in_executor|to_thread/.test(r.recommended))).toBe(true);
  });
});

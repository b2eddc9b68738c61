// `diagnose --prometheus`: a real Prometheus (Debian's package) serves a copy of each capture's
// data dir; the class from Prometheus alone must be the capture's ground truth (labels/, which the
// analyzer never reads). Fails, never skips, when prometheus is not installed.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiagnoseResult } from '../../reports/json/schema.ts';
import { ConfigError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import { packagePath } from '../../src/paths.ts';
import { diagnoseWindow, runDiagnoseSources } from '../../src/run/diagnose.ts';
import {
  fakePrometheus,
  labelOf,
  type RunningPrometheus,
  SHARED_SAMPLES,
  startPrometheus,
  threadsLogWindow,
} from '../helpers/prometheus.ts';

const SAMPLES = ['threadpool-starvation', 'cpu-saturation', 'disk-saturation', 'healthy'] as const;
const running = new Map<string, RunningPrometheus>();
// A start failure (prometheus not installed) fails every test that needs it, with its message.
let startError: unknown;

beforeAll(async () => {
  try {
    for (const sample of SAMPLES) running.set(sample, await startPrometheus(sample));
  } catch (error) {
    await Promise.all([...running.values()].map((p) => p.stop()));
    running.clear();
    startError = error;
  }
});
afterAll(async () => {
  await Promise.all([...running.values()].map((p) => p.stop()));
});

function urlOf(sample: string): string {
  const prom = running.get(sample);
  if (startError) throw startError;
  if (!prom) throw new Error(`prometheus for ${sample} did not start`);
  return prom.url;
}

function fleetlens(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      packagePath('node_modules', '.bin', 'tsx'),
      [packagePath('src', 'cli.ts'), ...args],
      { timeout: 900_000, env: { ...process.env, FLEETLENS_LOG_LEVEL: 'warn' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('diagnose --prometheus names the ground-truth class from Prometheus alone', () => {
  it.each(SAMPLES)('%s', async (sample) => {
    const [label, window] = await Promise.all([labelOf(sample), threadsLogWindow(sample)]);
    const result = await runDiagnoseSources(
      { dirs: [], prometheus: { url: urlOf(sample), ...window } },
      silentLogger,
    );
    expect(() => DiagnoseResult.parse(result)).not.toThrow();
    const [diagnosis] = result.diagnoses;
    expect(diagnosis!.source).toBe(urlOf(sample));
    expect(diagnosis!.gaps).toEqual([]);
    expect(diagnosis!.primary).toBe(label.primary);
    expect(diagnosis!.inputs.every((i) => i.kind === 'prometheus-range')).toBe(true);
    expect(diagnosis!.window.from).toMatch(/^2026-11-24T/);
  });
});

describe('diagnose with folders and a Prometheus', () => {
  it('gives the folder diagnoses in order, then the Prometheus one', async () => {
    const dir = `${SHARED_SAMPLES}/healthy`;
    const window = await threadsLogWindow('cpu-saturation');
    const { diagnoses } = await runDiagnoseSources(
      { dirs: [dir], prometheus: { url: urlOf('cpu-saturation'), ...window } },
      silentLogger,
    );
    expect(diagnoses.map((d) => [d.source, d.primary])).toEqual([
      [dir, 'healthy'],
      [urlOf('cpu-saturation'), 'cpu-saturated'],
    ]);
  });

  it('a Prometheus answering 500 everywhere gives insufficient data with gaps, not a crash', async () => {
    const server = await fakePrometheus(() => ({ status: 500, body: '{"status":"error","error":"boom"}' }));
    try {
      const { diagnoses } = await runDiagnoseSources(
        {
          dirs: [],
          prometheus: { url: server.url, fromMs: 1_000_000, toMs: 1_060_000 },
          retry: { attempts: 1, minDelayMs: 1, maxDelayMs: 1 },
        },
        silentLogger,
      );
      expect(diagnoses).toHaveLength(1);
      expect(diagnoses[0]!.gaps.map((g) => g.message)).toEqual([
        `${server.url}/api/v1/label/__name__/values: unavailable: HTTP 500: boom`,
        `${server.url}/api/v1/label/__name__/values: unavailable: HTTP 500: boom`,
        expect.stringMatching(/^no verdict: no input carries a signal/),
      ]);
      // Nothing was read: no verdict, not "healthy".
      expect(diagnoses[0]).toMatchObject({ primary: 'insufficient-data', confidence: 0 });
    } finally {
      await server.close();
    }
  });
});

describe('the CLI', () => {
  it('diagnose --prometheus URL --from --to --format json prints one diagnosis for the URL', async () => {
    const window = await threadsLogWindow('threadpool-starvation');
    const url = urlOf('threadpool-starvation');
    const run = await fleetlens([
      'diagnose',
      '--prometheus',
      url,
      '--from',
      new Date(window.fromMs).toISOString(),
      '--to',
      new Date(window.toMs).toISOString(),
      '--format',
      'json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = DiagnoseResult.parse(JSON.parse(run.stdout));
    expect(result.diagnoses.map((d) => [d.source, d.primary])).toEqual([[url, 'threadpool-starvation']]);
  });

  it('without a DIR or --prometheus is a usage error (exit 2) that says what to give', async () => {
    const run = await fleetlens(['diagnose']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('give at least one DIR, or --prometheus URL');
    const stray = await fleetlens(['diagnose', `${SHARED_SAMPLES}/healthy`, '--since', '1h']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--since applies to --prometheus only');
  });
});

describe('diagnoseWindow', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  it('defaults to the last 15 minutes', () => {
    expect(diagnoseWindow({}, now)).toEqual({ fromMs: now - 900_000, toMs: now });
  });
  it('reads --from/--to as ISO-8601, UTC when no zone is given, and --since before --to', () => {
    expect(diagnoseWindow({ from: '2026-11-24T08:46:50', to: '2026-11-24T10:49:14+02:00' }, now)).toEqual({
      fromMs: Date.parse('2026-11-24T08:46:50Z'),
      toMs: Date.parse('2026-11-24T08:49:14Z'),
    });
    expect(diagnoseWindow({ since: '2h', to: '2026-11-24T10:00:00Z' }, now).fromMs).toBe(
      Date.parse('2026-11-24T08:00:00Z'),
    );
  });
  it('rejects a bad time, a bad duration, an empty window and --from with --since', () => {
    for (const options of [
      { from: 'yesterday' },
      { since: '15 minutes' },
      { from: '2026-11-25T00:00:00Z' },
      { from: '2026-11-24T00:00:00Z', since: '1h' },
    ]) {
      expect(() => diagnoseWindow(options, now)).toThrow(ConfigError);
    }
  });
});

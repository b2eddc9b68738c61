// Progress on stderr through the real CLI, as cron and CI see it (stderr a pipe): JSON lines with no
// control character, and nothing at all but errors with --quiet. Replays and on-host folders: no cloud.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactsOf, saturatedFleet, writeArtifacts } from '../helpers/artifacts-builder.ts';
import { CLI_TEST_TIMEOUT_MS, fleetlens } from '../helpers/cli.ts';

const SAMPLES = join(import.meta.dirname, '../../mocks/samples');
const INFO = { env: { ...process.env, FLEETLENS_LOG_LEVEL: 'info' } };

let dir: string;
let artifacts: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-progress-'));
  artifacts = await writeArtifacts(join(dir, 'artifacts'), artifactsOf(saturatedFleet()));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function controlCharacters(text: string): string[] {
  return [...text].filter((char) => {
    const codePoint = char.codePointAt(0) ?? 0;
    return (codePoint < 0x20 && char !== '\n') || (codePoint >= 0x7f && codePoint <= 0x9f);
  });
}

function jsonLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('progress on stderr, off a terminal', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('audit writes JSON lines only, no control character, the last one with every step finished', async () => {
    const out = join(dir, 'lines');
    const run = await fleetlens(
      ['audit', '--from-artifacts', artifacts, '--format', 'md,json,html', '--out', out],
      INFO,
    );
    expect(run.code).toBe(0);
    expect(controlCharacters(run.stderr)).toEqual([]);
    const lines = jsonLines(run.stderr);
    const last = lines.filter((line) => String(line.msg).startsWith('audit progress')).at(-1);
    expect(last?.msg).toBe('audit progress: finished');
    expect(last?.progress).toMatchObject({
      rules: { state: 'done' },
      writers: { 'report.md': 'done', 'report.json': 'done', 'report.html': 'done' },
    });
    expect(await readFile(join(out, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('audit --quiet prints nothing on stderr and still writes the reports', async () => {
    const out = join(dir, 'quiet');
    const run = await fleetlens(
      ['audit', '--quiet', '--from-artifacts', artifacts, '--format', 'md,json', '--out', out],
      INFO,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(await readFile(join(out, 'report.md'), 'utf8')).toMatch(/^# fleetlens audit/);
    expect(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')).findings.length).toBeGreaterThan(0);
  });

  it('audit --quiet still prints an error', async () => {
    const run = await fleetlens(['audit', '--quiet', '--config', join(dir, 'missing.yaml')], INFO);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^fleetlens: .*missing\.yaml/);
  });

  it('diagnose --format html --quiet prints the page on stdout and nothing on stderr', async () => {
    const run = await fleetlens(
      ['diagnose', '--quiet', '--format', 'html', join(SAMPLES, 'cpu-saturation')],
      INFO,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^<!doctype html>/);
    expect(run.stdout).toContain('cpu-saturated');
  });

  it('diagnose reports its folders, rules and the printed page in its last progress line', async () => {
    const folders = ['cpu-saturation', 'disk-saturation'].map((name) => join(SAMPLES, name));
    const run = await fleetlens(['diagnose', '--format', 'json', ...folders], INFO);
    expect(run.code).toBe(0);
    expect(controlCharacters(run.stderr)).toEqual([]);
    const last = jsonLines(run.stderr).at(-1);
    expect(last).toMatchObject({
      msg: 'diagnose progress: finished',
      progress: {
        onHost: { done: 2, total: 2 },
        rules: { state: 'done', done: 2, total: 2 },
        writers: { 'json on stdout': 'done' },
      },
    });
    expect(JSON.parse(run.stdout).diagnoses).toHaveLength(2);
  });
});

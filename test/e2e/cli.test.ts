// The CLI as a user runs it: a separate process, exit codes, stdout for reports, stderr for logs.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisResult, DiagnoseResult } from '../../reports/json/schema.ts';
import { packagePath } from '../../src/paths.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function fleetlens(args: string[], cwd = packagePath()): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      packagePath('node_modules', '.bin', 'tsx'),
      [packagePath('src', 'cli.ts'), ...args],
      {
        cwd,
        timeout: 60_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, FLEETLENS_LOG_LEVEL: 'warn' },
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('fleetlens CLI', () => {
  it('prints help with every command and exits 0', async () => {
    const run = await fleetlens(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['audit', 'diagnose', 'mock', 'init']) expect(run.stdout).toContain(command);
  });

  it('exits 2 on an unknown option, with a usage line', async () => {
    const run = await fleetlens(['audit', '--no-such-flag']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown option '--no-such-flag'/);
  });

  it('exits 2 on a config error and names the file, line and key in one line', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'providers:\n  aws:\n    regions: [us-east-1]\n    regoin: eu-west-1\n');
    const run = await fleetlens(['audit', '--config', file]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(`fleetlens: ${file}:4 providers.aws.regoin: unknown key`);
  });

  it('exits 2 for a format this version does not write', async () => {
    const run = await fleetlens(['audit', '--demo', '--format', 'html']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown format "html"/);
  });

  it('writes a commented config that loads back, and will not overwrite it', async () => {
    const file = join(dir, 'fleetlens.yaml');
    expect((await fleetlens(['init', '--file', file])).code).toBe(0);
    expect(await readFile(file, 'utf8')).toContain('cpuPercentile: 99.5');
    const again = await fleetlens(['init', '--file', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('diagnose --format json prints the contract on stdout, one diagnosis per folder', async () => {
    const folders = ['cpu-saturation', 'healthy'].map((name) => packagePath('mocks', 'samples', name));
    const run = await fleetlens(['diagnose', ...folders, '--format', 'json']);
    expect(run.code).toBe(0);
    const result = DiagnoseResult.parse(JSON.parse(run.stdout));
    expect(result.diagnoses.map((d) => [d.source, d.primary])).toEqual([
      [folders[0], 'cpu-saturated'],
      [folders[1], 'healthy'],
    ]);
  });

  it('diagnose exits 2 for a folder that does not exist', async () => {
    const run = await fleetlens(['diagnose', join(dir, 'missing')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/missing: no such folder/);
  });

  it('audit --demo --format json --out - prints report.json on stdout and exits 3 with --fail-on high', async () => {
    const run = await fleetlens(['audit', '--demo', '--format', 'json', '--out', '-', '--fail-on', 'high']);
    expect(run.code).toBe(3);
    const result = AnalysisResult.parse(JSON.parse(run.stdout));
    expect(result.run.mode).toBe('demo');
    expect(result.run.apiCalls.aws!.made).toBe(result.run.apiCalls.aws!.minimum);
    expect(run.stderr).toMatch(/findings at or above --fail-on/);
  }, 60_000);
});

// The CLI as a user runs it: a separate process, exit codes, stdout for reports, stderr for logs.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisResult, DiagnoseResult } from '../../reports/json/schema.ts';
import { packagePath } from '../../src/paths.ts';
import {
  CLI_TEST_TIMEOUT_MS,
  type ConnectionCounter,
  connectionCounter,
  envWithoutCredentials,
  fleetlens,
} from '../helpers/cli.ts';

// Credentials that look real, so a run that did start collecting would connect to the counter.
const KEYS = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
};

let dir: string;
let counter: ConnectionCounter;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-cli-'));
  counter = await connectionCounter();
});
afterAll(async () => {
  await counter.close();
  await rm(dir, { recursive: true, force: true });
});

describe('fleetlens CLI', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('prints help with every command and every exit code, and exits 0', async () => {
    const run = await fleetlens(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['audit', 'diagnose', 'mock', 'init']) expect(run.stdout).toContain(command);
    for (const code of [
      '0  done',
      '1  a bug',
      '2  usage or config error',
      '3  audit/diagnose',
      '4  audit: incomplete',
    ]) {
      expect(run.stdout).toContain(code);
    }
    expect(run.stdout).toContain('When several apply: 2, then 4, then 3.');
    const audit = await fleetlens(['audit', '--help']);
    expect(audit.code).toBe(0);
    for (const flag of ['--fail-on-category <list>', '--allow-partial', '4  audit: incomplete']) {
      expect(audit.stdout).toContain(flag);
    }
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
    expect(run.stderr.trim()).toBe(
      `fleetlens: ${file}:4 providers.aws.regoin: unknown key (did you mean "regions"?)`,
    );
  });

  it('exits 2 with every config error at once: line, key, did you mean, allowed values, rule options', async () => {
    const file = join(dir, 'many.yaml');
    await writeFile(
      file,
      [
        'since: fortnight',
        'periodSec: 120',
        'providers:',
        `  aws: { regions: [us-east-1], endpoint: "${counter.endpoint}" }`,
        'sizing:',
        '  cpuHeadroomPct: 25',
        'rules:',
        '  cpu-saturated:',
        '    threshhold: 80',
        '  idle-instanse: false',
        '',
      ].join('\n'),
    );
    const run = await fleetlens(['audit', '--config', file, '--out', join(dir, 'never')], {
      env: { ...envWithoutCredentials(dir), ...KEYS },
    });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      `fleetlens: ${file}:1 since: expected a duration such as 14d, 36h or 90m (found "fortnight")`,
      `fleetlens: ${file}:2 periodSec: expected one of 60, 300, 3600 (found 120)`,
      `fleetlens: ${file}:6 sizing.cpuHeadroomPct: expected one of 0, 20, 30 (found 25)`,
      `fleetlens: ${file}:9 rules.cpu-saturated.threshhold: unknown key (did you mean "threshold"?)`,
      `fleetlens: ${file}:10 rules.idle-instanse: unknown rule (did you mean "idle-instance"?)`,
    ]);
    expect(counter.connections()).toBe(0);
  });

  it('exits 2 on broken YAML and names the line that opened the unclosed bracket', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(
      file,
      'since: 14d\nproviders:\n  aws:\n    regions: [us-east-1, eu-west-1\nperiodSec: 300\n',
    );
    const run = await fleetlens(['audit', '--config', file]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(new RegExp(`^fleetlens: ${file}:4: invalid YAML: Flow sequence`));
  });

  it('exits 2 on bad flags, all of them at once', async () => {
    const run = await fleetlens([
      'audit',
      '--demo',
      '--from-artifacts',
      join(dir, 'nothing'),
      '--since',
      'fortnight',
      '--format',
      'pdf',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      'fleetlens: --format: unknown format "pdf" (this version writes: md, json, html, prometheus-rules)',
      'fleetlens: --since: expected a duration such as 14d, 36h or 90m (found "fortnight")',
      'fleetlens: --from-artifacts: not with --demo',
      'fleetlens: --since: not with --from-artifacts (a replay keeps the window it was collected with)',
    ]);
  });

  it('exits 2 for --since 0d and for --out - with two formats, without calling any cloud', async () => {
    const file = join(dir, 'counted.yaml');
    await writeFile(
      file,
      `providers:\n  aws:\n    regions: [us-east-1]\n    endpoint: ${counter.endpoint}\n`,
    );
    const run = await fleetlens(
      ['audit', '--config', file, '--since', '0d', '--out', '-', '--format', 'md,json'],
      {
        env: { ...envWithoutCredentials(dir), ...KEYS },
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      'fleetlens: --out: - (stdout) takes exactly one --format',
      'fleetlens: --since: expected a duration longer than zero, such as 14d (found "0d")',
    ]);
    expect(run.stdout).toBe('');
    expect(counter.connections()).toBe(0);
  });

  it("exits 2 for --since past a cloud's retention at the config's period, saying what each cloud keeps", async () => {
    const file = join(dir, 'retention.yaml');
    await writeFile(
      file,
      `periodSec: 60\nproviders:\n  aws:\n    regions: [us-east-1]\n    endpoint: ${counter.endpoint}\n  gcp:\n    projects: [shop-prod-123]\n    endpoint: ${counter.endpoint}\n  linode:\n    endpoint: ${counter.endpoint}\n`,
    );
    const run = await fleetlens(['audit', '--config', file, '--since', '50d'], {
      env: { ...envWithoutCredentials(dir), ...KEYS },
    });
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^fleetlens: --since: 50d of CloudWatch data: CloudWatch keeps 1-minute data 15 days, 5-minute data 63 days and 1-hour data 455 days \(https:\/\/docs\.aws\.amazon\.com\/.*\): at a 60 s period it serves at most 15d; use --since 15d, or a 300 s period \(periodSec: 300\)$/,
    );
    expect(lines[1]).toMatch(
      /^fleetlens: --since: 50d of Cloud Monitoring data: .*6 weeks \(42 days\).*at most 42d/,
    );
    expect(counter.connections()).toBe(0);
  });

  it('exits 2 when --fail-on-category is given without --fail-on, or names an unknown category', async () => {
    const without = await fleetlens(['audit', '--demo', '--fail-on-category', 'cost']);
    expect(without.code).toBe(2);
    expect(without.stderr.trim()).toBe(
      'fleetlens: --fail-on-category: counts toward --fail-on: give --fail-on too',
    );
    const unknown = await fleetlens([
      'diagnose',
      packagePath('mocks', 'samples', 'healthy'),
      '--fail-on',
      'low',
      '--fail-on-category',
      'money',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe(
      'fleetlens: --fail-on-category: unknown category "money" (one of reliability, performance, cost)',
    );
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

  it('diagnose --fail-on exits 3 when a diagnosis has a finding at or above it, and still prints it', async () => {
    const folder = packagePath('mocks', 'samples', 'cpu-saturation');
    const run = await fleetlens(['diagnose', folder, '--format', 'json', '--fail-on', 'low']);
    expect(run.code).toBe(3);
    const result = DiagnoseResult.parse(JSON.parse(run.stdout));
    expect(result.diagnoses[0]!.findings.some((f) => f.category === 'performance')).toBe(true);
    expect(run.stderr).toMatch(
      /^fleetlens: \d+ findings? at or above --fail-on low \(counting reliability, performance; exit 3\)$/m,
    );
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
    expect(run.stderr).toMatch(/findings at or above --fail-on high/);
  });
});

// Exit statuses a cron job relies on, through the real CLI: replays of saved artifacts (no config
// file, no cloud) whose findings and coverage are known by construction.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisResult } from '../../reports/json/schema.ts';
import { artifactsOf, idleFleet, saturatedFleet, writeArtifacts } from '../helpers/artifacts-builder.ts';
import { CLI_TEST_TIMEOUT_MS, envWithoutCredentials, fleetlens } from '../helpers/cli.ts';

const NO_CREDENTIALS = 'aws ec2.DescribeInstances (eu-west-1): auth: no AWS credentials found';

let dir: string;
/** An empty working folder: no fleetlens.yaml to fall back on. */
let cwd: string;
let idle: string;
let incomplete: string;
let oldArtifacts: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-exit-'));
  cwd = await mkdtemp(join(dir, 'cwd-'));
  idle = await writeArtifacts(join(dir, 'idle'), artifactsOf(idleFleet()));
  incomplete = await writeArtifacts(
    join(dir, 'incomplete'),
    artifactsOf(saturatedFleet(), { failedScope: { scope: 'eu-west-1', reason: NO_CREDENTIALS } }),
  );
  oldArtifacts = await writeArtifacts(join(dir, 'old'), artifactsOf(idleFleet(), { withoutSettings: true }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const replay = (artifacts: string, ...args: string[]) =>
  fleetlens(
    ['audit', '--from-artifacts', artifacts, '--out', join(dir, 'out', String(Math.random())), ...args],
    {
      cwd,
    },
  );

describe('audit exit status', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('replays saved artifacts without a config file, with the settings they were collected with', async () => {
    const out = join(dir, 'replay');
    const run = await fleetlens(['audit', '--from-artifacts', idle, '--out', out, '--format', 'json'], {
      cwd,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = AnalysisResult.parse(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')));
    expect(result.run.mode).toBe('artifacts');
    expect(result.run.settings.providers.aws).toMatchObject({ regions: ['us-east-1'] });
    expect(result.findings.map((f) => f.ruleId).sort()).toEqual(['cpu-over-provisioned', 'idle-instance']);
  });

  it('replays artifacts saved before settings existed with the defaults, and says so', async () => {
    const run = await replay(oldArtifacts);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/artifacts carry no settings/);
  });

  it('does not count cost findings toward --fail-on: exit 0', async () => {
    const run = await replay(idle, '--fail-on', 'info');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('counts cost findings with --fail-on-category cost: exit 3, and says why in one line', async () => {
    const run = await replay(idle, '--fail-on', 'info', '--fail-on-category', 'cost');
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'fleetlens: 2 findings at or above --fail-on info (counting reliability, performance, cost; exit 3)\n',
    );
  });

  it('exits 4 when a configured region listed nothing because of an error, naming it in one line', async () => {
    const run = await replay(incomplete);
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(
      `fleetlens: incomplete run (exit 4; --allow-partial accepts it): aws eu-west-1: ${NO_CREDENTIALS}\n`,
    );
  });

  it('puts incomplete (4) before findings (3) when both hold', async () => {
    const run = await replay(incomplete, '--fail-on', 'high');
    expect(run.code).toBe(4);
    expect(run.stderr.trim().split('\n')).toEqual([
      `fleetlens: incomplete run (exit 4; --allow-partial accepts it): aws eu-west-1: ${NO_CREDENTIALS}`,
      'fleetlens: 1 finding at or above --fail-on high (counting reliability, performance; exit 3)',
    ]);
  });

  it('lets --allow-partial through to the findings status, still saying the run was incomplete', async () => {
    const run = await replay(incomplete, '--fail-on', 'high', '--allow-partial');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^fleetlens: incomplete run accepted by --allow-partial: aws eu-west-1: /);
    const quiet = await replay(incomplete, '--allow-partial');
    expect(quiet.code).toBe(0);
  });

  it('writes no ANSI colour codes to a piped stderr, even when CI or FORCE_COLOR ask for colour', async () => {
    const run = await fleetlens(['audit', '--from-artifacts', idle, '--out', join(dir, 'plain')], {
      cwd,
      env: { ...process.env, CI: 'true', FORCE_COLOR: '3', FLEETLENS_LOG_LEVEL: 'info' },
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/audit done/);
    expect(run.stderr).not.toContain('\x1b[');
  });
});

describe('audit with no credentials at all', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('is incomplete (exit 4) for a configured cloud, never "0 findings" and exit 0', async () => {
    const file = join(dir, 'aws.yaml');
    // A closed port: nothing can leave this machine even if credentials were found.
    await writeFile(
      file,
      'providers:\n  aws:\n    regions: [us-east-1]\n    endpoint: http://127.0.0.1:9/\n',
    );
    const run = await fleetlens(
      ['audit', '--config', file, '--out', join(dir, 'nocreds'), '--fail-on', 'info'],
      {
        cwd,
        env: envWithoutCredentials(dir),
      },
    );
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(
      /^fleetlens: incomplete run \(exit 4; --allow-partial accepts it\): aws us-east-1: .*credentials/m,
    );
  });
});

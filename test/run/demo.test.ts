// `fleetlens mock --write-config FILE` (issue 9 point 10): the served mock clouds, a config that
// points at them, and the environment a person pastes into another shell. The real CLI then runs
// `audit --config FILE` in its own process, with only that environment, and gets a complete report.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledScenarioPath, loadScenario } from '../../mocks/scenarios/schema.ts';
import { AnalysisResult } from '../../reports/json/schema.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { packagePath } from '../../src/paths.ts';
import { type ServedMocks, serveScenario } from '../../src/run/demo.ts';

let dir: string;
let served: ServedMocks;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-mock-config-'));
  served = await serveScenario(loadScenario(bundledScenarioPath('demo')), {
    writeConfigFile: join(dir, 'mock.fleetlens.yaml'),
  });
});

afterAll(async () => {
  await served?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The CLI in its own process, with none of this process's credentials: only what the mock printed. */
function audit(args: string[]): Promise<{ code: number; stderr: string }> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(AWS_|GOOGLE_|GCE_|LINODE_|OVH_|NODE_EXTRA_CA_CERTS)/.test(key),
    ),
  );
  return new Promise((resolve) => {
    execFile(
      packagePath('node_modules', '.bin', 'tsx'),
      [packagePath('src', 'cli.ts'), 'audit', ...args],
      {
        cwd: dir,
        timeout: 900_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...inherited, ...served.env, FLEETLENS_LOG_LEVEL: 'warn' },
      },
      (error, _stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr }),
    );
  });
}

describe('fleetlens mock --write-config', () => {
  it('writes a config of every served cloud with its endpoint and the scenario regions and projects', async () => {
    const loaded = await loadConfigFile(served.configFile!);
    expect(loaded.config.providers.aws).toMatchObject({
      regions: ['us-east-1', 'eu-west-1'],
      endpoint: served.endpoints.aws,
    });
    expect(loaded.config.providers.gcp).toMatchObject({
      projects: ['storefront-gcp-prod', 'analytics-gcp-prod'],
      endpoint: served.endpoints.gcp,
    });
    expect(loaded.config.providers.linode?.endpoint).toBe(served.endpoints.linode);
    expect(loaded.config.providers.ovh?.endpoint).toBe(served.endpoints.ovh);
    // No secret in the file: credentials travel in the environment the mock prints.
    const text = await readFile(served.configFile!, 'utf8');
    for (const value of Object.values(served.env))
      if (!value.startsWith('/')) expect(text).not.toContain(value);
    expect(Object.keys(served.env).sort()).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'GOOGLE_OAUTH_ACCESS_TOKEN',
      'LINODE_TOKEN',
      'NODE_EXTRA_CA_CERTS',
      'OVH_APPLICATION_KEY',
      'OVH_APPLICATION_SECRET',
      'OVH_CONSUMER_KEY',
    ]);
    expect(await readFile(served.env.NODE_EXTRA_CA_CERTS!, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('is what `fleetlens audit --config FILE` runs against: a complete report of all four clouds', async () => {
    const out = join(dir, 'report');
    const run = await audit([
      '--config',
      served.configFile!,
      '--since',
      '2d',
      '--format',
      'json',
      '--out',
      out,
    ]);
    expect(run.stderr).not.toMatch(/fleetlens: internal error/);
    expect(run.code).toBe(0);
    const result = AnalysisResult.parse(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')));
    expect(result.run.providers.slice().sort()).toEqual(['aws', 'gcp', 'linode', 'ovh']);
    expect(result.run.complete).toBe(true);
    for (const [provider, coverage] of Object.entries(result.run.coverage)) {
      expect(coverage?.failedScopes, provider).toEqual([]);
      expect(coverage?.hostsListed, provider).toBeGreaterThan(0);
    }
    expect(result.gaps.filter((g) => g.kind === 'auth')).toEqual([]);
    // The quick start says how big the demo is; it must say what the demo lists.
    const readme = await readFile(packagePath('README.md'), 'utf8');
    expect(readme).toContain(`Run the demo (a ${result.hosts.length}-host fleet on all four clouds`);
  });
});

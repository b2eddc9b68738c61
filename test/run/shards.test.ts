// Issue 12 point 5: a sharded audit on a real PostgreSQL equals one unsharded audit. Four shard
// processes collect at once from the served mock clouds while `fleetlens report` waits for them;
// the report judges the whole run from the store and finds what a single audit of the same window
// finds, with the same calls (the shards' sum) and one run in the history.
import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledScenarioPath, loadScenario } from '../../mocks/scenarios/schema.ts';
import { AnalysisResult } from '../../reports/json/schema.ts';
import { packagePath } from '../../src/paths.ts';
import { type ServedMocks, serveScenario } from '../../src/run/demo.ts';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli.ts';
import { type RunningPostgres, startPostgres } from '../helpers/postgres.ts';

let dir: string;
let served: ServedMocks;
let server: RunningPostgres;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-shards-'));
  server = await startPostgres();
  served = await serveScenario(loadScenario(bundledScenarioPath('demo')), {
    writeConfigFile: join(dir, 'fleetlens.yaml'),
  });
  // Two on-host folders: the report reads them once, for hosts whichever shard listed.
  const samples = (name: string) => packagePath('mocks', 'samples', name);
  await appendFile(
    served.configFile!,
    `onHost:\n  - { dir: ${samples('threadpool-starvation')}, host: shop-api-3 }\n  - { dir: ${samples('fd-exhaustion')}, host: ledger-worker }\n`,
  );
}, CLI_TEST_TIMEOUT_MS);

afterAll(async () => {
  await served?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The CLI in its own process with only the mock's throwaway credentials. */
function fleetlens(args: string[]): Promise<{ code: number; stderr: string }> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !/^(AWS_|GOOGLE_|GCE_|LINODE_|OVH_|NODE_EXTRA_CA_CERTS|PG)/.test(key),
    ),
  );
  return new Promise((resolve) => {
    execFile(
      packagePath('node_modules', '.bin', 'tsx'),
      [packagePath('src', 'cli.ts'), ...args],
      {
        cwd: dir,
        timeout: CLI_TEST_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
        // NOTE: the demo scenario throttles and fails a few calls on purpose; their retries warn.
        env: { ...inherited, ...served.env, FLEETLENS_LOG_LEVEL: 'error' },
      },
      (error, _stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr }),
    );
  });
}

async function report(folder: string): Promise<AnalysisResult> {
  return AnalysisResult.parse(JSON.parse(await readFile(join(folder, 'report.json'), 'utf8')));
}

/** What a finding says, without the run it came from. */
const said = (r: AnalysisResult) =>
  r.findings
    .map((f) => `${f.id} ${f.ruleId} ${f.severity} ${f.subject.provider}/${f.subject.id}: ${f.message}`)
    .sort();

describe('fleetlens audit --shard and fleetlens report', () => {
  it(
    'four shards at once and the report give what one unsharded audit of the same window gives',
    async () => {
      // A window that has passed: both audits read exactly the same points.
      const until = new Date(Math.floor((Date.now() - 600_000) / 300_000) * 300_000).toISOString();
      const config = served.configFile!;
      const shardedStore = await server.createDatabase('sharded');
      const singleStore = await server.createDatabase('single');
      const common = ['--config', config, '--until', until, '--format', 'json'];

      const single = await fleetlens([
        'audit',
        ...common,
        '--store',
        singleStore,
        '--out',
        join(dir, 'single'),
      ]);
      expect(single.stderr).toBe('');
      expect(single.code).toBe(0);

      const runId = 'shards-test-1';
      const shardKeys = [
        'aws:default/us-east-1',
        'aws:default/eu-west-1',
        'gcp:storefront-gcp-prod,gcp:analytics-gcp-prod',
        'linode:default,ovh:*',
      ];
      // The report starts with the shards and waits for them (its --wait is only a bound).
      const [reported, ...shards] = await Promise.all([
        fleetlens([
          'report',
          '--store',
          shardedStore,
          '--run-id',
          runId,
          '--wait',
          '15m',
          '--format',
          'json',
          '--out',
          join(dir, 'report'),
        ]),
        ...shardKeys.map((key, index) =>
          fleetlens([
            'audit',
            ...common,
            '--shard',
            key,
            '--run-id',
            runId,
            '--store',
            shardedStore,
            '--out',
            join(dir, `shard-${index}`),
          ]),
        ),
      ]);
      for (const shard of shards) expect(shard).toEqual({ code: 0, stderr: '' });
      expect(reported).toEqual({ code: 0, stderr: '' });

      const one = await report(join(dir, 'single'));
      const whole = await report(join(dir, 'report'));
      expect(whole.run.id).toBe(runId);
      expect(whole.run.window).toEqual(one.run.window);
      expect(whole.run.complete).toBe(true);
      expect(whole.hosts.map((h) => h.id).sort()).toEqual(one.hosts.map((h) => h.id).sort());
      expect(whole.findings.length).toBeGreaterThan(20);
      expect(said(whole)).toEqual(said(one));
      expect(whole.recommendations.length).toBe(one.recommendations.length);
      expect(whole.run.summary.monthlyCostDeltaUsd).toBe(one.run.summary.monthlyCostDeltaUsd);
      // The on-host folders were read by the report, for hosts of two different shards.
      const verdicts = (r: AnalysisResult) =>
        r.hosts.flatMap((h) => (h.onHost ? [`${h.name} ${h.onHost.primary}`] : [])).sort();
      expect(verdicts(whole)).toEqual(['ledger-worker fd-exhaustion', 'shop-api-3 threadpool-starvation']);
      expect(verdicts(whole)).toEqual(verdicts(one));
      // Calls: the shards' sum is what one audit makes, and each cloud's minimum.
      expect(Object.keys(one.run.apiCalls).sort()).toEqual(['aws', 'gcp', 'linode', 'ovh']);
      for (const [provider, calls] of Object.entries(one.run.apiCalls)) {
        const sum = whole.run.apiCalls[provider as keyof typeof one.run.apiCalls];
        expect(sum?.made, provider).toBe(calls.made);
        expect(sum?.minimum, provider).toBe(calls.minimum);
        expect(calls.made, provider).toBe(calls.minimum);
      }
      // Each shard judged its own slice too; only the whole run is history.
      const awsShard = await report(join(dir, 'shard-0'));
      expect(awsShard.run.providers).toEqual(['aws']);
      expect(new Set(awsShard.hosts.map((h) => h.region))).toEqual(new Set(['us-east-1']));
      const history = await fleetlensJson(['history', '--store', shardedStore, '--format', 'json']);
      expect(history.runs.map((r: { runId: string }) => r.runId)).toEqual([runId]);
    },
    CLI_TEST_TIMEOUT_MS,
  );

  it(
    'refuses a key the config does not audit, and a shard without a run id, before any call',
    async () => {
      const store = await server.createDatabase('usage');
      const config = served.configFile!;
      const bad = await fleetlens([
        'audit',
        '--config',
        config,
        '--shard',
        'gcp:nope-project',
        '--run-id',
        'r',
        '--store',
        store,
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('"gcp:nope-project" is not a scope the config audits');
      expect(bad.stderr).toContain('gcp:storefront-gcp-prod');
      const noId = await fleetlens([
        'audit',
        '--config',
        config,
        '--shard',
        'linode:default',
        '--store',
        store,
      ]);
      expect(noId.code).toBe(2);
      expect(noId.stderr).toContain('--shard: needs --run-id');
    },
    CLI_TEST_TIMEOUT_MS,
  );
});

async function fleetlensJson(args: string[]) {
  const { execFileSync } = await import('node:child_process');
  const text = execFileSync(
    packagePath('node_modules', '.bin', 'tsx'),
    [packagePath('src', 'cli.ts'), ...args],
    {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, FLEETLENS_LOG_LEVEL: 'warn' },
    },
  );
  return JSON.parse(text);
}

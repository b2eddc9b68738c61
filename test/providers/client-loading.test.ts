// Issue 12 point 3.4: a cloud's client library loads only when that cloud is collected. The CLI runs
// as a user runs it, with a module-resolution hook recording every cloud SDK module it resolves.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.ts';
import {
  CLI_TEST_TIMEOUT_MS,
  type ConnectionCounter,
  connectionCounter,
  envWithoutCredentials,
  fleetlens,
} from '../helpers/cli.ts';

const KEYS = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret-key' };
const hook = pathToFileURL(packagePath('test', 'helpers', 'module-trace.mjs')).href;

let dir: string;
let counter: ConnectionCounter;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-loading-'));
  counter = await connectionCounter();
});
afterAll(async () => {
  await counter.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI and returns the cloud SDK packages it loaded (`@aws-sdk/client-ec2`, `@google-cloud/compute`). */
async function packagesLoaded(name: string, args: string[]) {
  const trace = join(dir, `${name}.trace`);
  await writeFile(trace, '');
  const run = await fleetlens(args, {
    env: {
      ...envWithoutCredentials(dir),
      ...KEYS,
      FLEETLENS_MODULE_TRACE: trace,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${hook}`.trim(),
    },
  });
  const urls = (await readFile(trace, 'utf8')).split('\n').filter(Boolean);
  const packages = new Set(
    urls.map((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]).filter((p): p is string => !!p),
  );
  return { run, packages: [...packages].sort() };
}

describe('cloud clients load with their cloud only', () => {
  it('an AWS-only audit loads the AWS SDK and no Google, Linode or OVH client', {
    timeout: CLI_TEST_TIMEOUT_MS,
  }, async () => {
    const config = join(dir, 'aws.yaml');
    await writeFile(
      config,
      `providers:\n  aws:\n    regions: [us-east-1]\n    endpoint: ${counter.endpoint}\n`,
    );
    const { run, packages } = await packagesLoaded('aws', [
      'audit',
      '--config',
      config,
      '--out',
      join(dir, 'aws-out'),
      '--no-store',
      '--allow-partial',
      '--save-artifacts',
      join(dir, 'artifacts'),
    ]);
    expect(run.code).toBe(0);
    expect(packages).toContain('@aws-sdk/client-ec2');
    expect(packages.filter((p) => !p.startsWith('@aws-sdk/'))).toEqual([]);
  });

  it('a replay from artifacts and a diagnose load no cloud client at all', {
    timeout: CLI_TEST_TIMEOUT_MS,
  }, async () => {
    const replay = await packagesLoaded('replay', [
      'audit',
      '--from-artifacts',
      join(dir, 'artifacts'),
      '--out',
      join(dir, 'replay-out'),
      '--no-store',
      '--allow-partial',
    ]);
    expect(replay.run.code).toBe(0);
    expect(replay.packages).toEqual([]);
    const diagnose = await packagesLoaded('diagnose', [
      'diagnose',
      packagePath('mocks', 'samples', 'healthy'),
    ]);
    expect(diagnose.run.code).toBe(0);
    expect(diagnose.packages).toEqual([]);
  });
});

#!/usr/bin/env node
// The project's whole test command: typecheck, lint, then every vitest file.
// Ends with one plain `N passed, N failed` line (typecheck and lint count as one check each),
// and exits non-zero when anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const extraArgs = process.argv.slice(2);
let passed = 0;
let failed = 0;

/**
 * Off a terminal (CI logs, a pipe, a file) the children print no ANSI colour codes: vitest and
 * its colour library colour whenever CI or FORCE_COLOR is set, even into a pipe; NO_COLOR wins.
 */
function childEnv() {
  if (process.stdout.isTTY && process.stderr.isTTY) return process.env;
  const { FORCE_COLOR: _force, ...env } = process.env;
  return { ...env, NO_COLOR: '1' };
}
const testEnv = childEnv();

function check(name, cmd, args) {
  process.stderr.write(`\n== ${name}: ${cmd} ${args.join(' ')}\n`);
  const result = spawnSync(cmd, args, { stdio: 'inherit', env: testEnv });
  if (result.status === 0) passed += 1;
  else {
    failed += 1;
    process.stderr.write(`== ${name} FAILED (exit ${result.status ?? result.signal})\n`);
  }
}

/**
 * Servers and a browser the tests use for real: Debian's packages, installed when missing and we
 * are root with apt-get (one `apt-get update`, one install of everything missing), saying what we do.
 */
const debianNeeds = [
  {
    pkg: 'prometheus',
    why: 'the live-Prometheus tests start a real prometheus',
    present: () => spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0,
  },
  {
    pkg: 'postgresql',
    why: 'the history-store tests start a real PostgreSQL',
    present: () => {
      const debian = '/usr/lib/postgresql';
      return (
        (existsSync(debian) &&
          readdirSync(debian).some((v) => existsSync(join(debian, v, 'bin', 'postgres')))) ||
        spawnSync('sh', ['-c', 'command -v postgres'], { stdio: 'ignore' }).status === 0
      );
    },
  },
  {
    pkg: 'chromium',
    why: 'the browser test opens report.html in chromium',
    present: () => existsSync(process.env.FLEETLENS_CHROMIUM ?? '/usr/bin/chromium'),
  },
];

function ensureDebianPackages() {
  const missing = debianNeeds.filter((need) => !need.present());
  if (missing.length === 0) return;
  const names = missing.map((need) => need.pkg);
  const root = process.getuid?.() === 0;
  const aptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!root || !aptGet) {
    for (const need of missing)
      process.stderr.write(
        `\n== ${need.pkg} is not installed and cannot be installed here (needs root and apt-get): ${need.why}, so those tests will fail; install Debian's package: apt-get install -y ${need.pkg}\n`,
      );
    return;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // NOTE: policy-rc.d exit 101 keeps the packages' init scripts from starting daemons (:9090, :5432).
  const policy = '/usr/sbin/policy-rc.d';
  const addedPolicy = !existsSync(policy);
  if (addedPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    for (const args of [
      ['update', '-q'],
      ['install', '-y', '-q', '--no-install-recommends', ...names],
    ]) {
      process.stderr.write(`\n== missing ${names.join(', ')}: apt-get ${args.join(' ')}\n`);
      if (spawnSync('apt-get', args, { stdio: 'inherit', env }).status !== 0) break;
    }
  } finally {
    if (addedPolicy) rmSync(policy, { force: true });
  }
}

ensureDebianPackages();

if (extraArgs.length === 0) {
  check('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json']);
  check('lint', 'npx', ['biome', 'check', '.']);
}

const dir = mkdtempSync(join(tmpdir(), 'fleetlens-test-'));
const jsonFile = join(dir, 'vitest.json');
process.stderr.write('\n== vitest\n');
const vitest = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${jsonFile}`, ...extraArgs],
  { stdio: 'inherit', env: testEnv },
);
try {
  const report = JSON.parse(readFileSync(jsonFile, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // A file that fails to load has no test results of its own: count it as a failure.
  const brokenFiles = report.testResults.filter(
    (f) => f.status === 'failed' && f.assertionResults.length === 0,
  );
  failed += brokenFiles.length;
} catch {
  failed += 1;
  process.stderr.write('vitest wrote no JSON report\n');
}
if (vitest.status !== 0 && failed === 0) failed += 1;
rmSync(dir, { recursive: true, force: true });

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

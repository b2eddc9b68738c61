#!/usr/bin/env node
// The project's whole test command: typecheck, lint, then every vitest file.
// Ends with one plain `N passed, N failed` line (typecheck and lint count as one check each),
// and exits non-zero when anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const extraArgs = process.argv.slice(2);
let passed = 0;
let failed = 0;

function check(name, cmd, args) {
  process.stderr.write(`\n== ${name}: ${cmd} ${args.join(' ')}\n`);
  const result = spawnSync(cmd, args, { stdio: 'inherit' });
  if (result.status === 0) passed += 1;
  else {
    failed += 1;
    process.stderr.write(`== ${name} FAILED (exit ${result.status ?? result.signal})\n`);
  }
}

/**
 * The live-Prometheus tests start a real `prometheus` (Debian's package) and fail without it:
 * install it when missing and we are root with apt-get, saying what we do.
 */
function ensurePrometheus() {
  if (spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0) return;
  const root = process.getuid?.() === 0;
  const aptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!root || !aptGet) {
    process.stderr.write(
      "\n== prometheus is not installed and cannot be installed here (needs root and apt-get): the live-Prometheus tests will fail; install Debian's package: apt-get install -y prometheus\n",
    );
    return;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // NOTE: policy-rc.d exit 101 keeps the package's init script from starting a daemon on :9090.
  const policy = '/usr/sbin/policy-rc.d';
  const addedPolicy = !existsSync(policy);
  if (addedPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    for (const args of [
      ['update', '-q'],
      ['install', '-y', '-q', '--no-install-recommends', 'prometheus'],
    ]) {
      process.stderr.write(`\n== prometheus missing: apt-get ${args.join(' ')}\n`);
      if (spawnSync('apt-get', args, { stdio: 'inherit', env }).status !== 0) break;
    }
  } finally {
    if (addedPolicy) rmSync(policy, { force: true });
  }
}

/**
 * The browser test (test/reports/html/browser.test.ts) opens report.html in Debian's `chromium` and fails
 * without it: install it when missing and we are root with apt-get, saying what we do.
 */
function ensureChromium() {
  const chromium = process.env.FLEETLENS_CHROMIUM ?? '/usr/bin/chromium';
  if (existsSync(chromium)) return;
  const root = process.getuid?.() === 0;
  const aptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!root || !aptGet) {
    process.stderr.write(
      `\n== chromium is not installed at ${chromium} and cannot be installed here (needs root and apt-get): the browser test will fail; install Debian's package: apt-get install -y chromium\n`,
    );
    return;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-q'],
    ['install', '-y', '-q', '--no-install-recommends', 'chromium'],
  ]) {
    process.stderr.write(`\n== chromium missing: apt-get ${args.join(' ')}\n`);
    if (spawnSync('apt-get', args, { stdio: 'inherit', env }).status !== 0) break;
  }
}

ensurePrometheus();
ensureChromium();

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
  { stdio: 'inherit' },
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

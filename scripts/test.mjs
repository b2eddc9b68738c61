#!/usr/bin/env node
// The project's whole test command: typecheck, lint, then every vitest file.
// Ends with one plain `N passed, N failed` line (typecheck and lint count as one check each),
// and exits non-zero when anything failed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

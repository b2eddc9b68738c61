// `npm run bench`: speed and memory, measured here and never in timed tests. Prints throughput,
// ratios and peak memory. Each case runs in its own child process so peak RSS is its own.
import { execFileSync } from 'node:child_process';
import { packagePath } from '../src/paths.ts';

const cases =
  process.argv.slice(2).length > 0
    ? process.argv.slice(2)
    : ['sysstat-day', 'diagnose-folder', 'audit-demo', 'fleet-scale'];

for (const name of cases) {
  const out = execFileSync(process.execPath, ['--import', 'tsx', packagePath('bench', 'cases.ts'), name], {
    encoding: 'utf8',
    env: {
      ...process.env,
      FLEETLENS_LOG_LEVEL: 'silent',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  process.stdout.write(out);
}

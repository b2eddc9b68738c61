// `npm test` (scripts/test.mjs) off a terminal, as CI runs it: no ANSI colour codes in its output,
// even with CI set (vitest's colour library colours a pipe unless NO_COLOR is set).
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.ts';
import { CLI_TEST_TIMEOUT_MS } from '../helpers/cli.ts';

/** The caller's environment without this vitest run's own variables, as a shell would start it. */
function outsideVitest(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
  return { ...env, NODE_ENV: undefined, ...extra };
}

describe('scripts/test.mjs', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('prints no colour codes when its output is not a terminal', async () => {
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [packagePath('scripts', 'test.mjs'), 'test/config/did-you-mean.test.ts'],
        { cwd: packagePath(), env: outsideVitest({ CI: 'true' }), maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) =>
          resolve({
            code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
            output: stdout + stderr,
          }),
      );
    });
    expect(output).toMatch(/did-you-mean\.test\.ts/);
    expect(output).toMatch(/^\d+ passed, 0 failed$/m);
    expect(code).toBe(0);
    expect(output).not.toContain('\x1b[');
  });
});

// Runs the CLI as a user does: a separate process through the tsx entry, stdout and stderr piped,
// the exit code as the shell sees it. No time limit of its own: the test's timeout guards a hang.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { packagePath } from '../../src/paths.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A spawned CLI can take a while on a busy machine; this only stops a hang. */
export const CLI_TEST_TIMEOUT_MS = 900_000;

/** The caller's environment without any cloud credential, so nothing can reach a real account. */
export function envWithoutCredentials(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(AWS_|GOOGLE_|GCLOUD_|CLOUDSDK_|LINODE_|OVH_)/.test(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    HOME: home,
    // The SDKs would otherwise ask the instance metadata services for credentials.
    AWS_EC2_METADATA_DISABLED: 'true',
    METADATA_SERVER_DETECTION: 'none',
    FLEETLENS_LOG_LEVEL: 'warn',
  };
}

export function fleetlens(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      packagePath('node_modules', '.bin', 'tsx'),
      [packagePath('src', 'cli.ts'), ...args],
      {
        cwd: options.cwd ?? packagePath(),
        maxBuffer: 64 * 1024 * 1024,
        env: options.env ?? { ...process.env, FLEETLENS_LOG_LEVEL: 'warn' },
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** A TCP listener that only counts who connects: proof that a command called no cloud. */
export interface ConnectionCounter {
  endpoint: string;
  connections(): number;
  close(): Promise<void>;
}

export async function connectionCounter(): Promise<ConnectionCounter> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}/`,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// The demo: the bundled scenario served by the mock AWS on 127.0.0.1, the real SDK clients pointed
// at it with throwaway credentials (never the user's), and the bundled on-host captures.

import { existsSync } from 'node:fs';
import { bundledScenarioPath, loadScenario } from '../../mocks/scenarios/schema.ts';
import { startAwsMock } from '../../mocks/servers/aws.ts';
import type { AdapterOptions } from '../../providers/index.ts';
import { type LoadedConfig, loadConfigFile } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { packagePath } from '../paths.ts';

const DEMO_CREDENTIALS = { accessKeyId: 'AKIDDEMOFLEETLENS', secretAccessKey: 'demo-secret-not-a-real-key' };

export async function withDemo<T>(
  log: Logger,
  run: (demo: { loaded: LoadedConfig; adapterOptions: AdapterOptions }) => Promise<T>,
): Promise<T> {
  const mock = await startAwsMock({ scenario: loadScenario(bundledScenarioPath('demo')) });
  log.info({ endpoint: mock.endpoint }, 'demo: mock AWS listening');
  try {
    const loaded = await loadConfigFile(packagePath('mocks', 'scenarios', 'demo.fleetlens.yaml'));
    if (loaded.config.providers.aws) loaded.config.providers.aws.endpoint = mock.endpoint;
    return await run({ loaded, adapterOptions: { aws: { credentials: DEMO_CREDENTIALS } } });
  } finally {
    await mock.close();
  }
}

/** `fleetlens mock`: serves a scenario until interrupted and prints how to point a client at it. */
export async function serveMock(name: string, port?: number): Promise<void> {
  const path = bundledScenarioPath(name);
  if (!existsSync(path)) throw new ConfigError('no such scenario in mocks/scenarios/', `${name}.yaml`);
  const mock = await startAwsMock({ scenario: loadScenario(path), ...(port !== undefined ? { port } : {}) });
  process.stdout.write(
    `aws (CloudWatch, EC2, Auto Scaling): ${mock.endpoint}\n` +
      `  try: AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo aws --endpoint-url ${mock.endpoint} --region us-east-1 ec2 describe-instances\n` +
      'press Ctrl-C to stop\n',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await mock.close();
}

// The demo: the bundled scenario served by one loopback mock per cloud it has, the real clients
// pointed at them with throwaway credentials (never the user's), and the bundled on-host captures.

import { existsSync } from 'node:fs';
import { bundledScenarioPath, loadScenario, type Scenario } from '../../mocks/scenarios/schema.ts';
import { mockServers, type StartedMock } from '../../mocks/servers/index.ts';
import { type AdapterOptions, providers } from '../../providers/index.ts';
import { type LoadedConfig, loadConfigFile } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ProviderId } from '../model/index.ts';
import { packagePath } from '../paths.ts';

/** Starts the mock of every cloud the scenario has; closes those already started if one fails. */
async function startMocks(scenario: Scenario, port?: number): Promise<Map<ProviderId, StartedMock>> {
  const started = new Map<ProviderId, StartedMock>();
  try {
    for (const [id, server] of Object.entries(mockServers)) {
      if (!server.has(scenario)) continue;
      // With a fixed port, the clouds take consecutive ports in registry order.
      const at = port === undefined ? {} : { port: port + started.size };
      started.set(id as ProviderId, await server.start({ scenario, ...at }));
    }
    return started;
  } catch (error) {
    await closeAll(started);
    throw error;
  }
}

async function closeAll(mocks: Map<ProviderId, StartedMock>): Promise<void> {
  await Promise.all([...mocks.values()].map((mock) => mock.close()));
}

export async function withDemo<T>(
  log: Logger,
  run: (demo: { loaded: LoadedConfig; adapterOptions: AdapterOptions }) => Promise<T>,
): Promise<T> {
  const loaded = await loadConfigFile(packagePath('mocks', 'scenarios', 'demo.fleetlens.yaml'));
  return withMocks(loadScenario(bundledScenarioPath('demo')), loaded, log, run);
}

/**
 * Serves `scenario` from one mock per cloud it has, points the config's providers at them with the
 * demo's throwaway credentials, and runs `run`; the mocks close whatever happens.
 */
export async function withMocks<T>(
  scenario: Scenario,
  loaded: LoadedConfig,
  log: Logger,
  run: (demo: { loaded: LoadedConfig; adapterOptions: AdapterOptions }) => Promise<T>,
): Promise<T> {
  const mocks = await startMocks(scenario);
  try {
    const adapterOptions: AdapterOptions = {};
    for (const [id, mock] of mocks) {
      log.info({ provider: id, endpoint: mock.endpoint }, 'demo: mock listening');
      const providerConfig = loaded.config.providers[id];
      if (providerConfig) providerConfig.endpoint = mock.endpoint;
      Object.assign(adapterOptions, providers[id]?.demoOptions);
    }
    return await run({ loaded, adapterOptions });
  } finally {
    await closeAll(mocks);
  }
}

/** `fleetlens mock`: serves a scenario until interrupted and prints how to point a client at it. */
export async function serveMock(name: string, port?: number): Promise<void> {
  const path = bundledScenarioPath(name);
  if (!existsSync(path)) throw new ConfigError('no such scenario in mocks/scenarios/', `${name}.yaml`);
  const mocks = await startMocks(loadScenario(path), port);
  const lines = [...mocks].map(([id, mock]) => {
    const server = mockServers[id]!;
    return `${id} (${server.describe}): ${mock.endpoint}\n  try: ${server.hint(mock.endpoint)}`;
  });
  process.stdout.write(`${lines.join('\n')}\npress Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await closeAll(mocks);
}

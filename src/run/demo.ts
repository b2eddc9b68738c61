// The demo: the bundled scenario served by one loopback mock per cloud it has, the real clients
// pointed at them with throwaway credentials (never the user's), and the bundled on-host captures.
// NOTE: this file is the one bridge from the product to mocks/ (test/meta/imports.test.ts checks it):
// a started mock hands over what its client needs (the OVH mock's certificate), so no provider
// code ever imports a mock.

import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { bundledScenarioPath, loadScenario, type Scenario } from '../../mocks/scenarios/schema.ts';
import { mockServers, type StartedMock } from '../../mocks/servers/index.ts';
import { placedSeries } from '../../mocks/servers/prometheus/captures.ts';
import { loadScenarioPlacements } from '../../mocks/servers/prometheus/targets.ts';
import { type PrometheusMock, startPrometheusMock } from '../../mocks/servers/prometheus.ts';
import { ACCESS_TOKEN_VARIABLE } from '../../providers/gcp/client-settings.ts';
import { type AdapterOptions, providers } from '../../providers/index.ts';
import type { NetOptions } from '../../providers/types.ts';
import { type LoadedConfig, loadConfigFile } from '../config/load.ts';
import { onHostPrometheus } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ProviderId } from '../model/index.ts';
import { packagePath } from '../paths.ts';

/**
 * The mocks answer from this same process: while one computes 14 days of another cloud's series,
 * a client waiting on its own mock hears nothing, through no fault of the network. Against
 * in-process mocks the idle bound is the call's ceiling.
 */
const IN_PROCESS_IDLE_MS = 300_000;

export interface MockRunOptions {
  /**
   * Every adapter's clock and retry bounds; the mocks' rate limits refill on the same clock, so a
   * virtual clock in a test paces both sides alike.
   */
  net?: NetOptions;
  /**
   * The mocks' wall clock (default: real time), which their fleets and series are anchored to.
   * A test comparing two runs gives both the same instant, so the second does not see data shifted
   * by however long the first took.
   */
  now?: () => number;
}

/** Starts the mock of every cloud the scenario has; closes those already started if one fails. */
async function startMocks(
  scenario: Scenario,
  port?: number,
  clocks: { limitsClockMs?: () => number; now?: () => number } = {},
): Promise<Map<ProviderId, StartedMock>> {
  const started = new Map<ProviderId, StartedMock>();
  try {
    for (const [id, server] of Object.entries(mockServers)) {
      if (!server.has(scenario)) continue;
      // With a fixed port, the clouds take consecutive ports in registry order.
      const at = port === undefined ? {} : { port: port + started.size };
      started.set(id as ProviderId, await server.start({ scenario, ...at, ...clocks }));
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
  options: MockRunOptions = {},
): Promise<T> {
  const loaded = await loadConfigFile(packagePath('mocks', 'scenarios', 'demo.fleetlens.yaml'));
  return withMocks(loadScenario(bundledScenarioPath('demo')), loaded, log, run, options);
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
  options: MockRunOptions = {},
): Promise<T> {
  const limitsClockMs = options.net?.clock?.now;
  const mocks = await startMocks(scenario, undefined, {
    ...(limitsClockMs ? { limitsClockMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  let prometheus: PrometheusMock | null = null;
  try {
    prometheus = await startScenarioPrometheus(
      scenario.name,
      loaded,
      options.now?.() ?? options.net?.clock?.now() ?? Date.now(),
    );
    if (prometheus)
      log.info({ provider: 'prometheus', endpoint: prometheus.endpoint }, 'demo: mock listening');
    const net = { ...options.net, retry: { idleTimeoutMs: IN_PROCESS_IDLE_MS, ...options.net?.retry } };
    const adapterOptions: AdapterOptions = { net };
    for (const [id, mock] of mocks) {
      log.info({ provider: id, endpoint: mock.endpoint }, 'demo: mock listening');
      const providerConfig = loaded.config.providers[id];
      if (providerConfig) providerConfig.endpoint = mock.endpoint;
      const own = { ...providers[id]?.demoOptions[id], ...mock.clientOptions?.[id] };
      Object.assign(adapterOptions, { [id]: own });
    }
    return await run({ loaded, adapterOptions });
  } finally {
    await Promise.all([closeAll(mocks), prometheus?.close()]);
  }
}

/**
 * The scenario's Prometheus (mocks/scenarios/<name>.prometheus.yaml), when the config reads one:
 * the captures' series relabelled as its hosts, served on 127.0.0.1; every onHost.prometheus entry
 * is pointed at it.
 */
async function startScenarioPrometheus(
  name: string,
  loaded: LoadedConfig,
  nowMs: number,
): Promise<PrometheusMock | null> {
  const entries = onHostPrometheus(loaded.config);
  if (entries.length === 0) return null;
  const placements = loadScenarioPlacements(name, nowMs);
  if (!placements) return null;
  const mock = await startPrometheusMock(placedSeries(placements));
  for (const entry of entries) entry.url = mock.endpoint;
  return mock;
}

/** Mocks being served, and what a separate `fleetlens audit` needs to reach them. */
export interface ServedMocks {
  /** Provider id → endpoint. */
  endpoints: Partial<Record<ProviderId, string>>;
  /** The environment an `audit --config` in another process needs: throwaway credentials, CA file. */
  env: Record<string, string>;
  /** The config written, if one was asked for. */
  configFile?: string;
  close(): Promise<void>;
}

/**
 * Serves `scenario` until `close()`; with `writeConfigFile`, writes a fleetlens.yaml that
 * `fleetlens audit --config FILE` runs against these mocks (and the OVH mock's certificate beside it).
 */
export async function serveScenario(
  scenario: Scenario,
  options: { port?: number; writeConfigFile?: string } = {},
): Promise<ServedMocks> {
  const mocks = await startMocks(scenario, options.port);
  try {
    const endpoints = Object.fromEntries([...mocks].map(([id, mock]) => [id, mock.endpoint]));
    const served: ServedMocks = { endpoints, env: {}, close: () => closeAll(mocks) };
    if (options.writeConfigFile) {
      const file = resolve(options.writeConfigFile);
      served.env = await writeMockConfig(file, scenario, mocks);
      served.configFile = file;
    }
    return served;
  } catch (error) {
    await closeAll(mocks);
    throw error;
  }
}

/** `fleetlens mock`: serves a scenario until interrupted and prints how to point a client at it. */
export async function serveMock(name: string, port?: number, writeConfigFile?: string): Promise<void> {
  const path = bundledScenarioPath(name);
  if (!existsSync(path)) throw new ConfigError('no such scenario in mocks/scenarios/', `${name}.yaml`);
  const served = await serveScenario(loadScenario(path), {
    ...(port === undefined ? {} : { port }),
    ...(writeConfigFile ? { writeConfigFile } : {}),
  });
  const lines = Object.entries(served.endpoints).map(([id, endpoint]) => {
    const server = mockServers[id as ProviderId]!;
    return `${id} (${server.describe}): ${endpoint}\n  try: ${server.hint(endpoint)}`;
  });
  process.stdout.write(`${lines.join('\n')}\npress Ctrl-C to stop\n`);
  if (served.configFile) {
    const exports = Object.entries(served.env).map(([key, value]) => `export ${key}=${shellQuoted(value)}`);
    process.stderr.write(
      `wrote ${served.configFile}; in another shell, with these throwaway credentials of the mock:\n` +
        `${exports.join('\n')}\nfleetlens audit --config ${shellQuoted(served.configFile)}\n`,
    );
  }
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await served.close();
}

function shellQuoted(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * The config of the served clouds (each one's endpoint and the scenario's regions or projects),
 * written beside-then-renamed so a reader never sees half of it; returns the environment the audit
 * needs. The OVH mock's self-signed certificate goes to a file beside the config, trusted through
 * NODE_EXTRA_CA_CERTS (the `ovh` client takes no CA option).
 */
async function writeMockConfig(
  file: string,
  scenario: Scenario,
  mocks: Map<ProviderId, StartedMock>,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  const config: Record<string, unknown> = { since: '14d', periodSec: 300 };
  const clouds: Record<string, unknown> = {};
  const aws = mocks.get('aws');
  if (aws) {
    clouds.aws = { regions: Object.keys(scenario.aws.regions), endpoint: aws.endpoint };
    const credentials = providers.aws?.demoOptions.aws?.credentials;
    if (credentials) {
      env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
      env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    }
  }
  const gcp = mocks.get('gcp');
  if (gcp) {
    clouds.gcp = { projects: Object.keys(scenario.gcp?.projects ?? {}), endpoint: gcp.endpoint };
    const token = scenario.gcp?.accessToken ?? providers.gcp?.demoOptions.gcp?.accessToken;
    if (token) env[ACCESS_TOKEN_VARIABLE] = token;
  }
  const linode = mocks.get('linode');
  if (linode) {
    clouds.linode = { endpoint: linode.endpoint };
    const token = scenario.linode?.token ?? providers.linode?.demoOptions.linode?.token;
    if (token) env.LINODE_TOKEN = token;
  }
  const ovh = mocks.get('ovh');
  if (ovh) {
    clouds.ovh = { endpoint: ovh.endpoint };
    const keys = scenario.ovh?.credentials;
    if (keys) {
      env.OVH_APPLICATION_KEY = keys.applicationKey;
      env.OVH_APPLICATION_SECRET = keys.applicationSecret;
      env.OVH_CONSUMER_KEY = keys.consumerKey;
    }
    if (ovh.certificate) {
      const pem = join(dirname(file), `${basename(file, extname(file))}.ovh-mock-ca.pem`);
      await writeAtomically(pem, ovh.certificate);
      env.NODE_EXTRA_CA_CERTS = pem;
    }
  }
  config.providers = clouds;
  const header =
    `# Written by \`fleetlens mock --scenario ${scenario.name} --write-config\`: the mock clouds on 127.0.0.1.\n` +
    '# Their throwaway credentials come from the environment the mock printed; none is stored here.\n';
  await writeAtomically(file, header + stringify(config));
  return env;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const beside = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  await writeFile(beside, text);
  await rename(beside, file);
}

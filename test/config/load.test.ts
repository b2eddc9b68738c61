import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDurationMs } from '../../src/config/duration.ts';
import { loadConfigFile, parseConfigText } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';

function configError(text: string): ConfigError {
  try {
    parseConfigText(text, 'fleetlens.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfigText', () => {
  it('fills the documented defaults', () => {
    const { config } = parseConfigText('providers:\n  aws:\n    regions: [us-east-1]\n', 'fleetlens.yaml');
    expect(config.since).toBe('14d');
    expect(config.periodSec).toBe(300);
    expect(config.sizing).toMatchObject({
      cpuPercentile: 99.5,
      cpuHeadroomPct: 20,
      memoryHeadroomPct: 20,
      minHours: 30,
    });
    expect(config.providers.aws).toMatchObject({ regions: ['us-east-1'], includeStopped: false });
  });

  it('names the file, line and key of an unknown key', () => {
    const error = configError(
      'since: 14d\nproviders:\n  aws:\n    regions: [us-east-1]\n    regoins: [eu-west-1]\n',
    );
    expect(error.describe()).toBe('fleetlens.yaml:5 providers.aws.regoins: unknown key');
  });

  it('names the line of a value of the wrong type', () => {
    const error = configError('providers:\n  aws:\n    regions: us-east-1\n');
    expect(error.line).toBe(3);
    expect(error.key).toBe('providers.aws.regions');
    expect(error.describe()).toMatch(/^fleetlens\.yaml:3 providers\.aws\.regions: .*array/);
  });

  it('rejects a bad duration and a percentile Compute Optimizer does not offer', () => {
    expect(configError('since: two weeks\n').describe()).toMatch(
      /fleetlens\.yaml:1 since: expected a duration/,
    );
    expect(configError('sizing:\n  cpuPercentile: 97\n').key).toBe('sizing.cpuPercentile');
  });

  it('reports broken YAML with its line', () => {
    const error = configError('providers:\n  aws: [\n');
    expect(error.message).toMatch(/invalid YAML/);
    expect(error.line).toBeGreaterThan(0);
  });

  it('locates the line of a rule option for errors raised later', () => {
    const loaded = parseConfigText('rules:\n  cpu-saturated:\n    threshold: 120\n', 'f.yaml');
    expect(loaded.locate(['rules', 'cpu-saturated', 'threshold'])).toBe(3);
  });
});

describe('loadConfigFile', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('resolves sample folders relative to the config file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetlens-config-'));
    const file = join(dir, 'fleetlens.yaml');
    await writeFile(file, 'onHost:\n  - dir: samples/web-1\n    host: web-1\n');
    const { config } = await loadConfigFile(file);
    expect(config.onHost[0]!.dir).toBe(join(dir, 'samples', 'web-1'));
  });

  it('says clearly when the file is missing', async () => {
    await expect(loadConfigFile('/nonexistent/fleetlens.yaml')).rejects.toMatchObject({
      name: 'ConfigError',
      message: 'file not found',
      file: '/nonexistent/fleetlens.yaml',
    });
  });
});

describe('parseDurationMs', () => {
  it('reads the units people write', () => {
    expect(parseDurationMs('14d')).toBe(14 * 86_400_000);
    expect(parseDurationMs('36h')).toBe(36 * 3_600_000);
    expect(parseDurationMs('90m')).toBe(90 * 60_000);
    expect(parseDurationMs('0d')).toBeUndefined();
    expect(parseDurationMs('fortnight')).toBeUndefined();
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigErrorList } from '../../src/config/config-errors.ts';
import { durationProblem, parseDurationMs } from '../../src/config/duration.ts';
import { type ConfigCheck, loadConfigFile, parseConfigText } from '../../src/config/load.ts';
import { onHostFolders } from '../../src/config/schema.ts';
import { ConfigError } from '../../src/errors.ts';

function configError(text: string, checks: ConfigCheck[] = []): ConfigError {
  try {
    parseConfigText(text, 'fleetlens.yaml', { checks });
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

  it('names the file, line and key of an unknown key, and the key it was meant to be', () => {
    const error = configError(
      'since: 14d\nproviders:\n  aws:\n    regions: [us-east-1]\n    regoins: [eu-west-1]\n',
    );
    expect(error.describe()).toBe(
      'fleetlens.yaml:5 providers.aws.regoins: unknown key (did you mean "regions"?)',
    );
  });

  it('reads an event block: multiplier, name, date and per-group multipliers', () => {
    const { config } = parseConfigText(
      'event:\n  multiplier: 3\n  name: Winter sale\n  date: 2026-12-12\n  groups: { shop-web: 4 }\n',
      'fleetlens.yaml',
    );
    expect(config.event).toEqual({
      multiplier: 3,
      name: 'Winter sale',
      date: '2026-12-12',
      groups: { 'shop-web': 4 },
    });
    expect(parseConfigText('since: 14d\n', 'fleetlens.yaml').config.event).toBeUndefined();
  });

  it('is strict about the event block: unknown keys and non-positive multipliers name their line', () => {
    expect(configError('event:\n  multiplier: 3\n  multipler: 4\n').describe()).toBe(
      'fleetlens.yaml:3 event.multipler: unknown key (did you mean "multiplier"?)',
    );
    expect(configError('event:\n  multiplier: 0\n').describe()).toMatch(
      /^fleetlens\.yaml:2 event\.multiplier: /,
    );
    expect(configError('event:\n  groups: { shop-web: -1 }\n').describe()).toMatch(
      /^fleetlens\.yaml:2 event\.groups\.shop-web: /,
    );
  });

  it('lists the known keys when no key is close', () => {
    expect(configError('providers:\n  azure: {}\n').describe()).toBe(
      'fleetlens.yaml:2 providers.azure: unknown key (known: aws, gcp, linode, ovh)',
    );
  });

  it('reports every error of the file at once, in line order, each with its line and key', () => {
    const error = configError(
      [
        'since: fortnight', // 1
        'periodSec: 61', // 2
        'providrs: {}', // 3
        'providers:', // 4
        '  aws:', // 5
        '    regoin: [eu-west-1]', // 6
        'sizing:', // 7
        '  cpuPercentile: 97', // 8
        '',
      ].join('\n'),
    );
    expect(error).toBeInstanceOf(ConfigErrorList);
    expect(error.describe().split('\n')).toEqual([
      'fleetlens.yaml:1 since: expected a duration such as 14d, 36h or 90m (found "fortnight")',
      'fleetlens.yaml:2 periodSec: expected one of 60, 300, 3600 (found 61)',
      'fleetlens.yaml:3 providrs: unknown key (did you mean "providers"?)',
      'fleetlens.yaml:5 providers.aws.regions: missing: expected a list',
      'fleetlens.yaml:6 providers.aws.regoin: unknown key (did you mean "regions"?)',
      'fleetlens.yaml:8 sizing.cpuPercentile: expected one of 90, 95, 99.5 (found 97)',
    ]);
  });

  it('says a zero duration is not a window', () => {
    expect(configError('since: 0d\n').describe()).toBe(
      'fleetlens.yaml:1 since: expected a duration longer than zero, such as 14d (found "0d")',
    );
  });

  it('runs extra checks on the raw document and reports them with the schema errors', () => {
    const check: ConfigCheck = (raw, { file, locate }) =>
      'rules' in raw ? [new ConfigError('checked', file, locate(['rules']), 'rules')] : [];
    const error = configError('rules: {}\nfoo: 1\n', [check]);
    expect(error.describe().split('\n')).toEqual([
      'fleetlens.yaml:1 rules: checked',
      'fleetlens.yaml:2 foo: unknown key (known: since, periodSec, providers, onHost, sizing, rules, mutes, event)',
    ]);
  });

  it('names the line of a value of the wrong type', () => {
    const error = configError('providers:\n  aws:\n    regions: us-east-1\n');
    expect(error.line).toBe(3);
    expect(error.key).toBe('providers.aws.regions');
    expect(error.describe()).toBe(
      'fleetlens.yaml:3 providers.aws.regions: expected a list (found "us-east-1")',
    );
  });

  it('rejects a bad duration and a percentile Compute Optimizer does not offer', () => {
    expect(configError('since: two weeks\n').describe()).toMatch(
      /fleetlens\.yaml:1 since: expected a duration/,
    );
    expect(configError('sizing:\n  cpuPercentile: 97\n').key).toBe('sizing.cpuPercentile');
  });

  it('reports broken YAML at the line to fix: where a bracket or quote opened, not where the file ends', () => {
    expect(configError('providers:\n  aws: [\n').describe()).toMatch(
      /^fleetlens\.yaml:2: invalid YAML: Flow sequence .* end with a \]$/,
    );
    expect(configError('since: 14d\nonHost: [{ dir: a, host: b }\nperiodSec: 300\nsizing: {}\n').line).toBe(
      2,
    );
    expect(configError('since: "14d\nperiodSec: 300\n').describe()).toBe(
      'fleetlens.yaml:1: invalid YAML: Missing closing "quote',
    );
    expect(configError('since: 14d\nsince: 7d\n').describe()).toBe(
      'fleetlens.yaml:2: invalid YAML: Map keys must be unique',
    );
    expect(configError('providers:\n\taws: {}\n').line).toBe(2);
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
    expect(onHostFolders(config)[0]!.dir).toBe(join(dir, 'samples', 'web-1'));
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

  it('says what is wrong with a duration', () => {
    expect(durationProblem('14d')).toBeUndefined();
    expect(durationProblem('fortnight')).toMatch(/expected a duration such as 14d/);
    expect(durationProblem('0d')).toMatch(/longer than zero/);
    expect(durationProblem(`${'9'.repeat(400)}d`)).toMatch(/sane length/);
  });
});

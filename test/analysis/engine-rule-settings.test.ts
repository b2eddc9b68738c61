// `rules:` of fleetlens.yaml is as strict as the rest of the file: a typo in an option name is an
// error (exit 2), never a silently kept default.
import { describe, expect, it } from 'vitest';
import { ruleSettingsErrors, validateRuleSettings } from '../../src/analysis/engine.ts';
import { rules } from '../../src/analysis/rules/index.ts';
import { ConfigErrorList } from '../../src/config/config-errors.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';

function settingsOf(text: string) {
  const loaded = parseConfigText(text, 'fleetlens.yaml');
  return { byId: loaded.config.rules, file: loaded.file, locate: loaded.locate };
}

function thrown(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('validateRuleSettings', () => {
  it('rejects an unknown option of a rule, at its line, with the option it was meant to be', () => {
    const error = thrown(() =>
      validateRuleSettings(rules, settingsOf('rules:\n  cpu-saturated:\n    threshhold: 80\n')),
    );
    expect(error.describe()).toBe(
      'fleetlens.yaml:3 rules.cpu-saturated.threshhold: unknown key (did you mean "threshold"?)',
    );
  });

  it('rejects an unknown rule id with the id it was meant to be', () => {
    const error = thrown(() => validateRuleSettings(rules, settingsOf('rules:\n  cpu-saturatd: false\n')));
    expect(error.describe()).toBe(
      'fleetlens.yaml:2 rules.cpu-saturatd: unknown rule (did you mean "cpu-saturated"?)',
    );
  });

  it('lists every known rule when no id is close', () => {
    const error = thrown(() => validateRuleSettings(rules, settingsOf('rules:\n  make-it-fast: {}\n')));
    const known = /known: ([^)]*)\)/.exec(error.message)![1]!.split(', ');
    expect(known).toEqual([...known].sort());
    expect(known).toEqual(expect.arrayContaining(['burstable-credits-exhausted', 'cpu-over-provisioned']));
    expect(known).toHaveLength(rules.length);
  });

  it('reports every bad option and id at once', () => {
    const settings = settingsOf(
      'rules:\n  cpu-saturated:\n    threshhold: 80\n    threshold: 20\n  idle-instance:\n    cpuVcpu: 1\n  nope: false\n',
    );
    const error = thrown(() => validateRuleSettings(rules, settings));
    expect(error).toBeInstanceOf(ConfigErrorList);
    expect(error.describe().split('\n')).toEqual([
      'fleetlens.yaml:3 rules.cpu-saturated.threshhold: unknown key (did you mean "threshold"?)',
      expect.stringMatching(/^fleetlens\.yaml:4 rules\.cpu-saturated\.threshold: .*50.*\(found 20\)$/),
      'fleetlens.yaml:6 rules.idle-instance.cpuVcpu: unknown key (did you mean "cpuVcpus"?)',
      expect.stringMatching(/^fleetlens\.yaml:7 rules\.nope: unknown rule/),
    ]);
    expect(ruleSettingsErrors(rules, settings)).toHaveLength(4);
  });

  it('accepts every option with its default, and fills the defaults of the rest', () => {
    const settings = { byId: Object.fromEntries(rules.map((r) => [r.meta.id, r.meta.options.parse({})])) };
    expect(ruleSettingsErrors(rules, settings as never)).toEqual([]);
    const parsed = validateRuleSettings(rules, settingsOf('rules:\n  cpu-saturated: { threshold: 85 }\n'));
    expect(parsed.get('cpu-saturated')).toMatchObject({ threshold: 85 });
    expect(parsed.get('idle-instance')).toEqual(
      rules.find((r) => r.meta.id === 'idle-instance')!.meta.options.parse({}),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ruleSettingsErrors } from '../../src/analysis/engine.ts';
import { rules } from '../../src/analysis/rules/index.ts';
import { initConfigText } from '../../src/config/init.ts';
import { Config } from '../../src/config/schema.ts';

describe('fleetlens init', () => {
  const text = initConfigText();

  it('writes a config that parses, with every default as the schema has it', () => {
    expect(() => Config.parse(parse(text))).not.toThrow();
  });

  it("lists every rule's options with their defaults, each line valid as a rules entry", () => {
    for (const rule of rules) {
      const line = text.split('\n').find((l) => l.startsWith(`#  ${rule.meta.id}: `));
      expect(line, rule.meta.id).toBeDefined();
      const entry = parse(line!.slice(3)) as Record<string, unknown>;
      expect(rule.meta.options.parse(entry[rule.meta.id])).toEqual(rule.meta.options.parse({}));
    }
  });

  it('lists rule options that the strict rule check accepts, every rule at once', () => {
    const byId = Object.fromEntries(
      text
        .split('\n')
        .filter((line) => /^# {2}[a-z0-9-]+: \{/.test(line))
        .map((line) => Object.entries(parse(line.slice(3)) as Record<string, Record<string, unknown>>)[0]!),
    );
    expect(Object.keys(byId).sort()).toEqual(rules.map((r) => r.meta.id).sort());
    expect(ruleSettingsErrors(rules, { byId, file: 'fleetlens.yaml' })).toEqual([]);
  });

  it('shows every cloud, commented out but for aws', () => {
    for (const cloud of ['gcp', 'linode', 'ovh']) expect(text).toMatch(new RegExp(`^  # ${cloud}: `, 'm'));
    const commentedOut = parse(text.replace(/^ {2}# (gcp|linode|ovh| {2})/gm, '  $1'));
    expect(Object.keys(Config.parse(commentedOut).providers).sort()).toEqual(['aws', 'gcp', 'linode', 'ovh']);
  });
});

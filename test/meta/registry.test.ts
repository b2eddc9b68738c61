// Parity checks: every rule file is registered under its own name, has a test file and docs;
// every registered provider has its folder pieces and a mock server; knowledge copies match.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mockServers } from '../../mocks/servers/index.ts';
import { providers } from '../../providers/index.ts';
import { rules } from '../../src/analysis/rules/index.ts';
import { packagePath } from '../../src/paths.ts';

const ruleFiles = readdirSync(packagePath('src', 'analysis', 'rules'))
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .map((f) => f.slice(0, -3))
  .sort();

describe('rule registry', () => {
  it('registers every rule file, with id = file name, once', () => {
    expect(rules.map((r) => r.meta.id).sort()).toEqual(ruleFiles);
  });

  it.each(ruleFiles)('%s has a test file, docs with sources, and default options that parse', (id) => {
    expect(existsSync(packagePath('test', 'analysis', 'rules', `${id}.test.ts`))).toBe(true);
    const rule = rules.find((r) => r.meta.id === id)!;
    expect(rule.meta.docs.rationale.length).toBeGreaterThan(40);
    expect(rule.meta.docs.sources.length).toBeGreaterThan(0);
    expect(() => rule.meta.options.parse({})).not.toThrow();
    for (const [messageId, template] of Object.entries(rule.meta.messages)) {
      expect(template, `${id}.${messageId}`).toMatch(/\{\{\w+\}\}/);
    }
  });

  it('documents every rule in the README', () => {
    const readme = readFileSync(packagePath('README.md'), 'utf8');
    for (const id of ruleFiles) expect(readme, id).toContain(`\`${id}\``);
  });
});

describe('provider registry', () => {
  it('registers every provider folder, and a mock server for each', () => {
    const folders = readdirSync(packagePath('providers'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    expect(Object.keys(providers).sort()).toEqual(folders);
    expect(Object.keys(mockServers).sort()).toEqual(folders);
  });

  it.each(Object.keys(providers))('%s has its folder pieces, a README and a mock server', (id) => {
    const files = readdirSync(packagePath('providers', id));
    for (const piece of [
      'index.ts',
      'inventory.ts',
      'metrics.ts',
      'catalog.ts',
      'schema.ts',
      'errors.ts',
      'README.md',
    ]) {
      expect(files, `${id}/${piece}`).toContain(piece);
    }
    expect(existsSync(packagePath('mocks', 'servers', `${id}.ts`))).toBe(true);
  });
});

describe('bundled data', () => {
  const shared = packagePath('..', 'shared');
  it.runIf(existsSync(shared)).each([
    ['src/knowledge/sysctl.json', 'knowledge/sysctl.json'],
    ['src/knowledge/runtimes.json', 'knowledge/runtimes.json'],
    ['src/knowledge/thresholds.json', 'knowledge/thresholds.json'],
    ['providers/aws/data/aws-ec2-instance-types.json', 'catalogs/aws-ec2-instance-types.json'],
    ['providers/aws/data/aws-ebs-volume-types.json', 'catalogs/aws-ebs-volume-types.json'],
    ['providers/gcp/data/gcp-machine-types.json', 'catalogs/gcp-machine-types.json'],
    ['providers/gcp/data/gcp-disk-types.json', 'catalogs/gcp-disk-types.json'],
    ['providers/ovh/data/ovh-flavors.json', 'catalogs/ovh-flavors.json'],
    ['providers/linode/data/linode-types.json', 'catalogs/linode-types.json'],
  ])('%s is a byte-for-byte copy of ../shared/%s', (ours, theirs) => {
    expect(readFileSync(packagePath(ours))).toEqual(readFileSync(packagePath('..', 'shared', theirs)));
  });

  it('the analyzer never reads ground-truth labels', () => {
    const sources = (dir: string): string[] =>
      readdirSync(packagePath(dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => readFileSync(packagePath(dir, f), 'utf8'));
    for (const text of [...sources('src'), ...sources('providers'), ...sources('reports')]) {
      expect(text).not.toMatch(/labels\//);
      expect(text).not.toMatch(/ground_truth/);
    }
  });
});

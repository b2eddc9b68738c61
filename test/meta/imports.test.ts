// The product never imports the mocks or the tests (STYLE.md "Dependencies point down"; issue 9
// point 12): a mock may import the product, not the other way round. The demo is the one bridge: it
// starts the mocks and hands their client options (the OVH mock's certificate) to the adapters.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagePath } from '../../src/paths.ts';

const BRIDGE = 'src/run/demo.ts';

function sources(dir: string): string[] {
  return readdirSync(packagePath(dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|js|mjs)$/.test(entry.name))
    .map((entry) => relative(packagePath(), join(entry.parentPath, entry.name)));
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
function specifiers(file: string): string[] {
  const text = readFileSync(packagePath(file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g))
    found.push(match[1]!);
  return found;
}

describe('product code does not import the mocks or the tests', () => {
  const files = ['src', 'providers', 'reports'].flatMap(sources);

  it('finds the product files it checks', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files).toContain(BRIDGE);
    expect(files).toContain('providers/index.ts');
  });

  it('has no import from mocks/ or test/ outside the demo', () => {
    const offending = files.flatMap((file) =>
      file === BRIDGE
        ? []
        : specifiers(file)
            .filter((spec) => /(^|\/)(mocks|test)\//.test(spec))
            .map((spec) => `${file} imports ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it('lets the demo import the mocks: it is the bridge', () => {
    expect(specifiers(BRIDGE).some((spec) => spec.includes('mocks/servers'))).toBe(true);
  });
});

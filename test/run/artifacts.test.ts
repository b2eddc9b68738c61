import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { loadArtifacts } from '../../src/run/artifacts.ts';
import { artifactsOf, idleFleet, writeArtifacts } from '../helpers/artifacts-builder.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlens-artifacts-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function loadError(): Promise<string[]> {
  try {
    await loadArtifacts(dir);
  } catch (error) {
    if (error instanceof ConfigError) return error.describe().split('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadArtifacts', () => {
  it('reads back what was saved, settings included', async () => {
    const saved = artifactsOf(idleFleet());
    await writeArtifacts(dir, saved);
    const loaded = await loadArtifacts(dir);
    expect(loaded.settings).toEqual(saved.settings);
    expect(loaded.providers[0]!.hosts.map((h) => h.id)).toEqual(['i-0000000000000idle']);
  });

  it('names every wrong key of a damaged file at once, and counts the rest past five', async () => {
    const file = join(dir, 'artifacts.json');
    await writeFile(file, JSON.stringify({ artifactsVersion: 2, mode: 'cloud', window: {}, onHost: [] }));
    const lines = await loadError();
    expect(lines.slice(0, 5)).toEqual([
      `${file} artifactsVersion: expected 1 (found 2)`,
      `${file} mode: expected one of "live", "demo" (found "cloud")`,
      `${file} collectedAt: missing: expected a string`,
      `${file} window.fromMs: missing: expected a number`,
      `${file} window.toMs: missing: expected a number`,
    ]);
    expect(lines[5]).toMatch(new RegExp(`^${file}: and \\d+ more errors like these$`));
  });

  it('says how to make one when there is none', async () => {
    expect(await loadError()).toEqual([
      `${join(dir, 'artifacts.json')}: no artifacts.json here (write one with --save-artifacts)`,
    ]);
  });
});

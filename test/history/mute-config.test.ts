// Bad mutes are config errors with file, line and key (issue 10 point 6), in fleetlens.yaml and in
// fleetlens.mute.yaml beside it; good ones come back with where they were written.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { loadMuteFile, MUTE_FILE, mutesCheck, mutesOf } from '../../src/history/mute-config.ts';

const TODAY = '2025-06-10';

function errorsOf(text: string, file = 'fleetlens.yaml'): string[] {
  try {
    parseConfigText(text, file, { checks: [mutesCheck(TODAY)] });
  } catch (error) {
    if (error instanceof ConfigError) return error.describe().split('\n');
    throw error;
  }
  return [];
}

describe('mutes: in fleetlens.yaml', () => {
  it('takes a finding id or a rule with a subject glob, each with where it was written', () => {
    const text =
      'mutes:\n  - finding: 0123456789abcdef\n    reason: vendor fix\n    until: 2025-06-30\n  - rule: idle-instance\n    subject: "build-*"\n    reason: between releases\n    until: 2025-07-01\n';
    const loaded = parseConfigText(text, 'fleetlens.yaml', { checks: [mutesCheck(TODAY)] });
    expect(mutesOf(loaded, TODAY)).toEqual([
      {
        finding: '0123456789abcdef',
        reason: 'vendor fix',
        until: '2025-06-30',
        file: 'fleetlens.yaml',
        line: 2,
      },
      {
        rule: 'idle-instance',
        subject: 'build-*',
        reason: 'between releases',
        until: '2025-07-01',
        file: 'fleetlens.yaml',
        line: 5,
      },
    ]);
  });

  it('refuses a mute without a reason, with an unknown rule, or with a date long past, at its line', () => {
    const text = [
      'since: 14d',
      'mutes:',
      '  - finding: 0123456789abcdef',
      '    until: 2025-06-30',
      '  - rule: idle-instanse',
      '    subject: "*"',
      '    reason: typo',
      '    until: 2025-06-30',
      '  - finding: 0123456789abcdef',
      '    reason: forgotten',
      '    until: 2024-01-01',
      '',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      'fleetlens.yaml:3 mutes.0.reason: missing: expected a string',
      expect.stringMatching(/^fleetlens\.yaml:5 mutes\.1\.rule: unknown rule/),
      expect.stringMatching(/^fleetlens\.yaml:11 mutes\.2\.until: 2024-01-01 is more than 28 days past/),
    ]);
  });

  it('accepts a date a few days past: the report says "mute expired on DATE" instead', () => {
    expect(errorsOf('mutes:\n  - finding: 0123456789abcdef\n    reason: x\n    until: 2025-06-01\n')).toEqual(
      [],
    );
  });
});

describe(MUTE_FILE, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fleetlens-mute-file-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is read beside the config, and is optional', async () => {
    const config = join(dir, 'fleetlens.yaml');
    expect(await loadMuteFile(config, TODAY)).toEqual([]);
    await writeFile(
      join(dir, MUTE_FILE),
      'mutes:\n  - rule: fd-limit\n    subject: web-*\n    reason: raising it\n    until: 2025-06-20\n',
    );
    expect(await loadMuteFile(config, TODAY)).toEqual([
      expect.objectContaining({ rule: 'fd-limit', file: join(dir, MUTE_FILE), line: 2 }),
    ]);
  });

  it('holds mutes only, and a bad one names this file', async () => {
    const config = join(dir, 'fleetlens.yaml');
    await writeFile(
      join(dir, MUTE_FILE),
      'since: 7d\nmutes:\n  - rule: fd-limit\n    reason: no until\n    subject: "*"\n',
    );
    const error = await loadMuteFile(config, TODAY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).describe().split('\n');
    expect(lines).toContain(`${join(dir, MUTE_FILE)}:3 mutes.0.until: missing: expected a string`);
    expect(lines.some((l) => l.startsWith(`${join(dir, MUTE_FILE)}:1 since: only mutes:`))).toBe(true);
  });
});

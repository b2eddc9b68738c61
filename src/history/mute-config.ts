// Where mutes come from: `mutes:` of fleetlens.yaml, and `fleetlens.mute.yaml` beside it (a file a
// team can edit without touching the config). Both go through the one config loader, so a bad mute
// is a ConfigError with its file, line and key (exit 2) before any cloud is called.
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { rules } from '../analysis/rules/index.ts';
import { configErrorsFromIssues } from '../config/issues.ts';
import { type ConfigCheck, type LoadedConfig, parseConfigText } from '../config/load.ts';
import { ConfigError } from '../errors.ts';
import type { LocatedMute } from './annotate.ts';
import { muteEntry } from './mutes.ts';

export const MUTE_FILE = 'fleetlens.mute.yaml';

/** `mutes:` entry by entry, against the known rules and `today` (YYYY-MM-DD, UTC). */
export function mutesCheck(today: string): ConfigCheck {
  const schema = muteEntry({ knownRuleIds: rules.map((rule) => rule.meta.id), today });
  return (raw, where) => {
    const list = raw.mutes;
    if (!Array.isArray(list)) return [];
    return list.flatMap((entry, index) => {
      const parsed = schema.safeParse(entry);
      if (parsed.success) return [];
      return configErrorsFromIssues(parsed.error.issues, {
        file: where.file,
        locate: where.locate,
        schema,
        input: entry,
        prefix: ['mutes', index],
      });
    });
  };
}

/** A mute file holds `mutes:` and nothing else: anything more belongs in fleetlens.yaml. */
const onlyMutes: ConfigCheck = (raw, where) =>
  Object.keys(raw)
    .filter((key) => key !== 'mutes')
    .map(
      (key) =>
        new ConfigError(
          `only mutes: belongs in ${MUTE_FILE} (settings go in fleetlens.yaml)`,
          where.file,
          where.locate([key]),
          key,
        ),
    );

/** The mutes of a loaded (and checked) config, each with where it was written. */
export function mutesOf(loaded: LoadedConfig, today: string): LocatedMute[] {
  const schema = muteEntry({ knownRuleIds: rules.map((rule) => rule.meta.id), today });
  return loaded.config.mutes.map((entry, index) => {
    const line = loaded.locate(['mutes', index]);
    return { ...schema.parse(entry), file: loaded.file, ...(line !== undefined ? { line } : {}) };
  });
}

/** `fleetlens.mute.yaml` beside `configFile`, when there is one. */
export async function loadMuteFile(configFile: string, today: string): Promise<LocatedMute[]> {
  const file = join(dirname(resolve(configFile)), MUTE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(String(error), file);
  }
  return mutesOf(parseConfigText(text, file, { checks: [mutesCheck(today), onlyMutes] }), today);
}

import { SampleError } from '../errors.ts';
import { type LineReader, quoteLine, readTextLines } from './lines.ts';

const sysctlLine = /^([\w.\-/]+) = ?(.*)$/;

/** A multi-valued key's joined value stops growing here; `sysctl -a` values are at most a few KiB. */
const MAX_VALUE_CHARS = 64 * 1024;
/** `sysctl -a` prints about 1,000-2,000 keys; a file with far more is not one. */
const MAX_KEYS = 100_000;

/**
 * Reads `sysctl -a` into key → value, the value as printed after ` = ` (empty for an empty value),
 * with the tabs that separate the fields of values like `fs.file-nr` turned into single spaces, and
 * the values of a key printed on several lines joined the same way.
 * `sysctl: ...` diagnostics (permission denied on a key) are skipped.
 */
export function sysctlReader(file: string): LineReader<Record<string, string>> {
  const settings = new Map<string, string>();
  return {
    line(line) {
      if (line.trim() === '' || line.startsWith('sysctl: ')) return;
      const match = sysctlLine.exec(line);
      if (!match) throw new SampleError(`expected "key = value", found ${quoteLine(line)}`, file);
      const key = match[1] ?? '';
      const value = (match[2] ?? '').replace(/\t+/g, ' ').trim();
      // NOTE: a multi-valued key is printed once per value (`kernel.core_modes = file`, `= pipe`, ...)
      const before = settings.get(key);
      if (before === undefined) settings.set(key, value);
      else if (before.length < MAX_VALUE_CHARS)
        settings.set(key, `${before} ${value}`.slice(0, MAX_VALUE_CHARS));
      return settings.size >= MAX_KEYS ? 'stop' : undefined;
    },
    end() {
      if (settings.size === 0) throw new SampleError('no "key = value" lines', file);
      return Object.fromEntries(settings);
    },
  };
}

export function parseSysctl(text: string, file: string): Record<string, string> {
  return readTextLines(text, file, sysctlReader(file));
}

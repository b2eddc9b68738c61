import { SampleError } from '../errors.ts';
import { quoteLine, splitLines } from './lines.ts';

const sysctlLine = /^([\w.\-/]+) = ?(.*)$/;

/**
 * Reads `sysctl -a` into key → value, the value as printed after ` = ` (empty for an empty value),
 * with the tabs that separate the fields of values like `fs.file-nr` turned into single spaces, and
 * the values of a key printed on several lines joined the same way.
 * `sysctl: ...` diagnostics (permission denied on a key) are skipped.
 */
export function parseSysctl(text: string, file: string): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const [index, line] of splitLines(text).entries()) {
    if (line.trim() === '' || line.startsWith('sysctl: ')) continue;
    const match = sysctlLine.exec(line);
    if (!match) throw new SampleError(`expected "key = value", found ${quoteLine(line)}`, file, index + 1);
    const key = match[1] ?? '';
    const value = (match[2] ?? '').replace(/\t+/g, ' ').trim();
    // NOTE: a multi-valued key is printed once per value (`kernel.core_modes = file`, `= pipe`, ...)
    settings[key] = Object.hasOwn(settings, key) ? `${settings[key]} ${value}` : value;
  }
  if (Object.keys(settings).length === 0) throw new SampleError('no "key = value" lines', file);
  return settings;
}

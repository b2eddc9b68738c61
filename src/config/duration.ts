const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*([smhdw])$/;

/** `90s`, `15m`, `36h`, `14d`, `2w` → milliseconds; undefined when the text is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  return durationProblem(text) === undefined ? durationMs(text) : undefined;
}

/** What is wrong with a duration, in words for the user; undefined when it is fine. */
export function durationProblem(text: string): string | undefined {
  if (!DURATION.test(text.trim())) return 'expected a duration such as 14d, 36h or 90m';
  const ms = durationMs(text);
  if (ms === 0) return 'expected a duration longer than zero, such as 14d';
  if (!Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) return 'expected a duration of a sane length';
  return undefined;
}

function durationMs(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) return Number.NaN;
  return Number(match[1]) * (UNIT_MS[match[2]!] ?? Number.NaN);
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

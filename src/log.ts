import { pino } from 'pino';
import { prettyFactory } from 'pino-pretty';

export type Logger = pino.Logger;

// Secrets never reach a log line, whatever a caller passes in (STYLE.md: logs).
const redact = {
  paths: [
    'credentials',
    '*.credentials',
    'secretAccessKey',
    '*.secretAccessKey',
    'sessionToken',
    '*.sessionToken',
    'accessKeyId',
    '*.accessKeyId',
    'token',
    '*.token',
    'authorization',
    '*.authorization',
    'headers.authorization',
  ],
  censor: '[redacted]',
};

/**
 * Colour only for a person at a terminal: never when stderr is a file or a pipe (cron mail, CI logs),
 * and never with NO_COLOR set (https://no-color.org) or FORCE_COLOR=0.
 */
export function stderrColour(
  env: NodeJS.ProcessEnv = process.env,
  isTTY = process.stderr.isTTY === true,
): boolean {
  if (!isTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.FORCE_COLOR !== '0' && env.TERM !== 'dumb';
}

/** Where a logger writes: anything with a synchronous `write` of one whole line. */
export interface LogStream {
  write(line: string): unknown;
}

/**
 * The terminal's log lines, formatted in this process and written through `process.stderr.write`
 * looked up at each line (not a file descriptor of its own): while the progress task list (listr2)
 * draws on stderr it holds what others write there and prints it below the list when it ends, so a
 * log line never tears the list apart. Off a terminal nothing redraws and lines go straight to fd 2.
 */
export function prettyStderr(
  colorize = stderrColour(),
  target: () => LogStream = () => process.stderr,
): LogStream {
  const format = prettyFactory({ ignore: 'pid,hostname', translateTime: 'HH:MM:ss', colorize });
  return { write: (line: string) => target().write(format(line)) };
}

/** Logs go to stderr only, so reports on stdout stay clean (`--format json | jq`). */
export function createLogger(
  level = process.env.FLEETLENS_LOG_LEVEL ?? 'info',
  stream: LogStream | undefined = undefined,
): Logger {
  if (stream) return pino({ level, redact, base: undefined }, stream);
  if (process.stderr.isTTY) return pino({ level, redact }, prettyStderr());
  return pino({ level, redact, base: undefined }, pino.destination({ dest: 2, sync: true }));
}

export const silentLogger: Logger = pino({ level: 'silent' });

import { pino } from 'pino';
import pretty from 'pino-pretty';

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

/** Logs go to stderr only, so reports on stdout stay clean (`--format json | jq`). */
export function createLogger(level = process.env.FLEETLENS_LOG_LEVEL ?? 'info'): Logger {
  if (process.stderr.isTTY) {
    return pino(
      { level, redact },
      pretty({
        destination: 2,
        sync: true,
        ignore: 'pid,hostname',
        translateTime: 'HH:MM:ss',
        colorize: stderrColour(),
      }),
    );
  }
  return pino({ level, redact, base: undefined }, pino.destination({ dest: 2, sync: true }));
}

export const silentLogger: Logger = pino({ level: 'silent' });

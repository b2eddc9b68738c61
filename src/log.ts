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

/** Logs go to stderr only, so reports on stdout stay clean (`--format json | jq`). */
export function createLogger(level = process.env.FLEETLENS_LOG_LEVEL ?? 'info'): Logger {
  if (process.stderr.isTTY) {
    return pino(
      { level, redact },
      pretty({ destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' }),
    );
  }
  return pino({ level, redact, base: undefined }, pino.destination({ dest: 2, sync: true }));
}

export const silentLogger: Logger = pino({ level: 'silent' });

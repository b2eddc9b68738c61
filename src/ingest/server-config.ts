// The concurrency settings an application server prints about itself in its log: gunicorn's
// configuration dump (`--log-level debug` prints "Current configuration:" and then one indented
// `name: value` line per setting) and puma's start-up banner ("* Max threads: 5", "* Workers: 2").
// Only these shapes count: an app's own `threads=2` stats line is a measurement, not a setting.

/** What the server was configured with; null where its log does not say. */
export interface ServerConfig {
  server: 'gunicorn' | 'puma' | null;
  workers: number | null;
  /** Threads per worker process (gunicorn `threads`, puma max threads). */
  threads: number | null;
  workerClass: string | null;
  /** Connections an async worker takes at once (gunicorn `worker_connections`). */
  workerConnections: number | null;
  /** The log line each value came from, 1-based, by setting. */
  lines: Partial<Record<'workers' | 'threads' | 'workerClass' | 'workerConnections', number>>;
}

export interface ServerConfigState {
  config: ServerConfig;
  /** Inside gunicorn's indented configuration dump. */
  inGunicornDump: boolean;
}

export function emptyServerConfig(): ServerConfig {
  return {
    server: null,
    workers: null,
    threads: null,
    workerClass: null,
    workerConnections: null,
    lines: {},
  };
}

export function serverConfigState(): ServerConfigState {
  return { config: emptyServerConfig(), inGunicornDump: false };
}

const gunicornDumpStart = /\bCurrent configuration:\s*$/;
// gunicorn's dump: two spaces, the setting's name, a colon, its value (gunicorn/arbiter.py `start`).
const gunicornSetting = /^\s{2,}(workers|threads|worker_class|worker_connections): (\S+)\s*$/;
// puma prefixes its banner with the master's PID in cluster mode; puma 5 prints min and max on one line.
const pumaMaxThreads = /^(?:\[\d+\] )?\*\s+(?:Min threads: \d+, max threads|Max threads): (\d+)\s*$/i;
const pumaWorkers = /^(?:\[\d+\] )?\*\s+Workers: (\d+)\s*$/;

/** A setting's count: a whole number a server could be configured with, else nothing. */
function countOf(text: string): number | null {
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 && value <= 1_000_000 ? value : null;
}

/** Notes what one log line says about the server's configuration (first value of each setting wins). */
export function noteServerConfig(line: string, lineNo: number, state: ServerConfigState): void {
  const c = state.config;
  if (gunicornDumpStart.test(line)) {
    state.inGunicornDump = true;
    c.server ??= 'gunicorn';
    return;
  }
  if (state.inGunicornDump) {
    const setting = gunicornSetting.exec(line);
    if (setting) {
      const [, name, value] = setting as unknown as [string, string, string];
      if (name === 'worker_class') setOnce(c, 'workerClass', value.slice(0, 100), lineNo);
      else {
        const count = countOf(value);
        if (count !== null) {
          const key = name === 'worker_connections' ? 'workerConnections' : (name as 'workers' | 'threads');
          setOnce(c, key, count, lineNo);
        }
      }
      return;
    }
    // The dump is indented lines only; the first other line ends it.
    if (!/^\s/.test(line)) state.inGunicornDump = false;
  }
  const threads = pumaMaxThreads.exec(line)?.[1];
  const workers = pumaWorkers.exec(line)?.[1];
  if (threads !== undefined || workers !== undefined) c.server ??= 'puma';
  if (threads !== undefined) {
    const count = countOf(threads);
    if (count !== null) setOnce(c, 'threads', count, lineNo);
  }
  if (workers !== undefined) {
    const count = countOf(workers);
    if (count !== null) setOnce(c, 'workers', count, lineNo);
  }
}

function setOnce<K extends keyof ServerConfig['lines']>(
  config: ServerConfig,
  key: K,
  value: ServerConfig[K],
  lineNo: number,
): void {
  if (config[key] !== null) return;
  config[key] = value;
  config.lines[key] = lineNo;
}

/** Reads a whole log's text (tests, and callers that hold it in memory). */
export function parseServerConfig(text: string): ServerConfig {
  const state = serverConfigState();
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) noteServerConfig(line.replace(/\r$/, ''), i + 1, state);
  return state.config;
}

// The team store: PostgreSQL through `pg`. Credentials come from the URL or libpq's PG* variables
// (pg reads PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE for what the URL leaves out) and are
// never printed: every message names the URL without its password. Several audits write at once,
// each in its own transaction; migrations take an advisory lock so two first runs do not race.
import pg from 'pg';
import { StoreError, type StoreErrorKind } from './errors.ts';
import { firstLine, type Row, type SqlDriver, type SqlSession, type SqlValue } from './sql.ts';

export interface PostgresOptions {
  /** How long a connection attempt may take before `unreachable`. */
  connectTimeoutMs?: number;
  /** Connections one store keeps (an audit records one run at a time). */
  maxConnections?: number;
}

// NOTE: pg returns int8 (BIGINT) as a string; epoch milliseconds fit a double.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (text: string) => Number(text)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** Any password in a store URL, in the userinfo or a `password=` parameter, becomes `***`. */
export function redactStoreUrl(spec: string): string {
  try {
    const url = new URL(spec);
    if (url.password) url.password = '***';
    for (const key of [...url.searchParams.keys()]) {
      if (/pass/i.test(key)) url.searchParams.set(key, '***');
    }
    return url.toString();
  } catch {
    return spec.replace(/(\/\/[^/:@]*):[^@/]*@/, '$1:***@').replace(/(pass\w*=)[^&]*/gi, '$1***');
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'ENOENT',
]);

/** Which StoreError a pg error means (SQLSTATE or socket code); null for anything else. */
export function classifyPostgresError(error: unknown): StoreErrorKind | null {
  const code = (error as { code?: unknown } | null)?.code;
  const message = firstLine(error);
  if (code === '28P01' || code === '28000' || /^SASL|client password/i.test(message)) return 'auth';
  if (code === '55P03') return 'locked';
  if (code === 'XX001' || code === 'XX002') return 'corrupt';
  if (code === '3D000' || code === '57P03' || code === '53300') return 'unreachable';
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return 'unreachable';
  if (/timeout expired|Connection terminated|connect ECONNREFUSED/i.test(message)) return 'unreachable';
  return null;
}

export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  private readonly pool: pg.Pool;

  constructor(url: string, options: PostgresOptions = {}) {
    this.location = redactStoreUrl(url);
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 2,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      application_name: 'fleetlens',
      types,
    });
    // An idle connection the server drops must not crash the process: the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  private toStoreError(error: unknown): unknown {
    if (error instanceof StoreError) return error;
    const kind = classifyPostgresError(error);
    if (kind === null) return error;
    // pg's own messages name the user and host, never the password.
    return new StoreError(kind, this.location, firstLine(error), { cause: error });
  }

  async transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.toStoreError(error);
    }
    const session: SqlSession = {
      query: async (sql: string, params: readonly SqlValue[] = []) =>
        (await client.query(sql, [...params])).rows as Row[],
    };
    try {
      await client.query('BEGIN');
      const result = await work(session);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.toStoreError(error);
    } finally {
      client.release();
    }
  }

  async lockSchema(session: SqlSession): Promise<void> {
    // NOTE: any constant works; this one spells "flns" so it is recognisable in pg_locks.
    await session.query('SELECT pg_advisory_xact_lock(1718382195)');
  }

  async reclaim(): Promise<void> {
    // Autovacuum gives deleted rows' space back to later inserts.
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

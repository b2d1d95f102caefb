import pg from 'pg';
import type { Counter, Registry } from 'prom-client';
import { TzError } from './errors.ts';
import type { Logger } from './logger.ts';

// What every PostgreSQL store of ours shares: how an error is judged
// (retry now, fail as busy, or a real error), BIGINT as a JS number, and
// `$n` placeholders built in order.

/** SQLSTATEs meaning the connection is gone: admin shutdown, crash, starting up (and class 08, connection exception). */
const LOST_CODES = new Set(['57P01', '57P02', '57P03']);
/** SQLSTATEs meaning the server is there but too busy: statement timeout or cancel, lock timeout, too many connections, out of resources. */
const BUSY_CODES = new Set(['57014', '55P03', '53300', '53000', '53100', '53200']);
const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

export function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * `lost`: the connection died or the server is restarting — nothing was
 * committed unless COMMIT was in flight, so running again is safe and likely to
 * work soon. `busy`: the server answered but gave up (statement timeout, no
 * free connection): retrying at once would only multiply the wait.
 */
export function pgTroubleOf(err: unknown): 'lost' | 'busy' | null {
  const code = pgCode(err);
  const message = err instanceof Error ? err.message : '';
  if ((code && BUSY_CODES.has(code)) || /timeout exceeded when trying to connect/i.test(message)) return 'busy';
  if (code && (LOST_CODES.has(code) || code.startsWith('08') || NETWORK_ERRNOS.has(code))) return 'lost';
  if (/Connection terminated|Client has encountered a connection error|not queryable/i.test(message)) return 'lost';
  return null;
}

/** BIGINT (timestamps in ms, ids, counts) as a JS number: every value stays far below 2^53. */
export const PG_NUMBER_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text'))) as typeof pg.types.getTypeParser,
};

/** What every PostgreSQL store of ours is opened with; each store states its own defaults. */
export interface PgStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Connections held at most. */
  poolSize?: number;
  /** A statement running longer is cancelled. */
  statementTimeoutMs?: number;
  /** Waiting for a connection longer fails with TZ_STORE_UNAVAILABLE. */
  connectTimeoutMs?: number;
  log?: Logger;
  /** Where the store's retry and unavailable counters are counted. */
  registry?: Registry;
}

export interface PgPoolOptions {
  url: string;
  /** The store's name: `application_name` tianzhong-<store> in pg_stat_activity, and the log's words. */
  store: string;
  poolSize: number;
  connectTimeoutMs: number;
  /** Per statement; an idle transaction is cut after three times this. */
  statementTimeoutMs: number;
  /** The schema the store's tables live in (search_path), if not public. */
  schema?: string;
  log: Logger;
}

/** The one way our stores open a pool: bounded waits, bigint as number, and an idle connection's loss logged, not thrown. */
export function openPgPool(o: PgPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: o.url, max: o.poolSize, connectionTimeoutMillis: o.connectTimeoutMs, statement_timeout: o.statementTimeoutMs,
    idle_in_transaction_session_timeout: o.statementTimeoutMs * 3, application_name: `tianzhong-${o.store}`, types: PG_NUMBER_TYPES,
    ...(o.schema ? { options: `-c search_path=${o.schema}` } : {}),
  });
  // An idle pooled connection dropped by a server restart emits here; without a listener it would crash the process.
  pool.on('error', (err) => o.log.warn({ err: err.message }, `${o.store}: an idle PostgreSQL connection was lost`));
  return pool;
}

/** Builds `$n` placeholders in order. */
export class PgParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Jittered exponential backoff, 10 ms … ~1 s: spreads conflicting writers apart and rides out a server restart. */
export function pgBackoff(attempt: number): Promise<void> {
  const ms = Math.min(1_000, 10 * 2 ** attempt) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A store's error for "the database cannot be reached or is busy" (TZ_STORE_UNAVAILABLE, retryable), naming the store. */
export function pgUnavailable(store: string, err: unknown, details: Record<string, unknown> = {}): TzError {
  const reason = err instanceof Error ? err.message : String(err);
  return new TzError('TZ_STORE_UNAVAILABLE', `${store}: PostgreSQL: ${reason}`, { cause: err, retryable: true, details: { sqlstate: pgCode(err) ?? null, ...details } });
}

export type PgQuery = <R extends pg.QueryResultRow>(sql: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

/** What the one transaction driver needs of a store. */
export interface PgTransactionContext {
  /** Names the store in errors and logs ('cases', 'rules'). */
  store: string;
  pool: pg.Pool;
  log: Logger;
  maxRetries: number;
  /** SQLSTATEs run again from the start as conflicts (serialization failure, deadlock; a store may add unique violations). */
  conflictCodes: ReadonlySet<string>;
  metrics: { retries: Counter<'reason'>; unavailable: Counter };
  /** Checked before every attempt: a closed store fails at once. */
  closed(): boolean;
}

/**
 * One READ COMMITTED transaction around `work`. After a conflict, or a lost
 * connection before COMMIT was sent (nothing was committed), `work` runs again
 * from the start, so it must keep its side effects outside. When the
 * connection is lost during COMMIT the outcome is unknown: that, a server that
 * stays away and a busy one are TZ_STORE_UNAVAILABLE (503, retryable).
 */
export async function inPgTransaction<T>(c: PgTransactionContext, work: (query: PgQuery) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    if (c.closed()) throw new TzError('TZ_STORE_UNAVAILABLE', `${c.store}: the PostgreSQL store is closed`);
    let client: pg.PoolClient;
    try {
      client = await c.pool.connect();
    } catch (err) {
      if (pgTroubleOf(err) === 'lost' && attempt < c.maxRetries) {
        c.metrics.retries.inc({ reason: 'connection' });
        await pgBackoff(attempt);
        continue;
      }
      c.metrics.unavailable.inc();
      throw pgUnavailable(c.store, err);
    }
    let committing = false;
    let broken = false;
    // A checked-out connection the server drops emits 'error' (the pool only listens while it is idle);
    // unheard, that would crash the process. The query in flight rejects too and is handled below.
    const onLost = (err: Error) => {
      broken = true;
      c.log.warn({ err: err.message }, `${c.store}: a PostgreSQL connection was lost in a transaction`);
    };
    client.on('error', onLost);
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await work((sql, values) => client.query(sql, values));
      committing = true;
      await client.query('COMMIT');
      return result;
    } catch (err) {
      const trouble = pgTroubleOf(err);
      broken ||= trouble === 'lost';
      if (!broken) await client.query('ROLLBACK').catch(() => { broken = true; });
      const conflict = c.conflictCodes.has(pgCode(err) ?? '');
      if ((conflict || (broken && !committing)) && attempt < c.maxRetries) {
        c.metrics.retries.inc({ reason: conflict ? 'conflict' : 'connection' });
        await pgBackoff(attempt);
        continue;
      }
      if (broken || conflict || trouble === 'busy') c.metrics.unavailable.inc();
      if (broken) throw pgUnavailable(c.store, err, committing ? { outcome: 'unknown: the connection was lost during COMMIT' } : {});
      if (conflict) throw pgUnavailable(c.store, err, { reason: 'conflict', attempts: attempt + 1 });
      if (trouble === 'busy') throw pgUnavailable(c.store, err, { reason: 'busy' });
      throw err;
    } finally {
      client.off('error', onLost);
      client.release(broken ? true : undefined);
    }
  }
}

export interface PgMigration { version: number; name: string; sql: string }

/**
 * Applies the numbered migrations not yet recorded in `table`, all in one
 * transaction under an advisory lock named `lockName` (two services starting
 * together must not both apply migration n). `setup` runs first inside it
 * (e.g. CREATE SCHEMA for a store that keeps its own schema).
 */
export async function migratePostgres(pool: pg.Pool, o: { lockName: string; table: string; migrations: readonly PgMigration[]; setup?: string }): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [o.lockName]);
    if (o.setup) await client.query(o.setup);
    await client.query(`CREATE TABLE IF NOT EXISTS ${o.table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const applied = new Set((await client.query<{ version: number }>(`SELECT version FROM ${o.table}`)).rows.map((r) => r.version));
    for (const m of o.migrations) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query(`INSERT INTO ${o.table} (version, name, applied_at) VALUES ($1, $2, $3)`, [m.version, m.name, Date.now()]);
    }
    await client.query('COMMIT');
    client.release();
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(true);
    throw err;
  }
}

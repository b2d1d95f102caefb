import pg from 'pg';
import { Counter, type Registry } from 'prom-client';
import { admitted, mintToken, presentedToken, principalOf, type AccessTokens, type IssuedToken, type IssueInput, type Principal, type TokenRow } from './access.ts';
import type { AuditAppend } from './audit.ts';
import { TzError } from './errors.ts';
import { createLogger, type Logger } from './logger.ts';
import { openPgPool, type PgStoreOptions, migratePostgres, pgTroubleOf, pgUnavailable, type PgMigration } from './postgres.ts';
import { TokenLastUse } from './token-last-use.ts';

// API tokens on PostgreSQL (issue 20): every service of a city (rules, cases,
// console, registry, ingest, on several machines) checks tokens against one
// database, so a revocation on one is refused by all at their next request —
// verify reads the row each time, nothing is cached. As in SQLite only the
// SHA-256 of the secret is stored and compared in constant time (access.ts).

/** The table lives in the schema tz_access; defaults: pool 5 (one short statement per request), statements 5 s, connect 3 s; counter `tz_access_store_unavailable_total`. */
export interface PostgresAccessTokensOptions extends PgStoreOptions {
  /** The store's clock for issue, expiry and revocation times (default Date.now). */
  now?: () => number;
  /** Issues and revocations go here (the audit log), after they are committed. */
  audit?: AuditAppend;
}

const SCHEMA = 'tz_access';

export const POSTGRES_ACCESS_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'access tokens',
    sql: `CREATE TABLE access_tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      role TEXT NOT NULL,
      crew_id TEXT,
      area TEXT,
      secret_hash BYTEA NOT NULL,
      created_at BIGINT NOT NULL,
      expires_at BIGINT,
      revoked_at BIGINT,
      last_used_at BIGINT
    )`,
  },
];

export class PostgresAccessTokens implements AccessTokens {
  readonly kind = 'postgres' as const;
  private closed = false;
  private readonly lastUse = new TokenLastUse();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number,
    private readonly audit: AuditAppend | undefined,
    private readonly log: Logger,
    private readonly unavailable: Counter,
  ) {}

  /** Connects and applies pending migrations (under an advisory lock); a server away is TZ_STORE_UNAVAILABLE. */
  static async open(o: PostgresAccessTokensOptions): Promise<PostgresAccessTokens> {
    const log = o.log ?? createLogger('access');
    const timeout = o.statementTimeoutMs ?? 5_000;
    const pool = openPgPool({ url: o.url, store: 'access', poolSize: o.poolSize ?? 5, connectTimeoutMs: o.connectTimeoutMs ?? 3_000, statementTimeoutMs: timeout, schema: SCHEMA, log });
    const unavailable = new Counter({
      name: 'tz_access_store_unavailable_total', help: 'Access token store operations given up as TZ_STORE_UNAVAILABLE (PostgreSQL away or busy)', registers: o.registry ? [o.registry] : [],
    });
    try {
      await migratePostgres(pool, { lockName: 'tianzhong.access_migrations', table: 'migrations', migrations: POSTGRES_ACCESS_MIGRATIONS, setup: `CREATE SCHEMA IF NOT EXISTS ${SCHEMA}` });
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw pgTroubleOf(err) ? pgUnavailable('access tokens', err) : err;
    }
    return new PostgresAccessTokens(pool, o.now ?? Date.now, o.audit, log, unavailable);
  }

  /** One statement on the pool: a lost connection or a server away is TZ_STORE_UNAVAILABLE (503), never a bare pg error. */
  private async query<R extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new TzError('TZ_STORE_UNAVAILABLE', 'access tokens: the PostgreSQL store is closed');
    try {
      return await this.pool.query<R>(sql, values);
    } catch (err) {
      if (pgTroubleOf(err)) {
        this.unavailable.inc();
        throw pgUnavailable('access tokens', err);
      }
      throw err;
    }
  }

  async issue(input: IssueInput): Promise<IssuedToken> {
    const at = this.now();
    const { row, issued, audit } = mintToken(input, at);
    await this.query('INSERT INTO access_tokens (id, name, role, crew_id, area, expires_at, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [row.id, row.name, row.role, row.crew_id, row.area, row.expires_at, row.secret_hash, at]);
    this.audit?.({ actor: audit.actor, action: 'token.issue', target: row.id, details: audit.details });
    return issued;
  }

  async revoke(tokenId: string, by?: string): Promise<boolean> {
    const done = ((await this.query('UPDATE access_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [this.now(), tokenId])).rowCount ?? 0) > 0;
    this.audit?.({ actor: by ?? 'system', action: 'token.revoke', target: tokenId, result: done ? 'ok' : 'failed' });
    return done;
  }

  async list(): Promise<Principal[]> {
    const rows = (await this.query<Omit<TokenRow, 'secret_hash'>>(
      'SELECT id, name, role, crew_id, area, expires_at FROM access_tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1) ORDER BY created_at, id', [this.now()])).rows;
    return rows.map(principalOf);
  }

  async verify(token: string): Promise<Principal | null> {
    const presented = presentedToken(token);
    if (!presented) return null;
    const row = (await this.query<TokenRow>('SELECT id, name, role, crew_id, area, expires_at, secret_hash FROM access_tokens WHERE id = $1 AND revoked_at IS NULL', [presented.tokenId])).rows[0];
    const at = this.now();
    const principal = admitted(row, presented.hash, at);
    if (principal) await this.touch(principal.tokenId, at);
    return principal;
  }

  /** Marks a token used, at most once a minute per token: a write per request would double the store's load for a hint. */
  private async touch(tokenId: string, at: number): Promise<void> {
    if (!this.lastUse.due(tokenId, at)) return;
    await this.query('UPDATE access_tokens SET last_used_at = $1 WHERE id = $2', [at, tokenId]).catch((err: unknown) => {
      // The request was admitted on a fresh read; losing the hint is not worth refusing it.
      this.log.warn({ err: err instanceof Error ? err.message : String(err), tokenId }, 'access tokens: last use not recorded');
    });
  }

  /** Counts into a registry known only after the store opened (the service's /metrics); once per registry. */
  registerMetrics(registry: Registry): void {
    if (!registry.getSingleMetric('tz_access_store_unavailable_total')) registry.registerMetric(this.unavailable);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

import type { Registry } from 'prom-client';
import { openAccessTokens, type AccessTokens } from './access.ts';
import type { AuditAppend } from './audit.ts';
import type { Logger } from './logger.ts';
import { openSqlite } from './sqlite.ts';
import { isPostgresUrl } from './store-url.ts';

// Where the API tokens live, from one string (`--access-db`, TZ_TOKENS_DB,
// `tianzhong tokens --db`): a SQLite file (the default) or a postgres:// URL.
// pg is loaded only for the latter.

export interface OpenedAccessStore {
  tokens: AccessTokens;
  kind: 'sqlite' | 'postgres';
  /** Adds the store's counters (PostgreSQL: tz_access_store_unavailable_total) to a service's /metrics. */
  registerMetrics(registry: Registry): void;
  close(): Promise<void>;
}

export interface AccessStoreOptions {
  now?: () => number;
  audit?: AuditAppend;
  log?: Logger;
  /** Where the PostgreSQL store counts `tz_access_store_unavailable_total`. */
  registry?: Registry;
}

/** Opens the token store at `target`; a PostgreSQL server away at start is TZ_STORE_UNAVAILABLE. */
export async function openAccessStore(target: string, o: AccessStoreOptions = {}): Promise<OpenedAccessStore> {
  if (isPostgresUrl(target)) {
    const { PostgresAccessTokens } = await import('./postgres-access-tokens.ts');
    const store = await PostgresAccessTokens.open({ url: target, ...o });
    return { tokens: store, kind: 'postgres', registerMetrics: (registry) => store.registerMetrics(registry), close: () => store.close() };
  }
  const db = openSqlite(target, { durability: 'full' });
  return { tokens: openAccessTokens(db, o.now ?? Date.now, o.audit), kind: 'sqlite', registerMetrics: () => undefined, close: async () => { db.close(); } };
}

import type { Registry } from 'prom-client';
import { isPostgresUrl, type Logger } from '../service-kit/index.ts';
import type { RegistryStore, RegistryStoreOptions } from './registry-store.ts';
import { SqliteRegistryStore } from './store.ts';

// One way to open the registry from where it lives: a file path (SQLite, the
// embedded default) or a postgres:// URL (a city's shared database). pg is
// loaded only for a URL.

export interface OpenRegistryOptions extends RegistryStoreOptions {
  log?: Logger;
  /** Where the PostgreSQL store counts its retries and unavailable answers. */
  metrics?: Registry;
}

export async function openRegistry(target: string, options: OpenRegistryOptions): Promise<RegistryStore> {
  if (!isPostgresUrl(target)) return new SqliteRegistryStore(target, options);
  const { PostgresRegistryStore } = await import('./postgres-store.ts');
  return PostgresRegistryStore.open({ ...options, url: target, ...(options.metrics ? { registry: options.metrics } : {}) });
}

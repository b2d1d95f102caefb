import { isPostgresUrl, type Logger } from '../service-kit/index.ts';
import type { CaseStore } from './case-store.ts';
import { PostgresCaseStore, type PostgresCaseStoreOptions } from './postgres-case-store.ts';
import { SqliteCaseStore } from './sqlite-case-store.ts';

// One place that turns `--cases-db` / TZ_CASES_DB into a store: a file path
// (or ':memory:') is SQLite, one machine, the default; a postgres:// URL is
// PostgreSQL, shared by rules services on several machines (issue 20).
// A password is best left out of the URL (it shows in `ps`): libpq's
// PGPASSWORD (or ~/.pgpass) is read when the URL has none.

export { isPostgresUrl };

export async function openCaseStore(target: string, options: { log?: Logger } & Omit<PostgresCaseStoreOptions, 'url' | 'log'> = {}): Promise<CaseStore> {
  if (isPostgresUrl(target)) return PostgresCaseStore.open({ ...options, url: target });
  return new SqliteCaseStore(target);
}

import { migrateSqlite } from '../service-kit/index.ts';
import type Database from 'better-sqlite3';
import { SQLITE_REGISTRY_MIGRATIONS } from './registry-schema.ts';

// Schema changes are numbered migrations (registry-schema.ts, one description
// for SQLite and PostgreSQL) recorded in `registry_migrations`; add a new one,
// never edit an applied one.

/** Applies the registry's steps with the one migration runner (service-kit). */
export function migrate(db: Database.Database, now: () => number): void {
  migrateSqlite(db, 'registry_migrations', SQLITE_REGISTRY_MIGRATIONS, now);
}

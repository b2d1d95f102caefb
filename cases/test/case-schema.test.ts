// The case schema is written once (case-schema.ts) and rendered per dialect.
// Databases migrated by the hand-written SQL it replaced must look the same
// as fresh ones: case-schema.snapshot.json holds what that SQL produced at
// each version (read back from SQLite and PostgreSQL 15); the PostgreSQL half
// of this check is in test/integration/postgres-case-store.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SQLITE_CASE_MIGRATIONS } from '../case-schema.ts';
import { sqliteSchemaOf } from '../../testing/schema-of.ts';
import { migrateSqlite } from '../../service-kit/index.ts';

const snapshot = JSON.parse(readFileSync(new URL('./case-schema.snapshot.json', import.meta.url), 'utf8')) as Record<string, unknown>;

for (const version of [1, 2]) {
  test(`sqlite: the rendered migrations up to version ${version} make the schema the hand-written SQL made`, () => {
    const db = new Database(':memory:');
    for (const m of SQLITE_CASE_MIGRATIONS) if (m.version <= version) db.exec(m.sql);
    assert.equal(sqliteSchemaOf(db), snapshot[`sqlite v${version}`]);
    db.close();
  });
}

test('sqlite: a database at version 1 upgrades to the same schema as a fresh one', () => {
  const old = new Database(':memory:');
  migrateSqlite(old, 'case_migrations', SQLITE_CASE_MIGRATIONS.filter((m) => m.version === 1));
  migrateSqlite(old, 'case_migrations', SQLITE_CASE_MIGRATIONS);
  const fresh = new Database(':memory:');
  migrateSqlite(fresh, 'case_migrations', SQLITE_CASE_MIGRATIONS);
  assert.equal(sqliteSchemaOf(old), sqliteSchemaOf(fresh));
  assert.equal(old.prepare('SELECT version FROM case_migrations ORDER BY version').pluck().all(), SQLITE_CASE_MIGRATIONS.map((m) => m.version));
});

test.run();

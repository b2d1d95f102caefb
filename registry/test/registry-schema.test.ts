// The registry schema is written once (registry-schema.ts) and rendered per
// dialect. Databases migrated by the hand-written SQL it replaced must look
// the same as fresh ones: registry-schema.snapshot.json holds what that SQL
// produced (read back from SQLite and PostgreSQL 15); the PostgreSQL half of
// this check is in test/integration/postgres-registry-store.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { SQLITE_REGISTRY_MIGRATIONS } from '../registry-schema.ts';
import { sqliteSchemaOf } from '../../testing/schema-of.ts';

const snapshot = JSON.parse(readFileSync(new URL('./registry-schema.snapshot.json', import.meta.url), 'utf8')) as Record<string, unknown>;

test('sqlite: the rendered registry migrations make the schema the hand-written SQL made', () => {
  const db = new Database(':memory:');
  for (const m of SQLITE_REGISTRY_MIGRATIONS) db.exec(m.sql);
  assert.equal(sqliteSchemaOf(db), snapshot['sqlite v1']);
  assert.equal(db.prepare('SELECT key, value FROM registry_meta').all(), [{ key: 'revision', value: 0 }], 'the revision counter starts at 0');
  db.close();
});

test.run();

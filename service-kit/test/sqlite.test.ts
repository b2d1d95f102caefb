import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { migrateSqlite, openSqlite } from '../index.ts';

const dir = mkdtempSync(join(tmpdir(), 'tz-sqlite-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('openSqlite: WAL, the durability asked for, busy timeout and foreign keys', () => {
  const full = openSqlite(join(dir, 'full.sqlite'), { durability: 'full' });
  assert.is(full.pragma('journal_mode', { simple: true }), 'wal');
  assert.is(full.pragma('synchronous', { simple: true }), 2, 'FULL');
  assert.is(full.pragma('busy_timeout', { simple: true }), 5000);
  assert.is(full.pragma('foreign_keys', { simple: true }), 1);
  const normal = openSqlite(join(dir, 'normal.sqlite'), { durability: 'normal', busyTimeoutMs: 250 });
  assert.is(normal.pragma('synchronous', { simple: true }), 1, 'NORMAL');
  assert.is(normal.pragma('busy_timeout', { simple: true }), 250);
  full.close();
  normal.close();
});

test('migrateSqlite: applies each numbered step once, in order, and refuses a newer database', () => {
  const path = join(dir, 'migrate.sqlite');
  const steps = [
    { version: 1, name: 'cases', sql: 'CREATE TABLE cases (id INTEGER PRIMARY KEY)' },
    { version: 2, name: 'title', sql: 'ALTER TABLE cases ADD COLUMN title TEXT' },
  ];
  const db = openSqlite(path, { durability: 'full' });
  migrateSqlite(db, 'm', steps);
  migrateSqlite(db, 'm', steps); // a second start changes nothing
  assert.equal(db.prepare('SELECT version FROM m ORDER BY version').all(), [{ version: 1 }, { version: 2 }]);
  db.prepare("INSERT INTO cases (title) VALUES ('x')").run();
  assert.throws(() => migrateSqlite(db, 'm', steps.slice(0, 1)), /newer than this program knows/);
  assert.throws(() => migrateSqlite(db, 'm', [steps[1]!, steps[0]!]), /must ascend/);
  assert.throws(() => migrateSqlite(db, 'm', [...steps, { version: 3, name: 'bad', sql: 'ALTER TABLE nope ADD COLUMN x' }]));
  assert.equal(db.prepare('SELECT max(version) AS v FROM m').get(), { v: 2 }, 'a failed step is rolled back whole');
  db.close();
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { ROLES, isTzError, openAccessTokens } from '../index.ts';

test('inspector tokens (监督员) may be bound to an area; the principal carries it', () => {
  const db = new Database(':memory:');
  const tokens = openAccessTokens(db);
  assert.ok((ROLES as readonly string[]).includes('inspector'));
  const bound = tokens.issue({ name: 'south patrol', role: 'inspector', area: 'south' });
  assert.equal(tokens.verify(bound.token), { tokenId: bound.principal.tokenId, name: 'south patrol', role: 'inspector', crewId: null, area: 'south' });
  const free = tokens.issue({ name: 'city patrol', role: 'inspector' });
  assert.is(tokens.verify(free.token)?.area, undefined, 'unbound: the whole city');
  try {
    tokens.issue({ name: 'x', role: 'inspector', area: 'bad area!' });
    assert.unreachable();
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_REQUEST_INVALID'));
  }
  db.close();
});

test('an access file from before the inspector role gains the area column and keeps its tokens', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE access_tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, crew_id TEXT, secret_hash BLOB NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER, last_used_at INTEGER)');
  db.prepare('INSERT INTO access_tokens (id, name, role, crew_id, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)').run('0123456789abcdef', 'old desk', 'operator', null, Buffer.alloc(32), 1);
  const tokens = openAccessTokens(db);
  assert.equal(tokens.list().map((p) => [p.name, p.role, p.area]), [['old desk', 'operator', undefined]]);
  const again = openAccessTokens(db);
  assert.is(again.list().length, 1, 'opening twice is harmless');
  db.close();
});

test.run();

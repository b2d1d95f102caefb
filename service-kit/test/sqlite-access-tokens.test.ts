import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../../testing/temp-dir.ts';
import { openAccessTokens } from '../index.ts';
import { accessTokensSuite } from './access-tokens.suite.ts';

const dir = tempDir('tz-access-');
let n = 0;
test.after(() => dir.remove());

accessTokensSuite(test, 'sqlite', {
  fresh: async () => join(dir.path, `access-${++n}.sqlite`),
  dump: async (file) => {
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM access_tokens').all() as Array<Record<string, unknown>>;
      return JSON.stringify(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? `${v.toString('hex')} ${v.toString('base64url')}` : v]))));
    } finally {
      db.close();
    }
  },
});

test('sqlite tokens: every answer is synchronous (no Promise per request), and a file from before expiry gains the column', () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE access_tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, crew_id TEXT, secret_hash BLOB NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER, last_used_at INTEGER, area TEXT)');
  const tokens = openAccessTokens(db);
  const issued = tokens.issue({ name: 'desk', role: 'operator' });
  assert.not.instance(issued, Promise);
  const verdict = tokens.verify(issued.token);
  assert.not.instance(verdict, Promise);
  assert.is(verdict?.name, 'desk');
  assert.not.instance(tokens.list(), Promise);
  assert.is(tokens.revoke(issued.principal.tokenId), true);
  db.close();
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { ManualClock, openAccessTokens, openAuditLog, scrubSecrets } from '../index.ts';

test('the audit log is append-only: UPDATE and DELETE are refused by the database itself', () => {
  const db = new Database(':memory:');
  const audit = openAuditLog(db, new ManualClock(1_000));
  const r = audit.append({ actor: 'ops', action: 'rule.update', target: 'cover-tilted', details: { version: 2 } });
  assert.equal({ ...r, id: 1 }, { id: 1, at: 1_000, actor: 'ops', action: 'rule.update', target: 'cover-tilted', result: 'ok', details: { version: 2 } });
  assert.throws(() => db.prepare("UPDATE audit_log SET actor = 'someone else'").run(), /append-only/);
  assert.throws(() => db.prepare('DELETE FROM audit_log').run(), /append-only/);
  assert.is(audit.list().length, 1);
  assert.is(audit.list()[0]!.actor, 'ops');
});

test('filters: actor, action family, time window, limit, newest first', () => {
  const clock = new ManualClock(0);
  const audit = openAuditLog(new Database(':memory:'), clock);
  const rows: Array<[number, string, string]> = [[10, 'a', 'token.issue'], [20, 'b', 'token.revoke'], [30, 'a', 'case.dispatch'], [40, 'a', 'tokenish.thing']];
  for (const [at, actor, action] of rows) {
    clock.set(at);
    audit.append({ actor, action, target: 'x' });
  }
  const ats = (q: Parameters<typeof audit.list>[0]) => audit.list(q).map((r) => r.at);
  assert.equal(ats({}), [40, 30, 20, 10]);
  assert.equal(ats({ actor: 'a' }), [40, 30, 10]);
  assert.equal(ats({ action: 'token' }), [20, 10], 'a family matches at the dot, not by prefix');
  assert.equal(ats({ action: 'token.issue' }), [10]);
  assert.equal(ats({ from: 20, to: 40 }), [30, 20]);
  assert.equal(ats({ limit: 2 }), [40, 30]);
});

test('secrets never reach the record: secret-looking keys and token-shaped values are redacted, ids stay', () => {
  const token = `tz_0123456789abcdef_${'A'.repeat(43)}`;
  assert.equal(scrubSecrets({ password: 'hunter2', tokenId: 'abc', nested: { apiKey: 'k', note: `sent ${token}` }, list: [`Bearer ${token}`] }), {
    password: '[redacted]', tokenId: 'abc', nested: { apiKey: '[redacted]', note: 'sent [redacted]' }, list: ['[redacted]'],
  });
  const db = new Database(':memory:');
  const audit = openAuditLog(db);
  const issued = openAccessTokens(db, Date.now, (e) => { audit.append(e); }).issue({ name: 'desk', role: 'operator', by: 'admin' });
  const [record] = audit.list({ action: 'token.issue' });
  assert.is(record!.target, issued.principal.tokenId);
  assert.is(record!.actor, 'admin');
  const everything = JSON.stringify(db.prepare('SELECT * FROM audit_log').all());
  assert.not.ok(everything.includes(issued.token.split('_')[2]!), 'the token secret is not in the audit log');
});

test.run();

// The one audit log from the outside: the CLI records tokens issued and
// revoked and broker users added, the broker records logins (refused ones
// too), `tianzhong audit list` reads them back, and the file never holds the
// token or the password, not even in its WAL.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { startBroker, BrokerUsers } from '../../broker/index.ts';
import { openAuditLog } from '../../service-kit/index.ts';
import { tempDir } from './helpers.ts';

const run = promisify(execFile);
let dir: { path: string; remove(): void };

test.before(() => {
  dir = tempDir('tz-audit-');
});
test.after(() => dir?.remove());

function cli(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [join(process.cwd(), 'bin/tianzhong.js'), ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
}

/** The audit database and its WAL, as raw bytes. */
function auditBytes(file: string): Buffer {
  return Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

test('CLI: tokens issued and revoked and broker users added are in the audit log, their secrets are not', async () => {
  const auditDb = join(dir.path, 'audit.sqlite');
  const issued = JSON.parse((await cli(['tokens', 'add', '--name', 'ops desk 1', '--role', 'operator', '--db', join(dir.path, 'access.sqlite'), '--audit-db', auditDb, '--json'])).stdout) as { token: string; tokenId: string };
  await cli(['tokens', 'revoke', issued.tokenId, '--db', join(dir.path, 'access.sqlite'), '--audit-db', auditDb]);
  const password = 'Pa55-word-for-the-audit-test-7f3e';
  await cli(['broker', 'users', 'add', 'gw-audit-01', '--role', 'gateway', '--users', join(dir.path, 'broker-users.json'), '--audit-db', auditDb], { TZ_NEW_PASSWORD: password });

  const listed = JSON.parse((await cli(['audit', 'list', '--db', auditDb, '--json'])).stdout) as Array<{ action: string; target: string; actor: string; result: string }>;
  assert.equal(listed.map((r) => [r.action, r.target, r.result]), [
    ['broker.user.add', 'gw-audit-01', 'ok'],
    ['token.revoke', issued.tokenId, 'ok'],
    ['token.issue', issued.tokenId, 'ok'],
  ]);
  assert.ok(listed.every((r) => r.actor.startsWith('cli')));
  const onlyTokens = JSON.parse((await cli(['audit', 'list', '--db', auditDb, '--action', 'token', '--json'])).stdout) as unknown[];
  assert.is(onlyTokens.length, 2);

  const bytes = auditBytes(auditDb);
  assert.ok(bytes.includes(Buffer.from(issued.tokenId)), 'the token id is recorded');
  assert.not.ok(bytes.includes(Buffer.from(issued.token.slice(-43))), 'the token secret is absent');
  assert.not.ok(bytes.includes(Buffer.from(password)), 'the broker password is absent');
});

test('broker: accepted and refused logins are in the audit log, the password is not', async () => {
  const file = join(dir.path, 'broker-audit.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const audit = openAuditLog(db);
  const users = BrokerUsers.inMemory();
  const password = 'gateway-secret-for-audit-9c1d';
  users.add('gw-login', password, 'gateway');
  // One failure locks the client id out for a minute: the next try is throttled before any password check.
  const broker = await startBroker({ users, port: 0, loginThrottle: { maxFailures: 1, windowMs: 60_000, lockoutMs: 60_000, maxLockoutMs: 60_000 }, audit: (e) => { audit.append(e); } });
  try {
    const good = await mqtt.connectAsync(broker.mqttUrl, { clientId: 'gw-login', username: 'gw-login', password, reconnectPeriod: 0 });
    await good.endAsync();
    const bad = await mqtt.connectAsync(broker.mqttUrl, { clientId: 'gw-login', username: 'gw-login', password: `${password}-wrong`, reconnectPeriod: 0 }).then(
      async (c) => { await c.endAsync(); return 'connected'; },
      () => 'refused',
    );
    assert.is(bad, 'refused');
    const throttled = await mqtt.connectAsync(broker.mqttUrl, { clientId: 'gw-login', username: 'gw-login', password, reconnectPeriod: 0 }).then(
      async (c) => { await c.endAsync(); return 'connected'; },
      () => 'refused',
    );
    assert.is(throttled, 'refused', 'locked out even with the right password');
    const records = audit.list({ action: 'broker.login' });
    assert.equal(records.map((r) => [r.action, r.actor, r.result, r.details.reason ?? null]), [
      ['broker.login.throttled', 'gw-login', 'denied', 'throttled'],
      ['broker.login', 'gw-login', 'denied', 'bad-credentials'],
      ['broker.login', 'gw-login', 'ok', null],
    ]);
  } finally {
    await broker.stop();
    db.close();
  }
  const bytes = auditBytes(file);
  assert.not.ok(bytes.includes(Buffer.from(password)), 'the broker password is absent');
});

test.run();

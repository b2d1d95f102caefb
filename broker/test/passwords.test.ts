import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BrokerUsers, hashPassword, verifyPassword } from '../index.ts';

test('a hash is self-describing, salted, and verifies only its password', () => {
  const a = hashPassword('correct horse battery');
  const b = hashPassword('correct horse battery');
  assert.match(a, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.is.not(a, b, 'random salt: same password, different hashes');
  assert.ok(verifyPassword('correct horse battery', a));
  assert.not.ok(verifyPassword('correct horse batterY', a));
});

test('malformed hashes never verify and never throw', () => {
  for (const bad of ['', 'scrypt$', 'bcrypt$1$2$3$a$b', 'scrypt$x$8$1$AAAA$AAAA', 'scrypt$16384$8$1$$', 'scrypt$99999999$8$1$AAAA$AAAA']) {
    assert.not.ok(verifyPassword('anything-at-all', bad), bad);
  }
});

test('users: id pattern, password length, roles, remove', () => {
  const users = BrokerUsers.inMemory();
  assert.throws(() => users.add('gw/1', 'long-enough-pass', 'gateway'), /must match/);
  assert.throws(() => users.add('gw-1', 'short', 'gateway'), /at least 12/);
  users.add('gw-1', 'long-enough-pass', 'gateway');
  assert.equal(users.list().map((u) => [u.username, u.role]), [['gw-1', 'gateway']]);
  assert.not.ok('passwordHash' in users.list()[0]!);
  assert.is(users.authenticate('nobody', 'long-enough-pass'), null);
  assert.ok(users.remove('gw-1'));
  assert.not.ok(users.remove('gw-1'));
  assert.throws(() => users.save(), /TZ_USERS_FILE/);
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerUsers, checkPublish, checkSubscribe, filterWithin, type BrokerIdentity } from '../index.ts';

const gw: BrokerIdentity = { username: 'gw-1', role: 'gateway' };
const svc: BrokerIdentity = { username: 'tz-ingest', role: 'service' };

test('gateway publishes only up/batch|status|cmdack of its own branch', () => {
  const table: Array<[string, string | null]> = [
    ['tz/v1/gw/gw-1/up/batch', null],
    ['tz/v1/gw/gw-1/up/status', null],
    ['tz/v1/gw/gw-1/up/cmdack', null],
    ['tz/v1/gw/gw-2/up/batch', 'foreign-branch'],
    ['tz/v1/gw/gw-1/down/cmd', 'not-allowed'],
    ['tz/v1/gw/gw-1/up/other', 'not-allowed'],
    ['tz/v1/events/alarm', 'not-allowed'],
    ['$SYS/broker/uptime', 'sys-topic'],
  ];
  for (const [topic, expected] of table) assert.is(checkPublish(gw, topic), expected, topic);
});

test('service publishes commands and events, never uplinks or $SYS', () => {
  const table: Array<[string, string | null]> = [
    ['tz/v1/gw/gw-9/down/cmd', null],
    ['tz/v1/events/alarm', null],
    ['tz/v1/events/', 'not-allowed'],
    ['tz/v1/gw/gw-9/up/batch', 'not-allowed'],
    ['$SYS/x', 'sys-topic'],
    ['other/topic', 'not-allowed'],
  ];
  for (const [topic, expected] of table) assert.is(checkPublish(svc, topic), expected, topic);
});

test('subscriptions: gateway own down branch only; service uplinks, events, $SYS', () => {
  assert.is(checkSubscribe(gw, 'tz/v1/gw/gw-1/down/#'), null);
  assert.is(checkSubscribe(gw, 'tz/v1/gw/gw-1/down/cmd'), null);
  assert.is(checkSubscribe(gw, 'tz/v1/gw/gw-2/down/#'), 'foreign-branch');
  assert.is(checkSubscribe(gw, 'tz/v1/gw/+/down/#'), 'foreign-branch');
  assert.is(checkSubscribe(gw, '#'), 'not-allowed');
  assert.is(checkSubscribe(gw, '$SYS/#'), 'sys-topic');
  for (const ok of ['tz/v1/gw/+/up/#', 'tz/v1/gw/+/up/batch', 'tz/v1/gw/gw-3/up/status', 'tz/v1/events/#', 'tz/v1/events/alarm', '$SYS/#', '$SYS/broker/+']) {
    assert.is(checkSubscribe(svc, ok), null, ok);
  }
  for (const bad of ['#', 'tz/#', 'tz/v1/gw/#', 'tz/v1/gw/+/down/cmd', 'tz/v1/gw/+/+/batch', '+/v1/gw/+/up/batch']) {
    assert.is(checkSubscribe(svc, bad), 'not-allowed', bad);
  }
});

test('filterWithin follows MQTT wildcard semantics', () => {
  assert.ok(filterWithin('a/b/c', 'a/+/c'));
  assert.ok(filterWithin('a/+/c', 'a/+/c'));
  assert.not.ok(filterWithin('a/#', 'a/+/c'));
  assert.not.ok(filterWithin('a/b', 'a/+/c'));
  assert.ok(filterWithin('a/b/c/d', 'a/#'));
  assert.ok(filterWithin('a', 'a/#'));
});

test('users file errors name the file and the problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tz-acl-'));
  try {
    const file = join(dir, 'users.json');
    writeFileSync(file, '{ not json');
    assert.throws(() => BrokerUsers.load(file), (err: Error) => err.message.includes('TZ_USERS_FILE') && err.message.includes(file));
    writeFileSync(file, JSON.stringify({ version: 1, users: [{ username: 'gw-1', role: 'admin', passwordHash: 'scrypt$x', createdAt: 'now' }] }));
    assert.throws(() => BrokerUsers.load(file), (err: Error) => err.message.includes('users.0.role'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});


test('gateway config (issue 15): rules/service publish down/config, a gateway subscribes to its own, nobody else', () => {
  const rules: BrokerIdentity = { username: 'tz-rules', role: 'rules' };
  const ingest: BrokerIdentity = { username: 'tz-ingest', role: 'ingest' };
  assert.is(checkPublish(rules, 'tz/v1/gw/gw-9/down/config'), null);
  assert.is(checkPublish(svc, 'tz/v1/gw/gw-9/down/config'), null);
  assert.is(checkPublish(ingest, 'tz/v1/gw/gw-9/down/config'), 'not-allowed');
  assert.is(checkPublish(gw, 'tz/v1/gw/gw-1/down/config'), 'not-allowed');
  assert.is(checkPublish(rules, 'tz/v1/gw/bad+id/down/config'), 'not-allowed');
  assert.is(checkSubscribe(gw, 'tz/v1/gw/gw-1/down/config'), null);
  assert.is(checkSubscribe(gw, 'tz/v1/gw/gw-2/down/config'), 'foreign-branch');
});

test.run();

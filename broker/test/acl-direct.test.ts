import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkPublish, checkSubscribe, type BrokerIdentity } from '../index.ts';

const devA: BrokerIdentity = { username: 'hydrant-a', role: 'device' };
const gateway: BrokerIdentity = { username: 'direct', role: 'device-gateway' };

test('a device publishes only JSON on its own up branch', () => {
  const table: Array<[string, string | null]> = [
    ['tz/v1/dev/hydrant-a/up/json', null],
    ['tz/v1/dev/hydrant-b/up/json', 'foreign-branch'],
    ['tz/v1/dev/hydrant-a/down/cmd', 'not-allowed'],
    ['tz/v1/dev/hydrant-a/up/other', 'not-allowed'],
    ['tz/v1/gw/direct/up/batch', 'not-allowed'],
    ['tz/v1/events/alarm', 'not-allowed'],
    ['tz/v1/events/gateway', 'broker-only'],
    ['$SYS/x', 'sys-topic'],
  ];
  for (const [topic, expected] of table) assert.is(checkPublish(devA, topic), expected, topic);
});

test('a device subscribes only below its own down branch', () => {
  const table: Array<[string, string | null]> = [
    ['tz/v1/dev/hydrant-a/down/cmd', null],
    ['tz/v1/dev/hydrant-a/down/#', null],
    ['tz/v1/dev/hydrant-b/down/cmd', 'foreign-branch'],
    ['tz/v1/dev/+/down/cmd', 'foreign-branch'],
    ['tz/v1/dev/#', 'foreign-branch'],
    ['tz/v1/gw/+/down/cmd', 'not-allowed'],
    ['$share/g/tz/v1/dev/hydrant-b/down/cmd', 'foreign-branch'],
    ['$SYS/#', 'sys-topic'],
  ];
  for (const [filter, expected] of table) assert.is(checkSubscribe(devA, filter), expected, filter);
});

test('the device gateway reads devices\' up branches, writes their down branches, and is a gateway on its own branch only', () => {
  const pub: Array<[string, string | null]> = [
    ['tz/v1/gw/direct/up/batch', null],
    ['tz/v1/gw/direct/up/cmdack', null],
    ['tz/v1/gw/gw-1/up/batch', 'foreign-branch'],
    ['tz/v1/gw/direct/down/cmd', 'foreign-branch'],
    ['tz/v1/dev/hydrant-a/down/cmd', null],
    ['tz/v1/dev/hydrant-a/up/json', 'not-allowed'],
    ['tz/v1/events/alarm', 'not-allowed'],
  ];
  for (const [topic, expected] of pub) assert.is(checkPublish(gateway, topic), expected, topic);
  const sub: Array<[string, string | null]> = [
    ['tz/v1/dev/+/up/json', null],
    ['tz/v1/gw/direct/down/cmd', null],
    ['tz/v1/gw/+/up/batch', 'foreign-branch'],
    ['tz/v1/dev/#', 'not-allowed'],
  ];
  for (const [filter, expected] of sub) assert.is(checkSubscribe(gateway, filter), expected, filter);
});

test.run();

// Grants: filter rules, the foreign-branch check for gateway accounts, and
// that a grant widens exactly what it names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyGrants, grantFilterProblem, grantsSchema, reachesForeignBranch } from '../grants.ts';
import { checkPublish, checkSubscribe } from '../acl.ts';

test('grant filters: $-topics, first-level wildcards, misplaced wildcards and empty levels are refused', () => {
  const table: Array<[string, boolean]> = [
    ['tz/v1/x/#', true], ['tz/v1/+/y', true], ['tz/v1/x', true],
    ['$SYS/#', false], ['$share/g/tz/#', false], ['#', false], ['+/v1', false], ['tz/v1/a#', false], ['tz/#/x', false], ['tz/v1/a+', false], ['tz//x', false], ['tz/v1/', false], ['', false],
  ];
  for (const [filter, ok] of table) assert.is(grantFilterProblem(filter) === null, ok, filter);
});

test('reachesForeignBranch', () => {
  const table: Array<[string, boolean]> = [
    ['tz/v1/gw/gw-1/down/x', false], ['tz/v1/gw/gw-1/#', false], ['tz/v1/gw', false], ['tz/v1/events/#', false], ['other/#', false],
    ['tz/v1/gw/gw-2/up/batch', true], ['tz/v1/gw/+/down/#', true], ['tz/v1/gw/#', true], ['tz/v1/#', true], ['tz/+/gw/gw-2/x', true], ['+/v1/gw/x', true],
  ];
  for (const [filter, reaches] of table) assert.is(reachesForeignBranch(filter, 'gw-1'), reaches, filter);
});

test('schema: exactly one of publish/subscribe; errors carry the path', () => {
  assert.ok(grantsSchema.safeParse([{ publish: 'tz/v1/x' }, { subscribe: 'tz/v1/y/#', allowForeignBranch: false }]).success);
  const both = grantsSchema.safeParse([{ publish: 'tz/v1/x', subscribe: 'tz/v1/x' }]);
  assert.not.ok(both.success);
  const bad = grantsSchema.safeParse([{ subscribe: 'tz/v1/x' }, { subscribe: '$SYS/#' }]);
  assert.equal(bad.success ? null : bad.error.issues[0]?.path, [1, 'subscribe']);
  assert.not.ok(grantsSchema.safeParse([{ publish: 'tz/v1/x', extra: 1 }]).success, 'unknown keys are errors');
});

test('applyGrants widens exactly the granted topics, never $-topics or broker-only events', () => {
  const gw = { username: 'gw-1', role: 'gateway' as const };
  const grants = [{ publish: 'tz/v1/x/gw-1/#' }, { subscribe: 'tz/v1/x/public/+' }, { publish: 'tz/v1/gw/gw-2/up/batch' }];
  const pub = (topic: string) => applyGrants(checkPublish(gw, topic), gw, grants, 'publish', topic);
  const sub = (filter: string) => applyGrants(checkSubscribe(gw, filter), gw, grants, 'subscribe', filter);
  assert.is(pub('tz/v1/x/gw-1/a'), null);
  assert.is(pub('tz/v1/x/gw-2/a'), 'not-allowed');
  assert.is(pub('tz/v1/gw/gw-2/up/batch'), 'foreign-branch', 'a foreign grant without allowForeignBranch does not count');
  assert.is(pub('tz/v1/events/gateway'), 'broker-only');
  assert.is(sub('tz/v1/x/public/a'), null);
  assert.is(sub('tz/v1/x/public/+'), null);
  assert.is(sub('$share/g/tz/v1/x/public/+'), null);
  assert.is(sub('tz/v1/x/public/#'), 'not-allowed');
  assert.is(sub('$SYS/#'), 'sys-topic');
  const allowed = [{ subscribe: 'tz/v1/gw/+/up/status', allowForeignBranch: true }];
  assert.is(applyGrants(checkSubscribe(gw, 'tz/v1/gw/gw-7/up/status'), gw, allowed, 'subscribe', 'tz/v1/gw/gw-7/up/status'), null);
});

test.run();

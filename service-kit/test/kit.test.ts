import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Backoff, ERROR_CATALOGUE, TzError, isMqttAuthRefusal, isTzError, toError } from '../index.ts';

test('backoff grows to its cap and starts over after reset', () => {
  const backoff = new Backoff(100, 1000, () => 1); // the top of each jitter range
  assert.equal([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()], [100, 200, 400, 800, 1000]);
  assert.is(backoff.attempts, 5);
  backoff.reset();
  assert.is(backoff.next(), 100);
  const low = new Backoff(100, 1000, () => 0);
  assert.is(low.next(), 50, 'jitter never goes below half the minimum');
});

test('refused MQTT credentials are told apart from other connection errors', () => {
  for (const code of [4, 5, 134, 135]) assert.ok(isMqttAuthRefusal(Object.assign(new Error('refused'), { code })), String(code));
  for (const err of [Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), Object.assign(new Error('x'), { code: 2 }), new Error('plain'), null, 'text']) {
    assert.not.ok(isMqttAuthRefusal(err), String(err));
  }
});

test('errors carry a catalogued code, a retry policy and survive JSON', () => {
  const err = new TzError('TZ_INFLUX_UNREACHABLE', 'down', { retryable: true, details: { url: 'x' } });
  assert.ok(err.code in ERROR_CATALOGUE);
  assert.ok(err.canRetry());
  assert.ok(isTzError(err, 'TZ_INFLUX_UNREACHABLE'));
  assert.not.ok(isTzError(err, 'TZ_INFLUX_WRITE'));
  assert.equal(JSON.parse(JSON.stringify(err)), { code: 'TZ_INFLUX_UNREACHABLE', message: 'TZ_INFLUX_UNREACHABLE: down', details: { url: 'x' } });
  assert.is(toError({ message: 'Timed out', name: 'TransactionTimedOutError' }).message, 'Timed out', 'modbus-serial rejects with plain objects');
});

test.run();

// Ingest's in-memory view of the registry: verdicts, refresh by revision,
// discovery noted once, auto-accept seen at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pino } from 'pino';
import { RegistryBinding } from '../binding.ts';
import { openFixture, tcpDevice } from './fixtures.ts';

const log = pino({ level: 'silent' });

test('verdicts: registered here, another gateway, not registered, discovered, retired', () => {
  const f = openFixture();
  try {
    f.store.createDevice(tcpDevice('a', { state: 'active' }), 't');
    f.store.createDevice(tcpDevice('r', { state: 'active' }), 't');
    f.store.retireDevice('r', 't');
    f.store.noteReportedDevice('gw-01', 'd', 'manhole-cover');
    const b = new RegistryBinding(f.store, { log });
    assert.is(b.size, 3);
    assert.is(b.check('a', 'gw-01'), null);
    assert.equal(b.check('a', 'gw-09'), { reason: 'wrong-gateway', detail: 'device a is registered to gateway gw-01, not gw-09' });
    assert.is(b.check('x', 'gw-01')?.reason, 'unknown-device');
    assert.match(b.check('d', 'gw-01')!.detail, 'discovered, waiting for an operator');
    assert.is(b.check('r', 'gw-01')?.reason, 'retired-device');
  } finally {
    f.close();
  }
});

test('refresh reads only changes and moves the epoch; notes are written once; auto-accept is seen at once', () => {
  const f = openFixture();
  try {
    const b = new RegistryBinding(f.store, { log });
    const epoch = b.epoch;
    assert.is(b.refresh(), false);
    assert.is(b.epoch, epoch);
    f.store.createDevice(tcpDevice('a'), 't');
    assert.is(b.refresh(), true);
    assert.is(b.epoch, epoch + 1);
    assert.is(b.check('a', 'gw-01'), null);
    for (let i = 0; i < 5; i++) b.noteUnregistered('gw-01', 'new-1', 'manhole-cover');
    assert.is(f.store.history('new-1').length, 1);
    assert.is(f.store.getDevice('new-1')!.state, 'discovered');
    f.store.createGateway({ id: 'gw-02', autoAccept: true });
    b.noteUnregistered('gw-02', 'new-2', 'manhole-cover');
    assert.is(b.check('new-2', 'gw-02'), null, 'accepted and refreshed without waiting for the timer');
  } finally {
    f.close();
  }
});

test.run();

// The registry store: records, lifecycle table and history, discovery and
// acceptance, assets (nesting, no loops), gateways.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isTzError } from '../../service-kit/index.ts';
import { LIFECYCLE_STATES } from '../model.ts';
import { CREATABLE_STATES, TRANSITIONS } from '../lifecycle.ts';
import { openFixture, tcpDevice, profiles } from './fixtures.ts';

/** The built-in classes as the registry names them in its errors. */
const KNOWN_CLASSES = profiles.all().map((p) => p.class).sort().join(', ');

test('create, get, list by every filter, devicesOfGateway', () => {
  const f = openFixture();
  try {
    f.store.createAsset({ id: 'pole-1', kind: 'pole' });
    f.store.createDevice(tcpDevice('mh-1', { district: 'yicheng', gridCell: 'G-01', tags: 'flood;east', assetId: 'pole-1' }), 'alice');
    f.store.createDevice(tcpDevice('mh-2', { gatewayId: 'gw-02', district: 'xiping', tags: ['east'] }), 'alice');
    f.store.createDevice({ id: 'wc-1', class: 'public-toilet', gatewayId: 'gw-01', transport: 'modbus-rtu', line: 'rs485-1', unit: 7, state: 'active' }, 'alice');
    const d = f.store.getDevice('mh-1')!;
    assert.equal(d.transport, { kind: 'modbus-tcp', host: '10.0.0.5', port: 502, unit: 3 });
    assert.equal(d.tags, ['east', 'flood']);
    assert.is(d.state, 'planned');
    assert.is(d.createdAt, '2026-03-01T08:00:00.000Z');
    const ids = (filter: Parameters<typeof f.store.listDevices>[0]) => f.store.listDevices(filter).map((x) => x.id);
    assert.equal(ids({}), ['mh-1', 'mh-2', 'wc-1']);
    assert.equal(ids({ gatewayId: 'gw-01' }), ['mh-1', 'wc-1']);
    assert.equal(ids({ class: 'public-toilet' }), ['wc-1']);
    assert.equal(ids({ district: 'xiping' }), ['mh-2']);
    assert.equal(ids({ gridCell: 'G-01' }), ['mh-1']);
    assert.equal(ids({ state: 'active' }), ['wc-1']);
    assert.equal(ids({ tag: 'east' }), ['mh-1', 'mh-2']);
    assert.equal(ids({ assetId: 'pole-1' }), ['mh-1']);
    assert.equal(ids({ limit: 1, offset: 1 }), ['mh-2']);
    assert.equal(f.store.devicesOfGateway('gw-02').map((x) => x.id), ['mh-2']);
    assert.is(f.store.countDevices({ gatewayId: 'gw-01' }), 2);
  } finally {
    f.close();
  }
});

test('create refuses bad records with every problem named by column', () => {
  const f = openFixture();
  try {
    try {
      f.store.createDevice({ id: 'x y', class: 'lamp', transport: 'modbus-tcp', port: 'many', colour: 'red' }, 'alice');
      assert.unreachable();
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_REGISTRY_INVALID'));
      assert.equal(err.details.problems, [
        { column: 'colour', problem: 'unknown column' },
        { column: 'id', problem: 'must be 1–64 letters, digits, _ . - starting with a letter or digit' },
        { column: 'port', problem: 'not a number' },
        { column: 'gatewayId', problem: 'required' },
        { column: 'class', problem: `no device profile "lamp" (known: ${KNOWN_CLASSES})` },
        { column: 'host', problem: 'required for modbus-tcp' },
      ]);
    }
    f.store.createDevice(tcpDevice('mh-1'), 'alice');
    assert.throws(() => f.store.createDevice(tcpDevice('mh-1'), 'alice'), (e: unknown) => isTzError(e, 'TZ_REGISTRY_INVALID') && /exists/.test(e.message));
    assert.throws(() => f.store.createDevice(tcpDevice('mh-9', { assetId: 'nope' }), 'alice'), /no asset "nope"/);
    assert.throws(() => f.store.createDevice(tcpDevice('mh-9', { deadbands: 'tilt_deg=0.5;speed=1' }), 'alice'), /no metric speed in manhole-cover/);
  } finally {
    f.close();
  }
});

// The whole lifecycle table, pair by pair: allowed moves land and are kept in the history; the rest are refused and change nothing.
const reach: Record<string, string[]> = { planned: [], installed: ['installed'], active: ['installed', 'active'], maintenance: ['installed', 'maintenance'], retired: ['retired'] };
for (const from of LIFECYCLE_STATES) {
  for (const to of LIFECYCLE_STATES) {
    if (from === to) continue;
    const legal = TRANSITIONS[from].includes(to);
    test(`lifecycle ${from} → ${to}: ${legal ? 'allowed' : 'refused'}`, () => {
      const f = openFixture();
      try {
        if (from === 'discovered') f.store.noteReportedDevice('gw-01', 'd-1', 'manhole-cover');
        else {
          f.store.createDevice(tcpDevice('d-1'), 'alice');
          for (const step of reach[from]!) f.store.transition('d-1', step as never, 'alice');
        }
        assert.is(f.store.getDevice('d-1')!.state, from);
        const before = f.store.history('d-1').length;
        f.clock.advance(60_000);
        if (legal) {
          f.store.transition('d-1', to, 'bob', 'because');
          assert.is(f.store.getDevice('d-1')!.state, to);
          const last = f.store.history('d-1').at(-1)!;
          assert.equal(last, { deviceId: 'd-1', from, to, by: 'bob', at: new Date(f.clock.now()).toISOString(), note: 'because' });
        } else {
          assert.throws(() => f.store.transition('d-1', to, 'bob'), (e: unknown) => isTzError(e, 'TZ_REGISTRY_TRANSITION'));
          assert.is(f.store.getDevice('d-1')!.state, from);
          assert.is(f.store.history('d-1').length, before);
        }
      } finally {
        f.close();
      }
    });
  }
}

test('a device may be created only in a creatable state; discovered is never set by hand', () => {
  const f = openFixture();
  try {
    for (const state of CREATABLE_STATES) f.store.createDevice(tcpDevice(`d-${state}`, { state }), 'alice');
    assert.throws(() => f.store.createDevice(tcpDevice('d-x', { state: 'discovered' }), 'alice'), /set by gateways reporting/);
    assert.throws(() => f.store.createDevice(tcpDevice('d-y', { state: 'retired' }), 'alice'), (e: unknown) => isTzError(e, 'TZ_REGISTRY_TRANSITION'));
  } finally {
    f.close();
  }
});

test('patch changes only what it names; a new transport replaces the old one; the id is fixed', () => {
  const f = openFixture();
  try {
    f.store.createDevice(tcpDevice('mh-1', { vendor: 'Acme' }), 'alice');
    const r1 = f.store.patchDevice('mh-1', { model: 'MC-3' }, 'alice');
    assert.is(r1.outcome, 'updated');
    assert.is(r1.device.vendor, 'Acme');
    assert.is(r1.device.model, 'MC-3');
    assert.is(f.store.patchDevice('mh-1', { model: 'MC-3' }, 'alice').outcome, 'unchanged');
    const r2 = f.store.patchDevice('mh-1', { transport: 'modbus-rtu', line: 'rs485-2', unit: 9 }, 'alice');
    assert.equal(r2.device.transport, { kind: 'modbus-rtu', line: 'rs485-2', unit: 9 });
    const r3 = f.store.patchDevice('mh-1', { state: 'installed' }, 'carol');
    assert.is(r3.device.state, 'installed');
    assert.equal(f.store.history('mh-1').map((h) => `${h.from}→${h.to} by ${h.by}`), ['null→planned by alice', 'planned→installed by carol']);
    assert.throws(() => f.store.patchDevice('mh-1', { id: 'mh-2' }, 'alice'), /cannot change/);
    assert.throws(() => f.store.patchDevice('nope', {}, 'alice'), (e: unknown) => isTzError(e, 'TZ_REGISTRY_NOT_FOUND'));
  } finally {
    f.close();
  }
});

test('a reported unregistered device is discovered once, then accepted by an operator with its record completed', () => {
  const f = openFixture();
  try {
    assert.is(f.store.noteReportedDevice('gw-01', 'mh-new', 'manhole-cover'), 'discovered');
    assert.is(f.store.noteReportedDevice('gw-01', 'mh-new', 'manhole-cover'), 'discovered');
    assert.equal(f.store.listDiscovered().map((d) => [d.id, d.class, d.gatewayId, d.transport]), [['mh-new', 'manhole-cover', 'gw-01', null]]);
    assert.is(f.store.history('mh-new').length, 1);
    // Tags can be set while it waits (no transport needed).
    f.store.patchDevice('mh-new', { tags: 'check' }, 'alice');
    const accepted = f.store.acceptDevice('mh-new', 'alice', { transport: 'modbus-tcp', host: '10.1.1.1', district: 'yicheng' });
    assert.is(accepted.state, 'active');
    assert.equal(accepted.transport, { kind: 'modbus-tcp', host: '10.1.1.1', port: 502, unit: 1 });
    assert.equal(f.store.history('mh-new').map((h) => `${h.from}→${h.to} by ${h.by}`), ['null→discovered by gateway:gw-01', 'discovered→active by alice']);
    assert.is(f.store.noteReportedDevice('gw-01', 'mh-new', 'manhole-cover'), 'registered');
    assert.throws(() => f.store.acceptDevice('mh-new', 'alice'), (e: unknown) => isTzError(e, 'TZ_REGISTRY_TRANSITION'));
    f.store.createDevice(tcpDevice('mh-reg'), 'alice');
    assert.is(f.store.noteReportedDevice('gw-09', 'mh-reg', 'manhole-cover'), 'registered');
  } finally {
    f.close();
  }
});

test('gateway auto-accept (off by default) accepts reported devices at once', () => {
  const f = openFixture();
  try {
    f.store.createGateway({ id: 'gw-01', name: '驿城区 1 号网关' });
    assert.is(f.store.getGateway('gw-01')!.autoAccept, false);
    assert.is(f.store.noteReportedDevice('gw-01', 'a', 'manhole-cover'), 'discovered');
    f.store.patchGateway('gw-01', { autoAccept: 'yes' });
    assert.is(f.store.noteReportedDevice('gw-01', 'b', 'manhole-cover'), 'accepted');
    assert.is(f.store.getDevice('b')!.state, 'active');
    assert.is(f.store.history('b').at(-1)!.by, 'auto-accept:gw-01');
    // Another gateway's flag does not apply.
    assert.is(f.store.noteReportedDevice('gw-02', 'c', 'manhole-cover'), 'discovered');
  } finally {
    f.close();
  }
});

test('assets nest; a loop or a missing parent is refused; gateways keep the reported config version', () => {
  const f = openFixture();
  try {
    f.store.createAsset({ id: 'road-1', kind: 'road', name: '解放路' });
    f.store.createAsset({ id: 'pole-1', kind: 'pole', parentAssetId: 'road-1', lat: 32.98, lon: 114.02 });
    f.store.createAsset({ id: 'cab-1', kind: 'cabinet', parentAssetId: 'pole-1' });
    assert.equal(f.store.listAssets({ parentAssetId: 'road-1' }).map((a) => a.id), ['pole-1']);
    assert.throws(() => f.store.patchAsset('road-1', { parentAssetId: 'cab-1' }), /would make a loop \(road-1 → cab-1 → pole-1 → road-1\)/);
    assert.throws(() => f.store.createAsset({ id: 'x', kind: 'pole', parentAssetId: 'ghost' }), /no asset "ghost"/);
    assert.is(f.store.retireAsset('cab-1').state, 'retired');
    f.store.createGateway({ id: 'gw-01' });
    f.store.setReportedConfigVersion('gw-01', 7);
    assert.is(f.store.getGateway('gw-01')!.reportedConfigVersion, 7);
    assert.is(f.store.retireGateway('gw-01').state, 'retired');
    assert.throws(() => f.store.setReportedConfigVersion('gw-404', 1), (e: unknown) => isTzError(e, 'TZ_REGISTRY_NOT_FOUND'));
  } finally {
    f.close();
  }
});

test('every device write moves the revision; changesSince lists what changed', () => {
  const f = openFixture();
  try {
    const r0 = f.store.revision();
    f.store.createDevice(tcpDevice('a'), 'x');
    f.store.createDevice(tcpDevice('b'), 'x');
    const r1 = f.store.revision();
    assert.is(r1, r0 + 2);
    f.store.patchDevice('a', { gatewayId: 'gw-02' }, 'x');
    assert.equal(f.store.changesSince(r1).map((c) => [c.id, c.gatewayId]), [['a', 'gw-02']]);
    f.store.patchDevice('a', { gatewayId: 'gw-02' }, 'x');
    assert.is(f.store.revision(), r1 + 1, 'an unchanged write does not move it');
  } finally {
    f.close();
  }
});

test.run();

// The shared RegistryStore suite (as MQTT.js's abstract_store): every registry
// store — SQLite (registry/test/store.test.ts) and PostgreSQL
// (test/integration/postgres-registry-store.test.ts) — must pass it: records,
// the lifecycle table and history, discovery and acceptance, assets (nesting,
// no loops), gateways, the revision ingest's binding refreshes by, imports
// (all or nothing, re-import unchanged), LoRa keys sealed at rest. Every call
// is awaited, so one suite holds a synchronous and an asynchronous store.
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { pino } from 'pino';
import { isTzError, ManualClock } from '../../service-kit/index.ts';
import { RegistryBinding } from '../binding.ts';
import { exportFile, importFile } from '../import/apply.ts';
import { CREATABLE_STATES, TRANSITIONS } from '../lifecycle.ts';
import { RegistryKey } from '../lora-keys.ts';
import { LIFECYCLE_STATES, type DeviceFilter } from '../model.ts';
import type { RegistryStore } from '../registry-store.ts';
import { abpDevice, profiles, tcpDevice, TEST_KEY_HEX } from './fixtures.ts';

export interface StoreUnderTest {
  store: RegistryStore;
  /** Every byte the store keeps of its devices (the table as stored), to look for plain keys in. */
  devicesAtRest(): Promise<Buffer>;
  /** The stored (sealed) LoRa keys of one device, as they are at rest. */
  sealedKeys(deviceId: string): Promise<Buffer | null>;
  /** Writes a sealed blob onto another device, as an attacker with write access could. */
  putSealedKeys(deviceId: string, sealed: Buffer): Promise<void>;
  close(): Promise<void>;
}

export type OpenStoreUnderTest = (o: { clock: ManualClock; key: RegistryKey | null }) => Promise<StoreUnderTest>;

const T0 = Date.parse('2026-03-01T08:00:00Z');
const NWK = '2B7E151628AED2A6ABF7158809CF4F3C';
const APP = '000102030405060708090A0B0C0D0E0F';
/** The built-in classes as the registry names them in its errors. */
const KNOWN_CLASSES = profiles.all().map((p) => p.class).sort().join(', ');
const log = pino({ level: 'silent' });

async function rejects(work: () => unknown, check: (err: unknown) => boolean, what = 'the expected error'): Promise<void> {
  try {
    await work();
  } catch (err) {
    assert.ok(check(err), `${what}, not ${String(err)}`);
    return;
  }
  assert.unreachable(`expected ${what}`);
}
const coded = (code: Parameters<typeof isTzError>[1], pattern?: RegExp) => (e: unknown) => isTzError(e, code) && (!pattern || pattern.test(e.message));

export function registryStoreSuite(test: Test, kind: string, open: OpenStoreUnderTest): void {
  const withStore = (name: string, body: (s: StoreUnderTest & { clock: ManualClock; store: RegistryStore }) => Promise<void>, o: { withKey?: boolean } = {}) => {
    test(`${kind}: ${name}`, async () => {
      const clock = new ManualClock(T0);
      const s = await open({ clock, key: o.withKey === false ? null : RegistryKey.parse(TEST_KEY_HEX, 'test') });
      try {
        await body({ ...s, clock });
      } finally {
        await s.close();
      }
    });
  };

  withStore('create, get, list by every filter, devicesOfGateway', async ({ store }) => {
    await store.createAsset({ id: 'pole-1', kind: 'pole' });
    await store.createDevice(tcpDevice('mh-1', { district: 'yicheng', gridCell: 'G-01', tags: 'flood;east', assetId: 'pole-1' }), 'alice');
    await store.createDevice(tcpDevice('mh-2', { gatewayId: 'gw-02', district: 'xiping', tags: ['east'] }), 'alice');
    await store.createDevice({ id: 'wc-1', class: 'public-toilet', gatewayId: 'gw-01', transport: 'modbus-rtu', line: 'rs485-1', unit: 7, state: 'active' }, 'alice');
    const d = await store.getDevice('mh-1');
    assert.equal(d?.transport, { kind: 'modbus-tcp', host: '10.0.0.5', port: 502, unit: 3 });
    assert.equal(d?.tags, ['east', 'flood']);
    assert.is(d?.state, 'planned');
    assert.is(d?.createdAt, '2026-03-01T08:00:00.000Z');
    const ids = async (filter: DeviceFilter) => (await store.listDevices(filter)).map((x) => x.id);
    assert.equal(await ids({}), ['mh-1', 'mh-2', 'wc-1']);
    assert.equal(await ids({ gatewayId: 'gw-01' }), ['mh-1', 'wc-1']);
    assert.equal(await ids({ class: 'public-toilet' }), ['wc-1']);
    assert.equal(await ids({ district: 'xiping' }), ['mh-2']);
    assert.equal(await ids({ gridCell: 'G-01' }), ['mh-1']);
    assert.equal(await ids({ state: 'active' }), ['wc-1']);
    assert.equal(await ids({ tag: 'east' }), ['mh-1', 'mh-2']);
    assert.equal(await ids({ assetId: 'pole-1' }), ['mh-1']);
    assert.equal(await ids({ limit: 1, offset: 1 }), ['mh-2']);
    assert.equal((await store.devicesOfGateway('gw-02')).map((x) => x.id), ['mh-2']);
    assert.is(await store.countDevices({ gatewayId: 'gw-01' }), 2);
    assert.is(await store.countDevices({ tag: 'east' }), 2);
    assert.is(await store.getDevice('nope'), undefined);
  });

  withStore('create refuses bad records with every problem named by column', async ({ store }) => {
    await rejects(() => store.createDevice({ id: 'x y', class: 'lamp', transport: 'modbus-tcp', port: 'many', colour: 'red' }, 'alice'), (err) => {
      if (!isTzError(err, 'TZ_REGISTRY_INVALID')) return false;
      assert.equal(err.details.problems, [
        { column: 'colour', problem: 'unknown column' },
        { column: 'id', problem: 'must be 1–64 letters, digits, _ . - starting with a letter or digit' },
        { column: 'port', problem: 'not a number' },
        { column: 'gatewayId', problem: 'required' },
        { column: 'class', problem: `no device profile "lamp" (known: ${KNOWN_CLASSES})` },
        { column: 'host', problem: 'required for modbus-tcp' },
      ]);
      return true;
    });
    await store.createDevice(tcpDevice('mh-1'), 'alice');
    await rejects(() => store.createDevice(tcpDevice('mh-1'), 'alice'), coded('TZ_REGISTRY_INVALID', /exists/));
    await rejects(() => store.createDevice(tcpDevice('mh-9', { assetId: 'nope' }), 'alice'), coded('TZ_REGISTRY_INVALID', /no asset "nope"/));
    await rejects(() => store.createDevice(tcpDevice('mh-9', { deadbands: 'tilt_deg=0.5;speed=1' }), 'alice'), coded('TZ_REGISTRY_INVALID', /no metric speed in manhole-cover/));
    assert.is(await store.countDevices(), 1);
  });

  // The whole lifecycle table, pair by pair: allowed moves land and are kept in the history; the rest are refused and change nothing.
  const reach: Record<string, string[]> = { planned: [], installed: ['installed'], active: ['installed', 'active'], maintenance: ['installed', 'maintenance'], retired: ['retired'] };
  withStore('lifecycle: every (from, to) pair of the table', async ({ store, clock }) => {
    let n = 0;
    for (const from of LIFECYCLE_STATES) {
      for (const to of LIFECYCLE_STATES) {
        if (from === to) continue;
        const id = `d-${++n}`;
        const legal = TRANSITIONS[from].includes(to);
        if (from === 'discovered') await store.noteReportedDevice('gw-01', id, 'manhole-cover');
        else {
          await store.createDevice(tcpDevice(id), 'alice');
          for (const s of reach[from] ?? []) await store.transition(id, s as never, 'alice');
        }
        assert.is((await store.getDevice(id))?.state, from);
        const before = (await store.history(id)).length;
        clock.advance(60_000);
        if (legal) {
          await store.transition(id, to, 'bob', 'because');
          assert.is((await store.getDevice(id))?.state, to, `${from} → ${to}`);
          assert.equal((await store.history(id)).at(-1), { deviceId: id, from, to, by: 'bob', at: new Date(clock.now()).toISOString(), note: 'because' });
        } else {
          await rejects(() => store.transition(id, to, 'bob'), coded('TZ_REGISTRY_TRANSITION'), `${from} → ${to} refused`);
          assert.is((await store.getDevice(id))?.state, from);
          assert.is((await store.history(id)).length, before);
        }
      }
    }
  });

  withStore('a device may be created only in a creatable state; discovered is never set by hand', async ({ store }) => {
    for (const state of CREATABLE_STATES) await store.createDevice(tcpDevice(`d-${state}`, { state }), 'alice');
    await rejects(() => store.createDevice(tcpDevice('d-x', { state: 'discovered' }), 'alice'), (e) => /set by gateways reporting/.test(String(e)));
    await rejects(() => store.createDevice(tcpDevice('d-y', { state: 'retired' }), 'alice'), coded('TZ_REGISTRY_TRANSITION'));
  });

  withStore('patch changes only what it names; a new transport replaces the old one; the id is fixed', async ({ store }) => {
    await store.createDevice(tcpDevice('mh-1', { vendor: 'Acme' }), 'alice');
    const r1 = await store.patchDevice('mh-1', { model: 'MC-3' }, 'alice');
    assert.is(r1.outcome, 'updated');
    assert.is(r1.device.vendor, 'Acme');
    assert.is(r1.device.model, 'MC-3');
    assert.is((await store.patchDevice('mh-1', { model: 'MC-3' }, 'alice')).outcome, 'unchanged');
    const r2 = await store.patchDevice('mh-1', { transport: 'modbus-rtu', line: 'rs485-2', unit: 9 }, 'alice');
    assert.equal(r2.device.transport, { kind: 'modbus-rtu', line: 'rs485-2', unit: 9 });
    const r3 = await store.patchDevice('mh-1', { state: 'installed' }, 'carol');
    assert.is(r3.device.state, 'installed');
    assert.equal((await store.history('mh-1')).map((h) => `${h.from}→${h.to} by ${h.by}`), ['null→planned by alice', 'planned→installed by carol']);
    await rejects(() => store.patchDevice('mh-1', { id: 'mh-2' }, 'alice'), (e) => /cannot change/.test(String(e)));
    await rejects(() => store.patchDevice('nope', {}, 'alice'), coded('TZ_REGISTRY_NOT_FOUND'));
  });

  withStore('a reported unregistered device is discovered once, then accepted by an operator with its record completed', async ({ store }) => {
    assert.is(await store.noteReportedDevice('gw-01', 'mh-new', 'manhole-cover'), 'discovered');
    assert.is(await store.noteReportedDevice('gw-01', 'mh-new', 'manhole-cover'), 'discovered');
    assert.equal((await store.listDiscovered()).map((d) => [d.id, d.class, d.gatewayId, d.transport]), [['mh-new', 'manhole-cover', 'gw-01', null]]);
    assert.is((await store.history('mh-new')).length, 1);
    await store.patchDevice('mh-new', { tags: 'check' }, 'alice');
    const accepted = await store.acceptDevice('mh-new', 'alice', { transport: 'modbus-tcp', host: '10.1.1.1', district: 'yicheng' });
    assert.is(accepted.state, 'active');
    assert.equal(accepted.transport, { kind: 'modbus-tcp', host: '10.1.1.1', port: 502, unit: 1 });
    assert.equal((await store.history('mh-new')).map((h) => `${h.from}→${h.to} by ${h.by}`), ['null→discovered by gateway:gw-01', 'discovered→active by alice']);
    assert.is(await store.noteReportedDevice('gw-01', 'mh-new', 'manhole-cover'), 'registered');
    await rejects(() => store.acceptDevice('mh-new', 'alice'), coded('TZ_REGISTRY_TRANSITION'));
    await store.createDevice(tcpDevice('mh-reg'), 'alice');
    assert.is(await store.noteReportedDevice('gw-09', 'mh-reg', 'manhole-cover'), 'registered');
  });

  withStore('gateway auto-accept (off by default) accepts reported devices at once', async ({ store }) => {
    await store.createGateway({ id: 'gw-01', name: '驿城区 1 号网关' });
    assert.is((await store.getGateway('gw-01'))?.autoAccept, false);
    assert.is(await store.noteReportedDevice('gw-01', 'a', 'manhole-cover'), 'discovered');
    await store.patchGateway('gw-01', { autoAccept: 'yes' });
    assert.is(await store.noteReportedDevice('gw-01', 'b', 'manhole-cover'), 'accepted');
    assert.is((await store.getDevice('b'))?.state, 'active');
    assert.is((await store.history('b')).at(-1)?.by, 'auto-accept:gw-01');
    assert.is(await store.noteReportedDevice('gw-02', 'c', 'manhole-cover'), 'discovered');
  });

  withStore('assets nest; a loop or a missing parent is refused; gateways keep the reported config version', async ({ store }) => {
    await store.createAsset({ id: 'road-1', kind: 'road', name: '解放路' });
    await store.createAsset({ id: 'pole-1', kind: 'pole', parentAssetId: 'road-1', lat: 32.98, lon: 114.02 });
    await store.createAsset({ id: 'cab-1', kind: 'cabinet', parentAssetId: 'pole-1', tags: 'a;b' });
    assert.equal((await store.listAssets({ parentAssetId: 'road-1' })).map((a) => a.id), ['pole-1']);
    assert.equal((await store.listAssets({ tag: 'b' })).map((a) => a.id), ['cab-1']);
    assert.equal((await store.getAsset('pole-1'))?.position, { lat: 32.98, lon: 114.02 });
    await rejects(() => store.patchAsset('road-1', { parentAssetId: 'cab-1' }), (e) => /would make a loop \(road-1 → cab-1 → pole-1 → road-1\)/.test(String(e)));
    await rejects(() => store.createAsset({ id: 'x', kind: 'pole', parentAssetId: 'ghost' }), (e) => /no asset "ghost"/.test(String(e)));
    await rejects(() => store.createAsset({ id: 'road-1', kind: 'road' }), coded('TZ_REGISTRY_INVALID', /exists/));
    assert.is((await store.retireAsset('cab-1')).state, 'retired');
    await store.createGateway({ id: 'gw-01', district: 'yicheng' });
    await store.setReportedConfigVersion('gw-01', 7);
    assert.is((await store.getGateway('gw-01'))?.reportedConfigVersion, 7);
    assert.equal((await store.listGateways({ district: 'yicheng' })).map((g) => g.id), ['gw-01']);
    assert.is((await store.retireGateway('gw-01')).state, 'retired');
    await rejects(() => store.setReportedConfigVersion('gw-404', 1), coded('TZ_REGISTRY_NOT_FOUND'));
    await rejects(() => store.patchGateway('gw-404', {}), coded('TZ_REGISTRY_NOT_FOUND'));
  });

  withStore('every device write moves the revision; changesSince lists what changed; the binding follows it', async ({ store }) => {
    const binding = new RegistryBinding(store, { log });
    await binding.ready;
    const r0 = await store.revision();
    await store.createDevice(tcpDevice('a', { district: 'yicheng' }), 'x');
    await store.createDevice(tcpDevice('b'), 'x');
    const r1 = await store.revision();
    assert.is(r1, r0 + 2);
    await store.patchDevice('a', { gatewayId: 'gw-02' }, 'x');
    assert.equal((await store.changesSince(r1)).map((c) => [c.id, c.gatewayId, c.district]), [['a', 'gw-02', 'yicheng']]);
    await store.patchDevice('a', { gatewayId: 'gw-02' }, 'x');
    assert.is(await store.revision(), r1 + 1, 'an unchanged write does not move it');
    assert.is(await binding.refresh(), true);
    assert.is(binding.check('a', 'gw-02'), null);
    assert.is(binding.districtOf('a'), 'yicheng');
    assert.is(await binding.refresh(), false);
    await store.retireDevice('b', 'x');
    await binding.refresh();
    assert.is(binding.check('b', 'gw-01')?.reason, 'retired-device');
  });

  withStore('import: all or nothing; --apply-valid writes exactly the good rows; again changes nothing; export round-trips', async ({ store }) => {
    const header = 'id,class,gatewayId,transport,host,line,unit,devEui,devAddr,nwkSKey,appSKey,district,state,tags,lat,lon\n';
    const rows = Array.from({ length: 300 }, (_, i) => {
      const id = `dev-${String(i).padStart(4, '0')}`;
      if (i % 3 === 0) return `${id},manhole-cover,gw-0${i % 4},modbus-tcp,10.0.${i & 255}.1,,${1 + (i % 200)},,,,,yicheng,${i % 4 === 0 ? 'active' : ''},a;b,32.98,114.02`;
      if (i % 3 === 1) return `${id},public-toilet,gw-0${i % 4},modbus-rtu,,rs485-1,${1 + (i % 200)},,,,,xiping,,,,`;
      const hex = i.toString(16).toUpperCase().padStart(8, '0');
      return `${id},water-meter,gw-0${i % 4},lorawan,,,,70B3D57E${hex},${hex},${hex.repeat(4)},${APP},suiping,,,,`;
    });
    const bad = [...rows];
    bad[10] = 'dev-0010,street-lamp,gw-01,modbus-tcp,10.0.0.1,,1,,,,,,,,,';
    bad[20] = 'dev-0000,manhole-cover,gw-01,modbus-tcp,10.0.0.1,,1,,,,,,,,,';
    const first = await importFile(store, { kind: 'devices', format: 'csv', text: header + bad.join('\n'), by: 'import-test' });
    assert.equal(first.problems.map((p) => [p.row, p.column]), [[12, 'class'], [22, 'id']]);
    assert.is(first.applied, false);
    assert.is(await store.countDevices(), 0, 'nothing is half-applied');
    assert.is(await store.revision(), 0);
    const second = await importFile(store, { kind: 'devices', format: 'csv', text: header + bad.join('\n'), by: 'import-test', applyValid: true });
    assert.equal({ applied: second.applied, created: second.created }, { applied: true, created: 298 });
    assert.is(await store.countDevices(), 298);
    assert.is(await store.revision(), 298);
    assert.is((await store.getDevice('dev-0000'))?.state, 'active');
    assert.equal((await store.getDevice('dev-0003'))?.tags, ['a', 'b']);
    assert.equal((await store.history('dev-0003')).map((h) => [h.to, h.by, h.note]), [['planned', 'import-test', 'import']]);
    assert.equal(await store.revealLoraKeys('dev-0005'), { activation: 'abp', nwkSKey: '00000005'.repeat(4), appSKey: APP });
    const again = await importFile(store, { kind: 'devices', format: 'csv', text: header + rows.join('\n'), by: 'import-test' });
    assert.equal({ created: again.created, updated: again.updated, unchanged: again.unchanged }, { created: 2, updated: 0, unchanged: 298 });
    assert.is(await store.revision(), 300, 'only the two new rows moved it');
    // A changed row and a lifecycle move: updated, kept in the history.
    const moved = [...rows];
    moved[1] = 'dev-0001,public-toilet,gw-01,modbus-rtu,,rs485-1,2,,,,,xiping,installed,,,';
    const third = await importFile(store, { kind: 'devices', format: 'csv', text: header + moved.join('\n'), by: 'import-test' });
    assert.equal({ updated: third.updated, unchanged: third.unchanged }, { updated: 1, unchanged: 299 });
    assert.equal((await store.history('dev-0001')).map((h) => h.to), ['planned', 'installed']);
    for (const format of ['csv', 'geojson'] as const) {
      const out = await exportFile(store, { kind: 'devices', format });
      assert.not.match(out, APP, 'no keys in an export');
      const back = await importFile(store, { kind: 'devices', format, text: out, by: 't' });
      assert.equal({ problems: back.problems, unchanged: back.unchanged }, { problems: [], unchanged: 300 }, format);
    }
  });

  withStore('import: assets with parents later in the file, gateways; both round-trip unchanged', async ({ store }) => {
    const text = 'id,kind,parentAssetId,name\ncab-1,cabinet,pole-1,\npole-1,pole,road-1,\nroad-1,road,,解放路\nbad,Pole!,,\nchild,pole,bad,\nloop-a,pole,loop-b,\nloop-b,pole,loop-a,\n';
    const r = await importFile(store, { kind: 'assets', format: 'csv', text, by: 't', applyValid: true });
    assert.equal(r.problems.map((p) => [p.row, p.column]), [[5, 'kind'], [6, 'parentAssetId'], [7, 'parentAssetId'], [8, 'parentAssetId']]);
    assert.equal({ created: r.created, applied: r.applied }, { created: 3, applied: true });
    assert.is((await store.getAsset('cab-1'))?.parentAssetId, 'pole-1');
    // A stored asset is a parent too; a loop through stored assets is refused.
    assert.is((await importFile(store, { kind: 'assets', format: 'csv', text: 'id,kind,parentAssetId\nbox-1,box,cab-1\n', by: 't' })).created, 1);
    const loop = await importFile(store, { kind: 'assets', format: 'csv', text: 'id,kind,parentAssetId\nroad-1,road,box-1\n', by: 't' });
    assert.equal(loop.problems, [{ row: 2, column: 'parentAssetId', problem: 'parent box-1 would make a loop (road-1 → box-1 → cab-1 → pole-1 → road-1)' }]);
    const assetsOut = await exportFile(store, { kind: 'assets', format: 'csv' });
    assert.equal((await importFile(store, { kind: 'assets', format: 'csv', text: assetsOut, by: 't' })).unchanged, 4);
    const gw = await importFile(store, { kind: 'gateways', format: 'csv', text: 'id,name,autoAccept\ngw-1,一号,true\ngw-2,二号,\n', by: 't' });
    assert.is(gw.created, 2);
    assert.is((await store.getGateway('gw-1'))?.autoAccept, true);
    const gwOut = await exportFile(store, { kind: 'gateways', format: 'geojson' });
    assert.equal((await importFile(store, { kind: 'gateways', format: 'geojson', text: gwOut, by: 't' })).unchanged, 2);
  });

  withStore('LoRa keys are sealed at rest: not in the stored bytes, never handed out, bound to their device', async (s) => {
    const device = await s.store.createDevice(abpDevice('wm-1'), 'alice');
    assert.equal(device.transport, { kind: 'lorawan', devEui: '70B3D57ED0000001', devAddr: '26011F01', activation: 'abp', keysStored: true });
    assert.not.match(JSON.stringify(await s.store.listDevices()), NWK);
    assert.equal(await s.store.revealLoraKeys('wm-1'), { activation: 'abp', nwkSKey: NWK, appSKey: APP });
    const bytes = await s.devicesAtRest();
    assert.ok(bytes.length > 0);
    for (const key of [NWK, APP]) {
      assert.is(bytes.indexOf(key), -1, `${key} as upper-case hex`);
      assert.is(bytes.indexOf(key.toLowerCase()), -1, `${key} as lower-case hex`);
      assert.is(bytes.indexOf(Buffer.from(key, 'hex')), -1, `${key} as bytes`);
    }
    const blob = await s.sealedKeys('wm-1');
    assert.is(blob?.length, 12 + 16 + JSON.stringify({ activation: 'abp', nwkSKey: NWK, appSKey: APP }).length);
    await s.store.createDevice(abpDevice('wm-2', { devEui: '70B3D57ED0000002' }), 'alice');
    if (blob) await s.putSealedKeys('wm-2', blob);
    await rejects(() => s.store.revealLoraKeys('wm-2'), (e) => isTzError(e, 'TZ_REGISTRY_KEY') && !String(e).includes(NWK));
    // Kept when a record omits them, replaced when they differ, dropped when the device leaves LoRaWAN.
    assert.is((await s.store.patchDevice('wm-1', { vendor: 'Acme' }, 'alice')).outcome, 'updated');
    assert.equal(await s.store.revealLoraKeys('wm-1'), { activation: 'abp', nwkSKey: NWK, appSKey: APP });
    assert.is((await s.store.patchDevice('wm-1', { nwkSKey: NWK, appSKey: APP }, 'alice')).outcome, 'unchanged');
    assert.is((await s.store.patchDevice('wm-1', { nwkSKey: APP, appSKey: NWK }, 'alice')).outcome, 'updated');
    assert.equal(await s.store.revealLoraKeys('wm-1'), { activation: 'abp', nwkSKey: APP, appSKey: NWK });
    await s.store.patchDevice('wm-1', { transport: 'modbus-tcp', host: '10.0.0.9' }, 'alice');
    assert.is(await s.store.revealLoraKeys('wm-1'), null);
    assert.is(await s.sealedKeys('wm-1'), null);
  });

  withStore('without a registry key LoRa keys are refused (API and import), other devices are fine', async ({ store }) => {
    await rejects(() => store.createDevice(abpDevice('wm-1'), 'alice'), (e) => /cannot be stored without a registry key: set TZ_REGISTRY_KEY/.test(String(e)));
    const r = await importFile(store, { kind: 'devices', format: 'csv', by: 't', text: `id,class,gatewayId,transport,devEui,devAddr,nwkSKey,appSKey\nwm-1,water-meter,gw-1,lorawan,70B3D57ED0000001,26011F01,${NWK},${APP}\n` });
    assert.equal(r.problems.map((p) => [p.row, p.column]), [[2, 'nwkSKey']]);
    await store.createDevice(tcpDevice('mh-1'), 'alice');
    assert.is(await store.countDevices(), 1);
  }, { withKey: false });
}

// LoRa keys at rest: sealed with AES-256-GCM, absent from the raw SQLite
// bytes, never in what the store hands out; refused without a registry key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTzError } from '../../service-kit/index.ts';
import { RegistryKey } from '../lora-keys.ts';
import { SqliteRegistryStore } from '../store.ts';
import { importFile, exportFile } from '../import/apply.ts';
import { abpDevice, openFixture, profiles, TEST_KEY_HEX } from './fixtures.ts';

const NWK = '2B7E151628AED2A6ABF7158809CF4F3C';
const APP = '000102030405060708090A0B0C0D0E0F';

function rawBytes(path: string): Buffer {
  return Buffer.concat([path, `${path}-wal`].filter(existsSync).map((p) => readFileSync(p)));
}

test('keys are encrypted at rest: neither their hex text nor their bytes are in the database files', () => {
  const f = openFixture();
  try {
    const device = f.store.createDevice(abpDevice('wm-1'), 'alice');
    assert.equal(device.transport, { kind: 'lorawan', devEui: '70B3D57ED0000001', devAddr: '26011F01', activation: 'abp', keysStored: true });
    assert.not.match(JSON.stringify(f.store.listDevices()), NWK);
    assert.not.match(exportFile(f.store, { kind: 'devices', format: 'csv' }), NWK);
    assert.not.match(exportFile(f.store, { kind: 'devices', format: 'geojson' }), APP);
    assert.equal(f.store.revealLoraKeys('wm-1'), { activation: 'abp', nwkSKey: NWK, appSKey: APP });
    f.store.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const key of [NWK, APP]) {
      const bytes = rawBytes(f.path);
      assert.ok(bytes.length > 4096);
      assert.is(bytes.indexOf(key), -1, `${key} as upper-case hex`);
      assert.is(bytes.indexOf(key.toLowerCase()), -1, `${key} as lower-case hex`);
      assert.is(bytes.indexOf(Buffer.from(key, 'hex')), -1, `${key} as bytes`);
    }
    // The sealed blob is there, and is bound to its device: copied onto another one it does not open.
    const blob = (f.store.db.prepare('SELECT lora_keys FROM devices WHERE id = ?').get('wm-1') as { lora_keys: Buffer }).lora_keys;
    assert.is(blob.length, 12 + 16 + JSON.stringify({ activation: 'abp', nwkSKey: NWK, appSKey: APP }).length);
    f.store.createDevice(abpDevice('wm-2', { devEui: '70B3D57ED0000002' }), 'alice');
    f.store.db.prepare('UPDATE devices SET lora_keys = ? WHERE id = ?').run(blob, 'wm-2');
    assert.throws(() => f.store.revealLoraKeys('wm-2'), (e: unknown) => isTzError(e, 'TZ_REGISTRY_KEY') && !String(e).includes(NWK));
  } finally {
    f.close();
  }
});

test('without a registry key LoRa keys are refused (API and import), other devices are fine', () => {
  const f = openFixture({ withKey: false });
  try {
    assert.throws(() => f.store.createDevice(abpDevice('wm-1'), 'alice'), /cannot be stored without a registry key: set TZ_REGISTRY_KEY/);
    const r = importFile(f.store, { kind: 'devices', format: 'csv', by: 't', text: `id,class,gatewayId,transport,devEui,devAddr,nwkSKey,appSKey\nwm-1,water-meter,gw-1,lorawan,70B3D57ED0000001,26011F01,${NWK},${APP}\n` });
    assert.equal(r.problems.map((p) => [p.row, p.column]), [[2, 'nwkSKey']]);
    assert.is(f.store.countDevices(), 0);
  } finally {
    f.close();
  }
});

test('a key is kept when a record omits it, replaced when it differs, dropped when the device leaves LoRaWAN', () => {
  const f = openFixture();
  try {
    f.store.createDevice(abpDevice('wm-1'), 'alice');
    assert.is(f.store.patchDevice('wm-1', { vendor: 'Acme' }, 'alice').outcome, 'updated');
    assert.equal(f.store.revealLoraKeys('wm-1'), { activation: 'abp', nwkSKey: NWK, appSKey: APP });
    assert.is(f.store.patchDevice('wm-1', { nwkSKey: NWK, appSKey: APP }, 'alice').outcome, 'unchanged');
    assert.is(f.store.patchDevice('wm-1', { nwkSKey: APP, appSKey: NWK }, 'alice').outcome, 'updated');
    assert.equal(f.store.revealLoraKeys('wm-1'), { activation: 'abp', nwkSKey: APP, appSKey: NWK });
    f.store.patchDevice('wm-1', { transport: 'lorawan', activation: 'otaa', appKey: NWK, devAddr: '' }, 'alice');
    assert.equal(f.store.revealLoraKeys('wm-1'), { activation: 'otaa', appKey: NWK });
    f.store.patchDevice('wm-1', { transport: 'modbus-tcp', host: '10.0.0.9' }, 'alice');
    assert.is(f.store.revealLoraKeys('wm-1'), null);
  } finally {
    f.close();
  }
});

test('the registry key comes from TZ_REGISTRY_KEY or a key file and must be 32 bytes', () => {
  const f = openFixture();
  try {
    assert.is(RegistryKey.load({}, {}), null);
    assert.ok(RegistryKey.load({}, { TZ_REGISTRY_KEY: TEST_KEY_HEX }));
    assert.ok(RegistryKey.load({}, { TZ_REGISTRY_KEY: Buffer.alloc(32, 7).toString('base64') }));
    const file = join(f.dir, 'registry.key');
    writeFileSync(file, `${TEST_KEY_HEX}\n`);
    const fromFile = RegistryKey.load({ keyFile: file }, {})!;
    // Same key, either way: what one seals the other opens.
    const sealed = fromFile.seal('d', { activation: 'otaa', appKey: NWK });
    assert.equal(RegistryKey.parse(TEST_KEY_HEX, 'x').open('d', sealed), { activation: 'otaa', appKey: NWK });
    assert.throws(() => RegistryKey.load({}, { TZ_REGISTRY_KEY: 'abcd' }), /32 bytes/);
    assert.throws(() => RegistryKey.load({ keyFile: join(f.dir, 'missing') }, {}), /cannot read the registry key file/);
    // A store opened with another key cannot read the keys (and says so without echoing them).
    f.store.createDevice(abpDevice('wm-1'), 'alice');
    const other = new SqliteRegistryStore(f.path, { profiles, key: RegistryKey.parse('11'.repeat(32), 'x') });
    assert.throws(() => other.revealLoraKeys('wm-1'), /do not decrypt with this registry key/);
    other.close();
  } finally {
    f.close();
  }
});

test.run();

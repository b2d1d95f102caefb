import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTzError } from '../../service-kit/index.ts';
import { parse as parseYaml } from 'yaml';
import { CONFIG_TEMPLATE, loadEdgeAgentConfig, parseEdgeAgentConfig } from '../index.ts';

const dir = mkdtempSync(join(tmpdir(), 'tz-edge-config-'));
const write = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

const GOOD = `
gatewayId: gw-gulou-01
brokerUrl: mqtt://127.0.0.1:1883
username: gw-gulou-01
password: s3cret
dataDir: /var/lib/tianzhong/gw-gulou-01
devices:
  - { deviceId: mh-0001, profile: manhole-cover, district: gulou, modbus: { host: 10.0.0.5, port: 502, unitId: 1 } }
  - { deviceId: pole-0001, profile: smart-pole, district: gulou, modbus: { host: 10.0.0.5, port: 502, unitId: 2 }, pollIntervalMs: 60000 }
`;

/** Asserts a TZ_CONFIG_INVALID whose message names the source and matches `problem`. */
function rejects(raw: unknown, problem: RegExp): void {
  try {
    parseEdgeAgentConfig(raw, 'gw.yaml');
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_CONFIG_INVALID'), String(err));
    assert.match((err as Error).message, /gw\.yaml/);
    assert.match((err as Error).message, problem);
    return;
  }
  assert.unreachable(`expected ${problem} to be rejected`);
}

const base = () => ({
  gatewayId: 'gw-1', brokerUrl: 'mqtt://127.0.0.1:1883', username: 'gw-1', password: 'pw', dataDir: '/tmp/gw-1',
  devices: [{ deviceId: 'mh-0001', profile: 'manhole-cover', district: 'gulou', modbus: { host: '127.0.0.1', port: 502, unitId: 1 } }],
});

test('a good file loads with the documented defaults', () => {
  const config = loadEdgeAgentConfig(write('good.yaml', GOOD));
  assert.is(config.gatewayId, 'gw-gulou-01');
  assert.is(config.devices.length, 2);
  assert.is(config.devices[1]!.pollIntervalMs, 60000);
  assert.is(config.pollIntervalMs, 5000);
  assert.is(config.requestTimeoutMs, 1000);
  assert.is(config.offlineAfterFailures, 3);
  assert.equal(config.batch, { maxReadings: 500, maxDelayMs: 1000 });
  assert.equal(config.queue, { maxBytes: 256 * 1024 * 1024, maxInFlight: 16, replayReadingsPerSecond: 5000 });
  assert.is(config.sendMetricNames, false, 'compact metric index by default');
  assert.equal(config.report, { deadbands: {}, maxIntervalS: 300 });
  assert.equal(config.http, { host: '127.0.0.1', port: 0 });
});

test('partial nested sections keep their other defaults', () => {
  const config = parseEdgeAgentConfig({ ...base(), batch: { maxReadings: 50 } }, 'inline');
  assert.equal(config.batch, { maxReadings: 50, maxDelayMs: 1000 });
});

test('errors name the source, the path and the problem', () => {
  const b = base();
  rejects({ ...b, devices: [{ ...b.devices[0]!, modbus: { host: 'h', port: 70000, unitId: 1 } }] }, /devices\.0\.modbus\.port/);
  rejects({ ...b, devices: [b.devices[0], b.devices[0]] }, /devices\.1\.deviceId: duplicate device id "mh-0001"/);
  rejects({ ...b, gatewayId: 'gw/+/x' }, /gatewayId: .*wildcards/);
  rejects({ ...b, brokerUrl: 'http://x' }, /brokerUrl/);
  rejects({ ...b, password: undefined }, /password/);
  rejects({ ...b, pollIntervalMs: 'soon' }, /pollIntervalMs/);
  rejects({ ...b, polIntervalMs: 1000 }, /polIntervalMs/);
  rejects({ ...b, dataDir: undefined }, /dataDir/);
  const lora = { devAddr: '26011bda', nwkSKey: '00'.repeat(16), appSKey: '11'.repeat(16) };
  rejects({ ...b, devices: [{ ...b.devices[0]!, lora }] }, /devices\.0: a device needs exactly one of `modbus`, `lora`/);
  rejects({ ...b, devices: [{ deviceId: 'x', profile: 'water-meter', district: 'd', lora: { ...lora, nwkSKey: 'abc' } }] }, /devices\.0\.lora\.nwkSKey: 16 bytes/);
  rejects({ ...b, devices: [{ deviceId: 'a', profile: 'water-meter', district: 'd', lora }, { deviceId: 'b', profile: 'water-meter', district: 'd', lora }] }, /devices\.1\.lora\.devAddr: duplicate devAddr/);
  rejects({ ...b, devices: [{ ...b.devices[0]!, modbus: { line: 'rs485-9', unitId: 1 } }] }, /devices\.0\.modbus\.line: unknown serial line "rs485-9"/);
  // Field protocols (issue 19): address format, endpoint, one protocol per line, unique addresses.
  const meter = (field: object, id = 'wm') => ({ deviceId: id, profile: 'water-meter', district: 'd', field });
  rejects({ ...b, devices: [meter({ transport: 'cjt188', address: '123', host: 'h', port: 1 })] }, /devices\.0\.field\.address: 14 digits/);
  rejects({ ...b, devices: [meter({ transport: 'cjt188', address: '78330011223344' })] }, /devices\.0\.field: a polled meter needs exactly one of `line` or `host` \+ `port`/);
  rejects({ ...b, devices: [meter({ transport: 'cjt188', address: '78330011223344', host: 'h', port: 1 }, 'a'), meter({ transport: 'cjt188', address: '78330011223344', host: 'h', port: 1 }, 'b')] }, /devices\.1\.field: duplicate cjt188 address/);
  rejects({ ...b, serialLines: [{ name: 'l1', path: '/dev/x' }], devices: [{ ...b.devices[0]!, modbus: { line: 'l1', unitId: 1 } }, meter({ transport: 'cjt188', address: '78330011223344', line: 'l1' })] }, /devices\.1\.field\.line: serial line "l1" is already used by modbus/);
  rejects({ ...b, devices: [meter({ transport: 'hj212', mn: 'bad mn!' })] }, /devices\.0\.field\.mn/);
  rejects({ ...b, devices: [meter({ transport: 'mbus', address: '1' })] }, /devices\.0\.field\.transport/);
});

test('a missing file and broken YAML are TZ_CONFIG_INVALID naming the file', () => {
  const missing = join(dir, 'nope.yaml');
  assert.throws(() => loadEdgeAgentConfig(missing), (err: unknown) => isTzError(err, 'TZ_CONFIG_INVALID') && (err as Error).message.includes(missing));
  const broken = write('broken.yaml', 'gatewayId: [unclosed\n');
  assert.throws(() => loadEdgeAgentConfig(broken), (err: unknown) => isTzError(err, 'TZ_CONFIG_INVALID') && /broken\.yaml: not valid YAML/.test((err as Error).message));
});

test('the config template parses with the schema (with a password) and shows every transport', () => {
  const config = parseEdgeAgentConfig({ ...(parseYaml(CONFIG_TEMPLATE) as object), password: 'x' }, 'template');
  assert.equal(config.devices.map((d) => (d.field ? d.field.transport : d.lora ? ('devEui' in d.lora ? 'lora-otaa' : 'lora') : d.modbus && 'line' in d.modbus ? 'rtu' : 'tcp')), ['tcp', 'rtu', 'lora', 'cjt188', 'dlt645', 'hj212', 'lora-otaa']);
  assert.is(config.serialLines[0]!.baudRate, 9600);
});

test('LoRa devices are ABP or OTAA, never a mix; a DevEUI appears once; class defaults to A', () => {
  const base = parseYaml(CONFIG_TEMPLATE) as { devices: Array<Record<string, unknown>> };
  const otaa = { devEui: '0004A30B001C0531', joinEui: '70B3D57ED0000001', appKey: '2B7E151628AED2A6ABF7158809CF4F3C' };
  const ok = parseEdgeAgentConfig({ ...base, password: 'x', devices: [{ deviceId: 'a', profile: 'water-meter', district: 'd', lora: otaa }] }, 't');
  assert.is(ok.devices[0]!.lora!.class, 'A');
  assert.throws(() => parseEdgeAgentConfig({ ...base, password: 'x', devices: [{ deviceId: 'a', profile: 'water-meter', district: 'd', lora: { ...otaa, nwkSKey: '00'.repeat(16) } }] }, 't'), /lora/);
  assert.throws(() => parseEdgeAgentConfig({ ...base, password: 'x', devices: [
    { deviceId: 'a', profile: 'water-meter', district: 'd', lora: otaa },
    { deviceId: 'b', profile: 'water-meter', district: 'd', lora: otaa },
  ] }, 't'), /duplicate devEui/);
  assert.throws(() => parseEdgeAgentConfig({ ...base, password: 'x', devices: [{ deviceId: 'a', profile: 'water-meter', district: 'd', lora: { ...otaa, class: 'B' } }] }, 't'), /lora/);
});

test('the password may come from TZ_GATEWAY_PASSWORD when the file has none', () => {
  const file = write('nopw.yaml', GOOD.replace('password: s3cret\n', ''));
  assert.throws(() => loadEdgeAgentConfig(file), /password/);
  assert.is(loadEdgeAgentConfig(file, { TZ_GATEWAY_PASSWORD: 'from-env' }).password, 'from-env');
});


test('devices are optional: a bootstrap YAML without devices waits for the centre (issue 15)', () => {
  const { devices: _devices, ...bootstrap } = base();
  const config = parseEdgeAgentConfig(bootstrap, 'gw.yaml');
  assert.equal(config.devices, []);
  assert.is(config.remoteConfig, true);
});

test.run();

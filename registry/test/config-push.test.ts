import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { loadProfiles } from '../../device-profiles/index.ts';
import { decodeGatewayConfig, encodeGatewayStatus, gatewayConfigContentHash, topics } from '../../proto/index.ts';
import { ManualClock, createLogger, isTzError } from '../../service-kit/index.ts';
import { GatewayConfigPublisher, renderGatewayConfig, type ConfigDevice } from '../config-push/index.ts';

const profiles = loadProfiles();
const pole = (id: string, port = 1502, extra: Partial<ConfigDevice> = {}): ConfigDevice => ({ id, profile: 'smart-pole', district: 'yicheng', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port, unitId: 1 }, ...extra });
const meter: ConfigDevice = { id: 'wm-1', profile: 'water-meter', district: 'yicheng', transport: { kind: 'lorawan', devEui: '0011223344556677', devAddr: '26011BDA', nwkSKey: '11'.repeat(16), appSKey: '22'.repeat(16) } };

function setup() {
  const sent: Array<{ topic: string; payload: Buffer; retain: boolean }> = [];
  const registry = new Registry();
  const clock = new ManualClock(1_700_000_000_000);
  const publisher = new GatewayConfigPublisher({
    db: new Database(':memory:'), profiles, registry, clock, log: createLogger('test', 'silent'),
    channel: { publish: async (topic, payload, o) => void sent.push({ topic, payload, retain: o.retain }) },
    gatewayDevices: (id) => (id === 'gw-1' ? { gateway: { id }, devices: [pole('sp-1')] } : undefined),
  });
  return { sent, registry, clock, publisher };
}

test('render: same devices in any order → same content hash; the hash is what the gateway recomputes', () => {
  const a = renderGatewayConfig({ id: 'gw-1' }, [pole('sp-2'), pole('sp-1', 1502, { pollIntervalMs: 500, deadbands: { noise_db: 1 } }), meter], profiles);
  const b = renderGatewayConfig({ id: 'gw-1' }, [meter, pole('sp-1', 1502, { pollIntervalMs: 500, deadbands: { noise_db: 1 } }), pole('sp-2')], profiles);
  assert.equal(a.problems, []);
  assert.is(a.config.contentHash, b.config.contentHash);
  assert.equal(a.config.devices!.map((d) => d.deviceId), ['sp-1', 'sp-2', 'wm-1']);
  assert.is(a.config.devices![2]!.lora!.devAddr, '26011bda');
  assert.is(gatewayConfigContentHash(a.config), a.config.contentHash);
  const c = renderGatewayConfig({ id: 'gw-1' }, [pole('sp-2'), pole('sp-1', 1502, { pollIntervalMs: 600 }), meter], profiles);
  assert.is.not(c.config.contentHash, a.config.contentHash);
});

test('render: problems name the device and what is wrong', () => {
  const table: Array<[ConfigDevice[], RegExp]> = [
    [[pole('sp-1'), pole('sp-1')], /sp-1: listed twice/],
    [[{ ...pole('x'), profile: 'fire-hydrant-9' }], /unknown profile "fire-hydrant-9"/],
    [[{ ...meter, profile: 'smart-pole' }], /smart-pole has no LoRa codec/],
    [[pole('sp-1', 70000)], /port 1–65535/],
    [[pole('sp-1', 1502, { pollIntervalMs: 5 })], /pollIntervalMs/],
    [[pole('sp-1', 1502, { deadbands: { tilt_deg: 1 } })], /deadband for "tilt_deg"/],
    [[meter, { ...meter, id: 'wm-2' }], /DevAddr 26011bda already used/],
  ];
  for (const [devices, problem] of table) assert.match(renderGatewayConfig({ id: 'gw-1' }, devices, profiles).problems.join('\n'), problem);
});

test('publisher: pushes retained on change only, versions increase, tracks applied and refused from GatewayStatus', async () => {
  const { sent, publisher, registry, clock } = setup();
  const first = await publisher.push({ id: 'gw-7' }, [pole('sp-1')], 'initial');
  assert.equal([first.outcome, first.version], ['pushed', 1]);
  assert.is(sent[0]!.topic, topics.config('gw-7'));
  assert.ok(sent[0]!.retain);
  const wire = decodeGatewayConfig(sent[0]!.payload);
  assert.is(wire.version, 1);
  assert.is(wire.issuedAtMs, clock.now());
  assert.is(wire.reason, 'initial');
  assert.is((await publisher.push({ id: 'gw-7' }, [pole('sp-1')])).outcome, 'unchanged');
  assert.is(sent.length, 1);
  assert.is(publisher.state('gw-7')!.state, 'pending');

  const status = (applied: number, refused = 0, reason = '') => Buffer.from(encodeGatewayStatus({ gatewayId: 'gw-7', configVersion: applied, configRejectedVersion: refused, configRejectedReason: reason }));
  publisher.onMessage(topics.status('gw-7'), status(1));
  assert.is(publisher.state('gw-7')!.state, 'in-sync');
  const second = await publisher.push({ id: 'gw-7' }, [pole('sp-1'), pole('sp-2', 1503)]);
  assert.is(second.version, 2);
  assert.equal(publisher.list('pending').map((g) => g.gatewayId), ['gw-7']);
  publisher.onMessage(topics.status('gw-7'), status(1, 2, 'unknown serial line'));
  assert.equal([publisher.state('gw-7')!.state, publisher.state('gw-7')!.refusedReason], ['refused', 'unknown serial line']);
  publisher.onMessage(topics.status('gw-other'), status(1)); // a status naming another gateway than its topic is ignored
  publisher.onMessage(topics.batch('gw-7'), status(2));
  assert.is(publisher.state('gw-7')!.state, 'refused');
  const metrics = await registry.metrics();
  assert.match(metrics, /tz_config_pushes_total\{outcome="pushed"\} 2/);
  assert.match(metrics, /tz_config_pushes_total\{outcome="unchanged"\} 1/);
  assert.match(metrics, /tz_config_reports_total\{outcome="applied"\} 1/);
  assert.match(metrics, /tz_config_reports_total\{outcome="refused"\} 1/);
  assert.match(metrics, /tz_config_gateways\{state="refused"\} 1/);
});

test('publisher: an invalid list or a failed publish pushes nothing and burns no version', async () => {
  const { publisher, sent } = setup();
  try {
    await publisher.push({ id: 'gw-1' }, [pole('sp-1'), pole('sp-1')]);
    assert.unreachable();
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_CONFIG_INVALID'));
  }
  assert.is(sent.length, 0);
  assert.is((await publisher.gatewayDevicesChanged('gw-1', 'device sp-1 added')).version, 1);
  try {
    await publisher.gatewayDevicesChanged('gw-404');
    assert.unreachable();
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_DEVICE_UNKNOWN'));
  }
});

test('render: DL/T 645 and CJ/T 188 meters go out as field meters; a wrong address or a class without the map is a problem', () => {
  const em: ConfigDevice = { id: 'em-1', profile: 'electricity-meter', district: 'yicheng', transport: { kind: 'dlt645', address: '202312345678', line: 'rs485-1', host: null, port: null } };
  const wm: ConfigDevice = { id: 'wm-9', profile: 'water-meter', district: 'yicheng', transport: { kind: 'cjt188', address: '12345678901234', line: null, host: '10.0.0.9', port: 4001 } };
  const ok = renderGatewayConfig({ id: 'gw-1' }, [em, wm], profiles);
  assert.equal(ok.problems, []);
  assert.equal(ok.config.devices!.map((d) => d.fieldMeter), [
    { protocol: 'dlt645', address: '202312345678', line: 'rs485-1', host: '', port: 0 },
    { protocol: 'cjt188', address: '12345678901234', line: '', host: '10.0.0.9', port: 4001 },
  ]);
  assert.match(renderGatewayConfig({ id: 'gw-1' }, [{ ...em, transport: { ...em.transport, address: '12345' } as ConfigDevice['transport'] }], profiles).problems.join('\n'), /em-1: dlt645 needs its printed address \(12 digits\)/);
  assert.match(renderGatewayConfig({ id: 'gw-1' }, [{ ...em, profile: 'smart-pole' }], profiles).problems.join('\n'), /smart-pole has no dlt645 map/);
});

test('publisher: a config over one MQTT packet is refused with its size, counted, nothing sent', async () => {
  const { publisher, sent, registry } = setup();
  const many = Array.from({ length: 40 }, (_, i) => pole(`sp-${i}`, 1502 + i));
  const small = new GatewayConfigPublisher({
    db: new Database(':memory:'), profiles, registry: new Registry(), clock: new ManualClock(1), log: createLogger('test', 'silent'), maxPayloadBytes: 1000,
    channel: { publish: async (topic, payload, o) => void sent.push({ topic, payload, retain: o.retain }) },
  });
  try {
    await small.push({ id: 'gw-big' }, many);
    assert.unreachable();
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_CONFIG_INVALID'));
    assert.match((err as Error).message, /config of 40 devices is \d+ bytes, over the 1000-byte limit/);
  }
  assert.is(sent.length, 0);
  assert.ok((await publisher.push({ id: 'gw-big' }, many)).outcome === 'pushed', 'the default limit takes 40 devices');
  void registry;
});

test.run();

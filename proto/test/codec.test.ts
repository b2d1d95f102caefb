import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeGatewayConfig, decodeGatewayStatus, decodeUplinkBatch, encodeGatewayConfig, encodeGatewayStatus, encodeUplinkBatch, metricValueOf, parseGatewayTopic, topics, tz } from '../index.ts';
import { isTzError } from '../../service-kit/index.ts';

test('UplinkBatch round-trips readings with every metric kind', () => {
  const bytes = encodeUplinkBatch({
    gatewayId: 'gw-01', batchSeq: 7, sentAtMs: 1_700_000_000_123,
    readings: [{ deviceId: 'mh-1', profile: 'manhole-cover', profileVersion: 1, timestampMs: 1_700_000_000_000, seq: 42, district: 'north',
      metrics: [{ name: 'tilt_deg', number: 3.5 }, { name: 'cover_open', flag: true }, { name: 'people', integer: 12 }] }],
    statuses: [{ deviceId: 'mh-2', state: tz.DeviceState.DEVICE_STATE_OFFLINE, error: tz.DeviceErrorCode.DEVICE_ERROR_TIMEOUT }],
  });
  const batch = decodeUplinkBatch(bytes);
  assert.is(batch.gatewayId, 'gw-01');
  assert.is(batch.batchSeq, 7);
  const reading = batch.readings[0]!;
  assert.is(reading.timestampMs, 1_700_000_000_000);
  assert.is(reading.seq, 42);
  assert.equal(reading.metrics!.map(metricValueOf), [3.5, true, 12]);
  assert.is(batch.statuses[0]!.state, tz.DeviceState.DEVICE_STATE_OFFLINE);
});

test('garbage bytes give TZ_PROTO_DECODE, not a crash', () => {
  try {
    decodeUplinkBatch(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_PROTO_DECODE'), String(err));
  }
});

test('a truncated message in a Node Buffer (as MQTT delivers it) is refused too', () => {
  for (const bytes of [Buffer.from([0x0a, 0xff, 0xff, 0x01]), Uint8Array.from([0x0a, 0xff, 0xff, 0x01])]) {
    try {
      decodeUplinkBatch(bytes);
      assert.unreachable('should have thrown');
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_PROTO_DECODE'), String(err));
    }
  }
});

test('topic parser accepts the tree and refuses the rest', () => {
  assert.equal(parseGatewayTopic(topics.batch('gw-01')), { gatewayId: 'gw-01', direction: 'up', kind: 'batch' });
  assert.equal(parseGatewayTopic(topics.command('gw-01')), { gatewayId: 'gw-01', direction: 'down', kind: 'cmd' });
  for (const bad of ['tz/v1/gw/+/up/batch', 'tz/v1/gw/gw-01/up/cmd', 'tz/v2/gw/a/up/batch', 'tz/v1/gw/a/up/batch/x', '$SYS/x']) {
    assert.is(parseGatewayTopic(bad), null, bad);
  }
});


test('GatewayConfig round-trips devices of every transport; down/config parses', () => {
  const bytes = encodeGatewayConfig({
    gatewayId: 'gw-01', version: 7, contentHash: 'ab'.repeat(32), issuedAtMs: 1_700_000_000_000, pollIntervalMs: 2000, deadbands: { noise_db: 0.5 },
    devices: [
      { deviceId: 'sp-1', profile: 'smart-pole', district: 'yicheng', modbusTcp: { host: '127.0.0.1', port: 1502, unitId: 1 }, pollIntervalMs: 500, deadbands: { voltage_v: 1 } },
      { deviceId: 'mh-1', profile: 'manhole-cover', district: 'yicheng', modbusRtu: { line: 'rs485-1', unitId: 3 } },
      { deviceId: 'wm-1', profile: 'water-meter', district: 'yicheng', lora: { devEui: '00'.repeat(8), devAddr: '26011bda', nwkSKey: '11'.repeat(16), appSKey: '22'.repeat(16) } },
    ],
  });
  const config = decodeGatewayConfig(bytes);
  assert.is(config.version, 7);
  assert.is(config.devices[0]!.modbusTcp!.port, 1502);
  assert.is(config.devices[1]!.modbusRtu!.line, 'rs485-1');
  assert.is(config.devices[2]!.lora!.devAddr, '26011bda');
  assert.equal(config.devices[0]!.deadbands, { voltage_v: 1 });
  assert.equal(parseGatewayTopic(topics.config('gw-01')), { gatewayId: 'gw-01', direction: 'down', kind: 'config' });
  assert.is(decodeGatewayStatus(encodeGatewayStatus({ gatewayId: 'gw-01', configVersion: 7, configRejectedVersion: 8, configRejectedReason: 'no' })).configRejectedVersion, 8);
});

test.run();

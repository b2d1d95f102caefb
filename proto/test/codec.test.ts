import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeUplinkBatch, encodeUplinkBatch, metricValueOf, parseGatewayTopic, topics, tz } from '../index.ts';
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

test.run();

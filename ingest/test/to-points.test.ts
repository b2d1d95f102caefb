import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadProfiles } from '../../device-profiles/index.ts';
import { toPoint, validateStep, decodeStep } from '../index.ts';
import { encodeUplinkBatch, type IReading } from '../../proto/index.ts';

const profiles = loadProfiles();
const manhole = profiles.require('manhole-cover');

function reading(overrides: Partial<IReading> = {}): IReading {
  return {
    deviceId: 'mh-0007',
    profile: 'manhole-cover',
    profileVersion: 1,
    timestampMs: 1_700_000_000_123,
    seq: 42,
    district: 'xihu',
    metrics: [
      { name: 'cover_open', flag: true },
      { name: 'tilt_deg', number: 12.5 },
    ],
    ...overrides,
  };
}

test('a reading becomes one line: measurement, tags, typed fields, seq, ms timestamp', () => {
  const line = toPoint({ reading: reading(), profile: manhole }, 'gw-01').toLineProtocol();
  assert.is(line, 'manhole_cover,device=mh-0007,district=xihu,gateway=gw-01,profile_version=1 cover_open=T,seq=42i,tilt_deg=12.5 1700000000123');
});

test('integer metrics become intField; a missing district is no tag at all', () => {
  const water = profiles.require('public-toilet');
  const counter = water.metrics.find((m) => m.type === 'integer');
  assert.ok(counter, 'public-toilet has an integer metric');
  const line = toPoint({ reading: reading({ profile: 'water-meter', district: '', metrics: [{ name: counter.name, integer: 1234 }] }), profile: water }, 'gw-01').toLineProtocol();
  assert.ok(line?.startsWith(`${water.measurement},device=mh-0007,gateway=gw-01,profile_version=1 `), line);
  assert.match(line ?? '', new RegExp(`${counter.name}=1234i`));
});

test('validation refuses a reading whole, with the problem as reason', () => {
  const cases: Array<[Partial<IReading>, string]> = [
    [{ profile: 'hydrant-x' }, 'unknown-profile'],
    [{ metrics: [{ name: 'tilt_deg', number: 91 }] }, 'above-max'],
    [{ metrics: [{ name: 'tilt_deg', number: -1 }] }, 'below-min'],
    [{ metrics: [{ name: 'no_such', number: 1 }] }, 'unknown-metric'],
    [{ metrics: [{ name: 'cover_open', number: 1 }] }, 'wrong-type'],
    [{ deviceId: 'bad/id' }, 'invalid-device-id'],
    [{ timestampMs: 0 }, 'invalid-timestamp'],
  ];
  for (const [overrides, reason] of cases) {
    const result = validateStep([reading(), reading(overrides)], profiles);
    assert.is(result.accepted.length, 1, reason);
    assert.is(result.rejected[0]?.reason, reason);
  }
});

test('decode: malformed bytes and a gateway mismatch become whole-message dead letters', () => {
  const bad = decodeStep('tz/v1/gw/gw-01/up/batch', Uint8Array.from([0x0a, 0xff, 0xff]));
  assert.is(bad.ok ? 'ok' : bad.letter.reason, 'malformed-protobuf');
  // A Node Buffer (what MQTT hands over) must be just as strict.
  const truncated = decodeStep('tz/v1/gw/gw-01/up/batch', Buffer.from([0x0a, 0xff, 0xff, 0x01]));
  assert.is(truncated.ok ? 'ok' : truncated.letter.reason, 'malformed-protobuf');
  const forged = decodeStep('tz/v1/gw/gw-01/up/batch', encodeUplinkBatch({ gatewayId: 'gw-02', readings: [reading()] }));
  assert.is(forged.ok ? 'ok' : forged.letter.reason, 'gateway-mismatch');
  const good = decodeStep('tz/v1/gw/gw-01/up/batch', encodeUplinkBatch({ gatewayId: 'gw-01', readings: [reading()] }));
  assert.ok(good.ok && good.batch.readings.length === 1);
});

test.run();

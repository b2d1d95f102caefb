// The pipeline steps without servers: decode, validate (index and name
// forms, clock window), toLine (the InfluxDB layout).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadProfiles, metricIndexOf } from '../../device-profiles/index.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { toLine, validateStep, decodeStep, DEFAULT_TIMESTAMP_WINDOW, type ValidationContext } from '../index.ts';
import { encodeUplinkBatch, type IReading } from '../../proto/index.ts';

const profiles = loadProfiles();
const manhole = profiles.require('manhole-cover');
const T = 1_700_000_000_123;
const clock = new ManualClock(T + 1_000);
const context: ValidationContext = { profiles, window: DEFAULT_TIMESTAMP_WINDOW, clock };

function reading(overrides: Partial<IReading> = {}): IReading {
  return {
    deviceId: 'mh-0007',
    profile: 'manhole-cover',
    profileVersion: 1,
    timestampMs: T,
    seq: 42,
    district: 'xihu',
    metrics: [
      { name: 'cover_open', flag: true },
      { name: 'tilt_deg', number: 12.5 },
    ],
    ...overrides,
  };
}

function line(r: IReading, gateway = 'gw-01'): string {
  const { accepted, rejected } = validateStep([r], context);
  assert.is(rejected.length, 0, JSON.stringify(rejected));
  return toLine(accepted[0]!, gateway);
}

test('a reading becomes one line: measurement, sorted tags, typed fields, seq, ms timestamp', () => {
  assert.is(line(reading()), 'manhole_cover,device=mh-0007,district=xihu,gateway=gw-01,profile_version=1 cover_open=t,tilt_deg=12.5,seq=42i 1700000000123');
});

test('the compact index form gives the same line as the name form', () => {
  const byIndex = reading({ metrics: [{ index: metricIndexOf(manhole, 'cover_open'), flag: true }, { index: metricIndexOf(manhole, 'tilt_deg'), number: 12.5 }] });
  assert.is(line(byIndex), line(reading()));
});

test('integer metrics get the i suffix; a missing district is no tag; districts with spaces are escaped', () => {
  const toilet = profiles.require('public-toilet');
  assert.is(
    line(reading({ profile: 'public-toilet', deviceId: 'wc-1', district: '', metrics: [{ name: 'people_count', integer: 1234 }] })),
    `${toilet.measurement},device=wc-1,gateway=gw-01,profile_version=1 people_count=1234i,seq=42i 1700000000123`,
  );
  assert.match(line(reading({ district: 'west lake,old' })), /,district=west\\ lake\\,old,/);
});

test('validation refuses a reading whole, with the problem as reason', () => {
  const cases: Array<[Partial<IReading>, string]> = [
    [{ profile: 'hydrant-x' }, 'unknown-profile'],
    [{ profileVersion: 7 }, 'unknown-profile-version'],
    [{ metrics: [{ name: 'tilt_deg', number: 91 }] }, 'above-max'],
    [{ metrics: [{ name: 'tilt_deg', number: -1 }] }, 'below-min'],
    [{ metrics: [{ name: 'no_such', number: 1 }] }, 'unknown-metric'],
    [{ metrics: [{ index: 99, number: 1 }] }, 'unknown-metric'],
    [{ metrics: [{ name: 'cover_open', number: 1 }] }, 'wrong-type'],
    [{ metrics: [{ name: 'tilt_deg', number: 1 }, { index: metricIndexOf(manhole, 'tilt_deg'), number: 2 }] }, 'duplicate-metric'],
    [{ metrics: [{ name: 'tilt_deg', number: Number.NaN }] }, 'not-finite'],
    [{ deviceId: 'bad/id' }, 'invalid-device-id'],
    [{ timestampMs: 0 }, 'invalid-timestamp'],
    [{ timestampMs: T + DEFAULT_TIMESTAMP_WINDOW.futureMs + 60_000 }, 'timestamp-out-of-range'],
    [{ timestampMs: T - DEFAULT_TIMESTAMP_WINDOW.pastMs - 60_000 }, 'timestamp-out-of-range'],
  ];
  for (const [overrides, reason] of cases) {
    const result = validateStep([reading(), reading(overrides)], context);
    assert.is(result.accepted.length, 1, reason);
    assert.is(result.rejected[0]?.reason, reason);
    assert.ok(result.rejected[0]?.detail.includes('mh-0007') || reason === 'invalid-device-id', result.rejected[0]?.detail);
  }
});

test('the clock window follows the injected clock and its configuration', () => {
  const ahead = reading({ timestampMs: T + 10 * 60_000 });
  assert.is(validateStep([ahead], context).rejected[0]?.reason, 'timestamp-out-of-range');
  assert.is(validateStep([ahead], { ...context, window: { futureMs: 3_600_000, pastMs: 1000 } }).accepted.length, 1);
  const later = new ManualClock(T + 10 * 60_000);
  assert.is(validateStep([ahead], { ...context, clock: later }).accepted.length, 1);
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

// The device registry as the ingest parser feeds it (one call per message,
// the registry's record kept as the parser's per-device handle): last seen
// only moves forward, battery and district follow the newest reading, a
// device moving gateway is followed, and what it learnt survives a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadProfiles } from '../../device-profiles/index.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { encodeUplinkBatch, type IReading } from '../../proto/index.ts';
import { DEFAULT_TIMESTAMP_WINDOW, DeviceRegistry } from '../index.ts';
import { UplinkParser } from '../steps/uplink-lines.ts';
import { tempDir } from '../../test/integration/helpers.ts';

const profiles = loadProfiles();
const cover = profiles.require('manhole-cover');
const T0 = Date.UTC(2026, 0, 1);
const clock = new ManualClock(T0 + 3_600_000);

function reading(deviceId: string, minutes: number, battery: number, district = 'west-lake'): IReading {
  const metrics = cover.metrics.map((m, i) => (m.type === 'boolean' ? { index: i + 1, flag: false } : { index: i + 1, number: m.name === 'battery_pct' ? battery : (m.min ?? 0) }));
  return { deviceId, profile: cover.class, profileVersion: cover.version, timestampMs: T0 + minutes * 60_000, seq: minutes, district, metrics };
}

function message(gateway: string, readings: IReading[]): [string, Uint8Array] {
  return [`tz/v1/gw/${gateway}/up/batch`, encodeUplinkBatch({ gatewayId: gateway, batchSeq: 1, sentAtMs: T0, readings })];
}

test('fast-path readings update the registry per message; last seen never moves back; persisted on flush', () => {
  const dir = tempDir('tz-registry-');
  try {
    const path = join(dir.path, 'registry.sqlite');
    const registry = new DeviceRegistry(path, profiles, clock);
    const parser = new UplinkParser({ profiles, window: DEFAULT_TIMESTAMP_WINDOW, clock }, {
      observe: (facts, gatewayId) => registry.observe(facts, gatewayId),
      observeAccepted: (accepted, gatewayId) => registry.observeReading(accepted, gatewayId),
    });
    const step = (gateway: string, readings: IReading[]) => {
      const result = parser.step(...message(gateway, readings));
      assert.ok(result.ok && result.lines.accepted === readings.length, JSON.stringify(result.ok ? result.lines.rejected : result.letter));
    };
    step('gw-a', [reading('mh-1', 10, 80), reading('mh-2', 10, 70)]);
    step('gw-a', [reading('mh-1', 20, 75, 'north'), reading('mh-1', 15, 99)]); // the same device twice; the older reading is late
    step('gw-b', [reading('mh-1', 30, 60)]); // moved to another gateway
    step('gw-b', [reading('mh-1', 25, 10)]); // a late replay: counted, last seen stays
    const one = registry.get('mh-1')!;
    assert.is(one.readings, 5);
    assert.is(one.lastSeenAt, new Date(T0 + 30 * 60_000).toISOString());
    assert.is(one.lastSeq, 30);
    assert.is(one.batteryPct, 60);
    assert.is(one.gatewayId, 'gw-b');
    assert.is(one.district, 'west-lake');
    assert.is(one.state, 'online');
    assert.is(registry.get('mh-2')!.readings, 1);
    registry.close();
    const reopened = new DeviceRegistry(path, profiles, clock);
    assert.equal(reopened.get('mh-1'), one);
    assert.is(reopened.size, 2);
    reopened.close();
  } finally {
    dir.remove();
  }
});

test.run();

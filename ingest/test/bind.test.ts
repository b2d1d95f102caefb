// Step 2b, the registry binding, on the fused fast path and the reference
// path: the same refusals, the binding asked once per device until its
// epoch moves, unknown devices noted once per reading, nothing refused when
// there is no binding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadProfiles } from '../../device-profiles/index.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { DEFAULT_TIMESTAMP_WINDOW, type ValidationContext } from '../index.ts';
import { UplinkParser } from '../steps/uplink-lines.ts';
import { bindStep, type BindProblem, type DeviceBinding } from '../steps/bind.ts';
import { encodeUplinkBatch, type IReading } from '../../proto/index.ts';

const profiles = loadProfiles();
const T = Date.parse('2026-03-01T08:00:00Z');
const clock = new ManualClock(T + 60_000);

/** An in-memory registry: device → gateway; counts how often it is asked. */
class MapBinding implements DeviceBinding {
  epoch = 1;
  asked = 0;
  noted: string[] = [];
  constructor(readonly devices: Map<string, string>) {}
  check(deviceId: string, gatewayId: string): BindProblem | null {
    this.asked += 1;
    const gw = this.devices.get(deviceId);
    if (gw === undefined) return { reason: 'unknown-device', detail: `device ${deviceId} is not registered` };
    return gw === gatewayId ? null : { reason: 'wrong-gateway', detail: `device ${deviceId} is registered to gateway ${gw}, not ${gatewayId}` };
  }
  noteUnregistered(gatewayId: string, deviceId: string, profile: string): void {
    this.noted.push(`${gatewayId}/${deviceId}/${profile}`);
  }
}

const reading = (deviceId: string, s: number): IReading => ({
  deviceId, profile: 'manhole-cover', profileVersion: 1, timestampMs: T + s * 1000, seq: s,
  metrics: [{ index: 1, flag: false }, { index: 2, number: 1.5 }],
});
const batch = (gw: string, readings: IReading[]) => encodeUplinkBatch({ gatewayId: gw, batchSeq: 1, sentAtMs: T, readings, statuses: [] });
const sink = { observe: () => undefined, observeAccepted: () => undefined };

test('fast path: registered devices pass, unknown and wrong-gateway are refused with the reference reasons; asked once per device', () => {
  const binding = new MapBinding(new Map([['mh-1', 'gw-a'], ['mh-2', 'gw-b']]));
  const context: ValidationContext = { profiles, window: DEFAULT_TIMESTAMP_WINDOW, clock, binding };
  const parser = new UplinkParser(context, sink);
  const step = (n: number) => parser.step('tz/v1/gw/gw-a/up/batch', batch('gw-a', [reading('mh-1', n), reading('mh-2', n), reading('mh-9', n)]));
  const first = step(1);
  assert.ok(first.ok);
  if (!first.ok) return;
  assert.is(first.lines.accepted, 1);
  assert.match(first.lines.body.toString(), /^manhole_cover,device=mh-1,gateway=gw-a/);
  assert.equal(first.lines.rejected.map((r) => `${r.reason}: ${r.detail}`), ['wrong-gateway: device mh-2 is registered to gateway gw-b, not gw-a', 'unknown-device: device mh-9 is not registered']);
  assert.equal(binding.noted, ['gw-a/mh-9/manhole-cover']);
  const askedAfterFirst = binding.asked;
  for (let i = 2; i < 50; i++) step(i);
  // The fast path asks no more (cached per device); each refused reading is asked once on the reference path, to say why.
  assert.is(binding.asked - askedAfterFirst, 48 * 2);
  // The registry moves mh-2 to gw-a: with a new epoch the cached answer is dropped.
  binding.devices.set('mh-2', 'gw-a');
  binding.epoch += 1;
  const after = step(60);
  assert.ok(after.ok && after.lines.accepted === 2 && after.lines.rejected.length === 1);
});

test('reference path (bindStep) gives the same answers; without a binding nothing is refused', () => {
  const binding = new MapBinding(new Map([['mh-1', 'gw-a']]));
  const parser = new UplinkParser({ profiles, window: DEFAULT_TIMESTAMP_WINDOW, clock }, sink);
  const free = parser.step('tz/v1/gw/gw-a/up/batch', batch('gw-a', [reading('mh-1', 1), reading('mh-9', 1)]));
  assert.ok(free.ok && free.lines.accepted === 2);
  const profile = profiles.require('manhole-cover');
  const result = bindStep({ accepted: [{ reading: reading('mh-1', 1), profile, specs: [] }, { reading: reading('mh-9', 1), profile, specs: [] }], rejected: [] }, 'gw-a', binding);
  assert.equal(result.accepted.map((a) => a.reading.deviceId), ['mh-1']);
  assert.equal(result.rejected.map((r) => r.reason), ['unknown-device']);
  assert.is(bindStep({ accepted: [], rejected: [] }, 'gw-a', undefined).accepted.length, 0);
});

test.run();

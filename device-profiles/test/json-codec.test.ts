import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUILTIN_PROFILE_DIR, JsonCodec, loadProfileCodec, loadProfileJsonCodec, loadProfiles } from '../index.ts';

const hydrant = loadProfiles().require('fire-hydrant');
const input = (payload: unknown) => ({ payload, topic: 'tz/v1/dev/hyd-1/up/json', recvTime: '2026-12-03T08:00:00.000Z' });

test('the fire hydrant JSON codec maps the vendor\'s fields to metrics, with device time and message id', async () => {
  const codec = await loadProfileJsonCodec(hydrant, BUILTIN_PROFILE_DIR);
  const r = codec.decodeJson(input({ ts: '2026-12-03T07:59:00Z', msgId: 'a1', pressure: 0.32, valve: 'open', auth: false, tamper: true, tilt: 2, fallen: false, flow: 18.5, drawn: 3.25, bat: 91 }));
  assert.equal(r.errors, []);
  assert.equal(r.data, { pressure_mpa: 0.32, tilt_deg: 2, flow_m3h: 18.5, water_drawn_m3: 3.25, battery_pct: 91, authorized: false, tampered: true, knocked_over: false, valve_open: true });
  assert.is(r.timeMs, Date.parse('2026-12-03T07:59:00Z'));
  assert.is(r.messageId, 'a1');
  codec.dispose();
});

test('bad input comes back as errors, never a throw', async () => {
  const codec = await loadProfileJsonCodec(hydrant, BUILTIN_PROFILE_DIR);
  const table: Array<[unknown, RegExp]> = [
    [[1, 2, 3], /JSON object/],
    ['text', /JSON object/],
    [{ pressure: 'high' }, /pressure must be a number/],
    [{ valve: 'ajar' }, /valve must be/],
    [{ pressure: 0.3, ts: 'yesterday' }, /time/],
  ];
  for (const [payload, error] of table) assert.match(codec.decodeJson(input(payload)).errors.join('; '), error, JSON.stringify(payload));
  codec.dispose();
});

test('a JSON codec runs in the sandbox with its time limit; a file without decodeJson does not load', async () => {
  const slow = await JsonCodec.load('function decodeJson(i) { for (;;) {} }', 'slow', { timeoutMs: 30 });
  const r = slow.decodeJson(input({}));
  assert.match(r.errors.join(), /timed out after 30 ms/);
  assert.is(slow.limitHits, 1);
  const escape = await JsonCodec.load('function decodeJson(i) { return { data: { x: typeof process + typeof require } } }', 'escape');
  assert.equal(escape.decodeJson(input({})).warnings, ['data.x: ignored (not a finite number or boolean)']);
  try {
    await JsonCodec.load('function decodeUplink(i) { return {} }', 'lora-only');
    assert.unreachable('loaded without decodeJson');
  } catch (err) {
    assert.match((err as Error).message, /decodeJson/);
  }
  slow.dispose();
  escape.dispose();
});

test('the fire hydrant LoRa codec decodes the 12-byte fPort 3 frame and refuses other lengths', async () => {
  const codec = await loadProfileCodec(hydrant, BUILTIN_PROFILE_DIR);
  const bytes = [0x01, 0x2c, 0b1001, 0x03, 0x20, 0x00, 0xfa, 0x00, 0x00, 0x30, 0x39, 180];
  const r = codec.decodeUplink({ bytes, fPort: 3 });
  assert.equal(r.errors, []);
  assert.equal(r.data, { pressure_mpa: 0.3, valve_open: true, authorized: false, tampered: false, knocked_over: true, tilt_deg: 80, flow_m3h: 25, water_drawn_m3: 12.345, battery_pct: 90 });
  assert.match(codec.decodeUplink({ bytes: bytes.slice(0, 11), fPort: 3 }).errors.join(), /expected 12 bytes/);
  assert.match(codec.decodeUplink({ bytes, fPort: 2 }).errors.join(), /unknown fPort/);
  codec.dispose();
});

test.run();

// The LoRa codec sandbox: the real water-meter codec, and hostile codecs that
// loop, eat memory, throw, reach for the process or return garbage.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUILTIN_PROFILE_DIR, LoraCodec, loadProfileCodec, loadProfiles } from '../index.ts';
import { isTzError } from '../../service-kit/index.ts';

const meter = loadProfiles().require('water-meter');

test('the water-meter codec decodes an uplink into profile metrics and encodes set_valve', async () => {
  const codec = await loadProfileCodec(meter, BUILTIN_PROFILE_DIR);
  // 123456 L, -1.5 m3/h, 321 kPa, valve open + reverse flow, 87.5 %
  const bytes = [0x00, 0x01, 0xe2, 0x40, 0xff, 0x6a, 0x01, 0x41, 0x03, 175];
  const r = codec.decodeUplink({ bytes, fPort: 2 });
  assert.equal(r.errors, []);
  assert.equal(r.data, { volume_m3: 123.456, flow_m3h: -1.5, pressure_mpa: 0.321, valve_open: true, reverse_flow: true, battery_pct: 87.5 });
  for (const name of Object.keys(r.data)) assert.ok(meter.metrics.some((m) => m.name === name), `${name} is a profile metric`);
  assert.match(codec.decodeUplink({ bytes: [1, 2], fPort: 2 }).errors[0]!, /expected 10 bytes/);
  assert.equal(codec.encodeDownlink({ data: { open: false } }), { bytes: [1, 0], fPort: 10, errors: [], warnings: [] });
  assert.match(codec.encodeDownlink({ data: { open: 3 } }).errors[0]!, /open: boolean/);
  codec.dispose();
});

test('a codec that never returns is stopped at the time limit and the sandbox keeps working', async () => {
  const codec = await LoraCodec.load(`function decodeUplink(i) { if (i.fPort === 9) { for (;;) {} } return { data: { n: i.bytes.length } }; }`, 'loop', { timeoutMs: 50 });
  const started = Date.now();
  const r = codec.decodeUplink({ bytes: [1], fPort: 9 });
  const took = Date.now() - started;
  assert.match(r.errors[0]!, /timed out after 50 ms/);
  assert.ok(took < 1000, `stopped in ${took} ms`);
  assert.is(codec.limitHits, 1);
  assert.equal(codec.decodeUplink({ bytes: [1, 2, 3], fPort: 1 }).data, { n: 3 }, 'rebuilt sandbox answers');
  codec.dispose();
});

test('a codec that allocates without bound hits the memory limit, not the process', async () => {
  const codec = await LoraCodec.load(`function decodeUplink() { var a = []; for (var i = 0; ; i++) a.push({ i: i, s: 'reading ' + i }); }`, 'hog', { memoryBytes: 2 * 1024 * 1024, timeoutMs: 2000 });
  const r = codec.decodeUplink({ bytes: [], fPort: 1 });
  assert.match(r.errors[0]!, /exceeded the memory limit of 2097152 bytes/);
  assert.ok(codec.limitHits >= 1);
  codec.dispose();
});

test('the sandbox has no process, require, fetch or timers', async () => {
  const codec = await LoraCodec.load(
    `function decodeUplink() { return { data: { process: typeof process === 'undefined', require: typeof require === 'undefined', fetch: typeof fetch === 'undefined', timers: typeof setTimeout === 'undefined', global: typeof globalThis.process === 'undefined' } }; }`,
    'probe',
  );
  assert.equal(codec.decodeUplink({ bytes: [], fPort: 1 }).data, { process: true, require: true, fetch: true, timers: true, global: true });
  codec.dispose();
});

test('throws, garbage and non-numeric values become errors and warnings, never exceptions', async () => {
  const throwing = await LoraCodec.load(`function decodeUplink() { throw new RangeError('bad battery byte'); }`, 'throws');
  assert.match(throwing.decodeUplink({ bytes: [], fPort: 1 }).errors[0]!, /RangeError: bad battery byte/);
  const garbage = await LoraCodec.load(`function decodeUplink() { return 42; }`, 'garbage');
  assert.match(garbage.decodeUplink({ bytes: [], fPort: 1 }).errors[0]!, /must return an object/);
  const mixed = await LoraCodec.load(`function decodeUplink() { return { data: { a: 1, b: 'x', c: true }, warnings: ['w'] }; }`, 'mixed');
  const r = mixed.decodeUplink({ bytes: [], fPort: 1 });
  assert.equal(r.data, { a: 1, c: true });
  assert.equal(r.errors, []);
  assert.ok(r.warnings.includes('w') && r.warnings.some((w) => /data\.b/.test(w)));
  for (const c of [throwing, garbage, mixed]) c.dispose();
});

test('a codec without decodeUplink, or one that does not parse, is TZ_CODEC_INVALID', async () => {
  for (const source of ['function decode() {}', 'function decodeUplink( {', 'for(;;){}']) {
    try {
      await LoraCodec.load(source, 'broken', { timeoutMs: 50 });
      assert.unreachable(`should reject ${source}`);
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_CODEC_INVALID'), String(err));
    }
  }
});

test.run();

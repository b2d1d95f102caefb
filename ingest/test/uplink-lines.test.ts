// The fused fast path (UplinkParser.step: wire bytes → line protocol bytes)
// against the reference steps (decodeStep → validateStep → toLine) it must
// equal: valid batches in both metric forms, every refusal reason, and
// thousands of randomly mutated batches (flipped bytes, truncations) — the
// same line bytes, same refusals with the same details, same whole-message
// dead letters. One parser serves all of them, so its caches (devices,
// districts, profiles by their wire bytes; the line slab) are exercised too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadProfiles } from '../../device-profiles/index.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { decodeStep, toLine, validateStep, DEFAULT_TIMESTAMP_WINDOW, type AcceptedReading, type ValidationContext } from '../index.ts';
import { readingAt, UplinkParser, type ReadingFacts, type UplinkLinesSink } from '../steps/uplink-lines.ts';
import { encodeUplinkBatch, tz, type IReading } from '../../proto/index.ts';
import { BASE_TIME, reading as benchReading } from '../bench/load.ts';

const profiles = loadProfiles();
const all = profiles.all();
const clock = new ManualClock(BASE_TIME + 3_600_000);
const context: ValidationContext = { profiles, window: DEFAULT_TIMESTAMP_WINDOW, clock };
const GATEWAY = 'gw-test-01';
const TOPIC = `tz/v1/gw/${GATEWAY}/up/batch`;

/** What the reference path makes of a message, in the fast path's terms. */
function reference(topic: string, payload: Uint8Array) {
  const decoded = decodeStep(topic, payload);
  if (!decoded.ok) return { letter: { reason: decoded.letter.reason, detail: decoded.letter.detail } };
  const { accepted, rejected } = validateStep(decoded.batch.readings, context);
  return {
    body: accepted.map((a) => toLine(a, decoded.gatewayId)).join('\n'),
    accepted: accepted.map((a) => a.reading),
    rejected: rejected.map((r) => `${r.reason}: ${r.detail}`),
    statuses: decoded.batch.statuses.length,
    received: decoded.batch.readings.length,
  };
}

// What the parser tells its sink, per message (reset by fast()).
let observed: string[] = [];
const sink: UplinkLinesSink = {
  observe: (f: ReadingFacts, gatewayId: string) => {
    for (let i = 0; i < f.count; i++) observed.push(`${f.deviceId[i]}@${gatewayId}/${f.district[i]}`);
  },
  observeAccepted: (a: AcceptedReading, gatewayId: string) => observed.push(`${a.reading.deviceId ?? ''}@${gatewayId}/${a.reading.district ?? ''}`),
};
const parser = new UplinkParser(context, sink);

function fast(topic: string, payload: Uint8Array, using = parser) {
  observed = [];
  const step = using.step(topic, payload);
  if (!step.ok) return { letter: { reason: step.letter.reason, detail: step.letter.detail }, observed };
  const l = step.lines;
  return {
    body: l.body,
    accepted: Array.from({ length: l.accepted }, (_, i) => readingAt(payload, l, i)),
    rejected: l.rejected.map((r) => `${r.reason}: ${r.detail}`),
    statuses: l.statuses.length,
    received: l.received,
    observed,
  };
}

function assertSame(topic: string, payload: Uint8Array, label: string): void {
  const want = reference(topic, payload);
  const got = fast(topic, payload);
  if ('letter' in want) {
    assert.equal(got.letter, want.letter, `${label}: whole-message letter`);
    assert.is(got.observed.length, 0, `${label}: nothing registered from a refused message`);
    return;
  }
  assert.ok(!('letter' in got) || got.letter === undefined, `${label}: fast path refused what the reference accepts: ${JSON.stringify(got.letter)}`);
  // Bytes, as they go to InfluxDB: the reference's string encoded as UTF-8 (a district of invalid UTF-8 included).
  assert.ok(Buffer.from(want.body, 'utf8').equals(got.body!), `${label}: lines\n${got.body?.toString()}\n${want.body}`);
  assert.equal(got.rejected, want.rejected, `${label}: refusals`);
  assert.is(got.statuses, want.statuses, `${label}: statuses`);
  assert.is(got.received, want.received, `${label}: readings received`);
  assert.equal(got.observed, want.accepted.map((r) => `${r.deviceId}@${topic.split('/')[3]}/${r.district ?? ''}`), `${label}: registry told of each accepted reading once, in order`);
  // The reading behind each line (what an influx-rejected dead letter keeps) is the reference's.
  assert.equal(got.accepted!.map((r) => tz.Reading.toObject(tz.Reading.fromObject(r))), want.accepted.map((r) => tz.Reading.toObject(tz.Reading.fromObject(r))), `${label}: readings behind the lines`);
}

function batch(readings: IReading[], gatewayId = GATEWAY): Uint8Array {
  return encodeUplinkBatch({ gatewayId, batchSeq: 7, sentAtMs: BASE_TIME, readings, statuses: [{ deviceId: 'mh-0001', profile: 'manhole-cover', timestampMs: BASE_TIME, state: 2 }] });
}

const valid = Array.from({ length: 40 }, (_, i) => benchReading(all, 3, 5, i));
const named = valid.map((r) => {
  const profile = profiles.require(r.profile!);
  return { ...r, metrics: r.metrics!.map((m) => ({ ...m, index: 0, name: profile.metrics[m.index! - 1]!.name })) };
});

test('valid batches, compact index and name forms: the very lines of toLine', () => {
  assertSame(TOPIC, batch(valid), 'index form');
  assertSame(TOPIC, batch(named), 'name form');
  const body = fast(TOPIC, batch(valid)).body!.toString('utf8');
  assert.is(body.split('\n').length, 40);
  assert.ok(body.startsWith(`${all[0]!.measurement},device=d3-0,district=district-3,gateway=gw-test-01,profile_version=1 `), body.slice(0, 120));
});

test('every refusal reason: same reason, same detail, the rest of the batch written', () => {
  const m = valid[0]!; // a manhole cover: cover_open (boolean), tilt_deg (number), …
  const bad: IReading[] = [
    { ...m, deviceId: 'no spaces allowed' },
    { ...m, deviceId: '' },
    { ...m, timestampMs: 0 },
    { ...m, timestampMs: BASE_TIME + 86_400_000 },
    { ...m, profile: 'teapot' },
    { ...m, profileVersion: 99 },
    { ...m, metrics: [{ index: 99, number: 1 }] },
    { ...m, metrics: [{ name: 'nope', number: 1 }] },
    { ...m, metrics: [{ index: 2, number: 1 }, { index: 2, number: 2 }] },
    { ...m, metrics: [{ index: 1, number: 1 }] },
    { ...m, metrics: [{ index: 2, flag: true }] },
    { ...m, metrics: [{ index: 2 }] },
    { ...m, metrics: [{ index: 2, number: Number.NaN }] },
    { ...m, metrics: [{ index: 2, number: 1e9 }] },
    { ...m, metrics: [{ index: 2, number: -1e9 }] },
    { ...valid[1]!, metrics: [{ index: 7, number: 1.5 }] }, // an integer metric that is not whole
    { ...m, district: 'west lake, north=1' }, // needs escaping, is valid
    { ...m, district: '西湖区' },
    // 64-bit varints: read inline up to 7 bytes, longer ones by protobufjs — same numbers either way.
    { ...m, seq: 2 ** 48 + 3 },
    { ...m, seq: 2 ** 60 },
    { ...valid[1]!, metrics: [{ index: 7, integer: -5 }] },
    { ...valid[1]!, metrics: [{ index: 7, integer: 2 ** 47 + 1 }] },
    { ...valid[1]!, metrics: [{ index: 7, integer: -(2 ** 52) }] },
  ];
  for (const [i, r] of bad.entries()) assertSame(TOPIC, batch([valid[2]!, r, valid[3]!]), `case ${i}`);
});

test('whole-message refusals: bad topic, gateway mismatch, malformed bytes', () => {
  assertSame('tz/v1/gw/gw-test-01/up/status', batch(valid), 'bad topic');
  assertSame(TOPIC, batch(valid, 'gw-other'), 'gateway mismatch');
  assertSame(TOPIC, Uint8Array.from([0x0a, 0x05, 0x61]), 'truncated');
  assertSame(TOPIC, Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'garbage');
});

test('3,000 randomly mutated batches: the fast path always agrees with the reference', () => {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const base = batch(valid.slice(0, 12).concat(named.slice(12, 16)));
  let refusedWhole = 0;
  for (let i = 0; i < 3000; i++) {
    let bytes = Uint8Array.from(base);
    const flips = 1 + Math.floor(random() * 3);
    for (let f = 0; f < flips; f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    if (random() < 0.2) bytes = bytes.slice(0, Math.floor(random() * bytes.length));
    if (!reference(TOPIC, bytes).body) refusedWhole += 1;
    assertSame(TOPIC, bytes, `mutation ${i}`);
  }
  assert.ok(refusedWhole > 100 && refusedWhole < 2900, `the mutations exercise both outcomes (${refusedWhole} refused whole)`);
});

test('a device moving district, gateway or profile version gets a new prefix; bodies already handed out never change', () => {
  const own = new UplinkParser(context, sink);
  const m = valid[0]!;
  const kept: Array<{ body: Buffer; copy: Buffer; want: string }> = [];
  const variants: Array<[string, IReading]> = [
    [GATEWAY, m],
    [GATEWAY, { ...m, district: 'district-9' }],
    ['gw-test-02', { ...m, district: 'district-9' }],
    ['gw-test-02', { ...m, district: '' }],
    ['gw-test-02', { ...m, profileVersion: 0 }],
    [GATEWAY, { ...m, district: 'west lake, north=1' }],
    [GATEWAY, m],
  ];
  // Enough messages to fill several 1 MiB slabs: each body must stay what it was when handed out.
  for (let round = 0; round < 120; round++) {
    for (const [gateway, r] of variants) {
      const topic = `tz/v1/gw/${gateway}/up/batch`;
      const payload = batch([r, ...valid.slice(1)], gateway);
      const want = reference(topic, payload);
      const got = fast(topic, payload, own);
      assert.ok(!('letter' in want) && got.body !== undefined);
      if (!('letter' in want)) assert.ok(Buffer.from(want.body, 'utf8').equals(got.body!), `round ${round} ${gateway}`);
      if (round % 10 === 0) kept.push({ body: got.body!, copy: Buffer.from(got.body!), want: 'letter' in want ? '' : want.body });
    }
  }
  for (const [i, k] of kept.entries()) assert.ok(k.body.equals(k.copy) && k.copy.equals(Buffer.from(k.want, 'utf8')), `kept body ${i} unchanged`);
});

test('two parsers share nothing: each has its own caches (no module-level state)', () => {
  const a = new UplinkParser(context, sink);
  const b = new UplinkParser({ ...context, window: { pastMs: 0, futureMs: 0 } }, sink);
  const payload = batch(valid.slice(0, 4));
  assert.is(fast(TOPIC, payload, a).body!.toString().split('\n').length, 4);
  // b's window refuses every reading (its clock window is empty): nothing of a's leaks into b.
  const refused = fast(TOPIC, payload, b);
  assert.is(refused.body!.length, 0);
  assert.is(refused.rejected!.length, 4);
});

test.run();

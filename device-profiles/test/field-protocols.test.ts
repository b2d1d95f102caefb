// The field-protocol codecs against frames written from the standards'
// examples. Checksums are summed here by hand from each standard's
// definition, not by the codec; every malformed frame is rejected with its
// reason code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isTzError } from '../../service-kit/index.ts';
import {
  BUILTIN_PROFILE_DIR, parseProfile,
  loadProfiles, decodeCjt188, encodeCjt188, cjt188ReadRequest, scanCjt188, cjt188Values, decodeDlt645, dlt645ReadRequest, encodeDlt645, scanDlt645, dlt645Value, dlt645ErrorText,
  decodeHj212, frameHj212, hj212Crc, hj212DataAck, hj212Values, scanHj212, hj212Time, readBcd, writeBcd, DLT645, type FieldRejectReason,
} from '../index.ts';

const profiles = loadProfiles();
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
/** CS: modulo-256 sum from the first 68h through DATA (CJ/T 188-2004 §5.4, DL/T 645-2007 §4.1.8). */
const cs = (bytes: Buffer): string => (bytes.reduce((s, b) => s + b, 0) % 256).toString(16).padStart(2, '0');

// --- CJ/T 188-2004 ---

// Read meter 78330011223344 (cold water, T = 10h): the standard's read example, DI 901F sent 1F 90.
const CJT_READ_BODY = '68 10 44 33 22 11 00 33 78 01 03 1F 90 00';
// The meter's reply: 556677.00 m3 now and at the settlement day, 2015-05-11 22:01:31, ST = 21 84.
const CJT_REPLY_BODY = '68 10 44 33 22 11 00 33 78 81 16 1F 90 00 00 77 66 55 2C 00 77 66 55 2C 31 01 22 11 05 15 20 21 84';

test('CJ/T 188: the read request is the standard example byte for byte (CS 80h)', () => {
  assert.is(cs(hex(CJT_READ_BODY)), '80');
  assert.equal(cjt188ReadRequest(0x10, '78330011223344', 0x901f, 0), hex(`FE FE ${CJT_READ_BODY} 80 16`));
});

test('CJ/T 188: the reply decodes to the meter, DI, volume, unit and valve state', () => {
  // Summed from the definition: 13h (a widely copied write-up of this example prints 08h, which its own bytes do not sum to).
  assert.is(cs(hex(CJT_REPLY_BODY)), '13');
  const d = decodeCjt188(hex(`FE FE FE FE ${CJT_REPLY_BODY} 13 16`));
  assert.ok(d.ok, JSON.stringify(d));
  if (!d.ok) return;
  assert.equal([d.frame.meterType, d.frame.address, d.frame.control, d.frame.di, d.frame.data.length], [0x10, '78330011223344', 0x81, 0x901f, 19]);
  const profile = profiles.require('water-meter');
  const v = cjt188Values(profile, profile.cjt188!.reads[0]!, d.frame.data);
  assert.ok(v.ok);
  if (v.ok) assert.equal([...v.values], [['volume_m3', 556677], ['valve_open', false]]); // ST bit 0 = 1: valve closed
  // Round trip: the codec writes the same reply.
  assert.equal(encodeCjt188(d.frame, 4), hex(`FE FE FE FE ${CJT_REPLY_BODY} 13 16`));
});

test('CJ/T 188: a value in litres (29h) is converted to the profile unit m3', () => {
  const profile = profiles.require('water-meter');
  const data = Buffer.alloc(19);
  writeBcd(1234.5, 4, 2).copy(data, 0);
  data[4] = 0x29;
  const v = cjt188Values(profile, profile.cjt188!.reads[0]!, data);
  assert.ok(v.ok && Math.abs((v.values.get('volume_m3') as number) - 1.2345) < 1e-9);
});

const cjtRejects: Array<[string, string, FieldRejectReason]> = [
  ['truncated', `FE ${CJT_REPLY_BODY}`, 'truncated'],
  ['wrong CS', `${CJT_REPLY_BODY} 09 16`, 'checksum'],
  ['no end 16h', `${CJT_REPLY_BODY} 13 17`, 'bad-end'],
  ['no start 68h', `69 ${CJT_REPLY_BODY.slice(3)} 13 16`, 'no-start'],
  ['unknown control 04h', `68 10 44 33 22 11 00 33 78 04 03 1F 90 00 ${cs(hex('68 10 44 33 22 11 00 33 78 04 03 1F 90 00'))} 16`, 'control'],
  ['bytes after the frame', `${CJT_REPLY_BODY} 13 16 00`, 'length'],
  ['L above the maximum', `68 10 44 33 22 11 00 33 78 81 FF ${'00'.repeat(255)} 00 16`, 'length'],
];
for (const [name, frame, reason] of cjtRejects) {
  test(`CJ/T 188 rejects: ${name} → ${reason}`, () => {
    const d = decodeCjt188(hex(frame));
    assert.is(d.ok ? 'accepted' : d.reason, reason);
  });
}

test('CJ/T 188: non-BCD value and a foreign unit are rejected with their reasons', () => {
  const profile = profiles.require('water-meter');
  const read = profile.cjt188!.reads[0]!;
  const bad = Buffer.alloc(19);
  bad[0] = 0x1a;
  bad[4] = 0x2c;
  const v1 = cjt188Values(profile, read, bad);
  assert.is(v1.ok ? 'ok' : v1.reason, 'bcd');
  const kwh = Buffer.alloc(19);
  kwh[4] = 0x05;
  const v2 = cjt188Values(profile, read, kwh);
  assert.is(v2.ok ? 'ok' : v2.reason, 'unit');
  const v3 = cjt188Values(profile, read, Buffer.alloc(3));
  assert.is(v3.ok ? 'ok' : v3.reason, 'length');
});

test('CJ/T 188: a byte stream with noise and two frames splits into the two frames', () => {
  const a = hex(`FE FE ${CJT_READ_BODY} 80 16`);
  const stream = Buffer.concat([hex('00 13'), a, hex(`FE FE FE FE ${CJT_REPLY_BODY} 13 16`)]);
  const found: string[] = [];
  let buf = stream;
  for (let guard = 0; guard < 10 && buf.length > 0; guard++) {
    const s = scanCjt188(buf);
    if (s.kind === 'need-more') break;
    if (s.kind === 'skip') {
      found.push(`skip:${s.reason}`);
      buf = buf.subarray(s.bytes);
      continue;
    }
    const d = decodeCjt188(buf.subarray(s.start, s.end));
    found.push(d.ok ? `ctrl:${d.frame.control.toString(16)}` : `bad:${d.reason}`);
    buf = buf.subarray(s.end);
  }
  assert.equal(found, ['skip:no-start', 'ctrl:1', 'ctrl:81']);
  assert.equal(scanCjt188(hex('FE FE 68 10 44 33')).kind, 'need-more');
});

// --- DL/T 645-2007 ---

test('DL/T 645: read combined active energy (DI 00000000) is 68 A 68 11 04 33 33 33 33 CS 16', () => {
  const body = '68 12 90 78 56 34 12 68 11 04 33 33 33 33';
  assert.equal(dlt645ReadRequest('123456789012', 0x00000000), hex(`FE FE FE FE ${body} ${cs(hex(body))} 16`));
});

// Replies written by hand: DI0 first, every DATA byte +33h, values BCD least significant byte first.
const dltReply = (diPlus33: string, valuePlus33: string): Buffer => {
  const data = `${diPlus33} ${valuePlus33}`;
  const body = `68 12 90 78 56 34 12 68 91 ${(hex(data).length).toString(16).padStart(2, '0')} ${data}`;
  return hex(`FE FE ${body} ${cs(hex(body))} 16`);
};
const meterProfile = profiles.require('electricity-meter');
const readOf = (metric: string) => meterProfile.dlt645!.reads.find((r) => r.metric === metric)!;
const dltCases: Array<[string, Buffer, string, number]> = [
  // 123456.78 kWh → 78 56 34 12 → +33h: AB 89 67 45
  ['energy XXXXXX.XX', dltReply('33 33 33 33', 'AB 89 67 45'), 'energy_kwh', 123456.78],
  // DI 02010100 → 00 01 01 02 → +33h: 33 34 34 35; 220.1 V → 01 22 → 34 55
  ['voltage XXX.X', dltReply('33 34 34 35', '34 55'), 'voltage_v', 220.1],
  // DI 02020100; -1.234 A → 34 12 80 (sign bit) → 67 45 B3
  ['signed current XXX.XXX', dltReply('33 34 35 35', '67 45 B3'), 'current_a', -1.234],
  // DI 02030000; 3.5 kW → XX.XXXX 035000 → 00 50 03 → 33 83 36
  ['power XX.XXXX', dltReply('33 33 36 35', '33 83 36'), 'power_kw', 3.5],
];
for (const [name, frame, metric, expected] of dltCases) {
  test(`DL/T 645: reply decodes (${name})`, () => {
    const d = decodeDlt645(frame);
    assert.ok(d.ok, JSON.stringify(d));
    if (!d.ok) return;
    assert.is(d.frame.address, '123456789012');
    assert.is(d.frame.control, DLT645.readReply);
    assert.is(d.frame.di, Number.parseInt(readOf(metric).di, 16));
    const v = dlt645Value(readOf(metric), d.frame.data);
    assert.ok(v.ok && Math.abs(v.value - expected) < 1e-9, JSON.stringify(v));
    assert.equal(encodeDlt645(d.frame, 2), frame);
  });
}

test('DL/T 645: the abnormal reply D1h carries ERR (02h: no requested data)', () => {
  const body = '68 12 90 78 56 34 12 68 D1 01 35';
  const d = decodeDlt645(hex(`${body} ${cs(hex(body))} 16`));
  assert.ok(d.ok && d.frame.control === 0xd1 && d.frame.data[0] === 0x02);
  assert.is(dlt645ErrorText(0x02), 'no requested data');
});

const energy = dltReply('33 33 33 33', 'AB 89 67 45');
const dltRejects: Array<[string, Buffer, FieldRejectReason]> = [
  ['truncated', energy.subarray(0, energy.length - 3), 'truncated'],
  ['wrong CS', Buffer.concat([energy.subarray(0, -2), hex('00 16')]), 'checksum'],
  ['no second 68h', Buffer.from(energy).fill(0x69, 9, 10), 'no-start'],
  ['no end 16h', Buffer.concat([energy.subarray(0, -1), hex('00')]), 'bad-end'],
];
for (const [name, frame, reason] of dltRejects) {
  test(`DL/T 645 rejects: ${name} → ${reason}`, () => {
    const d = decodeDlt645(frame);
    assert.is(d.ok ? 'accepted' : d.reason, reason);
  });
}

test('DL/T 645: non-BCD value is rejected; the stream scanner waits for a whole frame', () => {
  const v = dlt645Value(readOf('voltage_v'), hex('0A 22'));
  assert.is(v.ok ? 'ok' : v.reason, 'bcd');
  assert.is(scanDlt645(energy.subarray(0, 12)).kind, 'need-more');
  const s = scanDlt645(energy);
  assert.ok(s.kind === 'frame' && s.start === 2 && s.end === energy.length);
});

// --- HJ 212-2017 ---

test('HJ 212: the standard example packet has data length 0101 and CRC 1C80', () => {
  const segment = 'QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&';
  assert.is(hj212Crc(Buffer.from(segment)), 0x1c80);
  const packet = `##0101${segment}1C80\r\n`;
  assert.equal(frameHj212(segment).toString('latin1'), packet);
  const d = decodeHj212(Buffer.from(packet));
  assert.ok(d.ok && d.frame.cn === '1062' && d.frame.mn === '010000A8900016F000169DC0' && d.frame.flag === 5 && d.frame.cp.get('RtdInterval') === '30');
});

const station = profiles.require('environmental-station');
const RTD = 'QN=20260703101500123;ST=22;CN=2011;PW=123456;MN=ZMD0001;Flag=5;CP=&&DataTime=20260703101500;a34004-Rtd=35.2,a34004-Flag=N;a34002-Rtd=88.0,a34002-Flag=N;LA-Rtd=61.5,LA-Flag=N;a01007-Rtd=3.4,a01007-Flag=N;a01008-Rtd=270,a01008-Flag=D&&';

test('HJ 212: real-time data (CN 2011) become the profile metrics; a D (fault) value is left out; the ack is 9014', () => {
  const d = decodeHj212(frameHj212(RTD));
  assert.ok(d.ok);
  if (!d.ok) return;
  const v = hj212Values(station.hj212!, d.frame);
  assert.ok(v.ok);
  if (!v.ok) return;
  assert.equal([...v.result.values], [['pm25_ugm3', 35.2], ['pm10_ugm3', 88], ['noise_db', 61.5], ['wind_speed_ms', 3.4]]);
  assert.is(v.result.flagged, 1);
  assert.is(v.result.at, Date.UTC(2026, 6, 3, 2, 15, 0)); // 10:15 Beijing time
  const ack = hj212DataAck(d.frame).toString('latin1');
  assert.match(ack, /^##\d{4}QN=20260703101500123;ST=91;CN=9014;PW=123456;MN=ZMD0001;Flag=4;CP=&&&&[0-9A-F]{4}\r\n$/);
  assert.ok(decodeHj212(Buffer.from(ack)).ok);
});

const good = frameHj212(RTD);
const hjRejects: Array<[string, Buffer, FieldRejectReason]> = [
  ['wrong CRC', Buffer.concat([good.subarray(0, -6), Buffer.from('0000\r\n')]), 'crc'],
  ['truncated', good.subarray(0, good.length - 10), 'truncated'],
  ['no CR LF', Buffer.concat([good.subarray(0, -2), Buffer.from('\n\n')]), 'bad-end'],
  ['unknown version (Flag 9 = version 2)', frameHj212(RTD.replace('Flag=5', 'Flag=9')), 'version'],
  ['data length above 1024', Buffer.from(`##2000${'x'.repeat(10)}`), 'too-long'],
  ['length not digits', Buffer.from(`##01a0${RTD}`), 'syntax'],
  ['header item missing (MN)', frameHj212(RTD.replace('MN=ZMD0001;', '')), 'syntax'],
  ['bad QN', frameHj212(RTD.replace('QN=20260703101500123', 'QN=2026')), 'syntax'],
  ['no CP', frameHj212('ST=22;CN=2011;PW=1;MN=A;Flag=4'), 'syntax'],
  ['no ##', Buffer.from(`#0101${RTD}`), 'no-start'],
];
for (const [name, frame, reason] of hjRejects) {
  test(`HJ 212 rejects: ${name} → ${reason}`, () => {
    const d = decodeHj212(frame);
    assert.is(d.ok ? 'accepted' : d.reason, reason);
  });
}

test('HJ 212: a 2005-style packet without Flag is version 0 and asks for no answer', () => {
  const d = decodeHj212(frameHj212(RTD.replace('Flag=5;', '')));
  assert.ok(d.ok && d.frame.flag === 0);
});

test('HJ 212: a value that is not a number, a bad DataTime and an unmapped CN are rejected', () => {
  const parse = (seg: string) => {
    const d = decodeHj212(frameHj212(seg));
    if (!d.ok) throw new Error(d.detail);
    const v = hj212Values(station.hj212!, d.frame);
    return v.ok ? 'ok' : v.reason;
  };
  assert.is(parse(RTD.replace('a34004-Rtd=35.2', 'a34004-Rtd=3x')), 'syntax');
  assert.is(parse(RTD.replace('DataTime=20260703101500', 'DataTime=20261303101500')), 'syntax');
  assert.is(parse(RTD.replace('CN=2011', 'CN=2061')), 'control');
  assert.is(hj212Time('20260229120000'), null); // 2026 is not a leap year
});

test('HJ 212: the stream scanner skips noise, refuses over-long packets and finds whole packets', () => {
  assert.equal(scanHj212(Buffer.from('xx##0')), { kind: 'skip', bytes: 2, reason: 'no-start', detail: '2 byte(s) before ##' });
  assert.is(scanHj212(Buffer.from('##9999')).kind, 'skip');
  assert.is(scanHj212(good.subarray(0, 40)).kind, 'need-more');
  assert.equal(scanHj212(good), { kind: 'frame', start: 0, end: good.length });
});

// Profile sections: errors name the file, the path and the problem.
const profileErrors: Array<[string, string, (t: string) => string, RegExp]> = [
  ['hj212 unknown metric', 'environmental-station.yaml', (t) => t.replace('{ metric: noise_db, code: LA }', '{ metric: noise_dba, code: LA }'), /hj212\.pollutants\.2\.metric: unknown metric "noise_dba"/],
  ['hj212 code twice', 'environmental-station.yaml', (t) => t.replace('code: a34002', 'code: a34004'), /hj212\.pollutants\.1\.code: pollutant code a34004 is mapped twice/],
  ['dlt645 bad DI', 'electricity-meter.yaml', (t) => t.replace('di: "02010100"', 'di: "0201010"'), /dlt645\.reads\.1\.di: 8 hex digits/],
  ['dlt645 bad format', 'electricity-meter.yaml', (t) => t.replace('format: "XXX.X"', 'format: "999.9"'), /dlt645\.reads\.1\.format/],
  ['cjt188 boolean without bit', 'water-meter.yaml', (t) => t.replace('{ metric: valve_open, offset: 17, bit: 0, invert: true }', '{ metric: valve_open, offset: 17 }'), /cjt188\.reads\.0\.fields\.1: boolean metric "valve_open" needs a `bit`/],
];
for (const [name, file, mutate, expected] of profileErrors) {
  test(`profile section error: ${name}`, () => {
    try {
      parseProfile(mutate(readFileSync(join(BUILTIN_PROFILE_DIR, file), 'utf8')), `broken/${file}`);
      assert.unreachable('should have failed');
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_PROFILE_INVALID'), String(err));
      assert.match((err as Error).message, `broken/${file}`);
      assert.match((err as Error).message, expected);
    }
  });
}

test('BCD: signed and unsigned round trips', () => {
  for (const [v, len, dec, signed] of [[123456.78, 4, 2, false], [-12.345, 3, 3, true], [0, 2, 1, false], [79.9999, 3, 4, true]] as const) {
    assert.is(readBcd(writeBcd(v, len, dec, signed), 0, len, dec, signed), v);
  }
});

test.run();

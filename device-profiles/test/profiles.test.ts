import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCommand, commandParamsOf, loadProfiles, parseProfile, BUILTIN_PROFILE_DIR, decodeRegister, encodeRegister, planReads, decodeBlock, checkMetricValue, metricsByName, type RegisterSpec } from '../index.ts';
import { isTzError } from '../../service-kit/index.ts';

test('the built-in profiles load', () => {
  const catalogue = loadProfiles();
  const classes = catalogue.all().map((p) => p.class);
  for (const c of ['electricity-meter', 'environmental-station', 'fire-hydrant', 'manhole-cover', 'public-toilet', 'smart-pole', 'water-meter']) assert.ok(classes.includes(c), `built-in ${c}`);
  for (const p of catalogue.all()) {
    assert.ok(p.rules.length > 0, `${p.class} has default rules`);
    assert.ok(p.modbus || p.lora || p.json || p.cjt188 || p.dlt645 || p.hj212, `${p.class} has a way to be read`);
    if (p.modbus) assert.ok(p.modbus.registers.length > 0, `${p.class} has a register map`);
  }
});

const invalidCases: Array<[string, (text: string) => string, RegExp]> = [
  ['unknown metric in a register', (t) => t.replace('{ metric: tilt_deg, table: input', '{ metric: tilt_degs, table: input'), /modbus\.registers\.1\.metric: unknown metric "tilt_degs"/],
  ['bad op in a rule', (t) => t.replace('op: "==", value: true }\n    severity: critical', 'op: "=~", value: true }\n    severity: critical'), /rules\.0\.when/],
  ['overlapping registers', (t) => t.replace('{ metric: displacement_mm, table: input, address: 1', '{ metric: displacement_mm, table: input, address: 0'), /input address 0 is already used by tilt_deg/],
  ['a typo in a key', (t) => t.replace('reportIntervalSeconds', 'reportIntervalSecs'), /reportInterval/],
  ['broken YAML', (t) => t.replace('metrics:', 'metrics: [:'), /not valid YAML/],
];

for (const [name, mutate, expected] of invalidCases) {
  test(`invalid profile: ${name} names file, path and problem`, () => {
    const text = mutate(readFileSync(join(BUILTIN_PROFILE_DIR, 'manhole-cover.yaml'), 'utf8'));
    try {
      parseProfile(text, 'broken/manhole.yaml');
      assert.unreachable('should have failed');
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_PROFILE_INVALID'), String(err));
      assert.match((err as Error).message, 'broken/manhole.yaml');
      assert.match((err as Error).message, expected);
    }
  });
}

test('a folder with one bad file reports it and refuses to start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tz-profiles-'));
  writeFileSync(join(dir, 'ok.yaml'), readFileSync(join(BUILTIN_PROFILE_DIR, 'water-meter.yaml')));
  writeFileSync(join(dir, 'bad.yaml'), 'class: Bad Class\nversion: 0\n');
  try {
    loadProfiles(dir);
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /bad\.yaml: class/);
    assert.match((err as Error).message, /bad\.yaml: version/);
  }
});

const registerCases: Array<[Partial<RegisterSpec>, number | boolean, number[]]> = [
  [{ type: 'uint16', scale: 0.1 }, 12.3, [123]],
  [{ type: 'int16', scale: 0.1 }, -5.5, [0xffc9]],
  [{ type: 'uint32', wordOrder: 'big' }, 70000, [1, 4464]],
  [{ type: 'uint32', wordOrder: 'little' }, 70000, [4464, 1]],
  [{ type: 'int32', wordOrder: 'big' }, -2, [0xffff, 0xfffe]],
  [{ type: 'float32', wordOrder: 'big' }, 1.5, [0x3fc0, 0]],
  [{ type: 'uint16', scale: 0.5, offset: -10 }, 0, [20]],
];

test('register encode/decode per type, word order, scale and offset', () => {
  for (const [partial, value, words] of registerCases) {
    const spec = { metric: 'x', table: 'input', address: 0, wordOrder: 'big', scale: 1, offset: 0, ...partial } as RegisterSpec;
    assert.equal(encodeRegister(spec, value), words, JSON.stringify(partial));
    assert.ok(Math.abs((decodeRegister(spec, words) as number) - (value as number)) < 1e-9, JSON.stringify(partial));
  }
});

test('scaled integer registers arrive at the precision of their scale (876 × 0.1 is 87.6)', () => {
  const cases: Array<[Partial<RegisterSpec>, number[], number]> = [
    [{ type: 'uint16', scale: 0.1 }, [876], 87.6],
    [{ type: 'int16', scale: 0.1, offset: -40 }, [653], 25.3],
    [{ type: 'uint16', scale: 0.01 }, [1007], 10.07],
    [{ type: 'uint32', scale: 0.001, wordOrder: 'big' }, [0, 33], 0.033],
    [{ type: 'uint16', scale: 1e-7 }, [3], 3e-7],
  ];
  for (const [partial, words, expected] of cases) {
    const spec = { metric: 'x', table: 'input', address: 0, wordOrder: 'big', scale: 1, offset: 0, ...partial } as RegisterSpec;
    assert.is(decodeRegister(spec, words), expected, JSON.stringify(partial));
  }
});

test('neighbouring registers are merged into one read per table', () => {
  const pole = loadProfiles().require('smart-pole');
  const blocks = planReads(pole);
  assert.equal(blocks.map((b) => [b.table, b.start, b.count]), [['coil', 0, 1], ['holding', 0, 3], ['input', 0, 11]]);
  const input = blocks[2]!;
  const words = new Array<number>(11).fill(0);
  words[0] = 2305; // voltage 230.5 V
  words[10] = 1;
  const values = decodeBlock(input, words);
  assert.is(values.get('voltage_v'), 230.5);
  assert.is(values.get('ev_charger_state'), 1);
});

test('metric values are checked against the profile', () => {
  const cover = loadProfiles().require('manhole-cover');
  const m = metricsByName(cover);
  assert.is(checkMetricValue(m.get('tilt_deg'), 10), null);
  assert.is(checkMetricValue(m.get('tilt_deg'), 91), 'above-max');
  assert.is(checkMetricValue(m.get('tilt_deg'), true), 'wrong-type');
  assert.is(checkMetricValue(m.get('cover_open'), true), null);
  assert.is(checkMetricValue(m.get('nope'), 1), 'unknown-metric');
  assert.is(checkMetricValue(m.get('tilt_deg'), Number.NaN), 'not-finite');
});


test('smart pole loudspeaker: play_warning checks, the night-noise rule carries it, a rule naming a bad command is refused', () => {
  const pole = loadProfiles().require('smart-pole');
  const ok = checkCommand(pole, { name: 'play_warning', params: commandParamsOf(pole, 'play_warning', { message: 1, volume: 80 }) });
  assert.ok(ok.ok);
  const tooLoud = checkCommand(pole, { name: 'play_warning', params: commandParamsOf(pole, 'play_warning', { message: 1, volume: 120 }) });
  assert.equal(tooLoud, { ok: false, reason: 'param "volume" 120 is above 100' });
  const rule = pole.rules.find((r) => r.id === 'noise-night-warning')!;
  assert.equal(rule.command, { name: 'play_warning', params: { message: 1, volume: 80 } });
  const text = readFileSync(join(BUILTIN_PROFILE_DIR, 'smart-pole.yaml'), 'utf8').replace('params: { message: 1, volume: 80 }', 'params: { message: 11, volume: 80 }');
  try {
    parseProfile(text, 'smart-pole.yaml');
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /rules\.\d+\.command.*"message" 11 is above 8/);
  }
});

test.run();

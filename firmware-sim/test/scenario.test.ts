// Scenario files: the shipped ones load against the real profiles, broken
// ones fail with every problem named, and a timeline played on a simulated
// city does what it says, deterministically.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadProfiles } from '../../device-profiles/index.ts';
import { ManualClock, isTzError } from '../../service-kit/index.ts';
import { startSimulatedDistrict, builtinScenarios, loadScenario, parseScenario, checkExpectations, parseDuration, type SimulatedDistrict } from '../index.ts';

const profiles = loadProfiles();
const started: SimulatedDistrict[] = [];
test.after(async () => {
  await Promise.all(started.map((d) => d.stop()));
});

const VALID = `
name: tiny
title: Tiny
start: "2026-07-20T01:00"
duration: 2h
timeline:
  - { at: 10m, id: lifted, event: { name: cover-open, select: { class: manhole-cover, count: 2 } } }
  - { at: 1h, event: { name: cover-close, select: { from: lifted } } }
expect:
  alarms: [ { ruleId: cover-open, from: lifted } ]
`;

/** The scenario's problems as lines, or [] when it loads. */
function problems(text: string): string[] {
  try {
    parseScenario(text, 'bad.yaml', profiles);
    return [];
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_SCENARIO_INVALID'), String(err));
    return (err as Error).message.replace(/^TZ_SCENARIO_INVALID: /, '').split('\n');
  }
}

test('the shipped scenarios load against the built-in profiles', () => {
  assert.equal(builtinScenarios(), ['city-month', 'district-outage', 'night-leak', 'rainstorm', 'vandalism-spree']);
  for (const name of builtinScenarios()) {
    const s = loadScenario(name, profiles);
    assert.ok(s.timeline.length > 0 && s.expect.alarms.length > 0, name);
    for (let i = 1; i < s.timeline.length; i++) assert.ok(s.timeline[i]!.at >= s.timeline[i - 1]!.at, `${name} in time order`);
  }
  assert.throws(() => loadScenario('monsoon'), (err: unknown) => isTzError(err, 'TZ_SCENARIO_INVALID') && /rainstorm/.test((err as Error).message));
});

test('durations', () => {
  assert.is(parseDuration('90s'), 90);
  assert.is(parseDuration('1h30m'), 5400);
  assert.is(parseDuration('2d'), 172_800);
  assert.is(parseDuration(45), 45);
  assert.is(parseDuration('ten minutes'), undefined);
  assert.is(parseDuration(''), undefined);
});

const BAD: Array<[string, string, RegExp]> = [
  ['not YAML', 'name: [unclosed', /bad\.yaml: not valid YAML \(line \d+\)/],
  ['missing keys', 'name: x\ntitle: X', /bad\.yaml: start: [^\n]*\nbad\.yaml: duration: [^\n]*\nbad\.yaml: timeline: /],
  ['two actions in one entry', VALID.replace('- { at: 1h, event:', '- { at: 1h, rain: { mmPerHour: 5 }, event:'), /timeline\.1: each timeline entry has exactly one action .*found rain, event/],
  ['no action', VALID.replace("- { at: 1h, event: { name: cover-close, select: { from: lifted } } }", '- { at: 1h }'), /timeline\.1: each timeline entry has exactly one action .*found none/],
  ['bad duration', VALID.replace('duration: 2h', 'duration: two hours'), /duration: "two hours" is not a duration/],
  ['step after the end', VALID.replace('at: 1h,', 'at: 3h,'), /timeline\.1\.at: 10800s is after the end/],
  ['unknown event for the class', VALID.replace('name: cover-open', 'name: pipe-leak'), /timeline\.0\.event\.name: "pipe-leak" is not an event of manhole-cover \(have: .*cover-open/],
  ['unknown class', VALID.replace('class: manhole-cover', 'class: street-piano'), /no simulated class "street-piano"/],
  ['unknown rule', VALID.replace('ruleId: cover-open', 'ruleId: cover-stolen'), /expect\.alarms\.0\.ruleId: no profile has a rule "cover-stolen"/],
  ['expectation from an unknown step', VALID.replace('ruleId: cover-open, from: lifted', 'ruleId: cover-open, from: stolen'), /expect\.alarms\.0\.from: no timeline step with id "stolen"/],
  ['expectation without devices or counts', VALID.replace('ruleId: cover-open, from: lifted', 'ruleId: cover-open'), /say which devices .* or how many/],
  ['notFrom an unknown step', VALID.replace('select: { class: manhole-cover, count: 2 }', 'select: { class: manhole-cover, count: 2, notFrom: [ghost] }'), /timeline\.0\.select\.notFrom: no earlier timeline step with id "ghost"/],
  ['selection with two ways', VALID.replace('select: { from: lifted }', 'select: { from: lifted, class: manhole-cover }'), /select by exactly one of/],
  ['bad time zone', VALID.replace('duration: 2h', 'duration: 2h\ntimeZone: Mars/Olympus'), /unknown time zone "Mars\/Olympus"/],
  ['unknown key', VALID.replace('duration: 2h', 'duration: 2h\nsped: 10'), /Unrecognized key.*sped|sped/],
  ['corrupt without a kind', VALID.replace("event: { name: cover-close, select: { from: lifted } }", 'fault: { kind: corrupt, select: { from: lifted } }'), /timeline\.1\.fault\.corrupt: say how/],
];

for (const [what, text, expected] of BAD) {
  test(`a bad scenario is refused with a clear error: ${what}`, () => {
    const lines = problems(text);
    assert.ok(lines.length > 0, 'refused');
    assert.ok(lines.every((l) => l.startsWith('bad.yaml')), lines.join('\n'));
    assert.match(lines.join('\n'), expected);
  });
}

test('every problem of a file is listed at once', () => {
  const lines = problems(VALID.replace('ruleId: cover-open', 'ruleId: cover-stolen').replace('at: 1h,', 'at: 3h,'));
  assert.is(lines.length, 2, lines.join('\n'));
});

test('selections are resolved under the seed and must fit the city', async () => {
  const scenario = parseScenario(VALID, 'tiny.yaml', profiles);
  const make = async (seed: number, devices = 40) => {
    const d = await startSimulatedDistrict({ profiles, devices, seed, tickMs: 3_600_000, clock: new ManualClock(0) });
    started.push(d);
    return d;
  };
  const a = (await make(3)).runScenario(scenario);
  const b = (await make(3)).runScenario(scenario);
  assert.equal(a.expectations, b.expectations, 'same seed, same devices picked');
  assert.is(a.expectations.alarms[0]!.deviceIds!.length, 2);
  const small = await make(3, 4);
  assert.throws(() => small.runScenario(scenario), (err: unknown) => isTzError(err, 'TZ_SCENARIO_INVALID') && /needs 2 manhole-cover, the city has 1 \(run with more --devices/.test((err as Error).message));
  const elsewhere = parseScenario(VALID.replace('count: 2 }', 'count: 1, district: atlantis }'), 'x.yaml', profiles);
  assert.throws(() => small.runScenario(elsewhere), (err: unknown) => /no district "atlantis"/.test((err as Error).message));
});

test('the rainstorm timeline floods the blocked shafts, at its start time and speed, and clears them at the end', async () => {
  const clock = new ManualClock(0);
  const d = await startSimulatedDistrict({ profiles, devices: 40, seed: 8, tickMs: 3_600_000, clock, scenario: loadScenario('rainstorm', profiles) });
  started.push(d);
  const cityStart = d.cityTime();
  assert.is(cityStart.hour, 15, 'the city is at the scenario start (15:00 local)');
  assert.is(d.stats().speed, 360);
  const blocked = d.devices.filter((x) => x.profile === 'manhole-cover' && x.district === 'yicheng');
  clock.advance(10_000); // 10 wall s × 360 = 1 h
  d.catchUp();
  assert.is(d.scenario()!.applied, 4, 'drizzle, blocked, two storm cells');
  clock.advance(20_000); // 3 h in
  d.catchUp();
  const levels = blocked.map((x) => d.valueOf(x.deviceId, 'water_level_cm') as number);
  assert.ok(levels.filter((l) => l > 150).length >= 2, `yicheng shafts: ${levels.join(', ')}`);
  clock.advance(30_000); // 6 h: the end
  d.catchUp();
  assert.ok(d.scenario()!.finished && d.scenario()!.applied === 7);
});

test('night-leak picks its replayed frame from the LoRa meters; with no network attached the step is counted, not fatal', async () => {
  const clock = new ManualClock(0);
  const scenario = loadScenario('night-leak', profiles);
  const d = await startSimulatedDistrict({ profiles, devices: 40, seed: 8, tickMs: 3_600_000, clock, scenario });
  started.push(d);
  const lora = d.devices.filter((x) => x.transport === 'lora').map((x) => x.deviceId);
  assert.is(lora.length, 2, 'the scenario asks for two LoRa meters');
  assert.ok(lora.includes(d.scenarioRun()!.picked('replayed')[0]!));
  clock.advance(5 * 3600_000 / scenario.speed);
  d.catchUp();
  assert.is(d.stats().scenarioStepErrors, 2, 'replay and forged frame had no network to go to');
  assert.ok(d.scenario()!.applied >= 6);
  const noLora = await startSimulatedDistrict({ profiles, devices: 40, seed: 8, tickMs: 3_600_000, clock: new ManualClock(0), loraMeters: 0 });
  started.push(noLora);
  assert.throws(() => noLora.runScenario(scenario), (err: unknown) => /needs 1 water-meter \(lora\).*--lora-meters/.test((err as Error).message));
});

test('checkExpectations names what is missing, over and forbidden', () => {
  const expected = {
    alarms: [{ ruleId: 'cover-open', deviceIds: ['mh-0001', 'mh-0002'] }, { ruleId: 'pressure-low', district: 'gaoxin', min: 1 }],
    cases: [{ category: 'manhole-cover', min: 2 }, { district: 'gaoxin', max: 0 }],
    absentRules: ['lamp-failure'],
  };
  const districtOf = (id: string) => (id.startsWith('wm') ? 'gaoxin' : 'yicheng');
  const ok = checkExpectations(expected, {
    alarms: [{ ruleId: 'cover-open', deviceId: 'mh-0001' }, { ruleId: 'cover-open', deviceId: 'mh-0002' }, { ruleId: 'pressure-low', deviceId: 'wm-0003' }],
    cases: [{ deviceId: 'mh-0001', category: 'manhole-cover' }, { deviceId: 'mh-0002', category: 'manhole-cover' }],
  }, districtOf);
  assert.equal(ok, []);
  const bad = checkExpectations(expected, {
    alarms: [{ ruleId: 'cover-open', deviceId: 'mh-0001' }, { ruleId: 'lamp-failure', deviceId: 'pole-0002' }],
    cases: [{ deviceId: 'wm-0001', category: 'water-supply' }],
  }, districtOf);
  assert.equal(bad, [
    'no cover-open alarm for mh-0002',
    'devices with a pressure-low alarm in gaoxin: 0, expected at least 1',
    'manhole-cover cases: 0, expected at least 2',
    'all cases in gaoxin: 1, expected at most 0',
    'lamp-failure must not fire, but did for pole-0002',
  ]);
});

test.run();

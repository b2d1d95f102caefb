// Physics properties over simulated days, driven by a hand-moved clock (no
// sleeping): each class behaves like the street, and the city is a pure
// function of seed and simulated time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadProfiles } from '../../device-profiles/index.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { startSimulatedDistrict, cityTime, parseCityDateTime, sunHours, type SimulatedDistrict, type SimulatedDistrictOptions } from '../index.ts';

const profiles = loadProfiles();
const started: SimulatedDistrict[] = [];
const ZONE = 'Asia/Shanghai';
const at = (local: string): number => parseCityDateTime(local, ZONE);

async function city(start: string, extra: Partial<SimulatedDistrictOptions> = {}): Promise<{ d: SimulatedDistrict; clock: ManualClock; advance(minutes: number): void; first(profile: string): string }> {
  const clock = new ManualClock(0);
  const d = await startSimulatedDistrict({ profiles, devices: 40, seed: 21, tickMs: 3_600_000, clock, startTime: start, timeZone: ZONE, ...extra });
  started.push(d);
  return {
    d, clock,
    advance(minutes) {
      clock.advance(minutes * 60_000);
      d.catchUp();
    },
    first: (profile) => d.devices.find((x) => x.profile === profile)!.deviceId,
  };
}
const num = (d: SimulatedDistrict, id: string, m: string): number => d.valueOf(id, m) as number;

test.after(async () => {
  await Promise.all(started.map((d) => d.stop()));
});

test('city time is the configured zone, not the machine zone', () => {
  const t = cityTime(Date.UTC(2026, 6, 20, 12, 30), ZONE);
  assert.is(t.hour, 20.5, '12:30 UTC is 20:30 in Shanghai');
  assert.is(t.date, '2026-07-20');
  assert.is(cityTime(Date.UTC(2026, 6, 20, 16, 30), ZONE).date, '2026-07-21', 'past local midnight');
  assert.is(at('2026-07-20T20:30'), Date.UTC(2026, 6, 20, 12, 30));
  const summer = sunHours(cityTime(at('2026-06-21T12:00'), ZONE).dayOfYear);
  const winter = sunHours(cityTime(at('2026-12-21T12:00'), ZONE).dayOfYear);
  assert.ok(summer.sunset > 18.8 && winter.sunset < 17.6, `sunset ${summer.sunset} / ${winter.sunset}`);
});

test('lamps: on after dusk, off after dawn, in city time; noise follows day and night', async () => {
  const { d, advance } = await city('2026-07-20T12:00');
  const poles = d.devices.filter((x) => x.profile === 'smart-pole').map((x) => x.deviceId);
  const lit = () => poles.filter((p) => d.valueOf(p, 'lamp_on') === true).length;
  const noise = () => poles.reduce((s, p) => s + num(d, p, 'noise_db'), 0) / poles.length;
  advance(1);
  assert.is(lit(), 0, 'noon: all off');
  const dayNoise = noise();
  advance(7 * 60 + 30); // 19:31 — July sunset ≈ 19:05, lamps at +15 min
  assert.is(lit(), poles.length, 'after dusk: all on');
  for (const p of poles) assert.ok(num(d, p, 'current_a') > 0.3, 'a lit lamp draws current');
  advance(7 * 60 + 30); // 03:01
  assert.is(lit(), poles.length);
  assert.ok(noise() < dayNoise - 10, `night ${noise()} dBA vs day ${dayNoise}`);
  advance(3 * 60); // 06:01 — sunrise ≈ 05:25
  assert.is(lit(), 0, 'after dawn: all off');
});

test('a failed lamp stays switched on but its current drops below the alarm threshold; a power cut reads 0 V', async () => {
  const { d, advance, first } = await city('2026-07-20T21:00');
  const pole = first('smart-pole');
  d.deviceEvent(pole, 'lamp-fail');
  advance(1);
  assert.is(d.valueOf(pole, 'lamp_on'), true);
  assert.ok(num(d, pole, 'current_a') < 0.05);
  const district = d.devices.find((x) => x.deviceId === pole)!.district;
  d.setPower(district, false);
  advance(1);
  assert.is(num(d, pole, 'voltage_v'), 0);
  assert.is(d.valueOf(pole, 'lamp_on'), false, 'no power, no lamp: not a lamp failure');
});

test('water meters: volume never decreases, demand peaks in the morning, a leak keeps night flow up, reverse flow', async () => {
  const { d, advance } = await city('2026-09-10T00:00');
  const meters = d.devices.filter((x) => x.profile === 'water-meter').map((x) => x.deviceId);
  const leaky = meters[0]!;
  d.deviceEvent(leaky, 'pipe-leak', { m3h: 0.3 });
  const last = new Map(meters.map((m) => [m, num(d, m, 'volume_m3')]));
  const flowAt = new Map<number, number>();
  let leakyNightMin = Infinity;
  for (let minute = 0; minute < 24 * 60; minute += 10) {
    advance(10);
    const hour = Math.floor(minute / 60);
    for (const m of meters) {
      const v = num(d, m, 'volume_m3');
      assert.ok(v >= last.get(m)!, `${m} volume never decreases`);
      last.set(m, v);
      if (m !== leaky) flowAt.set(hour, (flowAt.get(hour) ?? 0) + num(d, m, 'flow_m3h'));
    }
    if (hour >= 1 && hour < 5) leakyNightMin = Math.min(leakyNightMin, num(d, leaky, 'flow_m3h'));
  }
  assert.ok(flowAt.get(7)! > 3 * flowAt.get(3)!, `morning ${flowAt.get(7)} vs 3 am ${flowAt.get(3)}`);
  assert.ok(leakyNightMin >= 0.29, 'a leaking meter never sees zero flow at night');
  const wm = meters[1]!;
  d.deviceEvent(wm, 'reverse-flow', { m3h: 0.4 });
  const v0 = num(d, wm, 'volume_m3');
  advance(30);
  assert.is(d.valueOf(wm, 'reverse_flow'), true);
  assert.ok(num(d, wm, 'flow_m3h') < 0);
  assert.is(num(d, wm, 'volume_m3'), v0, 'reverse flow does not count down the register');
  d.deviceEvent(wm, 'battery-low');
  assert.ok(num(d, wm, 'battery_pct') < 10);
});

test('manhole covers: rain raises the water, summer heat and sediment build gas, a hit spikes the tilt and rings down', async () => {
  const { d, advance } = await city('2026-07-25T13:00');
  const covers = d.devices.filter((x) => x.profile === 'manhole-cover').map((x) => x.deviceId);
  const c = covers[0]!;
  const dry = covers.map((x) => num(d, x, 'water_level_cm'));
  d.weather(undefined, { rainMmH: 60 });
  advance(60);
  const wet = covers.map((x) => num(d, x, 'water_level_cm'));
  assert.ok(wet.every((w, i) => w > dry[i]! + 10), 'every shaft rises in the rain');
  d.weather(undefined, { rainMmH: 0 });
  advance(4 * 60);
  assert.ok(covers.every((x, i) => num(d, x, 'water_level_cm') < wet[i]!), 'and drains after it');
  const gasBefore = num(d, c, 'ch4_pct_lel');
  d.weather(undefined, { heatOffsetC: 8 });
  d.deviceEvent(c, 'sediment');
  advance(12 * 60);
  assert.ok(num(d, c, 'temperature_c') > 25, `shaft temperature ${num(d, c, 'temperature_c')}`);
  assert.ok(num(d, c, 'ch4_pct_lel') >= 10 && num(d, c, 'ch4_pct_lel') > gasBefore, `CH4 ${gasBefore} → ${num(d, c, 'ch4_pct_lel')}`);
  d.deviceEvent(c, 'cover-hit', { tiltDeg: 30, shiftMm: 0 });
  assert.ok(num(d, c, 'tilt_deg') > 15, 'the hit spikes the tilt');
  advance(15);
  assert.ok(num(d, c, 'tilt_deg') < 5, `and it rings down: ${num(d, c, 'tilt_deg')}`);
});

test('batteries drain over the weeks, faster in the cold', async () => {
  const { d, advance } = await city('2026-01-05T00:00', { stepSeconds: 600 });
  const ids = d.devices.filter((x) => x.profile === 'manhole-cover' || x.profile === 'water-meter').map((x) => x.deviceId);
  const before = ids.map((id) => num(d, id, 'battery_pct'));
  advance(30 * 24 * 60);
  ids.forEach((id, i) => assert.ok(num(d, id, 'battery_pct') < before[i]! - 0.2, `${id}: ${before[i]} → ${num(d, id, 'battery_pct')}`));
});

test('toilets: arrivals follow the day, stalls fill at lunch, NH3 rises with use and falls after cleaning, supplies run out', async () => {
  const { d, advance } = await city('2026-05-04T02:00');
  const toilets = d.devices.filter((x) => x.profile === 'public-toilet').map((x) => x.deviceId);
  const stallsTaken = () => toilets.reduce((s, t) => s + [1, 2, 3, 4, 5, 6].filter((i) => d.valueOf(t, `stall_${i}_occupied`) === true).length, 0);
  let night = 0;
  for (let i = 0; i < 12; i++) { advance(5); night += stallsTaken(); }
  advance(9 * 60); // ~12:00
  let lunch = 0;
  for (let i = 0; i < 12; i++) { advance(5); lunch += stallsTaken(); }
  assert.ok(lunch > 3 * night, `stalls taken: lunch ${lunch} vs night ${night}`);
  const t = toilets[0]!;
  const water = num(d, t, 'water_use_l');
  d.deviceEvent(t, 'crowd', { factor: 6 });
  d.deviceEvent(t, 'skip-cleaning');
  const nh3Before = num(d, t, 'nh3_ppm');
  advance(4 * 60);
  assert.ok(num(d, t, 'nh3_ppm') > 25 && num(d, t, 'nh3_ppm') > nh3Before, `NH3 ${nh3Before} → ${num(d, t, 'nh3_ppm')}`);
  assert.ok(num(d, t, 'water_use_l') > water + 100, 'flushes use water');
  d.deviceEvent(t, 'clean');
  assert.ok(num(d, t, 'nh3_ppm') < 5, 'cleaning clears the air');
  d.deviceEvent(t, 'supplies-out');
  assert.ok(num(d, t, 'paper_pct') < 10);
  const count = num(d, t, 'people_count');
  advance(12 * 60); // past midnight
  assert.ok(num(d, t, 'people_count') < count, 'visitors since midnight reset');
});

test('same seed, same values at the same simulated time — however the clock got there', async () => {
  const a = await city('2026-07-20T06:00');
  const b = await city('2026-07-20T06:00');
  const other = await city('2026-07-20T06:00', { seed: 22 });
  a.advance(6 * 60);
  for (let i = 0; i < 36; i++) b.advance(10); // the same six hours in small ticks
  other.advance(6 * 60);
  const snapshot = (c: typeof a) => c.d.devices.map((x) => profiles.require(x.profile).metrics.map((m) => c.d.valueOf(x.deviceId, m.name)));
  assert.equal(snapshot(a), snapshot(b));
  assert.not.equal(snapshot(a), snapshot(other));
  assert.is(a.d.stats().ticks, 720, '6 h of 30 s steps');
});

test('time compression: speed K runs K simulated seconds per wall second', async () => {
  const { d, clock } = await city('2026-07-20T06:00', { speed: 600 });
  const t0 = d.now();
  clock.advance(1000);
  assert.is(d.now() - t0, 600_000);
  assert.is(d.catchUp(), 20, '10 simulated minutes = 20 physics steps');
});

test.run();

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadProfiles } from '../../device-profiles/index.ts';
import { ReportFilter } from '../report-filter.ts';

const meter = loadProfiles().require('water-meter');
const values = (pressure: number, valve: boolean, volume = 1) => new Map<string, number | boolean>([['pressure_mpa', pressure], ['valve_open', valve], ['volume_m3', volume]]);

// Scenario table: poll time (s), pressure, valve → metrics sent.
const SCENARIO: Array<[number, number, boolean, string[]]> = [
  [0, 0.30, true, ['pressure_mpa', 'valve_open', 'volume_m3']], // first poll: everything
  [1, 0.305, true, ['volume_m3']], // inside the deadband; volume has none
  [2, 0.32, true, ['pressure_mpa', 'volume_m3']], // moved 0.02 > 0.01 from the last SENT value
  [3, 0.32, false, ['valve_open', 'volume_m3']], // boolean: any change
  [62, 0.32, false, ['pressure_mpa', 'volume_m3']], // 60 s since pressure was sent: sent although unchanged
  [63, 0.325, false, ['valve_open', 'volume_m3']], // and the valve 60 s after its last send; pressure inside the band
];

test('deadband + max interval per metric, by scenario', () => {
  const filter = new ReportFilter({ deadbands: { 'water-meter.pressure_mpa': 0.01, valve_open: 0 }, maxIntervalS: 60 });
  for (const [t, p, v, expected] of SCENARIO) {
    const sent = [...filter.select('wm-1', meter, values(p, v), t * 1000).keys()].sort();
    assert.equal(sent, [...expected].sort(), `t=${t}s`);
  }
});

test('device settings override the gateway; devices are tracked apart', () => {
  const filter = new ReportFilter({ deadbands: { pressure_mpa: 0.01 }, maxIntervalS: 300 });
  filter.select('a', meter, values(0.3, true), 0);
  filter.select('b', meter, values(0.3, true), 0, { deadbands: { pressure_mpa: 0.5 } });
  assert.ok(filter.select('a', meter, values(0.4, true), 1000).has('pressure_mpa'));
  assert.not.ok(filter.select('b', meter, values(0.4, true), 1000, { deadbands: { pressure_mpa: 0.5 } }).has('pressure_mpa'));
  assert.ok(filter.select('b', meter, values(0.4, true), 11_000, { maxIntervalS: 10, deadbands: { pressure_mpa: 0.5 } }).has('pressure_mpa'));
});

test.run();

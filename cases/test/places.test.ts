import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { locatePlace, placeOfAlarm, type GridLocator } from '../index.ts';
import type { AlarmView } from '../../proto/index.ts';

// A two-cell city on a unit square: west cell W-1, east cell E-1, both in district "d".
const locator: GridLocator & { calls: number } = {
  calls: 0,
  locate(lat, long) {
    this.calls++;
    if (lat < 0 || lat > 1 || long < 0 || long > 1) return null;
    return { district: 'd', gridCell: long < 0.5 ? 'W-1' : 'E-1' };
  },
};

test('locatePlace: a point gets district and cell; what the caller gave wins; outside keeps the input', () => {
  assert.equal(locatePlace({ lat: 0.5, long: 0.2 }, locator), { lat: 0.5, long: 0.2, district: 'd', gridCell: 'W-1' });
  assert.equal(locatePlace({ lat: 0.5, long: 0.7, district: 'given' }, locator), { lat: 0.5, long: 0.7, district: 'given', gridCell: 'E-1' });
  assert.equal(locatePlace({ lat: 5, long: 5, district: 'x' }, locator), { lat: 5, long: 5, district: 'x' });
  const before = locator.calls;
  assert.equal(locatePlace({ address: 'no point' }, locator), { address: 'no point' });
  assert.equal(locatePlace({ lat: 0.5, long: 0.7, district: 'a', gridCell: 'b' }, locator), { lat: 0.5, long: 0.7, district: 'a', gridCell: 'b' });
  assert.is(locator.calls, before, 'no point, or nothing to fill: the locator is not asked');
  assert.equal(locatePlace({ lat: 0.5, long: 0.2 }, undefined), { lat: 0.5, long: 0.2 });
});

const alarm = (over: Partial<AlarmView> = {}): AlarmView => ({
  id: '1', ruleId: 'cover-open', ruleName: 'Cover open', severity: 'critical', state: 'active', deviceId: 'mh-1', gatewayId: 'gw', district: 'd', profile: 'manhole-cover',
  count: 1, raisedAt: '', lastSeenAt: '', acknowledgedAt: null, acknowledgedBy: null, clearedAt: null, lastValues: {}, evidence: [], createdAt: '', updatedAt: '', ...over,
});

test('placeOfAlarm: the alarm\'s own place, else the registry\'s, else the district only', async () => {
  const places = { placeOf: async (id: string) => (id === 'mh-1' ? { lat: 0.5, long: 0.2, address: '解放路1号', district: 'd', gridCell: 'W-1' } : null) };
  assert.equal(await placeOfAlarm(alarm({ place: { lat: 0.1, lon: 0.9, gridCell: 'E-1' } }), places), { lat: 0.1, long: 0.9, address: null, district: 'd', gridCell: 'E-1' });
  assert.equal(await placeOfAlarm(alarm(), places), { lat: 0.5, long: 0.2, address: '解放路1号', district: 'd', gridCell: 'W-1' });
  assert.equal(await placeOfAlarm(alarm({ deviceId: 'unknown' }), places), { district: 'd' });
  assert.equal(await placeOfAlarm(alarm({ district: '' }), undefined), { district: null });
});

test.run();

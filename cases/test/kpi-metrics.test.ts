// The KPI gauges on the case system's /metrics: the same figures as
// computeKpis for the city and per district, department and category, over
// rolling windows; cached between scrapes; targets as their own gauge.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import type { ActorRef } from '../case-workflow.ts';
import { HOUR, alarm, event, openFixture } from './fixtures.ts';

const operator: ActorRef = { who: 'operator:o', role: 'operator', crewId: null };
const inspector: ActorRef = { who: 'inspector:i', role: 'inspector', crewId: null };
const crew1: ActorRef = { who: 'crew:c1', role: 'crew', crewId: 'c1' };

/** `name{labels} value` lines of one metric, as a map from the label text to the value. */
async function series(registry: Registry, name: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    const m = new RegExp(`^${name}\\{(.*)\\} (\\S+)$`).exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1].replace(/,?component="[^"]*"/, ''), Number(m[2]));
  }
  return out;
}

test('tz_cases_kpi_ratio: closure, on-time verification and sensor share for the city and per district, 7 and 30 days', async () => {
  const registry = new Registry();
  const f = await openFixture({ registry });
  try {
    // A sensor case in "north", worked to closed; an operator's case in "south", still open.
    await f.system.alarmSink.deliver(event('raised', alarm({ deviceId: 'mc-0300', district: 'north' })));
    const [sensor] = await f.system.store.atomically((tx) => tx.listCases({ assetId: 'mc-0300' }));
    assert.ok(sensor);
    for (const [action, actor] of [['accept', crew1], ['handle', crew1], ['verify', inspector], ['close', operator]] as const) await f.system.workflow.act(sensor.id, action, actor, { evidence: 'on-site check' });
    await f.system.workflow.create({ category: 'manhole-cover', priority: 'normal', title: 'cover loose', district: 'south', source: 'operator', register: true }, operator);
    f.clock.advance(HOUR);

    const ratio = await series(registry, 'tz_cases_kpi_ratio');
    const at = (kpi: string, window: string, by: string, group: string) => ratio.get(`kpi="${kpi}",window="${window}",by="${by}",group="${group}"`);
    for (const window of ['7d', '30d']) {
      assert.is(at('closure', window, 'all', 'all'), 0.5, `${window}: one of two closed`);
      assert.is(at('sensor_share', window, 'all', 'all'), 0.5, `${window}: one of two found by a sensor`);
      assert.is(at('on_time_verification', window, 'all', 'all'), 1);
      assert.is(at('closure', window, 'district', 'north'), 1);
      assert.is(at('closure', window, 'district', 'south'), 0);
      assert.is(at('on_time_verification', window, 'district', 'south'), undefined, 'no verification in the south: no figure rather than 0');
    }
    assert.is(at('closure', '30d', 'category', 'manhole-cover'), 0.5);
    assert.is(at('closure', '30d', 'department', 'municipal-facilities'), 0.5);
    const reported = await series(registry, 'tz_cases_kpi_reported');
    assert.is(reported.get('window="30d",by="all",group="all"'), 2);
    const targets = await series(registry, 'tz_cases_kpi_target');
    assert.equal(Object.fromEntries(targets), { 'kpi="on_time_verification"': 0.97, 'kpi="closure"': 0.97, 'kpi="sensor_share"': 0.2 });

    // Cached for a minute: a case closed now shows after the cache expires.
    const south = (await f.system.store.atomically((tx) => tx.listCases({ district: 'south' })))[0];
    assert.ok(south);
    await f.system.workflow.act(south.id, 'cancel', operator, { note: 'duplicate' });
    assert.is((await series(registry, 'tz_cases_kpi_ratio')).get('kpi="closure",window="30d",by="all",group="all"'), 0.5, 'cached');
    f.clock.advance(61_000);
    assert.is((await series(registry, 'tz_cases_kpi_ratio')).get('kpi="closure",window="30d",by="all",group="all"'), 1, 'closed / (registered − cancelled)');

    // Eight days on, the 7-day window is empty; the 30-day one still counts both.
    f.clock.advance(8 * 24 * HOUR);
    const later = await series(registry, 'tz_cases_kpi_reported');
    assert.is(later.get('window="7d",by="all",group="all"'), 0);
    assert.is(later.get('window="30d",by="all",group="all"'), 2);
  } finally {
    await f.close();
  }
});

test.run();

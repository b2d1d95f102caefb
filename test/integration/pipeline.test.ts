// End to end on one machine: simulated Modbus devices → edge agent → broker →
// ingest → a real influxd, and rules → alarm → case, through the same
// startStack that `npm start` runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { counter, startInfluxd, tempDir, waitFor, type TestInfluxd } from './helpers.ts';
import { startStack, type RunningStack } from '../../cli/stack.ts';
import { queryInfluxQL } from '../../ingest/index.ts';

let influxd: TestInfluxd;
let dir: { path: string; remove(): void };
let stack: RunningStack;

/** API lists come as `{ <key>: [...] }`; accept a bare array too. */
function listOf(body: unknown, key: string): Array<Record<string, unknown>> {
  if (Array.isArray(body)) return body as Array<Record<string, unknown>>;
  const list = (body as Record<string, unknown>)[key];
  return Array.isArray(list) ? (list as Array<Record<string, unknown>>) : [];
}

async function getJson(url: string): Promise<unknown> {
  // The rules service's API wants a token; the stack issues an operator token for its run.
  const res = await fetch(url, { headers: { authorization: `Bearer ${stack.operatorToken}` } });
  assert.is(res.status, 200, `GET ${url}`);
  return res.json();
}

test.before(async () => {
  influxd = await startInfluxd();
  dir = tempDir('tz-e2e-');
  stack = await startStack({
    varDir: dir.path, devices: 24, seed: 7, gatewayId: 'gw-e2e', pollIntervalMs: 500,
    influx: { url: influxd.url }, database: influxd.database, mqttPort: 0, statusPort: 0,
  });
});

test.after(async () => {
  await stack?.stop();
  await influxd?.stop();
  dir?.remove();
});

test('readings land in InfluxDB with device tags and scaled values', async () => {
  const target = { url: stack.influxUrl, database: stack.database };
  const cover = stack.sim.devices.find((d) => d.deviceId === 'mh-0002')!;
  assert.ok(cover, 'the district has mh-0002');
  stack.sim.setValue('mh-0002', 'water_level_cm', 42.5);
  stack.sim.setValue('mh-0002', 'temperature_c', -3.2);
  const row = await waitFor('mh-0002 with water_level_cm 42.5 in InfluxDB', async () => {
    const series = await queryInfluxQL(target, `SELECT water_level_cm, temperature_c, cover_open, seq, district, gateway, profile_version FROM manhole_cover WHERE device = 'mh-0002' ORDER BY time DESC LIMIT 1`);
    const s = series[0];
    if (!s || s.values.length === 0) return undefined;
    const r = Object.fromEntries(s.columns.map((c, i) => [c, s.values[0]![i]]));
    return r.water_level_cm === 42.5 ? r : undefined;
  });
  assert.is(row.temperature_c, -3.2, 'int16 register, scale 0.1, negative');
  assert.is(row.cover_open, false);
  assert.is(row.district, cover.district);
  assert.is(row.gateway, 'gw-e2e');
  assert.is(row.profile_version, '1');
  assert.ok(Number(row.seq) >= 1);
});

test('every simulated device reports into its profile measurement', async () => {
  const target = { url: stack.influxUrl, database: stack.database };
  const expected = new Map<string, Set<string>>();
  for (const d of stack.sim.devices) {
    const m = stack.profiles.require(d.profile).measurement;
    if (!expected.has(m)) expected.set(m, new Set());
    expected.get(m)!.add(d.deviceId);
  }
  assert.is(expected.size, 4, 'all four device classes are simulated');
  await waitFor('all devices in InfluxDB', async () => {
    for (const [measurement, devices] of expected) {
      const series = await queryInfluxQL(target, `SELECT count(seq) FROM ${measurement} GROUP BY device`);
      const seen = new Set(series.map((s) => s.tags?.device));
      for (const id of devices) if (!seen.has(id)) return undefined;
    }
    return true;
  });
  // The pole's float32 power and little-endian uint32 energy decode to what the device holds.
  stack.sim.setValue('pole-0001', 'power_w', 118.5);
  stack.sim.setValue('pole-0001', 'energy_kwh', 1234.56);
  await waitFor('pole-0001 power and energy', async () => {
    const [s] = await queryInfluxQL(target, `SELECT power_w, energy_kwh FROM smart_pole WHERE device = 'pole-0001' ORDER BY time DESC LIMIT 1`);
    const v = s?.values[0];
    return v && v[1] === 118.5 && Math.abs(Number(v[2]) - 1234.56) < 1e-6 ? true : undefined;
  });
});

test('an opened manhole cover becomes exactly one alarm, repeated, never duplicated, and one case', async () => {
  const deviceId = 'mh-0001';
  stack.sim.injectFault(deviceId, 'cover-open');
  // Keep polling: repeats must update the alarm, not open more alarms.
  const alarm = await waitFor('the cover-open alarm repeated 4 times', async () => {
    const alarms = listOf(await getJson(`${stack.urls.rules}/api/v1/alarms?deviceId=${deviceId}`), 'alarms').filter((a) => a.ruleId === 'cover-open');
    return alarms.length === 1 && Number(alarms[0]!.count) >= 4 ? alarms[0] : undefined;
  });
  assert.is(alarm.severity, 'critical');
  assert.is(alarm.state, 'active');
  assert.equal(alarm.case, { category: 'manhole-cover', priority: 'urgent' });
  assert.ok(Array.isArray(alarm.evidence) && (alarm.evidence as unknown[]).length >= 1, 'the alarm carries its evidence');
  const allAlarms = listOf(await getJson(`${stack.urls.rules}/api/v1/alarms?deviceId=${deviceId}`), 'alarms');
  assert.is(allAlarms.filter((a) => a.ruleId === 'cover-open').length, 1, 'one alarm per (rule, device)');
  // The alarm's rule asks for a case: exactly one, for this asset, however often the alarm repeats.
  const cases = await waitFor('the case for the opened cover', async () => {
    const list = listOf(await getJson(`${stack.urls.rules}/api/v1/cases?assetId=${deviceId}`), 'cases');
    return list.length > 0 ? list : undefined;
  });
  assert.is(cases.length, 1, 'one case per asset');
  assert.is(cases[0]!.category, 'manhole-cover');
  assert.is(cases[0]!.source, 'sensor');
  const unauthenticated = await fetch(`${stack.urls.rules}/api/v1/cases`);
  assert.is(unauthenticated.status, 401, 'the case API needs a token');
  // The case's place is the registry's record of the device (seeded from the simulated city's street sites).
  const device = await getJson(`${stack.urls.rules}/api/v1/devices/${deviceId}`) as { device?: Record<string, unknown> } & Record<string, unknown>;
  const record = (device.device ?? device) as { position: { lat: number; lon: number }; address: string; district: string; gridCell: string; assetId: string; state: string };
  assert.is(record.state, 'active');
  assert.is(record.assetId, `asset-${deviceId}`, 'the cover closes a shaft asset');
  assert.ok(record.address.startsWith('驻马店市'), record.address);
  const c = cases[0] as Record<string, unknown>;
  assert.equal([c.lat, c.long, c.address, c.district, c.gridCell], [record.position.lat, record.position.lon, record.address, record.district, record.gridCell], 'the case carries the registry place');
});

test('the registry holds the simulated city and ingest is bound to it', async () => {
  assert.is(stack.registry.seeded.devices.created + stack.registry.seeded.devices.updated + stack.registry.seeded.devices.unchanged, stack.sim.devices.length);
  const body = await getJson(`${stack.urls.rules}/api/v1/devices?gatewayId=gw-e2e&limit=1000`) as { total: number; devices: Array<{ id: string; position: unknown }> };
  assert.is(body.total, stack.sim.devices.length);
  assert.ok(body.devices.every((d) => d.position !== null), 'every device has a street position');
  const poles = await getJson(`${stack.urls.rules}/api/v1/assets?kind=pole`) as { total?: number; assets: unknown[] };
  assert.is(poles.assets.length, stack.sim.devices.filter((d) => d.profile === 'smart-pole').length, 'a pole asset for each smart pole');
});

test('the pipeline counters add up', async () => {
  // casesOpen is the case store's count, refreshed every 2 s: wait for the refresh after the case opened.
  const c = await waitFor('the open case in the pipeline counters', async () => {
    const body = (await getJson(`${stack.urls.status}/api/v1/pipeline`)) as { counters: Record<string, number> };
    return (body.counters.casesOpen ?? 0) >= 1 ? body.counters : undefined;
  });
  assert.ok(counter(c, 'readingsPolled') > 0 && counter(c, 'readingsWritten') > 0, JSON.stringify(c));
  assert.ok(counter(c, 'readingsWritten') <= counter(c, 'readingsReceived'), 'nothing is written that was not received');
  assert.is(counter(c, 'readingsRejected'), 0, 'the simulated district sends only valid readings');
  assert.ok(counter(c, 'alarmsRaised') >= 1);
  assert.ok(counter(c, 'casesOpened') >= 1 && counter(c, 'casesOpen') >= 1, 'the cover-open case is counted');
  const health = await fetch(`${stack.urls.status}/healthz`);
  assert.is(health.status, 200);
});

test.run();

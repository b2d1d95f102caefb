// Backtest against a real influxd filled with known data: a week of a water
// meter district every 15 min, with pressure surges and a silent gap placed at
// known times; the rules API answers per device with timestamps and a count.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { loadProfiles } from '../../device-profiles/index.ts';
import Database from 'better-sqlite3';
import { createInfluxDatabase, openAccessTokens } from '../../service-kit/index.ts';
import { startRules, type RulesService } from '../../rules/index.ts';
import { startBareBroker, startInfluxd, tempDir, type BareBroker, type TestInfluxd } from './helpers.ts';

const START = Date.UTC(2026, 4, 4, 0, 0, 0); // Monday 2026-05-04 00:00 UTC
const STEP = 15 * 60_000;
const STEPS = 7 * 96; // one week
const SURGES: Record<string, number[]> = { 'wm-1': [10, 200, 500], 'wm-2': [300] };
const GAP = { device: 'wm-3', from: 100, to: 110 }; // 10 steps (2.5 h) silent

let influxd: TestInfluxd;
let broker: BareBroker;
let operatorToken = '';
let rules: RulesService;
const dir = tempDir('tz-backtest-');

async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${rules.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${operatorToken}` }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

test.before(async () => {
  influxd = await startInfluxd();
  const target = { url: influxd.url, database: influxd.database };
  await createInfluxDatabase(target);
  const lines: string[] = [];
  for (const device of ['wm-1', 'wm-2', 'wm-3']) {
    for (let i = 0; i < STEPS; i++) {
      if (device === GAP.device && i >= GAP.from && i < GAP.to) continue;
      const pressure = SURGES[device]?.includes(i) ? 1.4 : 0.3 + (i % 5) * 0.01;
      lines.push(`water_meter,device=${device},gateway=gw-1,district=gulou,profile_version=1 pressure_mpa=${pressure},flow_m3h=0.2,reverse_flow=false,seq=${i + 1}i ${START + i * STEP}`);
    }
  }
  const res = await fetch(`${influxd.url}/write?db=${influxd.database}&precision=ms`, { method: 'POST', body: lines.join('\n') });
  assert.is(res.status, 204, await res.text());
  broker = await startBareBroker();
  const access = openAccessTokens(new Database(':memory:'));
  operatorToken = access.issue({ name: 'olga', role: 'operator' }).token;
  rules = await startRules({ access,
    brokerUrl: broker.url, username: 'tz-rules', password: 'x', clientId: 'tz-rules-bt',
    profiles: loadProfiles(), dbPath: join(dir.path, 'rules.db'), influx: target,
  });
});

test.after(async () => {
  await rules?.stop();
  await broker?.stop();
  await influxd?.stop();
  dir.remove();
});

test('the profile rule pressure-burst over the week: every surge, per device, with timestamps', async () => {
  const { status, body } = await post('/api/v1/rules/backtest', { ruleId: 'pressure-burst', from: new Date(START).toISOString(), to: START + STEPS * STEP });
  assert.is(status, 200, JSON.stringify(body));
  assert.is(body.count, 4);
  assert.is(body.readings, 3 * STEPS - (GAP.to - GAP.from));
  assert.is(body.devicesSeen, 3);
  assert.equal(body.devices.map((d: { deviceId: string; count: number }) => `${d.deviceId}:${d.count}`), ['wm-1:3', 'wm-2:1']);
  const wm1 = body.devices[0];
  assert.equal(wm1.fires.map((f: { raisedAt: string }) => f.raisedAt), SURGES['wm-1']!.map((i) => new Date(START + i * STEP).toISOString()));
  assert.equal(wm1.fires[0].clearedAt, new Date(START + 11 * STEP).toISOString());
  assert.equal(wm1.fires[0].values, { pressure_mpa: 1.4 });
});

test('a new, lower threshold before it is saved: how many alarms it would have raised', async () => {
  const rule = { id: 'pressure-high', name: 'Pressure high', severity: 'warning', scope: { classes: ['water-meter'] }, when: { metric: 'pressure_mpa', op: '>=', value: 0.335 }, clear: { metric: 'pressure_mpa', op: '<', value: 0.305 } };
  const { status, body } = await post('/api/v1/rules/backtest', { rule, from: START, to: START + 96 * STEP, devices: ['wm-3'] });
  assert.is(status, 200, JSON.stringify(body));
  // 0.34 at i%5==4 (≥ 0.335), cleared at i%5==0: 20 cycles a day (i = 4, 9, … 94 → 19 fires in 96 steps).
  assert.is(body.count, 19);
  assert.is(body.devicesSeen, 1);
  assert.is(body.devices[0].fires[0].raisedAt, new Date(START + 4 * STEP).toISOString());
  assert.is(body.devices[0].fires[0].clearedAt, new Date(START + 5 * STEP).toISOString());
});

test('no data over history: the gap longer than 3 report intervals', async () => {
  const { body } = await post('/api/v1/rules/backtest', { ruleId: 'device-silent', from: START, to: START + STEPS * STEP });
  assert.is(body.count, 1);
  assert.is(body.devices[0].deviceId, 'wm-3');
  // Last reading at step 99; silent after 3 × 15 min; the reading at 110 clears it.
  assert.is(body.devices[0].fires[0].raisedAt, new Date(START + 99 * STEP + 3 * STEP).toISOString());
  assert.is(body.devices[0].fires[0].clearedAt, new Date(START + 110 * STEP).toISOString());
});

test('bad backtest requests answer 400 with the faulty part', async () => {
  const bad = await post('/api/v1/rules/backtest', { rule: { id: 'x', name: 'x', severity: 'warning', when: { metric: 'pressure_mpa', avg: 'soon', op: '>', value: 1 } }, from: START, to: START + 1 });
  assert.is(bad.status, 400);
  assert.equal(bad.body.problems.map((p: { path: string }) => p.path), ['when.avg']);
  const noRange = await post('/api/v1/rules/backtest', { ruleId: 'pressure-burst', from: 'yesterday', to: START });
  assert.is(noRange.status, 400);
  assert.match(noRange.body.message, /from/);
  const unknown = await post('/api/v1/rules/backtest', { ruleId: 'no-such-rule', from: START, to: START + 1 });
  assert.is(unknown.status, 404);
});

test.run();

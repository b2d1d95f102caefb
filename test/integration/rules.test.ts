// The rules service against a real Aedes broker and real mqtt.js clients:
// a manhole cover opened and polled repeatedly gives one alarm and one case,
// the alarm event reaches tz/v1/events/alarm, closing the cover clears the
// alarm but not the case, garbage is counted and the service keeps working.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { loadProfiles } from '../../device-profiles/index.ts';
import { encodeUplinkBatch, topics, type IReading } from '../../proto/index.ts';
import { startRules, type RulesService } from '../../rules/index.ts';
import { tempDir, waitFor } from './helpers.ts';

const USER = 'tz-rules';
const PASSWORD = 'rules-test-secret';
const GW = 'gw-0001';
const DEVICE = 'mh-0042';
const T0 = 1_700_000_000_000;

let broker: Aedes;
let server: Server;
let brokerUrl: string;
let rules: RulesService | undefined;
let gateway: MqttClient;
const dir = tempDir('tz-rules-it-');
const alarmEvents: { type: string; caseId: number | null; alarm: { id: number; count: number; deviceId: string } }[] = [];
let batchSeq = 0;

function coverReading(seconds: number, open: boolean): IReading {
  return { deviceId: DEVICE, profile: 'manhole-cover', profileVersion: 1, timestampMs: T0 + seconds * 1000, seq: seconds, district: 'gulou', metrics: [{ name: 'cover_open', flag: open }, { name: 'battery_pct', number: 80 }] };
}

async function publishBatch(readings: IReading[]): Promise<void> {
  batchSeq += 1;
  await gateway.publishAsync(topics.batch(GW), Buffer.from(encodeUplinkBatch({ gatewayId: GW, batchSeq, sentAtMs: Date.now(), readings })), { qos: 1 });
}

async function getJson(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${rules!.httpUrl}${path}`);
  return { status: res.status, body: await res.json() };
}

test.before(async () => {
  broker = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      const ok = (username === USER || username === GW) && password?.toString() === PASSWORD;
      if (ok) return done(null, true);
      const err = Object.assign(new Error('bad credentials'), { returnCode: 4 as const });
      done(err, false);
    },
  });
  server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  brokerUrl = `mqtt://127.0.0.1:${address.port}`;

  const subscribed = new Promise<void>((resolve) => {
    broker.on('subscribe', (subs, client) => {
      if (client?.id === 'tz-rules' && subs.some((s) => s.topic === topics.allBatches)) resolve();
    });
  });
  rules = await startRules({ brokerUrl, username: USER, password: PASSWORD, profiles: loadProfiles(), dbPath: join(dir.path, 'rules.db') });
  await subscribed;

  gateway = await mqtt.connectAsync(brokerUrl, { clientId: 'test-gw', username: GW, password: PASSWORD, reconnectPeriod: 0 });
  await gateway.subscribeAsync(topics.alarmEvents, { qos: 1 });
  gateway.on('message', (topic, payload) => {
    if (topic === topics.alarmEvents) alarmEvents.push(JSON.parse(payload.toString()));
  });
});

test.after(async () => {
  await gateway?.endAsync(true);
  await rules?.stop();
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  dir.remove();
});

test('a cover opened and polled 20 times gives one alarm (count 20) and one case', async () => {
  for (let i = 0; i < 20; i++) await publishBatch([coverReading(i * 10, true)]);
  const alarm = await waitFor('20 readings on the alarm', async () => {
    const { body } = await getJson(`/api/v1/alarms?deviceId=${DEVICE}`);
    return body.alarms[0]?.count === 20 ? body.alarms : undefined;
  }, 15_000, 50);
  assert.is(alarm.length, 1);
  assert.is(alarm[0].ruleId, 'cover-open');
  assert.is(alarm[0].state, 'active');
  assert.is(alarm[0].gatewayId, GW);
  assert.is(alarm[0].district, 'gulou');
  assert.is(alarm[0].raisedAt, new Date(T0).toISOString());
  assert.equal(alarm[0].evidence, [{ timestamp: new Date(T0).toISOString(), values: { cover_open: true } }]);

  const cases = (await getJson(`/api/v1/cases?deviceId=${DEVICE}`)).body.cases;
  assert.is(cases.length, 1);
  assert.is(cases[0].status, 'registered');
  assert.is(cases[0].priority, 'urgent');
  assert.is(cases[0].category, 'manhole-cover');
  assert.is(Date.parse(cases[0].dueAt) - Date.parse(cases[0].createdAt), 2 * 3_600_000);
  const detail = (await getJson(`/api/v1/cases/${cases[0].id}`)).body;
  assert.equal(detail.alarms.map((a: { id: number }) => a.id), [alarm[0].id]);
  assert.equal(detail.events.map((e: { who: string; what: string }) => `${e.who}:${e.what}`), ['rules-engine:registered']);

  const fired = await waitFor('the alarm.fired event', () => alarmEvents.find((e) => e.type === 'alarm.fired'), 10_000, 20);
  assert.is(fired.alarm.deviceId, DEVICE);
  assert.is(fired.caseId, cases[0].id);
  await waitFor('19 alarm.updated events', () => (alarmEvents.filter((e) => e.type === 'alarm.updated').length === 19 ? true : undefined), 10_000, 20);

  const stats = rules!.stats();
  assert.is(stats.readingsEvaluated, 20);
  assert.is(stats.alarmsRaised, 1);
  assert.is(stats.alarmsActive, 1);
  assert.is(stats.casesOpened, 1);
  assert.is(stats.casesOpen, 1);
});

test('closing the cover clears the alarm; the case stays open', async () => {
  await publishBatch([coverReading(300, false)]);
  const cleared = await waitFor('the alarm cleared', async () => {
    const { body } = await getJson(`/api/v1/alarms?deviceId=${DEVICE}&state=cleared`);
    return body.alarms[0];
  }, 15_000, 50);
  assert.is(cleared.clearedAt, new Date(T0 + 300_000).toISOString());
  assert.is(cleared.count, 20);
  const cases = (await getJson('/api/v1/cases?status=open')).body.cases;
  assert.is(cases.length, 1);
  const detail = (await getJson(`/api/v1/cases/${cases[0].id}`)).body;
  assert.equal(detail.events.map((e: { what: string }) => e.what), ['registered', 'alarm-cleared']);
  await waitFor('the alarm.cleared event', () => alarmEvents.find((e) => e.type === 'alarm.cleared'), 10_000, 20);
  assert.is(rules!.stats().alarmsActive, 0);
  assert.is(rules!.stats().alarmsCleared, 1);
});

test('a malformed payload is counted and the service keeps working', async () => {
  await gateway.publishAsync(topics.batch(GW), Buffer.from([0xff, 0xff, 0xff, 0x07, 0x01]), { qos: 1 });
  await waitFor('the reject counted', () => (rules!.stats().rejected >= 1 ? true : undefined), 10_000, 20);
  const metrics = await (await fetch(`${rules!.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_rules_rejected_total\{reason="malformed"[^}]*\} 1/);
  assert.match(metrics, /tz_rules_alarms_raised_total\{rule="cover-open",severity="critical"[^}]*\} 1/);
  assert.match(metrics, /tz_rules_evaluation_seconds_count\{[^}]*\} 21/);

  // Opened again: a new alarm, absorbed into the device's still-open case.
  await publishBatch([coverReading(400, true)]);
  const open = await waitFor('a second alarm', async () => (await getJson(`/api/v1/alarms?deviceId=${DEVICE}&state=active`)).body.alarms[0], 15_000, 50);
  const cases = (await getJson(`/api/v1/cases?deviceId=${DEVICE}`)).body.cases;
  assert.is(cases.length, 1);
  assert.is(open.caseId, cases[0].id);
});

test('HTTP API: 404 for unknown ids, 400 for bad parameters, the effective rules', async () => {
  const missing = await getJson('/api/v1/alarms/99999');
  assert.is(missing.status, 404);
  assert.is(missing.body.code, 'TZ_ALARM_NOT_FOUND');
  const missingCase = await getJson('/api/v1/cases/99999');
  assert.is(missingCase.status, 404);
  assert.is(missingCase.body.code, 'TZ_CASE_NOT_FOUND');
  const badState = await getJson('/api/v1/alarms?state=burning');
  assert.is(badState.status, 400);
  assert.is(badState.body.code, 'TZ_REQUEST_INVALID');
  assert.match(badState.body.message, /state/);
  assert.is((await getJson('/api/v1/cases?limit=0')).status, 400);
  assert.is((await getJson('/api/v1/alarms/abc')).status, 400);
  const rulesBody = (await getJson('/api/v1/rules')).body;
  const cover = rulesBody.profiles.find((p: { profile: string }) => p.profile === 'manhole-cover');
  assert.ok(cover.rules.some((r: { id: string }) => r.id === 'cover-open'));
  const health = await fetch(`${rules!.httpUrl}/healthz`);
  assert.is(health.status, 200);
});

test('a restart keeps the open alarm and updates it instead of raising a new one', async () => {
  await rules!.stop();
  const subscribed = new Promise<void>((resolve) => {
    broker.on('subscribe', (subs, client) => {
      if (client?.id === 'tz-rules' && subs.some((s) => s.topic === topics.allBatches)) resolve();
    });
  });
  rules = await startRules({ brokerUrl, username: USER, password: PASSWORD, profiles: loadProfiles(), dbPath: join(dir.path, 'rules.db') });
  await subscribed;
  assert.is(rules.stats().alarmsActive, 1);
  await publishBatch([coverReading(410, true)]);
  const alarm = await waitFor('the open alarm updated', async () => {
    const { body } = await getJson(`/api/v1/alarms?deviceId=${DEVICE}&state=active`);
    return body.alarms[0]?.count === 2 ? body.alarms : undefined;
  }, 15_000, 50);
  assert.is(alarm.length, 1);
  assert.is(rules.stats().alarmsRaised, 0);
  assert.is((await getJson(`/api/v1/alarms?deviceId=${DEVICE}`)).body.alarms.length, 2);
});

test('wrong credentials: clear log, retried with backoff, unhealthy, no crash, stops cleanly', async () => {
  const lines: { msg?: string; code?: unknown }[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
  const log = pino({ level: 'warn' }, sink);
  const wrong = await startRules({ brokerUrl, username: USER, password: 'wrong', clientId: 'tz-rules-wrong', profiles: loadProfiles(), dbPath: ':memory:', log });
  try {
    await waitFor('two rejected attempts', () => (lines.filter((l) => l.msg === 'rules: broker rejected the credentials (check the rules service account in the broker users file); retrying').length >= 2 ? true : undefined), 10_000, 20);
    assert.ok(lines.some((l) => l.msg === 'rules: broker connection closed, retrying with backoff'));
    const health = await fetch(`${wrong.httpUrl}/healthz`);
    assert.is(health.status, 503);
    assert.is((await health.json()).brokerConnected, false);
  } finally {
    await wrong.stop();
  }
});

test('unreachable broker: retried, no crash, stops cleanly', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const lines: { msg?: string }[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
  const down = await startRules({ brokerUrl: `mqtt://127.0.0.1:${port}`, username: USER, password: PASSWORD, clientId: 'tz-rules-down', profiles: loadProfiles(), dbPath: ':memory:', log: pino({ level: 'warn' }, sink) });
  try {
    await waitFor('two failed attempts', () => (lines.filter((l) => l.msg === 'rules: broker connection closed, retrying with backoff').length >= 2 ? true : undefined), 10_000, 20);
    assert.is((await fetch(`${down.httpUrl}/healthz`)).status, 503);
  } finally {
    await down.stop();
  }
});

test.run();

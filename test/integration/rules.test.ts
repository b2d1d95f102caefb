// The rules service against a real Aedes broker and real mqtt.js clients: a
// cover opened and polled repeatedly is one alarm; its events reach
// tz/v1/events/alarm and an injected sink that fails twice first (outbox
// redelivery, de-duplicable by eventId); acknowledge by role; the rules API
// validates with paths, versions every change and rolls back; gateway events
// raise one gateway alarm; a restart keeps the open alarm.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import mqtt, { type MqttClient } from 'mqtt';
import { loadProfiles } from '../../device-profiles/index.ts';
import { encodeUplinkBatch, topics, type AlarmEvent, type IReading } from '../../proto/index.ts';
import { openAccessTokens, type SqliteAccessTokens } from '../../service-kit/index.ts';
import { startRules, type AlarmSink, type RulesService } from '../../rules/index.ts';
import { startBareBroker, tempDir, waitFor, type BareBroker } from './helpers.ts';

const USER = 'tz-rules';
const PASSWORD = 'rules-test-secret';
const GW = 'gw-0001';
const DEVICE = 'mh-0042';
const T0 = 1_700_000_000_000;

let broker: BareBroker;
let brokerUrl: string;
let rules: RulesService | undefined;
let gateway: MqttClient;
const dir = tempDir('tz-rules-it-');
const mqttEvents: AlarmEvent[] = [];
const sinkEvents: AlarmEvent[] = [];
let sinkFailures = 0;
let batchSeq = 0;
let access: SqliteAccessTokens;
const tokens: Record<string, string> = {};

/** Fails its first two deliveries, then accepts: the outbox must redeliver in order. */
const flakySink: AlarmSink = {
  name: 'cases-test',
  async deliver(event) {
    if (sinkFailures < 2) { sinkFailures++; throw new Error('case system busy'); }
    sinkEvents.push(event);
  },
};

function coverReading(seconds: number, open: boolean): IReading {
  return { deviceId: DEVICE, profile: 'manhole-cover', profileVersion: 1, timestampMs: T0 + seconds * 1000, seq: seconds, district: 'gulou', metrics: [{ name: 'cover_open', flag: open }, { index: 7, number: 80 }] };
}

async function publishBatch(readings: IReading[]): Promise<void> {
  batchSeq += 1;
  await gateway.publishAsync(topics.batch(GW), Buffer.from(encodeUplinkBatch({ gatewayId: GW, batchSeq, sentAtMs: Date.now(), readings })), { qos: 1 });
}

async function api(method: string, path: string, who = 'operator', body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (who !== 'nobody') headers.authorization = `Bearer ${tokens[who]}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${rules!.httpUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

function subscribedOnce(): Promise<void> {
  return new Promise<void>((resolve) => {
    broker.broker.on('subscribe', (subs, client) => {
      if (client?.id === 'tz-rules' && subs.some((s) => s.topic === topics.allBatches)) resolve();
    });
  });
}

async function start(): Promise<RulesService> {
  const subscribed = subscribedOnce();
  const r = await startRules({
    brokerUrl, username: USER, password: PASSWORD, profiles: loadProfiles(), dbPath: join(dir.path, 'rules.db'),
    alarmSinks: [flakySink], access, outboxRetry: { minMs: 20, maxMs: 100 }, tickMs: 100,
  });
  await subscribed;
  return r;
}

test.before(async () => {
  broker = await startBareBroker({ login: { password: PASSWORD, usernames: [USER, GW] } });
  brokerUrl = broker.url;
  access = openAccessTokens(new Database(':memory:'));
  for (const role of ['operator', 'dispatcher', 'readonly', 'crew'] as const) tokens[role] = access.issue({ name: `${role} 1`, role, ...(role === 'crew' ? { crewId: 'crew-1' } : {}) }).token;
  rules = await start();
  gateway = await mqtt.connectAsync(brokerUrl, { clientId: 'test-gw', username: GW, password: PASSWORD, reconnectPeriod: 0 });
  await gateway.subscribeAsync(topics.alarmEvents, { qos: 1 });
  gateway.on('message', (topic, payload) => {
    if (topic === topics.alarmEvents) mqttEvents.push(JSON.parse(payload.toString()) as AlarmEvent);
  });
});

test.after(async () => {
  await gateway?.endAsync(true);
  await rules?.stop();
  await broker?.stop();
  dir.remove();
});

test('a cover opened and polled 20 times is one alarm (count 20); events reach MQTT and a failing sink, in order, at least once', async () => {
  for (let i = 0; i < 20; i++) await publishBatch([coverReading(i * 10, true)]);
  const alarms = await waitFor('20 readings on the alarm', async () => {
    const { body } = await api('GET', `/api/v1/alarms?deviceId=${DEVICE}`);
    return body.alarms[0]?.count === 20 ? body.alarms : undefined;
  }, 15_000, 50);
  assert.is(alarms.length, 1);
  const [alarm] = alarms;
  assert.is(alarm.ruleId, 'cover-open');
  assert.is(alarm.state, 'active');
  assert.is(alarm.gatewayId, GW);
  assert.is(alarm.raisedAt, new Date(T0).toISOString());
  assert.equal(alarm.evidence, [{ timestamp: new Date(T0).toISOString(), values: { cover_open: true } }]);
  assert.equal(alarm.case, { category: 'manhole-cover', priority: 'urgent' });

  await waitFor('raised + 19 updated on MQTT', () => (mqttEvents.filter((e) => e.alarm.deviceId === DEVICE).length === 20 ? true : undefined), 10_000, 20);
  assert.is(mqttEvents[0]!.type, 'raised');
  assert.ok(await rules!.drained(10_000), 'the sink caught up');
  assert.is(sinkFailures, 2);
  const forSink = sinkEvents.filter((e) => e.alarm.deviceId === DEVICE);
  assert.equal(forSink.map((e) => e.type), ['raised', ...Array(19).fill('updated')], 'redelivered in order after the failures');
  assert.equal(forSink.map((e) => e.alarm.count), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.is(new Set(forSink.map((e) => e.eventId)).size, 20);
  assert.equal(forSink.map((e) => e.eventId), mqttEvents.filter((e) => e.alarm.deviceId === DEVICE).map((e) => e.eventId), 'one eventId per change on every sink');
  const metrics = await (await fetch(`${rules!.httpUrl}/metrics`)).text();
  assert.match(metrics, /tz_rules_alarm_event_delivery_failures_total\{sink="cases-test"[^}]*\} 2/);
  assert.match(metrics, /tz_rules_alarms_raised_total\{rule="cover-open",severity="critical"[^}]*\} 1/);
  // Counted in a typed array per reading, handed to prom-client at the scrape (rules/tally-histogram.ts).
  assert.match(metrics, /tz_rules_evaluation_seconds_count\{[^}]*\} 20\n/);
  assert.match(metrics, /tz_rules_evaluation_seconds_bucket\{le="\+Inf"[^}]*\} 20\n/);
  const stats = rules!.stats();
  assert.is(stats.readingsEvaluated, 20);
  assert.is(stats.alarmsRaised, 1);
  assert.is(stats.alarmsActive, 1);
});

test('acknowledge by role: readonly and crew may not, a dispatcher may; 401 without a token', async () => {
  const [alarm] = (await api('GET', `/api/v1/alarms?deviceId=${DEVICE}&state=active`, 'readonly')).body.alarms;
  assert.is((await api('POST', `/api/v1/alarms/${alarm.id}/ack`, 'readonly', {})).status, 403);
  assert.is((await api('GET', `/api/v1/alarms/${alarm.id}`, 'crew')).status, 403);
  const anonymous = await api('GET', '/api/v1/alarms', 'nobody');
  assert.is(anonymous.status, 401);
  const acked = await api('POST', `/api/v1/alarms/${alarm.id}/ack`, 'dispatcher', { note: 'crew dispatched' });
  assert.is(acked.status, 200);
  assert.is(acked.body.state, 'acknowledged');
  assert.is(acked.body.acknowledgedBy, `dispatcher:dispatcher 1#${String(tokens.dispatcher?.split('_')[1])}`, 'who acknowledged: actorOf, role:name#tokenId');
  const again = await api('POST', `/api/v1/alarms/${alarm.id}/ack`, 'dispatcher', {});
  assert.is(again.status, 409);
  assert.is(again.body.code, 'TZ_ALARM_STATE');
});

test('closing the cover clears the alarm, with who and when', async () => {
  await publishBatch([coverReading(300, false)]);
  const cleared = await waitFor('the alarm cleared', async () => (await api('GET', `/api/v1/alarms?deviceId=${DEVICE}&state=cleared`)).body.alarms[0], 15_000, 50);
  assert.is(cleared.clearedAt, new Date(T0 + 300_000).toISOString());
  assert.is(cleared.clearedBy, 'rules-engine');
  assert.is(cleared.acknowledgedBy, `dispatcher:dispatcher 1#${String(tokens.dispatcher?.split('_')[1])}`);
  await waitFor('the cleared event on MQTT', () => mqttEvents.find((e) => e.type === 'cleared'), 10_000, 20);
});

test('rules API: errors point at the faulty part; every change is versioned and can be rolled back; applied without restart', async () => {
  const bad = await api('POST', '/api/v1/rules', 'operator', { id: 'Leak!', name: 'x', severity: 'warning', when: { metric: 'water_level_cm', op: '>>', value: 1 } });
  assert.is(bad.status, 400);
  assert.is(bad.body.code, 'TZ_RULE_INVALID');
  assert.equal(bad.body.problems.map((p: { path: string }) => p.path).sort(), ['id', 'when.op']);
  const unknownMetric = await api('POST', '/api/v1/rules', 'operator', { id: 'deep-water', name: 'Deep water', severity: 'warning', scope: { classes: ['manhole-cover'] }, when: { any: [{ metric: 'water_level', op: '>', value: 1 }] } });
  assert.is(unknownMetric.status, 400);
  assert.match(unknownMetric.body.message, /when\.any\.0\.metric: unknown metric "water_level"/);
  assert.is((await api('POST', '/api/v1/rules', 'readonly', { id: 'x' })).status, 403);

  const rule = { id: 'deep-water', name: 'Deep water', severity: 'warning', scope: { classes: ['manhole-cover'], districts: ['gulou'] }, when: { metric: 'water_level_cm', op: '>', value: 100 } };
  const created = await api('POST', '/api/v1/rules', 'operator', rule);
  assert.is(created.status, 201);
  assert.is(created.body.version, 1);
  assert.is((await api('POST', '/api/v1/rules', 'operator', rule)).status, 409);
  const changed = await api('PUT', '/api/v1/rules/deep-water?expectedVersion=1', 'operator', { ...rule, when: { metric: 'water_level_cm', op: '>', value: 50 } });
  assert.is(changed.status, 200);
  assert.is(changed.body.version, 2);
  assert.is((await api('PUT', '/api/v1/rules/deep-water?expectedVersion=1', 'operator', rule)).status, 409, 'stale version');
  // Applied at once: 60 cm fires under version 2.
  await publishBatch([{ ...coverReading(310, false), metrics: [{ name: 'water_level_cm', number: 60 }] }]);
  await waitFor('deep-water alarm', async () => (await api('GET', `/api/v1/alarms?ruleId=deep-water&state=active`)).body.alarms[0], 10_000, 50);
  const history = (await api('GET', '/api/v1/rules/deep-water/history', 'readonly')).body.versions;
  assert.equal(history.map((v: { version: number; action: string; who: string }) => `${v.version}:${v.action}:${v.who}`), ['1', '2'].map((v, i) => `${v}:${i === 0 ? 'create' : 'update'}:operator:operator 1#${String(tokens.operator?.split('_')[1])}`), 'who: actorOf, role:name#tokenId');
  assert.equal(history[1].diff, [{ path: 'when.value', from: 100, to: 50 }]);
  const rolled = await api('POST', '/api/v1/rules/deep-water/rollback', 'operator', { version: 1 });
  assert.is(rolled.status, 200);
  assert.is(rolled.body.rule.when.value, 100);
  assert.is(rolled.body.rule.version, 3);
  const deleted = await api('DELETE', '/api/v1/rules/deep-water', 'operator');
  assert.is(deleted.body.deleted, true);
  const after = await api('GET', '/api/v1/alarms?ruleId=deep-water', 'readonly');
  assert.is(after.body.alarms[0].state, 'cleared', 'a deleted rule\'s open alarm is cleared');
  assert.match(after.body.alarms[0].clearedBy, /operator 1/);
  assert.is((await api('GET', '/api/v1/rules/deep-water')).status, 404);
  const list = (await api('GET', '/api/v1/rules', 'readonly')).body.rules;
  assert.ok(list.some((r: { id: string; source: string }) => r.id === 'cover-open' && r.source === 'profile'));
  assert.ok(list.some((r: { id: string; source: string }) => r.id === 'device-silent' && r.source === 'builtin'));
});

test('gateway events from the broker: offline raises one gateway alarm, a stale disconnect is ignored, online clears it', async () => {
  const event = (type: string, seq: number) => JSON.stringify({ type, gatewayId: 'gw-0002', clientId: 'gw-0002', brokerId: 'b1', connectionSeq: seq, at: new Date().toISOString() });
  await gateway.publishAsync(topics.gatewayEvents, event('connected', 5), { qos: 1 });
  await gateway.publishAsync(topics.gatewayEvents, event('disconnected', 4), { qos: 1 });
  await gateway.publishAsync(topics.gatewayEvents, event('disconnected', 5), { qos: 1 });
  const alarm = await waitFor('gateway alarm', async () => (await api('GET', '/api/v1/alarms?ruleId=gateway-offline&state=active')).body.alarms[0], 10_000, 50);
  assert.is(alarm.deviceId, 'gw-0002');
  await gateway.publishAsync(topics.gatewayEvents, event('connected', 6), { qos: 1 });
  await waitFor('gateway alarm cleared', async () => (await api('GET', '/api/v1/alarms?ruleId=gateway-offline&state=cleared')).body.alarms[0], 10_000, 50);
  assert.is((await api('GET', '/api/v1/alarms?ruleId=gateway-offline')).body.alarms.length, 1);
});

test('garbage is counted and the service keeps working; closeByCase closes an alarm', async () => {
  await gateway.publishAsync(topics.batch(GW), Buffer.from([0xff, 0xff, 0xff, 0x07, 0x01]), { qos: 1 });
  await waitFor('the reject counted', async () => (/tz_rules_rejected_total\{reason="malformed"[^}]*\} 1/.test(await (await fetch(`${rules!.httpUrl}/metrics`)).text()) ? true : undefined), 10_000, 20);
  assert.match(await (await fetch(`${rules!.httpUrl}/metrics`)).text(), /tz_rules_stale_gateway_events_total\{[^}]*\} 1/);
  await publishBatch([coverReading(400, true)]);
  const open = await waitFor('a second cover alarm', async () => (await api('GET', `/api/v1/alarms?deviceId=${DEVICE}&ruleId=cover-open&state=active`)).body.alarms[0], 15_000, 50);
  const [closed] = await rules!.alarms.closeByCase([open.id], 'case-7', 'crew-1', 'cover refitted');
  assert.is(closed!.state, 'closed');
  assert.is(closed!.caseId, 'case-7');
  await waitFor('the closed event reaches the sink', () => sinkEvents.find((e) => e.type === 'closed' && e.alarm.id === open.id), 10_000, 20);
});

test('a restart keeps the open alarm and updates it instead of raising a new one', async () => {
  await publishBatch([coverReading(410, true)]);
  const before = await waitFor('a third cover alarm', async () => (await api('GET', `/api/v1/alarms?deviceId=${DEVICE}&ruleId=cover-open&state=active`)).body.alarms[0], 15_000, 50);
  await rules!.stop();
  rules = await start();
  assert.is(rules.stats().alarmsActive, 1);
  await publishBatch([coverReading(420, true)]);
  const alarm = await waitFor('the open alarm updated', async () => {
    const { body } = await api('GET', `/api/v1/alarms?deviceId=${DEVICE}&ruleId=cover-open&state=active`);
    return body.alarms[0]?.count === 2 ? body.alarms[0] : undefined;
  }, 15_000, 50);
  assert.is(alarm.id, before.id);
  assert.is(rules.stats().alarmsRaised, 0);
});

test('wrong credentials: clear log, retried with backoff, unhealthy, no crash, stops cleanly', async () => {
  const lines: { msg?: string }[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(chunk.toString())); done(); } });
  const wrong = await startRules({ brokerUrl, username: USER, password: 'wrong', clientId: 'tz-rules-wrong', profiles: loadProfiles(), dbPath: ':memory:', access, log: pino({ level: 'warn' }, sink) });
  try {
    await waitFor('two rejected attempts', () => (lines.filter((l) => l.msg === 'rules: broker rejected the credentials (check the rules service account in the broker users file); retrying').length >= 2 ? true : undefined), 10_000, 20);
    const health = await fetch(`${wrong.httpUrl}/healthz`);
    assert.is(health.status, 503);
    assert.is((await health.json()).brokerConnected, false);
  } finally {
    await wrong.stop();
  }
});

test.run();

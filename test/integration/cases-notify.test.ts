// Case notifications through the outbox: a real HTTP webhook receiver that
// fails, then succeeds (HMAC checked); delivery surviving a restart; MQTT
// to tz/v1/crews/{crewId}/cases through the real broker to a crew's client.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { BrokerUsers, startBroker } from '../../broker/index.ts';
import { createLogger, openAccessTokens } from '../../service-kit/index.ts';
import { DEFAULT_CASE_CONFIG, openCaseSystem, verifyWebhookSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER, type CaseSystemOptions, type CaseNotification } from '../../cases/index.ts';
import { startCaseApi, tempDir, waitFor } from './helpers.ts';

const SECRET = 'test-webhook-secret-0123456789';
const log = createLogger('cases', 'silent');

interface Received { body: string; signature: string; timestamp: string; delivery: string; valid: boolean }

async function receiver(failFirst: number): Promise<{ url: string; received: Received[]; attempts: () => number; setFailing(n: number): void; close(): Promise<void> }> {
  let failing = failFirst;
  let attempts = 0;
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      attempts += 1;
      if (failing > 0) {
        failing -= 1;
        res.writeHead(503).end('busy');
        return;
      }
      const signature = String(req.headers[SIGNATURE_HEADER]);
      const timestamp = String(req.headers[TIMESTAMP_HEADER]);
      received.push({ body, signature, timestamp, delivery: String(req.headers[DELIVERY_HEADER]), valid: verifyWebhookSignature(SECRET, timestamp, body, signature) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hook`, received, attempts: () => attempts, setFailing: (n) => { failing = n; },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const crewsFor = (hookUrl: string) => [{ id: 'c1', name: 'North', department: 'municipal-facilities', districts: ['*'], skills: ['*'], webhookUrl: hookUrl }];
const NOTIFYING = { log, slaCheckMs: 0, outboxPollMs: 50, webhookSecret: SECRET, retry: { baseDelayMs: 40, maxDelayMs: 200, maxAttempts: 10 } };

function options(dir: string, hookUrl: string, over: Partial<CaseSystemOptions> = {}): CaseSystemOptions {
  const db = new Database(join(dir, 'access.sqlite'));
  return {
    ...NOTIFYING, dbPath: join(dir, 'cases.sqlite'), access: openAccessTokens(db), photoDir: join(dir, 'photos'),
    config: { ...(DEFAULT_CASE_CONFIG as object), crews: crewsFor(hookUrl) },
    ...over,
  };
}

test('webhook: fails twice, then delivered once, signed with HMAC-SHA256; state visible in API and /metrics', async () => {
  const hook = await receiver(2);
  const cases = await startCaseApi({ prefix: 'tz-cases-hook-', people: { ops: { role: 'operator' } }, crews: crewsFor(hook.url), system: NOTIFYING });
  const { system, base } = cases;
  try {
    const c = await system.workflow.create({ category: 'manhole-cover', priority: 'urgent', title: 'Cover open', source: 'inspector', district: 'north', register: true }, { who: 'operator:o', role: 'operator', crewId: null });
    assert.is(c.crewId, 'c1');
    await waitFor('webhook delivered', () => (hook.received.length ? true : undefined), 10_000, 20);
    assert.is(hook.attempts(), 3, 'two failures, then success');
    const [got] = hook.received;
    assert.ok(got!.valid, 'the HMAC signature verifies');
    assert.not.ok(verifyWebhookSignature('wrong-secret', got!.timestamp, got!.body, got!.signature));
    const body = JSON.parse(got!.body) as CaseNotification;
    assert.is(body.type, 'case.dispatched');
    assert.is(body.case.id, c.id);
    assert.is(body.crewId, 'c1');
    const token = cases.token('ops');
    const outbox = await (await fetch(`${base}/api/v1/outbox?caseId=${c.id}`, { headers: { authorization: `Bearer ${token}` } })).json() as { messages: Array<{ id: number; state: string; attempts: number; channel: string; lastError: string | null }> };
    assert.is(outbox.messages[0]?.state, 'delivered');
    assert.is(outbox.messages[0]?.attempts, 3);
    assert.is(got!.delivery, String(outbox.messages[0]?.id), 'delivery id = outbox id, stable across retries');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /tz_cases_notifications_total\{channel="webhook",result="failed",component="cases"\} 2/);
    assert.match(metrics, /tz_cases_notifications_total\{channel="webhook",result="delivered",component="cases"\} 1/);
    assert.match(metrics, /tz_cases_outbox_messages\{channel="webhook",state="delivered",component="cases"\} 1/);
  } finally {
    await cases.stop();
    await hook.close();
  }
});

test('outbox: a notification queued before a stop is delivered after the restart', async () => {
  const dir = tempDir('tz-cases-restart-');
  const hook = await receiver(1_000_000);
  try {
    const first = await openCaseSystem(options(dir.path, hook.url));
    const c = await first.workflow.create({ category: 'drainage', priority: 'high', title: 'Drain', source: 'inspector', district: 'x', register: true }, { who: 'operator:o', role: 'operator', crewId: null });
    await waitFor('a failed attempt', () => (hook.attempts() > 0 ? true : undefined), 5_000, 20);
    await first.stop();
    assert.is((await first.readStats().catch(() => null)), null, 'stopped store is closed');
    hook.setFailing(0);
    const second = await openCaseSystem(options(dir.path, hook.url));
    try {
      await waitFor('delivery after restart', () => (hook.received.length ? true : undefined), 10_000, 20);
      assert.is((JSON.parse(hook.received[0]!.body) as CaseNotification).case.id, c.id);
      assert.is((await second.readStats()).outboxPending, 0);
    } finally {
      await second.stop();
    }
  } finally {
    await hook.close();
    dir.remove();
  }
});

test('MQTT: a crew receives its case on tz/v1/crews/{crewId}/cases through the real broker; another crew cannot subscribe to it', async () => {
  const dir = tempDir('tz-cases-mqtt-');
  const users = BrokerUsers.inMemory();
  users.add('tz-rules', 'rules-password-0123456789', 'rules');
  users.add('c1', 'crew-one-password-0123456789', 'crew');
  users.add('c2', 'crew-two-password-0123456789', 'crew');
  const broker = await startBroker({ users, port: 0, log: createLogger('broker', 'silent') });
  const service = await mqtt.connectAsync(broker.mqttUrl, { username: 'tz-rules', password: 'rules-password-0123456789', clientId: 'cases-test', reconnectPeriod: 0 });
  const crew = await mqtt.connectAsync(broker.mqttUrl, { username: 'c1', password: 'crew-one-password-0123456789', clientId: 'crew-c1', reconnectPeriod: 0 });
  const intruder = await mqtt.connectAsync(broker.mqttUrl, { username: 'c2', password: 'crew-two-password-0123456789', clientId: 'crew-c2', reconnectPeriod: 0 });
  const got: Array<{ topic: string; body: CaseNotification }> = [];
  crew.on('message', (topic, payload) => got.push({ topic, body: JSON.parse(payload.toString()) as CaseNotification }));
  let system: Awaited<ReturnType<typeof openCaseSystem>> | null = null;
  try {
    const granted = await crew.subscribeAsync('tz/v1/crews/c1/cases', { qos: 1 });
    assert.is(granted[0]?.qos, 1);
    // mqtt.js rejects a SUBACK of 0x80 (refused).
    const refused = await intruder.subscribeAsync('tz/v1/crews/c1/cases', { qos: 1 }).then((g) => g[0]?.qos, (err: Error) => err.message);
    assert.ok(refused === 128 || /Subscribe error/.test(String(refused)), `the broker refuses another crew's topic (got ${String(refused)})`);
    system = await openCaseSystem({
      ...options(dir.path, 'http://127.0.0.1:9/unused'), webhookSecret: SECRET,
      config: { ...(DEFAULT_CASE_CONFIG as object), crews: [{ id: 'c1', name: 'North', department: 'municipal-facilities', districts: ['*'], skills: ['*'] }] },
      publishMqtt: async (topic, payload) => { await service.publishAsync(topic, payload, { qos: 1 }); },
    });
    const c = await system.workflow.create({ category: 'manhole-cover', priority: 'urgent', title: 'Cover open', source: 'inspector', district: 'north', register: true }, { who: 'operator:o', role: 'operator', crewId: null });
    await waitFor('crew notification over MQTT', () => (got.length ? true : undefined), 10_000, 20);
    assert.is(got[0]?.topic, 'tz/v1/crews/c1/cases');
    assert.is(got[0]?.body.case.id, c.id);
    assert.is(got[0]?.body.type, 'case.dispatched');
    const running = system;
    await waitFor('outbox marked delivered', async () => ((await running.readStats()).outboxPending === 0 ? true : undefined), 5_000, 20);
  } finally {
    await system?.stop();
    await Promise.all([service.endAsync(), crew.endAsync(), intruder.endAsync()]);
    await broker.stop();
    dir.remove();
  }
});

test.run();

// Issue 18 against a real Aedes broker and the real rules service: a batch's
// PUBACK is not sent before the alarm writer thread has committed and synced
// its alarm — while the writer is held, the service goes on evaluating the
// next batch, and both PUBACKs follow the release, in order. A commit that
// fails leaves its batch unacknowledged (counted store-failed): the
// connection is dropped and the broker delivers the batch again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { loadProfiles } from '../../device-profiles/index.ts';
import { encodeUplinkBatch, topics, type IReading } from '../../proto/index.ts';
import { openAccessTokens } from '../../service-kit/index.ts';
import { startRules, type RulesService } from '../../rules/index.ts';
import { writerGate } from '../../rules/test/fixtures/writer-gate.ts';
import { tempDir, waitFor } from './helpers.ts';

const USER = 'tz-rules';
const PASSWORD = 'rules-puback-secret';
const GW = 'gw-0007';
const T0 = 1_700_000_000_000;

let broker: Aedes;
let server: Server;
let rules: RulesService | undefined;
let gateway: MqttClient;
const dir = tempDir('tz-rules-puback-');
/** Message ids the rules service acknowledged to the broker, in order, per payload marker. */
const acked: string[] = [];
let disconnects = 0;
let batchSeq = 0;

/** The service store's alarm writer thread, held before each commit until the test says. */
const gate = writerGate();
gate.hold();

function cover(deviceId: string, seconds: number, coverOpen: boolean): IReading {
  return { deviceId, profile: 'manhole-cover', profileVersion: 1, timestampMs: T0 + seconds * 1000, seq: seconds + 1, district: 'gulou', metrics: [{ name: 'cover_open', flag: coverOpen }] };
}

function publishBatch(readings: IReading[]): Promise<unknown> {
  batchSeq += 1;
  return gateway.publishAsync(topics.batch(GW), Buffer.from(encodeUplinkBatch({ gatewayId: GW, batchSeq, sentAtMs: Date.now(), readings })), { qos: 1 });
}

async function metricsText(): Promise<string> {
  return (await fetch(`${rules?.httpUrl}/metrics`)).text();
}

test.before(async () => {
  broker = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => done(null, (username === USER || username === GW) && password?.toString() === PASSWORD),
  });
  broker.on('ack', (packet, client) => {
    if (client?.id === 'tz-rules' && packet && 'payload' in packet) acked.push(`batch ${batchOf(packet.payload)}`);
  });
  broker.on('clientDisconnect', (client) => { if (client.id === 'tz-rules') disconnects += 1; });
  server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const brokerUrl = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
  const subscribed = new Promise<void>((resolve) => {
    broker.on('subscribe', (subs, client) => { if (client?.id === 'tz-rules' && subs.some((s) => s.topic === topics.allBatches)) resolve(); });
  });
  rules = await startRules({
    brokerUrl, username: USER, password: PASSWORD, profiles: loadProfiles(), dbPath: join(dir.path, 'rules.db'),
    access: openAccessTokens(new Database(':memory:')), log: pino({ level: 'silent' }), tickMs: 60_000,
    writerGate: gate.gate,
  });
  await subscribed;
  gateway = await mqtt.connectAsync(brokerUrl, { clientId: 'test-gw-7', username: GW, password: PASSWORD, reconnectPeriod: 0 });
});

/** The batch sequence number inside an UplinkBatch payload (field 2, varint), enough to tell the test's batches apart. */
function batchOf(payload: Buffer | string): number {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 0x10) return bytes[i + 1] ?? -1;
  return -1;
}

test.after(async () => {
  gate.open();
  await gateway?.endAsync(true);
  await rules?.stop();
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
  dir.remove();
});

test('a batch is acknowledged only after the writer committed and synced its alarm; the next batch is evaluated meanwhile; PUBACKs in order', async () => {
  await publishBatch([cover('mh-1', 0, true)]); // batch 1: raises an alarm
  await publishBatch([cover('mh-2', 0, false)]); // batch 2: changes nothing
  const service = rules;
  if (!service) throw new Error('rules not started');
  await waitFor('both batches evaluated', () => (service.stats().readingsEvaluated === 2 ? true : undefined), 10_000, 10);
  await gate.reached(1);
  assert.is(gate.arrived(), 1, 'its alarm change is with the writer');
  assert.is(await service.alarms.get('1'), undefined, 'not committed while the writer is held');
  assert.equal(acked, [], 'no PUBACK while the writer is held: not batch 1 (not durable), not batch 2 (PUBACKs go in order)');
  gate.open();
  await waitFor('both PUBACKs', () => (acked.length === 2 ? true : undefined), 10_000, 10);
  assert.equal(acked, ['batch 1', 'batch 2']);
  assert.is(service.stats().alarmsRaised, 1, 'the alarm row is committed');
  assert.is((await service.alarms.get('1'))?.deviceId, 'mh-1');
});

test('a commit that fails: the batch is not acknowledged, counted store-failed, and the broker delivers it again', async () => {
  const service = rules;
  if (!service) throw new Error('rules not started');
  acked.length = 0;
  const before = disconnects;
  await publishBatch([cover('mh-3', 0, true)]); // batch 3
  gate.fail();
  await waitFor('the connection dropped', () => (disconnects > before ? true : undefined), 10_000, 10);
  assert.not.ok(acked.includes('batch 3'), 'never acknowledged on the failed connection');
  assert.match(await metricsText(), /tz_rules_rejected_total\{reason="store-failed"[^}]*\} 1/);
  assert.match(await metricsText(), /tz_rules_alarm_writer_failures_total\{reason="commit"[^}]*\} 1/);
  gate.open();
  // Delivered again on the next session: the evaluator has moved past it, so it comes back stale (counted) and is acknowledged.
  await waitFor('redelivered and acknowledged', () => (acked.includes('batch 3') ? true : undefined), 15_000, 20);
  assert.match(await metricsText(), /tz_rules_rejected_total\{reason="stale-reading"[^}]*\} 1/);
});

test.run();

// Issue 20: two rules services (real processes, `tianzhong rules` with
// --share-group rules) on one PostgreSQL (--rules-db and --cases-db), a real
// broker over TCP, the case system inside each. Gateways stream manhole
// covers opening and closing; mid-stream one service is SIGKILLed, its
// gateways move to the other, and it is started again (as a supervisor
// would). Ledger: every opening raised exactly one alarm — none lost, none
// doubled — and every alarm reached a case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import type { MqttClient } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { encodeUplinkBatch, topics, type IReading } from '../../proto/index.ts';
import { ComponentProcess, metricSum, rulesMemberProcess } from '../../testing/index.ts';
import { connectMqtt, freePort, startPostgres, tempDir, waitFor, type TestPostgres } from './helpers.ts';

const GATEWAYS = ['gw-pg-1', 'gw-pg-2', 'gw-pg-3', 'gw-pg-4', 'gw-pg-5', 'gw-pg-6'];
const COVERS_PER_GATEWAY = 4;
/** Each cover opens (an alarm) and closes (cleared) this many times. */
const CYCLES = 6;
const RULES_PASSWORD = 'rules-service-secret-1';
const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
/** Device time between steps: openings 6 min apart stay under the default flapping threshold (5 fires in 10 min). */
const STEP_MS = 180_000;

let server: TestPostgres;
let broker: RunningBroker;
const dir = tempDir('tz-rules-two-');
const clients: MqttClient[] = [];
const services: ComponentProcess[] = [];

const rulesService = (name: string, url: string, httpPort: number): ComponentProcess =>
  rulesMemberProcess({ name, brokerUrl: broker.mqttUrl, dbUrl: url, httpPort, dir: dir.path, password: RULES_PASSWORD });

test.before(async () => {
  server = await startPostgres();
  const users = BrokerUsers.inMemory();
  users.add('tz-rules', RULES_PASSWORD, 'service');
  for (const id of GATEWAYS) users.add(id, `${id}-secret-pass`, 'gateway');
  broker = await startBroker({ users, port: 0 });
});

test.after(async () => {
  for (const s of services) await s.kill('SIGKILL').catch(() => undefined);
  for (const s of services) s.close();
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker?.stop();
  await server?.stop();
  dir.remove();
});

test('two rules services on one PostgreSQL, one SIGKILLed mid-stream: no alarm lost, doubled or without its case', async () => {
  const url = server.url;
  const [portA, portB] = [await freePort(), await freePort()];
  const a = rulesService('a', url, portA);
  const b = rulesService('b', url, portB);
  services.push(a, b);
  // One at a time: the first creates the schemas.
  await a.start();
  await b.start();
  const members = () => broker.sharedGroups().filter((g) => g.group === 'rules').flatMap((g) => g.members).filter((m) => m.online).length;
  await waitFor('both services in the share group', () => (members() >= 2 ? true : undefined), 20_000, 50);

  const gateways = new Map<string, MqttClient>();
  for (const id of GATEWAYS) gateways.set(id, await connectMqtt(broker.mqttUrl, { clientId: id, username: id, password: `${id}-secret-pass` }, clients));
  let batchSeq = 0;
  /** Step n of the stream: every cover of every gateway reports open (even n) or closed (odd n). */
  const publishStep = async (n: number) => {
    await Promise.all(GATEWAYS.map(async (gw) => {
      const readings: IReading[] = Array.from({ length: COVERS_PER_GATEWAY }, (_, i) => ({
        deviceId: `${gw}-mh-${i}`, profile: 'manhole-cover', profileVersion: 1, timestampMs: T0 + n * STEP_MS, seq: n + 1, district: 'gulou',
        metrics: [{ name: 'cover_open', flag: n % 2 === 0 }],
      }));
      const client = gateways.get(gw);
      if (!client) throw new Error(`no client for ${gw}`);
      await client.publishAsync(topics.batch(gw), Buffer.from(encodeUplinkBatch({ gatewayId: gw, batchSeq: ++batchSeq, sentAtMs: Date.now(), readings })), { qos: 1 });
    }));
  };

  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const covers = GATEWAYS.length * COVERS_PER_GATEWAY;
    const expected = covers * CYCLES;
    const ledger = async () => {
      const alarms = (await db.query<{ id: string; device_id: string; raised_at: string; state: string }>(
        "SELECT id::text, device_id, raised_at::text, state FROM tz_rules.alarms WHERE rule_id = 'cover-open'")).rows;
      const linked = new Set((await db.query<{ alarm_id: string }>('SELECT alarm_id FROM case_alarms')).rows.map((r) => r.alarm_id));
      const outbox = Number((await db.query<{ n: string }>('SELECT COUNT(*) AS n FROM tz_rules.outbox')).rows[0]?.n ?? -1);
      return { alarms, linked, outbox };
    };
    /** Every opening published so far stored and cleared again, its events delivered: nothing in flight. */
    const quiet = (openings: number) => waitFor(`${openings} alarms raised and cleared`, async () => {
      const l = await ledger();
      return l.alarms.length === openings && l.alarms.every((x) => x.state === 'cleared') && l.outbox === 0 ? true : undefined;
    }, 60_000, 100);
    let n = 0;
    const publishSteps = async (count: number) => { for (const end = n + count; n < end; n++) await publishStep(n); };

    // 1. A clean failover: the first service is killed between readings; the stream goes on with
    //    its gateways on the other service, which adopts their devices from the store; then it returns.
    await publishSteps(4);
    await quiet(2 * covers);
    await a.kill('SIGKILL');
    await publishSteps(4);
    await a.start();
    await waitFor('both services in the share group again', () => (members() >= 2 ? true : undefined), 20_000, 50);
    // 2. A crash mid-batch: the second service dies with batches in flight (stored or not, not acknowledged)
    //    and is started again at once (a supervisor, faster than the devices' next report): its
    //    persistent session hands the batches back, and what it had stored raises nothing twice.
    await publishSteps(2);
    await b.kill('SIGKILL');
    await b.start();
    await publishSteps(2);

    const settled = await waitFor('every alarm stored, delivered and on a case', async () => {
      const l = await ledger();
      const cleared = l.alarms.filter((x) => x.state === 'cleared').length;
      return l.alarms.length >= expected && cleared === l.alarms.length && l.outbox === 0 && l.alarms.every((x) => l.linked.has(x.id)) ? l : undefined;
    }, 90_000, 250).catch(async () => ledger());
    const raisings = new Set(settled.alarms.map((x) => `${x.device_id}@${x.raised_at}`));
    const unlinked = settled.alarms.filter((x) => !settled.linked.has(x.id));
    console.log(`ledger: expected ${expected} alarms, stored ${settled.alarms.length} (${raisings.size} distinct raisings), unlinked ${unlinked.length}, outbox ${settled.outbox}`);
    const perStep = Array.from({ length: CYCLES }, (_, i) => settled.alarms.filter((x) => x.raised_at === String(T0 + 2 * i * STEP_MS)).length);
    if (settled.alarms.length !== expected) {
      const counts = (await db.query<{ raised_at: string; state: string; count: number; n: string }>("SELECT raised_at::text, state, count, COUNT(*) AS n FROM tz_rules.alarms GROUP BY 1, 2, 3 ORDER BY 1")).rows;
      const m = async (base: string) => [await metricSum(base, 'tz_rules_readings_evaluated_total'), await metricSum(base, 'tz_rules_rejected_total'), await metricSum(base, 'tz_rules_batches_total')];
      console.log(`alarms per opening step: ${perStep.join(' ')}; by raise/state/count: ${JSON.stringify(counts)}; a ${await m(`http://127.0.0.1:${portA}`)} b ${await m(`http://127.0.0.1:${portB}`)}`);
    }
    assert.is(settled.alarms.length, expected, 'one alarm per opening: none lost, none doubled');
    assert.is(raisings.size, expected, 'no reading raised two alarms');
    for (let step = 0; step < CYCLES * 2; step += 2) {
      const at = String(T0 + step * STEP_MS);
      assert.is(settled.alarms.filter((x) => x.raised_at === at).length, covers, `every cover's opening at step ${step} raised its alarm`);
    }
    assert.is(unlinked.length, 0, 'every alarm is on a case');
    assert.is(settled.outbox, 0, 'every event delivered');
    assert.ok(a.exits.some((e) => e.signal === 'SIGKILL') && b.exits.some((e) => e.signal === 'SIGKILL'), 'both services were killed once');
  } finally {
    await db.end();
  }
});

test.run();

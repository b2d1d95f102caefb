// Issue 20: a rules service dies with readings it had not acknowledged and
// stays down longer than the devices' report interval. Two rules services
// (real processes, --share-group rules) on one PostgreSQL and a real broker
// with shareHandoverMs 1 s. The second service is killed; the first is frozen
// (SIGSTOP) while every gateway reports its covers open, then SIGKILLed with
// those readings sent to it and unacknowledged. The second comes back, the
// broker hands the dead member's readings to it, the covers report closed
// (newer readings) twice more while the first stays dead, and only then
// does the first return. Before the handover those openings waited in the
// dead member's session, reached rules after the newer closings and were
// rejected as stale-reading: their alarms were lost. Now: every opening
// raised its alarm, nothing was stale.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import type { MqttClient } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { encodeUplinkBatch, topics, type IReading } from '../../proto/index.ts';
import { ComponentProcess, metricSum, rulesMemberProcess } from '../../testing/index.ts';
import { connectMqtt, freePort, startPostgres, tempDir, waitFor, type TestPostgres } from './helpers.ts';

const GATEWAYS = ['gw-ho-1', 'gw-ho-2', 'gw-ho-3', 'gw-ho-4'];
const COVERS_PER_GATEWAY = 3;
const RULES_PASSWORD = 'rules-service-secret-1';
const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);
/** Device time between reports (the report interval); openings 6 min apart stay under the flapping threshold. */
const STEP_MS = 180_000;

let server: TestPostgres;
let broker: RunningBroker;
const dir = tempDir('tz-rules-handover-');
const clients: MqttClient[] = [];
const services: ComponentProcess[] = [];

const rulesService = (name: string, url: string, httpPort: number): ComponentProcess =>
  rulesMemberProcess({ name, brokerUrl: broker.mqttUrl, dbUrl: url, httpPort, dir: dir.path, password: RULES_PASSWORD });

test.before(async () => {
  server = await startPostgres();
  const users = BrokerUsers.inMemory();
  users.add('tz-rules', RULES_PASSWORD, 'service');
  for (const id of GATEWAYS) users.add(id, `${id}-secret-pass`, 'gateway');
  broker = await startBroker({ users, port: 0, shareHandoverMs: 1_000 });
});

test.after(async () => {
  for (const s of services) await s.kill('SIGKILL').catch(() => undefined);
  for (const s of services) s.close();
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker?.stop();
  await server?.stop();
  dir.remove();
});

test('a rules service killed with unacknowledged openings, down for several report intervals: its readings move to the other service, no alarm lost', async () => {
  const url = server.url;
  const [portA, portB] = [await freePort(), await freePort()];
  const a = rulesService('a', url, portA);
  const b = rulesService('b', url, portB);
  services.push(a, b);
  await a.start();
  await b.start();
  const online = () => broker.sharedGroups().filter((g) => g.group === 'rules').flatMap((g) => g.members).filter((m) => m.online).map((m) => m.clientId).filter((id, i, all) => all.indexOf(id) === i);
  await waitFor('both services in the share group', () => (online().length >= 2 ? true : undefined), 20_000, 50);

  const gateways = new Map<string, MqttClient>();
  for (const id of GATEWAYS) gateways.set(id, await connectMqtt(broker.mqttUrl, { clientId: id, username: id, password: `${id}-secret-pass` }, clients));
  let batchSeq = 0;
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
  const brokerMetric = async (name: string) => metricSum(broker.httpUrl, name, { group: 'rules' });

  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const covers = GATEWAYS.length * COVERS_PER_GATEWAY;
    const alarms = async () => (await db.query<{ raised_at: string; state: string }>(
      "SELECT raised_at::text, state FROM tz_rules.alarms WHERE rule_id = 'cover-open'")).rows;
    const settle = (what: string, ok: (rows: Array<{ raised_at: string; state: string }>) => boolean) =>
      waitFor(what, async () => { const rows = await alarms(); return ok(rows) ? rows : undefined; }, 60_000, 100);

    // Warm-up: one opening and closing on both services.
    await publishStep(0);
    await publishStep(1);
    await settle('first openings raised and cleared', (r) => r.length === covers && r.every((x) => x.state === 'cleared'));

    // b dies (between readings: nothing of its own in flight); every gateway is now a's.
    await b.kill('SIGKILL');
    await waitFor('only a online', () => (online().join() === 'tz-rules-a' ? true : undefined), 10_000, 20);
    // a freezes; the openings are sent to it and never acknowledged; then it is killed.
    a.signal('SIGSTOP');
    const dispatched = await brokerMetric('tz_broker_shared_deliveries_total');
    await publishStep(2);
    await waitFor('openings dispatched to a', async () => ((await brokerMetric('tz_broker_shared_deliveries_total')) - dispatched >= GATEWAYS.length ? true : undefined), 10_000, 20);
    await a.kill('SIGKILL');
    await waitFor('nobody online', () => (online().length === 0 ? true : undefined), 10_000, 20);

    // b returns; after the grace a's openings are handed to it, before any newer reading exists.
    await b.start();
    await waitFor('a\'s readings handed over', async () => ((await brokerMetric('tz_broker_share_handover_total')) >= 1 ? true : undefined), 30_000, 50);
    assert.is(await brokerMetric('tz_broker_share_handover_messages_total'), GATEWAYS.length, 'every batch a held moved, once');
    // The covers report closed, open, closed over three more report intervals while a stays dead.
    await settle('the handed-over openings raised their alarms', (r) => r.filter((x) => x.raised_at === String(T0 + 2 * STEP_MS)).length === covers);
    await publishStep(3);
    await publishStep(4);
    await publishStep(5);
    await settle('every opening raised and cleared', (r) => r.length === 3 * covers && r.every((x) => x.state === 'cleared'));
    // a returns with its session: nothing old is left in it.
    await a.start();
    await waitFor('both services in the share group again', () => (online().length >= 2 ? true : undefined), 20_000, 50);
    await publishStep(6);
    await publishStep(7);
    const rows = await settle('the last openings raised and cleared', (r) => r.length === 4 * covers && r.every((x) => x.state === 'cleared'));
    for (const step of [0, 2, 4, 6]) {
      assert.is(rows.filter((x) => x.raised_at === String(T0 + step * STEP_MS)).length, covers, `every cover's opening at step ${step} raised its alarm`);
    }
    const stale = (await metricSum(`http://127.0.0.1:${portA}`, 'tz_rules_rejected_total', { reason: 'stale-reading' }))
      + (await metricSum(`http://127.0.0.1:${portB}`, 'tz_rules_rejected_total', { reason: 'stale-reading' }));
    assert.is(stale, 0, 'no reading arrived after a newer one of its device');
  } finally {
    await db.end();
  }
});

test.run();

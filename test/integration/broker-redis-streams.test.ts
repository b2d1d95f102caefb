// Two broker nodes on one real redis-server, the Redis Streams emitter
// between them: every QoS 1 message a gateway publishes on node A reaches a
// subscriber on node B at least once while (a) Redis is killed and started
// again mid-stream (append-only file on: the stream survives), (b) node B's
// Redis connections are cut with CLIENT KILL mid-stream. Sent = received;
// duplicates are allowed and counted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import type { MqttClient } from 'mqtt';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { createBrokerMetrics } from '../../broker/metrics.ts';
import { RedisStreamEmitter } from '../../broker/redis-stream-emitter.ts';
import { createLogger } from '../../service-kit/index.ts';
import { topics } from '../../proto/index.ts';
import { connectMqtt, startRestartableRedis, waitFor, type RestartableRedis } from './helpers.ts';

const require = createRequire(import.meta.url);
const users = BrokerUsers.inMemory();
const GW = 'gw-0001';
const GW_PASSWORD = 'gw-0001-secret-pass';
const INGEST_PASSWORD = 'ingest-secret-pass';
const N = 600;

interface AdminRedis {
  call(command: string, ...args: string[]): Promise<unknown>;
  disconnect(): void;
}

test.before(() => {
  users.add(GW, GW_PASSWORD, 'gateway');
  users.add('tz-ingest', INGEST_PASSWORD, 'ingest');
});

async function twoNodes(redis: RestartableRedis, tag: string): Promise<{ a: RunningBroker; b: RunningBroker }> {
  const persistence = { type: 'redis' as const, url: redis.url, emitter: 'streams' as const, streamKey: `tz:test:${tag}` };
  const a = await startBroker({ users, port: 0, nodeId: `${tag}-a`, persistence });
  const b = await startBroker({ users, port: 0, nodeId: `${tag}-b`, persistence });
  return { a, b };
}

const metric = async (broker: RunningBroker, name: string): Promise<number> => {
  const text = await (await fetch(`${broker.httpUrl}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
};

/**
 * Publishes N numbered QoS 1 messages on A (each waits for its PUBACK; the
 * client reconnects and resends what was unacknowledged), runs `fault` once B
 * has received `faultAt`, and waits until B's subscriber has every number.
 */
async function run(a: RunningBroker, b: RunningBroker, fault: () => Promise<void>, faultAt: number[]): Promise<{ received: Map<number, number>; duplicates: number }> {
  const clients: MqttClient[] = [];
  try {
    const sub = await connectMqtt(b.mqttUrl, { clientId: 'ingest-on-b', username: 'tz-ingest', password: INGEST_PASSWORD, clean: true }, clients);
    const received = new Map<number, number>();
    sub.on('message', (_topic, payload) => {
      const n = Number(payload.toString());
      received.set(n, (received.get(n) ?? 0) + 1);
    });
    await sub.subscribeAsync(topics.allBatches, { qos: 1 });
    const gw = await connectMqtt(a.mqttUrl, { clientId: GW, username: GW, password: GW_PASSWORD, reconnectPeriod: 200, clean: false }, clients);
    gw.on('error', () => undefined);
    const faults = (async () => {
      for (const at of faultAt) {
        await waitFor(`B received ${at}`, () => (received.size >= at ? true : undefined), 60_000, 5);
        await fault();
      }
    })();
    for (let i = 0; i < N; i++) await gw.publishAsync(topics.batch(GW), Buffer.from(String(i)), { qos: 1 });
    await faults;
    await waitFor(`B received all ${N}`, () => (received.size === N ? true : undefined), 60_000, 20);
    let duplicates = 0;
    for (const count of received.values()) duplicates += count - 1;
    return { received, duplicates };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)));
  }
}

test('(a) Redis killed and started again mid-stream: B receives every message A took', async () => {
  const redis = await startRestartableRedis();
  const { a, b } = await twoNodes(redis, 'restart');
  try {
    const result = await run(a, b, async () => {
      await redis.kill();
      await redis.start();
    }, [150, 400]);
    for (let i = 0; i < N; i++) assert.ok(result.received.has(i), `message ${i} missing`);
    console.log(`    redis restart: sent ${N}, received ${result.received.size} distinct, ${result.duplicates} duplicates at the subscriber; B stream duplicates skipped ${await metric(b, 'tz_broker_redis_stream_duplicates_total')}, resumes ${await metric(b, 'tz_broker_redis_stream_resumes_total')}`);
    assert.ok(await metric(b, 'tz_broker_redis_stream_resumes_total') >= 2, 'B resumed after each restart');
    assert.is(await metric(b, 'tz_broker_redis_stream_trimmed_before_read_total'), 0, 'no gap');
    assert.ok(await metric(b, 'tz_broker_redis_stream_delivered_total') >= N);
  } finally {
    await b.stop();
    await a.stop();
    await redis.stop();
  }
});

test('(b) node B\'s Redis connections cut with CLIENT KILL mid-stream: B receives every message', async () => {
  const redis = await startRestartableRedis();
  const { a, b } = await twoNodes(redis, 'cut');
  const Redis = createRequire(require.resolve('mqemitter-redis'))('ioredis') as new (url: string) => AdminRedis;
  const admin = new Redis(redis.url);
  try {
    const cutB = async () => {
      // B's connections are back from the previous cut (they reconnect on their own) before the next one.
      await waitFor('B healthy (stream reader and appender ready)', async () => ((await (await fetch(`${b.httpUrl}/healthz`)).json()) as { ok: boolean }).ok || undefined, 10_000, 20);
      const ids = await waitFor("B's three Redis connections in CLIENT LIST", async () => {
        const list = String(await admin.call('CLIENT', 'LIST'));
        const found = list.split('\n').filter((l) => / name=tz-broker-\w+-cut-b /.test(l)).map((l) => /\bid=(\d+)/.exec(l)?.[1]).filter((id): id is string => id !== undefined);
        return found.length >= 3 ? found : undefined;
      }, 10_000, 20);
      const resumesBefore = await metric(b, 'tz_broker_redis_stream_resumes_total');
      for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
      // The next cut waits for this one's resume: /healthz can be green again before the reader's first XREAD, and two cuts then make one resume.
      await waitFor('B resumed its stream after the cut', async () => ((await metric(b, 'tz_broker_redis_stream_resumes_total')) > resumesBefore ? true : undefined), 10_000, 20);
    };
    const result = await run(a, b, cutB, [100, 250, 450]);
    for (let i = 0; i < N; i++) assert.ok(result.received.has(i), `message ${i} missing`);
    console.log(`    link cut: sent ${N}, received ${result.received.size} distinct, ${result.duplicates} duplicates at the subscriber; B resumes ${await metric(b, 'tz_broker_redis_stream_resumes_total')}`);
    assert.ok(await metric(b, 'tz_broker_redis_stream_resumes_total') >= 3, 'B resumed after each cut');
    assert.is(await metric(b, 'tz_broker_redis_stream_trimmed_before_read_total'), 0, 'no gap');
  } finally {
    admin.disconnect();
    await b.stop();
    await a.stop();
    await redis.stop();
  }
});

test('per-origin sequence numbers: a resent entry is a counted duplicate, a late one is delivered, a hole still open 30 s later a counted gap', async () => {
  const redis = await startRestartableRedis();
  const Redis = createRequire(require.resolve('mqemitter-redis'))('ioredis') as new (url: string) => AdminRedis;
  const msgpack = createRequire(require.resolve('mqemitter-redis'))('msgpack-lite') as { encode(v: unknown): Buffer };
  const admin = new Redis(redis.url);
  const metrics = createBrokerMetrics();
  const emitter = new RedisStreamEmitter({ connection: { host: '127.0.0.1', port: redis.port }, nodeId: 'gap', key: 'tz:test:gap', concurrency: 10, log: createLogger('test', 'silent'), metrics });
  try {
    await emitter.ready();
    const got: string[] = [];
    await new Promise<void>((resolve) => emitter.on('tz/v1/#', (packet, done) => {
      got.push(String((packet as { payload: Buffer }).payload));
      done();
    }, resolve));
    const add = (seq: number, text: string, id = '*') => admin.call('XADD', 'tz:test:gap', id, 'o', 'other-node', 's', String(seq), 'm', msgpack.encode({ topic: 'tz/v1/x', payload: Buffer.from(text) }) as unknown as string);
    await add(1, 'one');
    await add(2, 'two');
    await add(2, 'two again'); // an XADD applied, its reply lost, resent
    await add(6, 'six');
    await add(4, 'four'); // resent after newer ones (ioredis resends a dropped connection's commands after those queued meanwhile)
    await add(7, 'seven', `${Date.now() + 31_000}-0`); // 31 s of stream time later: 3 and 5 never came (trimmed before read)
    await waitFor('entries read', () => (got.length === 5 ? true : undefined), 10_000, 10);
    const text = await metrics.registry.metrics();
    assert.equal(got, ['one', 'two', 'six', 'four', 'seven'], 'the late one is delivered, the duplicate is not');
    assert.match(text, /tz_broker_redis_stream_duplicates_total\{[^}]*\} 1\n/);
    assert.match(text, /tz_broker_redis_stream_trimmed_before_read_total\{[^}]*\} 2\n/);
  } finally {
    await new Promise<void>((resolve) => emitter.close(resolve));
    admin.disconnect();
    await redis.stop();
  }
});

test('a node stops while Redis is away (appends still queued): stop() does not hang', async () => {
  const redis = await startRestartableRedis();
  const a = await startBroker({ users, port: 0, nodeId: 'stop-a', persistence: { type: 'redis', url: redis.url, emitter: 'streams', streamKey: 'tz:test:stop' } });
  const clients: MqttClient[] = [];
  try {
    const gw = await connectMqtt(a.mqttUrl, { clientId: GW, username: GW, password: GW_PASSWORD }, clients);
    await redis.kill();
    gw.publish(topics.batch(GW), Buffer.from('queued while Redis is away'), { qos: 0 });
    await gw.endAsync(true);
    const outcome = await Promise.race([a.stop().then(() => 'stopped'), new Promise((resolve) => setTimeout(() => resolve('hung'), 20_000).unref())]);
    assert.is(outcome, 'stopped');
  } finally {
    await redis.stop();
  }
});

test.run();

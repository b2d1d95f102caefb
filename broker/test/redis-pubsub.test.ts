// The Redis pub/sub hop between broker nodes (emitter: pubsub), against a real redis-server:
// a subscription made while the subscriber connection is still in its
// handshake stays (it used to be lost for good after ioredis' INFO ready check
// failed on the subscriber: "ERR Can't execute 'info'"), a subscriber cut off by
// Redis is counted as a reconnect and its gap shows as published > received,
// and two whole broker nodes account for every gateway batch per hop in /metrics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { connect as netConnect, type Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { sumMetric } from '../../testing/index.ts';
import { topics } from '../../proto/index.ts';
import { createLogger } from '../../service-kit/index.ts';
import { startRedis, waitFor, type TestRedis } from '../../test/integration/helpers.ts';
import { BrokerUsers, startBroker, type RunningBroker } from '../index.ts';
import { createBrokerMetrics } from '../metrics.ts';
import { createBrokerStorage, type BrokerStorage } from '../persistence.ts';

// The encoding mqemitter-redis puts on the wire ({ id, msg } in msgpack), from its own dependency.
const fromEmitter = createRequire(createRequire(import.meta.url).resolve('mqemitter-redis'));
const msgpack = fromEmitter('msgpack-lite') as { encode(value: unknown): Buffer };

interface Emitter {
  on(topic: string, cb: (msg: { topic: string; payload: unknown }, done: () => void) => void, done?: () => void): void;
  emit(msg: { topic: string; payload: unknown }, done?: (err?: Error) => void): void;
  close(cb: () => void): void;
  subConn: NodeJS.EventEmitter & { status: string };
}

let redis: TestRedis;
const log = createLogger('broker-test', 'silent');
const cleanups: Array<() => Promise<unknown>> = [];

test.before(async () => {
  redis = await startRedis({ persist: false });
});

test.after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await redis.stop();
});

/** One raw RESP command on its own connection (what an operator's redis-cli would send). */
function redisCommand(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(redis.port, '127.0.0.1');
    let reply = '';
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.endsWith('\r\n')) {
        socket.end();
        resolve(reply.trim());
      }
    });
    socket.on('error', reject);
    socket.write(resp(args));
  });
}

/** PUBLISH with a binary message, as mqemitter-redis on another node sends it. */
function respBuffer(args: string[], message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`*${args.length + 1}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}$${message.length}\r\n`), message, Buffer.from('\r\n')]);
}

function resp(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

function storage(metrics = createBrokerMetrics()): { s: BrokerStorage; mq: Emitter; metrics: ReturnType<typeof createBrokerMetrics> } {
  const s = createBrokerStorage({ type: 'redis', url: redis.url, emitter: 'pubsub' }, 100, log, undefined, metrics);
  const mq = s.mq as Emitter;
  cleanups.push(async () => {
    await new Promise<void>((resolve) => mq.close(() => resolve()));
    await s.close();
  });
  return { s, mq, metrics };
}

const value = async (counter: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> }, labels: Record<string, string> = {}) =>
  (await counter.get()).values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((a, v) => a + v.value, 0);

test('a subscription made during the subscriber connection handshake survives, with no reconnect', async () => {
  const { s, mq, metrics } = storage();
  const errors: string[] = [];
  (mq as unknown as { state: NodeJS.EventEmitter }).state.on('error', (err: Error) => errors.push(err.message));
  const got: string[] = [];
  // Exactly the window aedes-persistence-redis subscribes `$SYS/+/sub/+` in: connected, not yet ready.
  mq.subConn.once('connect', () => mq.on('tz/v1/gw/+/up/batch', (msg, done) => {
    got.push(msg.topic);
    done();
  }));
  await s.ready();
  assert.ok(s.healthy());
  await new Promise<void>((resolve, reject) => mq.emit({ topic: 'tz/v1/gw/gw-1/up/batch', payload: Buffer.from('x') }, (err) => (err ? reject(err) : resolve())));
  await waitFor('message through the handshake-time subscription', () => (got.length === 1 ? true : undefined), 5_000, 10);
  assert.equal(errors, [], 'no ready-check error on the subscriber');
  assert.is(await value(metrics.redisSubscriberReconnects), 0);
  assert.is(await value(metrics.redisPublished, { kind: 'gw/up/batch' }), 1);
  assert.is(await value(metrics.redisReceived, { kind: 'gw/up/batch' }), 1);
  assert.is(await value(metrics.redisUnheard), 0);
});

test('a subscriber Redis cuts off (output buffer limit) is counted, healthz drops, and the gap shows as published > received', async () => {
  const { s, mq, metrics } = storage();
  let got = 0;
  await new Promise<void>((resolve) => mq.on('flood/+', (_msg, done) => {
    got += 1;
    done();
  }, resolve));
  await s.ready();
  await redisCommand('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 256kb 0 0');
  // A flood from another client while this process does not read (its event
  // loop blocked, like a node busy for a moment): Redis closes the subscriber
  // once its output buffer passes the limit, and what it held is gone.
  const flooder: Socket = netConnect(redis.port, '127.0.0.1');
  await new Promise<void>((resolve) => flooder.once('connect', () => resolve()));
  const floods = 400; // 25 MB: more than the kernel's socket buffers plus the limit
  const packet = (i: number) => msgpack.encode({ id: `flood-${i}`, msg: { topic: `flood/${i}`, payload: Buffer.alloc(64 * 1024, 121) } });
  for (let i = 0; i < floods; i++) flooder.write(respBuffer(['PUBLISH', `flood/${i}`], packet(i)));
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_500);
  const reconnects = await waitFor('subscriber reconnect counted', async () => ((await value(metrics.redisSubscriberReconnects)) >= 1 ? true : undefined), 10_000, 20);
  assert.ok(reconnects);
  flooder.destroy();
  await s.ready();
  assert.ok(s.healthy(), 'healthy again once resubscribed');
  assert.ok(got < floods, `received ${got} of ${floods}: the cut-off lost the buffered ones`);
  // After the reconnect the subscription is back: a publish from this node arrives.
  const before = got;
  mq.emit({ topic: 'flood/after', payload: Buffer.from('z') });
  await waitFor('delivery after resubscribe', () => (got > before ? true : undefined), 5_000, 10);
  assert.is(await value(metrics.redisPubSubUp, { connection: 'sub' }), 1);
  await redisCommand('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60'); // Redis' default again
});

test('two broker nodes: every gateway batch is accounted per hop in /metrics, and /healthz reports the pub/sub link', async () => {
  const users = BrokerUsers.inMemory();
  users.add('gw-0001', 'gw-0001-secret-pass', 'gateway');
  users.add('tz-ingest', 'ingest-secret-pass', 'ingest');
  const brokers: RunningBroker[] = [];
  for (const nodeId of ['node-a', 'node-b']) {
    const b = await startBroker({ users, port: 0, http: { host: '127.0.0.1', port: 0 }, nodeId, persistence: { type: 'redis', url: redis.url, emitter: 'pubsub' }, log });
    brokers.push(b);
    cleanups.push(() => b.stop());
  }
  const [a, b] = brokers as [RunningBroker, RunningBroker];
  const clients: MqttClient[] = [];
  cleanups.push(() => Promise.all(clients.map((c) => c.endAsync(true))));
  const ingest = await mqtt.connectAsync(a.mqttUrl, { clientId: 'tz-ingest-0', username: 'tz-ingest', password: 'ingest-secret-pass', clean: false, reconnectPeriod: 0 });
  clients.push(ingest);
  let received = 0;
  ingest.on('message', () => (received += 1));
  await ingest.subscribeAsync(`$share/ingest/${topics.allBatches}`, { qos: 1 });
  const gw = await mqtt.connectAsync(b.mqttUrl, { clientId: 'gw-0001', username: 'gw-0001', password: 'gw-0001-secret-pass', reconnectPeriod: 0 });
  clients.push(gw);
  const n = 200;
  await Promise.all(Array.from({ length: n }, (_, i) => gw.publishAsync(topics.batch('gw-0001'), Buffer.from(`batch ${i}`), { qos: 1 })));
  await waitFor('every batch at the $share member on the other node', () => (received === n ? true : undefined), 15_000, 20);
  const metricsOf = async (node: RunningBroker) => (await fetch(`${node.httpUrl}/metrics`)).text();
  const [ma, mb] = [await metricsOf(a), await metricsOf(b)];
  assert.is(sumMetric(mb, 'tz_broker_redis_published_total', { kind: 'gw/up/batch' }), n, 'node B put every batch on Redis');
  assert.is(sumMetric(ma, 'tz_broker_redis_received_total', { kind: 'gw/up/batch' }), n, 'node A got every batch from Redis');
  assert.is(sumMetric(ma, 'tz_broker_redis_published_total', { kind: 'share' }), n, 'node A handed every batch to its member');
  assert.is(sumMetric(ma, 'tz_broker_redis_subscriber_reconnects_total'), 0);
  assert.is(sumMetric(ma, 'tz_broker_redis_pubsub_up', { connection: 'sub' }), 1);
  // Redis' default limit is read at start-up and shown, so an operator sees the node can be cut off.
  assert.is(sumMetric(ma, 'tz_broker_redis_pubsub_buffer_limit_bytes', { limit: 'hard' }), 32 * 1024 * 1024);
  const health = (await (await fetch(`${a.httpUrl}/healthz`)).json()) as { ok: boolean };
  assert.is(health.ok, true);
});

test.run();

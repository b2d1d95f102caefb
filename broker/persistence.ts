import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { Logger } from '../service-kit/index.ts';
import { CappedMemoryPersistence, type OfflineQueueCapOptions } from './offline-queue-cap.ts';
import type { RedisPubSubMetrics, RedisStreamMetrics } from './metrics.ts';
import { RedisStreamEmitter } from './redis-stream-emitter.ts';
import { cacheTopicMatches } from './topic-match-cache.ts';
import { createPubSubConnections, type MQEmitterInternals } from './redis-pubsub.ts';

// aedes-persistence-redis and mqemitter-redis are CommonJS without types for
// these entry points; this file is the one place that loads them (redis-pubsub.ts
// makes the pub/sub connections mqemitter-redis is given).
const require = createRequire(import.meta.url);

export type PersistenceConfig =
  | { type: 'memory' }
  | {
      type: 'redis';
      url: string;
      maxSessionDelivery?: number;
      offlineMessageTtlSeconds?: number;
      /** Between nodes: streams (at least once, default) or pubsub (mqemitter-redis, at most once). */
      emitter?: 'streams' | 'pubsub';
      /** Streams: entries kept (XADD MAXLEN ~). */
      streamMaxLen?: number;
      /** Streams: the key of the stream all nodes share. */
      streamKey?: string;
    };

/** The Aedes options a persistence choice adds, and how to close what they opened. */
export interface BrokerStorage {
  persistence?: unknown;
  mq?: unknown;
  describe: string;
  /** Resolves once this node receives what is published (Redis: the pub/sub subscriber is connected and its subscriptions are active). Open listeners after it. */
  ready(): Promise<void>;
  /** False while this node would miss publishes (Redis pub/sub connection down or resubscribing); for /healthz. */
  healthy(): boolean;
  close(): Promise<void>;
}

interface Destroyable {
  destroy(): Promise<void>;
}

/** The ioredis calls outgoingStream needs. */
interface RedisQueueReader {
  disconnect(): void;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
  mgetBuffer(...keys: string[]): Promise<Array<Buffer | null>>;
  lrem(key: string, count: number, value: string): Promise<number>;
  on(event: 'error', listener: () => void): unknown;
}

interface SubscriptionStore {
  addSubscriptions(client: { id: string }, subs: unknown[]): Promise<unknown>;
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<unknown>;
}

interface RetainedSource {
  createRetainedStreamCombi(patterns: string[]): unknown;
  createRetainedStream(pattern: string): unknown;
}

function asStream(source: unknown): unknown {
  if (source instanceof Readable) return source;
  return Readable.from(source as AsyncIterable<unknown>);
}

/**
 * Memory: Aedes' defaults (aedes-persistence, mqemitter) — sessions, QoS 1
 * queues and retained messages live as long as the process.
 *
 * Redis: aedes-persistence-redis keeps subscriptions, offline QoS 1/2 queues,
 * retained messages and wills in Redis, so they survive a restart;
 * mqemitter-redis carries every publish over Redis pub/sub, so several nodes
 * on one Redis serve one city (a message published on one node reaches
 * subscribers on all).
 */
export function createBrokerStorage(
  config: PersistenceConfig,
  concurrency: number,
  log: Logger,
  offlineCap?: OfflineQueueCapOptions,
  pubsubMetrics?: RedisPubSubMetrics & RedisStreamMetrics,
  nodeId = 'node',
): BrokerStorage {
  if (config.type === 'memory') {
    // Created here rather than left to Aedes so the per-client queue cap wraps it.
    const persistence = offlineCap ? new CappedMemoryPersistence(offlineCap) : undefined;
    // Aedes' own default emitter, made here so its topic matches are cached (topic-match-cache.ts).
    const MQEmitter = createRequire(require.resolve('aedes'))('mqemitter') as (opts: object) => unknown;
    const mq = MQEmitter({ concurrency, matchEmptyLevels: true });
    cacheTopicMatches(mq);
    return { ...(persistence ? { persistence } : {}), mq, describe: 'memory', ready: async () => undefined, healthy: () => true, close: async () => undefined };
  }
  const url = new URL(config.url);
  const password = decodeURIComponent(url.password) || process.env.TZ_REDIS_PASSWORD || undefined;
  const connection = {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: decodeURIComponent(url.username) || undefined,
    password,
    db: Number(url.pathname.slice(1) || 0),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  const ttl = config.offlineMessageTtlSeconds ?? 0;
  const AsyncRedisPersistence = require('aedes-persistence-redis/asyncPersistence.js') as new (opts: object) => Destroyable & RetainedSource & SubscriptionStore;
  // The persistence's own ioredis and msgpack-lite (same versions it encodes with), so outgoingStream below reads what it wrote.
  const fromPersistence = createRequire(require.resolve('aedes-persistence-redis/asyncPersistence.js'));
  const Redis = fromPersistence('ioredis') as new (opts: object) => RedisQueueReader;
  const msgpack = fromPersistence('msgpack-lite') as { decode(buf: Buffer): unknown };
  // maxRetriesPerRequest null: a command waits for Redis to come back instead of failing after 20 retries — a failed
  // offline enqueue would make Aedes drop that publish (it never reaches emit), after the PUBACK was sent.
  const db = new Redis({ ...connection, connectionName: `tz-broker-db-${nodeId}`, maxRetriesPerRequest: null });
  // ioredis reconnects by itself; the errors (Redis restarting, a cut link) are counted, not thrown at the process.
  db.on('error', () => pubsubMetrics?.redisConnectionErrors.inc({ connection: 'db' }));
  const page = config.maxSessionDelivery ?? 1000;
  // aedes-persistence-redis 11.2 returns an async iterable for retained
  // messages where Aedes 1.2 calls `.pipe()` on it; give Aedes a stream.
  class RedisPersistenceForAedes extends AsyncRedisPersistence {
    private readonly subscriptionWrites = new Map<string, Promise<unknown>>();

    /**
     * One client's subscription writes, one at a time. Aedes calls
     * addSubscriptions once per topic of a SUBSCRIBE packet, concurrently,
     * each time with the packet's whole list; the library then waits for its
     * own `$SYS/sub/add` broadcast under a key of client id + first topic, so
     * concurrent calls overwrite each other's waiter and all but one never
     * resolve: a persistent session subscribing to several topics in one
     * packet (rules: two `$share` filters + gateway events) got no SUBACK and
     * those subscriptions were never made. In sequence, each call's broadcast
     * comes back before the next one waits.
     */
    private serialised(clientId: string, write: () => Promise<unknown>): Promise<unknown> {
      const previous = this.subscriptionWrites.get(clientId) ?? Promise.resolve();
      const next = previous.catch(() => undefined).then(write);
      this.subscriptionWrites.set(clientId, next);
      const forget = () => {
        if (this.subscriptionWrites.get(clientId) === next) this.subscriptionWrites.delete(clientId);
      };
      next.then(forget, forget);
      return next;
    }

    override addSubscriptions(client: { id: string }, subs: unknown[]): Promise<unknown> {
      return this.serialised(client.id, () => super.addSubscriptions(client, subs));
    }

    override removeSubscriptions(client: { id: string }, topics: string[]): Promise<unknown> {
      return this.serialised(client.id, () => super.removeSubscriptions(client, topics));
    }

    /**
     * A persistent session's queue, replayed on CONNECT. The library reads
     * only its first maxSessionDelivery+1 entries (LRANGE 0..max) and Aedes
     * reads the queue only on CONNECT, so the rest stayed in Redis until the
     * next reconnect — a consumer disconnected with a long backlog (e.g. ingest
     * cut off as a slow consumer) silently lost everything past the first page.
     * Here: a snapshot of the whole list of keys (acks LREM entries while we
     * replay, so offsets would shift), packets fetched maxSessionDelivery at a
     * time; a packet whose key is gone (acked or expired) is dropped from the list.
     */
    outgoingStream(client: { id: string }): AsyncIterable<unknown> {
      const listKey = `outgoing:${encodeURIComponent(client.id)}`;
      return (async function* replay() {
        const keys = await db.lrange(listKey, 0, -1);
        for (let i = 0; i < keys.length; i += page) {
          const slice = keys.slice(i, i + page);
          const values = await db.mgetBuffer(...slice);
          for (const [j, key] of slice.entries()) {
            const value = values[j];
            if (value) yield msgpack.decode(value);
            else void db.lrem(listKey, 0, key);
          }
        }
      })();
    }
    override createRetainedStreamCombi(patterns: string[]): unknown {
      return asStream(super.createRetainedStreamCombi(patterns));
    }
    override createRetainedStream(pattern: string): unknown {
      return asStream(super.createRetainedStream(pattern));
    }
  }
  const MQEmitterRedis = require('mqemitter-redis') as (opts: object) => MQEmitterInternals;
  const persistence = new RedisPersistenceForAedes({
    conn: db,
    maxSessionDelivery: page,
    packetTTL: () => ttl,
  });
  const where = `redis://${connection.host}:${connection.port}/${connection.db}`;
  let mq: unknown;
  let ready: () => Promise<void>;
  let healthy: () => boolean;
  let describe: string;
  if ((config.emitter ?? 'streams') === 'streams') {
    const stream = new RedisStreamEmitter({ connection, nodeId, key: config.streamKey, maxLen: config.streamMaxLen, concurrency, log, metrics: pubsubMetrics });
    mq = stream;
    ready = () => stream.ready();
    healthy = () => stream.healthy();
    describe = `${where} (streams)`;
  } else {
    const pubsub = createPubSubConnections(connection, log, pubsubMetrics);
    const emitter = MQEmitterRedis({ ...connection, subConn: pubsub.sub, pubConn: pubsub.pub, concurrency, matchEmptyLevels: true });
    emitter.state.on('error', (err: Error) => log.error({ err: err.message }, 'Redis pub/sub connection error'));
    pubsub.countReceived(emitter);
    mq = emitter;
    ready = pubsub.ready;
    healthy = pubsub.healthy;
    describe = `${where} (pubsub)`;
  }
  return {
    persistence,
    mq,
    describe,
    ready,
    healthy,
    // mq (and with it both pub/sub connections) is closed by Aedes.close(); the persistence's Redis connection is ours to end.
    // destroy() throws when Aedes never set the persistence up (a start that failed early): the connection is closed either way.
    close: async () => {
      try {
        await persistence.destroy();
      } finally {
        db.disconnect();
      }
    },
  };
}

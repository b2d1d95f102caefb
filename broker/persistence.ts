import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { Logger } from '../service-kit/index.ts';

// aedes-persistence-redis and mqemitter-redis are CommonJS without types for
// these entry points; this file is the one place that loads them.
const require = createRequire(import.meta.url);

export type PersistenceConfig =
  | { type: 'memory' }
  | { type: 'redis'; url: string; maxSessionDelivery?: number; offlineMessageTtlSeconds?: number };

/** The Aedes options a persistence choice adds, and how to close what they opened. */
export interface BrokerStorage {
  persistence?: unknown;
  mq?: unknown;
  describe: string;
  close(): Promise<void>;
}

interface Destroyable {
  destroy(): Promise<void>;
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
export function createBrokerStorage(config: PersistenceConfig, concurrency: number, log: Logger): BrokerStorage {
  if (config.type === 'memory') return { describe: 'memory', close: async () => undefined };
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
  const AsyncRedisPersistence = require('aedes-persistence-redis/asyncPersistence.js') as new (opts: object) => Destroyable & RetainedSource;
  // aedes-persistence-redis 11.2 returns an async iterable for retained
  // messages where Aedes 1.2 calls `.pipe()` on it; give Aedes a stream.
  class RedisPersistenceForAedes extends AsyncRedisPersistence {
    override createRetainedStreamCombi(patterns: string[]): unknown {
      return asStream(super.createRetainedStreamCombi(patterns));
    }
    override createRetainedStream(pattern: string): unknown {
      return asStream(super.createRetainedStream(pattern));
    }
  }
  const MQEmitterRedis = require('mqemitter-redis') as (opts: object) => { close(cb: () => void): void; state: NodeJS.EventEmitter };
  const persistence = new RedisPersistenceForAedes({
    ...connection,
    maxSessionDelivery: config.maxSessionDelivery ?? 1000,
    packetTTL: () => ttl,
  });
  const mq = MQEmitterRedis({ ...connection, concurrency, matchEmptyLevels: true });
  mq.state.on('error', (err: Error) => log.error({ err: err.message }, 'Redis pub/sub connection error'));
  const where = `redis://${connection.host}:${connection.port}/${connection.db}`;
  return {
    persistence,
    mq,
    describe: where,
    // mq is closed by Aedes.close(); the persistence's Redis connection is ours to end.
    close: () => persistence.destroy(),
  };
}

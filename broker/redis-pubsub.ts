import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import { parseGatewayTopic } from '../proto/index.ts';
import type { Logger } from '../service-kit/index.ts';
import type { RedisPubSubMetrics } from './metrics.ts';
import { SharedSubscriptions } from './shared-subscriptions.ts';

// The two Redis connections mqemitter-redis carries every publish over,
// created here instead of by the library, for two reasons:
//
// 1. Lost subscriptions at start-up. mqemitter-redis opens its subscriber with
//    ioredis' ready check (INFO) on. ioredis writes a (P)SUBSCRIBE at once
//    while the connection is still in its handshake (the command may run
//    while Redis loads), before the INFO; Redis then refuses the INFO ("ERR
//    Can't execute 'info': only (P|S)SUBSCRIBE / ... are allowed in this
//    context"), ioredis treats the failed ready check as fatal and reconnects
//    and, as the connection was never ready, does not resubscribe: that
//    subscription is gone for good and mqemitter-redis never knows (it ignores
//    the subscribe's error). Aedes' persistence subscribes `$SYS/+/sub/+` in
//    exactly that window (right after its own first Redis reply), so a node
//    could come up without it. Without the ready check nothing is refused.
// 2. Visibility. Redis pub/sub is at most once: what is published while a
//    subscriber is away is gone. The counters below say per node what went
//    onto Redis and what came back, and every reconnect is counted.
const require = createRequire(import.meta.url);

interface RedisConnection extends EventEmitter {
  status: string;
  publish(channel: string, message: Buffer): Promise<number>;
  ping(): Promise<unknown>;
  call(command: string, ...args: string[]): Promise<unknown>;
}

/** The parts of mqemitter-redis 7 this module uses (`_emit` hands a message from Redis to local subscribers). */
export interface MQEmitterInternals {
  close(cb: () => void): void;
  state: EventEmitter;
  _emit(message: { topic: string }, cb?: () => void): unknown;
}

export interface PubSubConnections {
  sub: RedisConnection;
  pub: RedisConnection;
  /** Counts messages the emitter hands to this node's subscribers (after its de-duplication). */
  countReceived(mq: MQEmitterInternals): void;
  ready(): Promise<void>;
  healthy(): boolean;
}

/** Label for a topic: the gateway tree by direction/kind, `$share` hand-offs, `$SYS`, the rest. */
export function topicKind(topic: string): string {
  if (topic.startsWith('$SYS/')) return 'sys';
  if (SharedSubscriptions.isInternal(topic)) return 'share';
  const gw = parseGatewayTopic(topic);
  return gw ? `gw/${gw.direction}/${gw.kind}` : 'other';
}

/**
 * Redis closes a pub/sub client whose unsent output passes
 * `client-output-buffer-limit pubsub` (32 MB hard, 8 MB for 60 s by default),
 * and everything it held for that node is lost. A broker node a moment behind
 * at a few hundred batches/s passes 32 MB (docs/SCALE.md). Say so at start-up.
 */
async function checkBufferLimit(pub: RedisConnection, log: Logger, metrics?: RedisPubSubMetrics): Promise<void> {
  try {
    const reply = await pub.call('CONFIG', 'GET', 'client-output-buffer-limit') as string[];
    const words = String(reply[1] ?? '').split(/\s+/);
    const at = words.indexOf('pubsub');
    if (at < 0) throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
    const [hard, soft, seconds] = words.slice(at + 1, at + 4).map(Number) as [number, number, number];
    metrics?.redisPubSubBufferLimit.set({ limit: 'hard' }, hard);
    metrics?.redisPubSubBufferLimit.set({ limit: 'soft' }, soft);
    if (hard > 0 || soft > 0) {
      log.warn({ hardBytes: hard, softBytes: soft, softSeconds: seconds },
        'Redis client-output-buffer-limit pubsub is set: a broker node that falls behind by more than that is disconnected by Redis and loses the messages in between; set it to "pubsub 0 0 0" (docs/SCALE.md)');
    }
  } catch (err) {
    metrics?.redisPubSubBufferLimit.set({ limit: 'hard' }, -1);
    log.info({ err: (err as Error).message }, 'could not read Redis client-output-buffer-limit (CONFIG GET refused?); make sure its pubsub limit is off (docs/SCALE.md)');
  }
}

export function createPubSubConnections(connection: object, log: Logger, metrics?: RedisPubSubMetrics): PubSubConnections {
  // mqemitter-redis' own ioredis, so the connections are what it was written against.
  const Redis = createRequire(require.resolve('mqemitter-redis'))('ioredis') as new (opts: object) => RedisConnection;
  const sub = new Redis({
    ...connection,
    connectionName: 'tz-broker-sub',
    enableReadyCheck: false, // INFO is refused in subscriber mode (see above)
    enableAutoPipelining: false, // (P)SUBSCRIBE is never auto-pipelined anyway; keep the subscriber's traffic plain
    maxRetriesPerRequest: null, // a SUBSCRIBE queued while Redis is away waits for it instead of failing (silently) after 20 retries
  });
  // The publisher is an ordinary connection: auto-pipelining as mqemitter-redis sets it.
  const pub = new Redis({ ...connection, connectionName: 'tz-broker-pub', enableAutoPipelining: true });

  let subscribed = false;
  let readies = 0;
  let readyWaiters: Array<() => void> = [];
  const setUp = (connection: string, up: boolean) => metrics?.redisPubSubUp.set({ connection }, up ? 1 : 0);
  setUp('sub', false);
  setUp('pub', false);
  sub.on('ready', () => {
    readies += 1;
    if (readies > 1) {
      metrics?.redisSubscriberReconnects.inc();
      log.error({ reconnects: readies - 1 },
        'Redis pub/sub subscriber reconnected: messages published while it was away did not reach this node; if Redis logged "output buffer limits", raise client-output-buffer-limit pubsub (docs/SCALE.md)');
    }
    // ioredis sent the resubscriptions and queued SUBSCRIBEs before this
    // event returns; Redis answers in order, so the PING's reply means they are active.
    sub.ping().then(() => {
      if (sub.status !== 'ready') return;
      subscribed = true;
      setUp('sub', true);
      const waiters = readyWaiters;
      readyWaiters = [];
      for (const wake of waiters) wake();
    }, () => undefined); // the connection dropped again; the next 'ready' tries anew
  });
  sub.on('close', () => {
    subscribed = false;
    setUp('sub', false);
  });
  pub.on('ready', () => setUp('pub', true));
  pub.once('ready', () => void checkBufferLimit(pub, log, metrics));
  pub.on('close', () => setUp('pub', false));
  sub.on('error', () => metrics?.redisConnectionErrors.inc({ connection: 'sub' }));
  pub.on('error', () => metrics?.redisConnectionErrors.inc({ connection: 'pub' }));

  if (metrics) {
    const publish = pub.publish.bind(pub);
    pub.publish = (channel: string, message: Buffer) => publish(channel, message).then((receivers) => {
      const kind = topicKind(channel);
      metrics.redisPublished.inc({ kind });
      if (receivers === 0) metrics.redisUnheard.inc({ kind });
      return receivers;
    }, (err: unknown) => {
      metrics.redisPublishErrors.inc();
      throw err;
    });
  }

  return {
    sub,
    pub,
    countReceived(mq) {
      if (!metrics) return;
      if (typeof mq._emit !== 'function') throw new Error('mqemitter-redis changed: no _emit to count received messages on (broker/redis-pubsub.ts)');
      const emit = mq._emit;
      mq._emit = function countedEmit(this: MQEmitterInternals, message, cb) {
        // Something else published on the brokers' Redis (not an mqemitter packet): drop and count it rather than crash.
        if (typeof message?.topic !== 'string') {
          metrics.redisReceived.inc({ kind: 'invalid' });
          return undefined;
        }
        metrics.redisReceived.inc({ kind: topicKind(message.topic) });
        return emit.call(this, message, cb);
      };
    },
    ready() {
      if (subscribed && pub.status === 'ready') return Promise.resolve();
      const subReady = subscribed ? Promise.resolve() : new Promise<void>((resolve) => readyWaiters.push(resolve));
      const pubReady = pub.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => pub.once('ready', () => resolve()));
      return Promise.all([subReady, pubReady]).then(() => undefined);
    },
    healthy: () => subscribed && pub.status === 'ready',
  };
}

import { Counter, Gauge, type Registry } from 'prom-client';
import { createRegistry } from '../service-kit/index.ts';

/** Plain totals for `stats()` and tests (prom-client reads are async). */
export interface BrokerCounts {
  messagesIn: number;
  messagesOut: number;
  messagesDropped: number;
  deniedPublishes: number;
  deniedSubscriptions: number;
  authFailures: number;
  throttledLogins: number;
  oversizedPackets: number;
  slowConsumers: number;
  rateLimited: number;
  clientErrors: number;
  gatewayEvents: number;
  sharedDeliveries: number;
  passwordChecks: number;
  /** QoS 0 messages not written to a subscriber above limits.qos0HighWaterBytes (slow-subscriber.ts); also in messagesDropped. */
  slowSubscriberQos0Drops: number;
  /** QoS 0 publishes dropped on arrival while the broker was behind their client (limits.qos0ShedAfterMs); also in messagesDropped. */
  behindQos0Drops: number;
}

/** Everything the broker counts; one instance per running broker. */
export function createBrokerMetrics() {
  const registry: Registry = createRegistry('broker');
  const registers = [registry];
  const counts: BrokerCounts = {
    messagesIn: 0, messagesOut: 0, messagesDropped: 0, deniedPublishes: 0, deniedSubscriptions: 0, authFailures: 0, throttledLogins: 0,
    oversizedPackets: 0, slowConsumers: 0, rateLimited: 0, clientErrors: 0, gatewayEvents: 0, sharedDeliveries: 0,
    passwordChecks: 0, slowSubscriberQos0Drops: 0, behindQos0Drops: 0,
  };
  // Per-message totals are kept as plain numbers on the hot path and handed to
  // prom-client when /metrics is read (a labelled inc() per message cost more
  // than the ACL check); a scrape sees every message counted up to that moment.
  const flushed = { messagesIn: 0, messagesOut: 0, slowSubscriberQos0Drops: 0, behindQos0Drops: 0 };
  /** What was counted since the last scrape, marked as handed over. */
  const sinceScrape = (key: keyof typeof flushed): number => {
    const n = counts[key] - flushed[key];
    flushed[key] = counts[key];
    return n;
  };
  const lastSeenPending = new Map<string, number>();
  return {
    registry,
    counts,
    /** Gateway id → last CONNECT or PUBLISH (ms since the epoch) not yet handed to tz_broker_gateway_last_seen_seconds. */
    lastSeenPending,
    clientsConnected: new Gauge({ name: 'tz_broker_clients_connected', help: 'MQTT clients connected now', registers }),
    connections: new Counter({ name: 'tz_broker_connections_total', help: 'Transport connections accepted, by listener', labelNames: ['listener'], registers }),
    messagesIn: new Counter({
      name: 'tz_broker_messages_in_total',
      help: 'PUBLISH packets accepted from clients',
      registers,
      collect() {
        this.inc(sinceScrape('messagesIn'));
      },
    }),
    messagesOut: new Counter({
      name: 'tz_broker_messages_out_total',
      help: 'PUBLISH packets forwarded to subscribers',
      registers,
      collect() {
        this.inc(sinceScrape('messagesOut'));
      },
    }),
    messagesDropped: new Counter({
      name: 'tz_broker_messages_dropped_total',
      help: 'Messages the broker did not pass on: acl (denied publish), rate-limit (QoS 0 over the rate), slow-consumer (queued for a client that was cut off), share-no-member, offline-queue-full (persistent session at limits.maxOfflineMessagesPerClient), slow-subscriber-qos0 (QoS 0 for a subscriber above limits.qos0HighWaterBytes), broker-behind-qos0 (QoS 0 publishes dropped on arrival while the broker was behind their client longer than limits.qos0ShedAfterMs)',
      labelNames: ['reason'],
      registers,
      collect() {
        // Present from the start (0), so an alert can watch it before the first drop.
        this.inc({ reason: 'slow-subscriber-qos0' }, sinceScrape('slowSubscriberQos0Drops'));
        this.inc({ reason: 'broker-behind-qos0' }, sinceScrape('behindQos0Drops'));
      },
    }),
    deniedPublishes: new Counter({ name: 'tz_broker_denied_publishes_total', help: 'PUBLISH packets refused by the topic ACL', labelNames: ['reason'], registers }),
    deniedSubscriptions: new Counter({ name: 'tz_broker_denied_subscriptions_total', help: 'Subscriptions refused by the topic ACL (granted QoS 128)', labelNames: ['reason'], registers }),
    authFailures: new Counter({ name: 'tz_broker_auth_failures_total', help: 'CONNECTs refused, by reason (throttled = refused unchecked during a lockout; throttled-in-flight = refused unchecked, too many checks of its address, client or account running or failed)', labelNames: ['reason'], registers }),
    passwordChecks: new Counter({ name: 'tz_broker_password_checks_total', help: 'scrypt password checks run for CONNECTs (each costs ~16 MiB and tens of ms; throttled attempts run none)', registers }),
    loginLockouts: new Gauge({ name: 'tz_broker_login_lockouts', help: 'Client ids and addresses locked out after failed logins now', registers }),
    oversizedPackets: new Counter({ name: 'tz_broker_oversized_packets_total', help: 'Connections closed for a packet above maxPacketSize', registers }),
    slowConsumers: new Counter({ name: 'tz_broker_slow_consumers_total', help: 'Connections closed because the client did not take its messages (outgoing bytes, inflight, drain timeout)', labelNames: ['reason'], registers }),
    rateLimited: new Counter({ name: 'tz_broker_rate_limited_total', help: 'PUBLISH packets held back (delayed) or refused (over) by the per-client rate', labelNames: ['action'], registers }),
    clientErrors: new Counter({ name: 'tz_broker_client_errors_total', help: 'Connections closed on a protocol or socket error', labelNames: ['reason'], registers }),
    gatewayLastSeen: new Gauge({
      name: 'tz_broker_gateway_last_seen_seconds',
      help: 'Last CONNECT or PUBLISH of each gateway, seconds since the epoch',
      labelNames: ['gateway'],
      registers,
      collect() {
        for (const [gateway, at] of lastSeenPending) this.set({ gateway }, at / 1000);
        lastSeenPending.clear();
      },
    }),
    gatewayConnected: new Gauge({ name: 'tz_broker_gateway_connected', help: '1 while the gateway has a connection to this node', labelNames: ['gateway'], registers }),
    gatewayEvents: new Counter({ name: 'tz_broker_gateway_events_total', help: 'Gateway connect/disconnect events published', labelNames: ['type'], registers }),
    sharedMembers: new Gauge({ name: 'tz_broker_shared_members', help: 'Online members of each $share group', labelNames: ['group'], registers }),
    sharedDeliveries: new Counter({ name: 'tz_broker_shared_deliveries_total', help: 'Messages handed to one member of a $share group', labelNames: ['group'], registers }),
    sharedUndeliverable: new Counter({ name: 'tz_broker_shared_undeliverable_total', help: 'Messages for a $share group with no member to take them', labelNames: ['group'], registers }),
    ...createRedisPubSubMetrics(registers),
    ...createRedisStreamMetrics(registers),
  };
}

/**
 * The Redis pub/sub hop between broker nodes (persistence type redis; zero
 * with memory). Every message a node delivers, even to its own clients,
 * crosses Redis, so for one kind of topic the sum of `published` over all
 * nodes minus what a node `received` is what that node's subscribers missed.
 * `kind`: gw/up/batch, gw/up/status, ... for the gateway tree, share ($share
 * hand-offs), sys ($SYS), other.
 */
export function createRedisPubSubMetrics(registers: Registry[]) {
  return {
    redisPublished: new Counter({ name: 'tz_broker_redis_published_total', help: 'Messages this node published on Redis pub/sub, by topic kind', labelNames: ['kind'], registers }),
    redisUnheard: new Counter({ name: 'tz_broker_redis_published_unheard_total', help: 'Messages this node published on Redis that no node was subscribed to (PUBLISH returned 0)', labelNames: ['kind'], registers }),
    redisReceived: new Counter({ name: 'tz_broker_redis_received_total', help: 'Messages this node received from Redis pub/sub (after de-duplication), by topic kind', labelNames: ['kind'], registers }),
    redisPublishErrors: new Counter({ name: 'tz_broker_redis_publish_errors_total', help: 'PUBLISH commands to Redis that failed (the message reached no node)', registers }),
    redisSubscriberReconnects: new Counter({
      name: 'tz_broker_redis_subscriber_reconnects_total',
      help: 'Times the Redis pub/sub subscriber connection came back after a loss; messages published meanwhile did not reach this node (Redis pub/sub is at most once)',
      registers,
    }),
    redisConnectionErrors: new Counter({ name: 'tz_broker_redis_connection_errors_total', help: 'Errors on the Redis pub/sub connections, by connection', labelNames: ['connection'], registers }),
    redisPubSubBufferLimit: new Gauge({
      name: 'tz_broker_redis_pubsub_buffer_limit_bytes',
      help: "Redis' client-output-buffer-limit pubsub (hard, soft) as read at start-up: Redis closes a subscriber past it and what it buffered is lost; 0 = no limit (what docs/SCALE.md asks for), -1 = could not read (CONFIG refused)",
      labelNames: ['limit'],
      registers,
    }),
    redisPubSubUp: new Gauge({ name: 'tz_broker_redis_pubsub_up', help: '1 while the Redis pub/sub connection is ready (subscriber: and its subscriptions are active)', labelNames: ['connection'], registers }),
  };
}

export type RedisPubSubMetrics = ReturnType<typeof createRedisPubSubMetrics>;

/**
 * The Redis Streams hop (persistence redis, emitter streams; redis-stream-emitter.ts).
 * `tz_broker_redis_published_total` / `_received_total` count the same
 * messages as appended / delivered here, so hop accounting reads alike for both emitters.
 */
export function createRedisStreamMetrics(registers: Registry[]) {
  return {
    redisStreamAppended: new Counter({ name: 'tz_broker_redis_stream_appended_total', help: 'Messages this node appended to the Redis stream (XADD acknowledged), by topic kind', labelNames: ['kind'], registers }),
    redisStreamDelivered: new Counter({ name: 'tz_broker_redis_stream_delivered_total', help: 'Stream entries this node handed to its local subscribers (after de-duplication), by topic kind', labelNames: ['kind'], registers }),
    redisStreamDuplicates: new Counter({ name: 'tz_broker_redis_stream_duplicates_total', help: 'Stream entries skipped as duplicates (an XADD resent after a lost reply)', registers }),
    redisStreamGaps: new Counter({
      name: 'tz_broker_redis_stream_trimmed_before_read_total',
      help: 'Messages from other nodes this node never read: trimmed by MAXLEN before it read them (or their append failed); a gap, logged as an error',
      registers,
    }),
    redisStreamResumes: new Counter({ name: 'tz_broker_redis_stream_resumes_total', help: 'Times the stream reader reconnected and resumed after its last delivered entry', registers }),
    redisStreamResumedFrom: new Gauge({ name: 'tz_broker_redis_stream_resumed_from_timestamp_seconds', help: 'Time part of the stream id the reader last resumed after, seconds since the epoch', registers }),
    redisStreamLastDelivered: new Gauge({ name: 'tz_broker_redis_stream_last_delivered_timestamp_seconds', help: 'Time part of the id of the last stream entry delivered here, seconds since the epoch (compare with the clock for the lag)', registers }),
  };
}

export type RedisStreamMetrics = ReturnType<typeof createRedisStreamMetrics>;

export type BrokerMetrics = ReturnType<typeof createBrokerMetrics>;

/** Counts a dropped message in both the Prometheus counter and the plain totals. */
export function countDrop(metrics: BrokerMetrics, reason: string, n = 1): void {
  metrics.messagesDropped.inc({ reason }, n);
  metrics.counts.messagesDropped += n;
}

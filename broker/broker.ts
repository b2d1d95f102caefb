import { randomUUID } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import { topics, type GatewayConnectionEvent } from '../proto/index.ts';
import { createLogger, createServiceHttp, listenService, systemClock, type AuditAppend, type Clock, type Logger, type RunningService } from '../service-kit/index.ts';
import { ConnectionGuard, type ConnectionInfo } from './connection-guard.ts';
import { installFastDelivery } from './fast-delivery.ts';
import { installPublishIntake } from './publish-intake.ts';
import { GatewayConnectionEvents } from './gateway-events.ts';
import { checkConfigGrants, type Grant } from './grants.ts';
import { authenticateHook, preConnectHook } from './hooks/authenticate.ts';
import { authorizePublishHook, DROPPED_TOPIC } from './hooks/authorize-publish.ts';
import { authorizeSubscribeHook } from './hooks/authorize-subscribe.ts';
import { openListeners, type ListenerOptions, type ListenerUrls } from './listeners.ts';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle, type LoginThrottleOptions } from './login-throttle.ts';
import { countDrop, createBrokerMetrics } from './metrics.ts';
import { createBrokerStorage, type PersistenceConfig } from './persistence.ts';
import type { PublishRateOptions } from './publish-rate.ts';
import { addressOf, BrokerSessions } from './sessions.ts';
import { parseSharedFilter, type BrokerIdentity } from './acl.ts';
import { SharedSubscriptions } from './shared-subscriptions.ts';
import { DEFAULT_SHARE_HANDOVER_MS, ShareHandover, checkShareHandoverMs } from './share-handover.ts';
import { DEFAULT_QOS0_HIGH_WATER_BYTES, slowSubscriberQos0 } from './slow-subscriber.ts';
import type { BrokerUsers } from './users.ts';

/** limits.qos0ShedAfterMs when unset: 100 ms behind one TCP publisher (BENCHMARKS.md, broker-throughput). */
export const DEFAULT_QOS0_SHED_AFTER_MS = 100;

export interface BrokerLimits {
  /** Largest MQTT packet accepted, bytes (default 256 KiB); a bigger one closes the connection. */
  maxPacketSize?: number;
  /** Unacknowledged QoS 1/2 messages sent to one client before it counts as a slow consumer and is disconnected (default 10 000). */
  maxInflight?: number;
  /** Bytes queued for one client that it has not taken yet before it is disconnected (default 4 MiB). */
  maxOutgoingBytes?: number;
  /** A client whose socket does not drain for this long is disconnected (Aedes drainTimeout; default 10 s). */
  slowConsumerTimeoutMs?: number;
  /** Packets a client may send before its CONNECT is answered (Aedes queueLimit; default 42). */
  queueLimit?: number;
  /** CONNECT must arrive within this time after the socket opens (default 10 s). */
  connectTimeoutMs?: number;
  /** Largest keep-alive a client may ask for, seconds; 0 = any (default 0). */
  keepaliveLimitSeconds?: number;
  /** Per-client PUBLISH rate; null or unset = unlimited. */
  publishRate?: PublishRateOptions | null;
  /** Unsent bytes of one subscriber above which QoS 0 messages for it are dropped and counted instead of queued (default 256 KiB; slow-subscriber.ts). */
  qos0HighWaterBytes?: number;
  /** TCP: ms the broker may stay behind one client (every read full) before that client's QoS 0 publishes are dropped on arrival, counted (default 100; null = never; connection-guard.ts). */
  qos0ShedAfterMs?: number | null;
  /** Memory persistence: QoS 1/2 messages queued for one persistent session before newer ones are dropped for it (default 100 000). */
  maxOfflineMessagesPerClient?: number;
}

export interface BrokerOptions {
  users: BrokerUsers;
  /** Node id (gateway events, Aedes cluster identity); default a random UUID. */
  nodeId?: string;
  /** Shorthand for `listeners.tcp` when `listeners` is not given. */
  host?: string;
  /** 0 = a free port. */
  port?: number;
  /** Which listeners to open; default TCP only on host:port. */
  listeners?: ListenerOptions;
  http?: { host?: string; port?: number };
  /** Kept for compatibility: same as `limits.maxPacketSize`. */
  maxPacketSize?: number;
  limits?: BrokerLimits;
  loginThrottle?: Partial<LoginThrottleOptions>;
  persistence?: PersistenceConfig;
  /** What a publish the ACL refuses does to the connection (default drop: counted, connection stays). */
  deniedPublish?: 'drop' | 'disconnect';
  /** Extra topics per account (broker.yaml `grants`), on top of the users file's own `grants`; checked against the accounts at start. */
  grants?: Readonly<Record<string, readonly Grant[]>>;
  /** Where `grants` came from, for error messages (default "broker options"). */
  grantsSource?: string;
  /** Publish gateway connect/disconnect events on tz/v1/events/gateway (default true). */
  gatewayEvents?: boolean;
  /** Reload the users file when it changes (default true for file-backed users). */
  watchUsersFile?: boolean;
  watchUsersIntervalMs?: number;
  clock?: Clock;
  log?: Logger;
  /** The one audit log (service-kit `openAuditLog`): logins, refused and throttled ones included. */
  audit?: AuditAppend;
  /** A persistent $share member away this long has its unacknowledged/queued group messages handed to another member (share-handover.ts); 0 = at once; default 5 s. */
  shareHandoverMs?: number;
}

export interface RunningBroker extends RunningService {
  /** The first of mqtt://, mqtts://, ws:// that is open (TCP when open). */
  mqttUrl: string;
  /** Every open listener. */
  urls: ListenerUrls;
  nodeId: string;
  /** $share groups and their members, as the dispatcher sees them now. */
  sharedGroups(): ReturnType<SharedSubscriptions['describe']>;
}

export const DEFAULT_MAX_PACKET_SIZE = 256 * 1024;
const DEFAULT_MAX_INFLIGHT = 10_000;
const DEFAULT_MAX_OUTGOING_BYTES = 4 * 1024 * 1024;
const DEFAULT_MAX_OFFLINE_MESSAGES = 100_000;
/** Aedes' delivery slots: enough for many clients at once, bounded so a stuck consumer cannot queue work without limit. */
const MQ_CONCURRENCY = 200;

/** Starts the MQTT broker (Aedes, MQTT 3.1.1) with per-user credentials and topic ACLs, deny by default. */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const log = options.log ?? createLogger('broker');
  const clock = options.clock ?? systemClock;
  const limits = options.limits ?? {};
  const maxPacketSize = limits.maxPacketSize ?? options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
  const maxInflight = limits.maxInflight ?? DEFAULT_MAX_INFLIGHT;
  const maxOutgoingBytes = limits.maxOutgoingBytes ?? DEFAULT_MAX_OUTGOING_BYTES;
  const nodeId = options.nodeId ?? randomUUID();
  const shareHandoverMs = checkShareHandoverMs(options.shareHandoverMs ?? DEFAULT_SHARE_HANDOVER_MS);
  const metrics = createBrokerMetrics();
  const counts = metrics.counts;
  const sessions = new BrokerSessions();
  const throttle = new LoginThrottle({ ...DEFAULT_LOGIN_THROTTLE, ...options.loginThrottle }, clock);
  const maxOfflineMessagesPerClient = limits.maxOfflineMessagesPerClient ?? DEFAULT_MAX_OFFLINE_MESSAGES;
  // One warning per client per minute while its queue stays full; the counter has the exact number.
  const queueFullWarned = new Map<string, { at: number; dropped: number }>();
  const onOfflineDrop = (clientId: string) => {
    countDrop(metrics, 'offline-queue-full');
    const now = clock.now();
    const last = queueFullWarned.get(clientId);
    if (last && now - last.at < 60_000) {
      last.dropped += 1;
      return;
    }
    if (queueFullWarned.size > 10_000) queueFullWarned.clear();
    queueFullWarned.set(clientId, { at: now, dropped: 0 });
    log.warn({ clientId, maxOfflineMessagesPerClient, droppedSinceLastWarning: last?.dropped ?? 0 },
      'offline queue of a persistent session is full: newer messages are dropped for it until it reconnects and takes them');
  };
  const storage = createBrokerStorage(options.persistence ?? { type: 'memory' }, MQ_CONCURRENCY, log, { maxPerClient: maxOfflineMessagesPerClient, onDrop: onOfflineDrop }, metrics, nodeId);

  // Filled in right after Aedes exists; the hooks only run once clients connect.
  let shared: SharedSubscriptions | undefined;
  let gatewayEvents: GatewayConnectionEvents | undefined;
  const aedesRef: { current?: Aedes } = {};

  const configGrants = options.grants ?? {};
  checkConfigGrants(configGrants, (username) => options.users.find(username)?.role, options.grantsSource ?? 'broker options');
  const noGrants: readonly Grant[] = [];
  const grantsOf = (who: BrokerIdentity): readonly Grant[] => {
    const own = options.users.find(who.username)?.grants ?? noGrants;
    const extra = configGrants[who.username] ?? noGrants;
    return extra.length === 0 ? own : own.length === 0 ? extra : [...own, ...extra];
  };
  const deps = { users: options.users, sessions, metrics, log, grantsOf };
  const emptyPersistentIds = new WeakSet<Client>();
  const shedQos0 = slowSubscriberQos0({ highWaterBytes: limits.qos0HighWaterBytes ?? DEFAULT_QOS0_HIGH_WATER_BYTES, counts, clock, log });
  const aedes = await Aedes.createBroker({
    id: nodeId,
    concurrency: MQ_CONCURRENCY,
    ...(storage.persistence ? { persistence: storage.persistence } : {}),
    ...(storage.mq ? { mq: storage.mq } : {}),
    drainTimeout: limits.slowConsumerTimeoutMs ?? 10_000,
    queueLimit: limits.queueLimit ?? 42,
    connectTimeout: limits.connectTimeoutMs ?? 10_000,
    keepaliveLimit: limits.keepaliveLimitSeconds ?? 0,
    // Service accounts and gateway ids may be longer than MQTT 3.1.0's 23 characters.
    maxClientsIdLength: 128,
    preConnect: preConnectHook(emptyPersistentIds),
    authenticate: authenticateHook({
      ...deps,
      throttle,
      emptyPersistentIds,
      ...(options.audit ? { audit: options.audit } : {}),
      onAuthenticated: (client) => {
        // A second connection with a live client id takes over (MQTT 3.1.1 §3.1.4-2): the old one's disconnect is a takeover.
        const previous = (aedesRef.current as unknown as { clients: Record<string, Client | undefined> } | undefined)?.clients[client.id];
        if (previous && previous !== client) gatewayEvents?.noteReason(previous, 'takeover');
      },
    }),
    authorizePublish: authorizePublishHook({
      ...deps,
      clock,
      deniedPublish: options.deniedPublish ?? 'drop',
      publishRate: limits.publishRate ?? null,
    }),
    authorizeSubscribe: (client, subscription, callback) => authorizeSubscribe(client, subscription, callback),
    // Called once per delivery to a subscriber: count it, and give $share deliveries their original topic back.
    authorizeForward: (client, packet) => {
      if (packet.topic === DROPPED_TOPIC) return null;
      if (shedQos0(client, packet)) return null;
      counts.messagesOut += 1; // tz_broker_messages_out_total reads it at scrape time
      return shared ? shared.forward(packet) : packet;
    },
  });
  aedesRef.current = aedes;
  shared = new SharedSubscriptions(aedes, { members: metrics.sharedMembers, deliveries: metrics.sharedDeliveries, undeliverable: metrics.sharedUndeliverable }, log);
  const sharedSubs = shared;
  const handover = new ShareHandover({ aedes, shared, graceMs: shareHandoverMs, registry: metrics.registry, clock, log, onLost: () => countDrop(metrics, 'share-handover-no-member') });
  const authorizeSubscribe = authorizeSubscribeHook({ ...deps, shared: sharedSubs });

  if (options.gatewayEvents ?? true) {
    gatewayEvents = new GatewayConnectionEvents({
      brokerId: nodeId,
      clock,
      log,
      onState: (gatewayId, connected) => metrics.gatewayConnected.set({ gateway: gatewayId }, connected ? 1 : 0),
      publish: (event: GatewayConnectionEvent) => {
        counts.gatewayEvents += 1;
        metrics.gatewayEvents.inc({ type: event.type });
        // At-least-once to subscribers like any QoS 1 message: persistent rules sessions get it queued while offline.
        aedes.publish({ cmd: 'publish', topic: topics.gatewayEvents, payload: Buffer.from(JSON.stringify(event)), qos: 1, retain: false, dup: false }, (err) => {
          if (err) log.error({ err: err.message, event }, 'gateway event not published');
        });
      },
    });
  }

  const connected = new Set<Client>();
  aedes.on('client', (client) => {
    connected.add(client);
    metrics.clientsConnected.inc();
    sharedSubs.clientConnected(client);
    const who = sessions.get(client);
    // Also noted here, after authenticate's own set, so a PUBLISH of the previous connection not yet scraped cannot hide it.
    if (who?.role === 'gateway') metrics.lastSeenPending.set(who.username, clock.now());
    if (who?.role === 'gateway') gatewayEvents?.connected(client, who.username);
  });
  aedes.on('clientDisconnect', (client) => {
    connected.delete(client);
    metrics.clientsConnected.dec();
    sharedSubs.clientDisconnected(client);
    gatewayEvents?.disconnected(client, client.conn instanceof ConnectionGuard && client.conn.sawDisconnect);
  });
  aedes.on('keepaliveTimeout', (client) => gatewayEvents?.noteReason(client, 'timeout'));
  aedes.on('unsubscribe', (unsubscriptions, client) => {
    for (const filter of unsubscriptions) {
      const share = parseSharedFilter(filter);
      if (share && share !== 'invalid') sharedSubs.leave(client, share.group, share.filter);
    }
  });
  aedes.on('publish', (packet: AedesPublishPacket, client: Client | null) => {
    if (!client || packet.topic === DROPPED_TOPIC) return; // $SYS heartbeats, wills and our own events; dropped publishes
    counts.messagesIn += 1; // tz_broker_messages_in_total reads it at scrape time
    const who = sessions.get(client);
    if (who?.role === 'gateway') metrics.lastSeenPending.set(who.username, clock.now());
  });
  const onClientError = (client: Client, err: Error) => {
    counts.clientErrors += 1;
    const reason = errorReason(err);
    metrics.clientErrors.inc({ reason });
    if (reason === 'drain-timeout') {
      counts.slowConsumers += 1;
      metrics.slowConsumers.inc({ reason: 'drain-timeout' });
    }
    gatewayEvents?.noteReason(client, 'error');
    log.warn({ clientId: client.id, address: addressOf(client), err: err.message }, 'MQTT connection closed on error');
  };
  // Aedes emits 'error' when its persistence fails while enqueueing a publish for offline sessions; that publish goes no further.
  (aedes as unknown as NodeJS.EventEmitter).on('error', (err: Error) => {
    countDrop(metrics, 'persistence-error');
    log.error({ err: err.message }, 'broker persistence failed: the publish being enqueued was dropped');
  });
  aedes.on('clientError', onClientError);
  aedes.on('connectionError', onClientError);

  // `tianzhong broker users add|remove` edits the file; a running broker picks it up and
  // disconnects clients whose account is gone or whose role changed.
  const usersFile = options.users.path;
  const onUsersFileChange = () => {
    try {
      options.users.reload();
    } catch (err) {
      log.error({ file: usersFile, err: (err as Error).message }, 'users file not reloaded (kept the previous accounts)');
      return;
    }
    let cut = 0;
    for (const client of connected) {
      const who = sessions.get(client);
      const now = who ? options.users.find(who.username) : undefined;
      if (who && (!now || now.role !== who.role)) {
        cut += 1;
        client.close();
      }
    }
    log.info({ file: usersFile, users: options.users.list().length, disconnected: cut }, 'users file reloaded');
  };
  if (usersFile && options.watchUsersFile !== false) watchFile(usersFile, { interval: options.watchUsersIntervalMs ?? 2000, persistent: false }, onUsersFileChange);

  const streams = new Set<ConnectionGuard>();
  // On by default (issue 18): a QoS 0 flood the broker cannot keep up with is shed and counted, not left as seconds of latency in the kernel's buffers.
  const qos0ShedAfterMs = limits.qos0ShedAfterMs === undefined ? DEFAULT_QOS0_SHED_AFTER_MS : limits.qos0ShedAfterMs;
  let behindWarnedAt = -Infinity; // one warning a minute for the whole broker; the counter has the number
  const accept = (stream: Duplex, info: ConnectionInfo, req?: IncomingMessage) => {
    metrics.connections.inc({ listener: info.listener });
    const where = `${info.remoteAddress}:${info.remotePort}`;
    const guard = new ConnectionGuard(stream, info, { maxPacketSize, maxOutgoingBytes, maxInflight, qos0ShedAfterMs, now: () => clock.now() }, {
      onBehindDrops: (n) => {
        // Counted here, handed to prom-client at scrape time (metrics.ts): an overload sheds thousands a second.
        counts.behindQos0Drops += n;
        counts.messagesDropped += n;
        const now = clock.now();
        if (now - behindWarnedAt < 60_000) return;
        behindWarnedAt = now;
        log.warn({ address: where, qos0ShedAfterMs }, 'broker behind a QoS 0 publisher: its QoS 0 messages are dropped on arrival until the broker catches up (limits.qos0ShedAfterMs)');
      },
      onOversize: (size) => {
        counts.oversizedPackets += 1;
        metrics.oversizedPackets.inc();
        log.warn({ address: where, listener: info.listener, size, maxPacketSize }, 'packet above maxPacketSize, connection closed');
      },
      onSlowConsumer: (reason, amount) => {
        counts.slowConsumers += 1;
        metrics.slowConsumers.inc({ reason });
        log.warn({ address: where, reason, amount, maxOutgoingBytes, maxInflight }, 'slow consumer disconnected; a persistent session keeps its unacknowledged messages');
      },
    });
    guard.on('error', () => undefined); // Aedes reports the error on the client
    streams.add(guard);
    guard.once('close', () => streams.delete(guard));
    const client = aedes.handle(guard, req);
    installFastDelivery(client);
    installPublishIntake(client);
  };

  let listeners;
  try {
    // Clients only once this node hears what is published (Redis: its pub/sub subscriptions are active).
    await storage.ready();
    listeners = await openListeners(options.listeners ?? { tcp: { host: options.host, port: options.port } }, maxPacketSize, accept, log);
  } catch (err) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await storage.close();
    throw err;
  }
  const open = listeners;
  const mqttUrl = open.urls.mqtt ?? open.urls.mqtts ?? open.urls.ws ?? '';

  const app = createServiceHttp({
    component: 'broker',
    registry: metrics.registry,
    log,
    health: () => ({ ok: !aedes.closed && open.listening() && storage.healthy(), nodeId, clients: aedes.connectedClients, ...open.urls, persistence: storage.describe }),
  });
  let httpUrl: string;
  try {
    httpUrl = await listenService(app, options.http?.host, options.http?.port);
  } catch (err) {
    await open.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await storage.close();
    throw err;
  }
  log.info({ ...open.urls, httpUrl, nodeId, maxPacketSize, persistence: storage.describe }, 'broker listening');

  const stats = (): Record<string, number> => ({ clientsConnected: aedes.connectedClients, ...counts });

  let stopping: Promise<void> | undefined;
  return {
    mqttUrl,
    urls: open.urls,
    nodeId,
    httpUrl,
    stats,
    sharedGroups: () => sharedSubs.describe(),
    stop() {
      stopping ??= (async () => {
        if (usersFile) unwatchFile(usersFile, onUsersFileChange);
        handover.close();
        // Stop accepting first; a server's close completes once its connections are gone.
        const closing = open.close();
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        for (const stream of streams) stream.destroy(); // sockets that never sent CONNECT
        await closing;
        await storage.close();
        await app.close();
        log.info('broker stopped');
      })();
      return stopping;
    },
  };
}

function errorReason(err: Error): string {
  const text = err.message.toLowerCase();
  if (text.includes('drain timeout')) return 'drain-timeout';
  if (text.includes('slow consumer')) return 'slow-consumer';
  if (text.includes('refused') || text.includes('rate exceeded')) return 'policy';
  if (text.includes('econnreset') || text.includes('epipe')) return 'socket';
  if (text.includes('keep')) return 'keepalive';
  return 'protocol';
}

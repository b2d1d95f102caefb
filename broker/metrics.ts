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
}

/** Everything the broker counts; one instance per running broker. */
export function createBrokerMetrics() {
  const registry: Registry = createRegistry('broker');
  const registers = [registry];
  const counts: BrokerCounts = {
    messagesIn: 0, messagesOut: 0, messagesDropped: 0, deniedPublishes: 0, deniedSubscriptions: 0, authFailures: 0, throttledLogins: 0,
    oversizedPackets: 0, slowConsumers: 0, rateLimited: 0, clientErrors: 0, gatewayEvents: 0, sharedDeliveries: 0,
  };
  return {
    registry,
    counts,
    clientsConnected: new Gauge({ name: 'tz_broker_clients_connected', help: 'MQTT clients connected now', registers }),
    connections: new Counter({ name: 'tz_broker_connections_total', help: 'Transport connections accepted, by listener', labelNames: ['listener'], registers }),
    messagesIn: new Counter({ name: 'tz_broker_messages_in_total', help: 'PUBLISH packets accepted from clients', registers }),
    messagesOut: new Counter({ name: 'tz_broker_messages_out_total', help: 'PUBLISH packets forwarded to subscribers', registers }),
    messagesDropped: new Counter({
      name: 'tz_broker_messages_dropped_total',
      help: 'Messages the broker did not pass on: acl (denied publish), rate-limit (QoS 0 over the rate), slow-consumer (queued for a client that was cut off), share-no-member, offline-queue-full (persistent session at limits.maxOfflineMessagesPerClient)',
      labelNames: ['reason'],
      registers,
    }),
    deniedPublishes: new Counter({ name: 'tz_broker_denied_publishes_total', help: 'PUBLISH packets refused by the topic ACL', labelNames: ['reason'], registers }),
    deniedSubscriptions: new Counter({ name: 'tz_broker_denied_subscriptions_total', help: 'Subscriptions refused by the topic ACL (granted QoS 128)', labelNames: ['reason'], registers }),
    authFailures: new Counter({ name: 'tz_broker_auth_failures_total', help: 'CONNECTs refused, by reason (throttled = refused unchecked during a lockout)', labelNames: ['reason'], registers }),
    loginLockouts: new Gauge({ name: 'tz_broker_login_lockouts', help: 'Client ids and addresses locked out after failed logins now', registers }),
    oversizedPackets: new Counter({ name: 'tz_broker_oversized_packets_total', help: 'Connections closed for a packet above maxPacketSize', registers }),
    slowConsumers: new Counter({ name: 'tz_broker_slow_consumers_total', help: 'Connections closed because the client did not take its messages (outgoing bytes, inflight, drain timeout)', labelNames: ['reason'], registers }),
    rateLimited: new Counter({ name: 'tz_broker_rate_limited_total', help: 'PUBLISH packets held back (delayed) or refused (over) by the per-client rate', labelNames: ['action'], registers }),
    clientErrors: new Counter({ name: 'tz_broker_client_errors_total', help: 'Connections closed on a protocol or socket error', labelNames: ['reason'], registers }),
    gatewayLastSeen: new Gauge({ name: 'tz_broker_gateway_last_seen_seconds', help: 'Last CONNECT or PUBLISH of each gateway, seconds since the epoch', labelNames: ['gateway'], registers }),
    gatewayConnected: new Gauge({ name: 'tz_broker_gateway_connected', help: '1 while the gateway has a connection to this node', labelNames: ['gateway'], registers }),
    gatewayEvents: new Counter({ name: 'tz_broker_gateway_events_total', help: 'Gateway connect/disconnect events published', labelNames: ['type'], registers }),
    sharedMembers: new Gauge({ name: 'tz_broker_shared_members', help: 'Online members of each $share group', labelNames: ['group'], registers }),
    sharedDeliveries: new Counter({ name: 'tz_broker_shared_deliveries_total', help: 'Messages handed to one member of a $share group', labelNames: ['group'], registers }),
    sharedUndeliverable: new Counter({ name: 'tz_broker_shared_undeliverable_total', help: 'Messages for a $share group with no member to take them', labelNames: ['group'], registers }),
  };
}

export type BrokerMetrics = ReturnType<typeof createBrokerMetrics>;

/** Counts a dropped message in both the Prometheus counter and the plain totals. */
export function countDrop(metrics: BrokerMetrics, reason: string, n = 1): void {
  metrics.messagesDropped.inc({ reason }, n);
  metrics.counts.messagesDropped += n;
}

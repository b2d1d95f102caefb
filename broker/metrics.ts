import { Counter, Gauge, type Registry } from 'prom-client';
import { createRegistry } from '../service-kit/index.ts';

/** Everything the broker counts; one instance per running broker. */
export function createBrokerMetrics() {
  const registry: Registry = createRegistry('broker');
  const registers = [registry];
  return {
    registry,
    /** Plain totals for `stats()` (prom-client reads are async). */
    counts: { messagesIn: 0, messagesOut: 0, deniedPublishes: 0, deniedSubscriptions: 0, authFailures: 0, oversizedPackets: 0, clientErrors: 0 },
    clientsConnected: new Gauge({ name: 'tz_broker_clients_connected', help: 'MQTT clients connected now', registers }),
    messagesIn: new Counter({ name: 'tz_broker_messages_in_total', help: 'PUBLISH packets accepted from clients', registers }),
    messagesOut: new Counter({ name: 'tz_broker_messages_out_total', help: 'PUBLISH packets forwarded to subscribers', registers }),
    deniedPublishes: new Counter({ name: 'tz_broker_denied_publishes_total', help: 'PUBLISH packets refused by the topic ACL (client disconnected)', labelNames: ['reason'], registers }),
    deniedSubscriptions: new Counter({ name: 'tz_broker_denied_subscriptions_total', help: 'Subscriptions refused by the topic ACL (granted QoS 128)', labelNames: ['reason'], registers }),
    authFailures: new Counter({ name: 'tz_broker_auth_failures_total', help: 'CONNECTs refused', labelNames: ['reason'], registers }),
    oversizedPackets: new Counter({ name: 'tz_broker_oversized_packets_total', help: 'Connections closed for a packet above maxPacketSize', registers }),
    clientErrors: new Counter({ name: 'tz_broker_client_errors_total', help: 'Connections closed on a protocol or socket error', labelNames: ['reason'], registers }),
    gatewayLastSeen: new Gauge({ name: 'tz_broker_gateway_last_seen_seconds', help: 'Last CONNECT or PUBLISH of each gateway, seconds since the epoch', labelNames: ['gateway'], registers }),
  };
}

export type BrokerMetrics = ReturnType<typeof createBrokerMetrics>;
